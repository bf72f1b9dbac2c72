// Node's handle on build/inflate-test.wasm (assembly/testing/inflate_entry.ts): the project's
// content decoder compiled alone, fed compressed bytes in chunks and read back. Used by
// test/emulator/inflate.test.ts and bench/inflate-speed.ts.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** ContentCoding of assembly/darklaunch/content_coding.ts. */
export enum Coding {
  Identity = 0,
  Gzip = 1,
  Deflate = 2,
  Other = 3,
}

export const INFLATE_WASM = fileURLToPath(new URL("../../build/inflate-test.wasm", import.meta.url));

interface Exports {
  memory: WebAssembly.Memory;
  _initialize(): void;
  inflate_input(size: number): number;
  inflate_reset(coding: number, maxOutput: bigint, keep: number): void;
  inflate_write(offset: number, len: number): void;
  inflate_finish(): number;
  inflate_failed(): number;
  inflate_raw(): number;
  inflate_output_length(): bigint;
  inflate_collected_ptr(): number;
  inflate_collected_length(): number;
  inflate_drain(): void;
  inflate_sink_writes(): number;
  inflate_reason(): number;
  inflate_reason_ptr(): number;
  inflate_content_coding(len: number): number;
}

export interface DecodeResult {
  /** finish()'s answer. */
  ok: boolean;
  failed: boolean;
  /** The decoder's failure reason ("" when none). */
  reason: string;
  /** The decoded bytes (empty when decoding with `keep: false`). */
  output: Buffer;
  /** outputLength as the decoder reports it. */
  outputLength: number;
  /** Calls to the output sink: more than one shows output left in pieces. */
  sinkWrites: number;
  /** For deflate: the stream had no zlib wrapper. */
  raw: boolean;
}

export interface DecodeOptions {
  /** Output cap; the decoder's default (16 MiB) when absent. */
  maxOutput?: number;
  /** Chunk sizes to feed, cycled; or a function giving the next chunk's size. Default: all at once. */
  chunks?: number[] | (() => number);
  /** false: count the output without copying it out (for the benchmark). */
  keep?: boolean;
}

export const DEFAULT_MAX_OUTPUT = 16 * 1024 * 1024;

/** One instance of the compiled decoder. A trap (abort) surfaces as an exception. */
export class WasmInflater {
  private readonly x: Exports;

  private constructor(instance: WebAssembly.Instance) {
    this.x = instance.exports as unknown as Exports;
    this.x._initialize();
  }

  static async load(path = INFLATE_WASM): Promise<WasmInflater> {
    let self: WasmInflater | undefined;
    const { instance } = await WebAssembly.instantiate(readFileSync(path), {
      env: {
        proxy_log: (_level: number, ptr: number, len: number) => {
          const text = self ? Buffer.from(self.x.memory.buffer, ptr, len).toString("utf8") : "(before load)";
          throw new Error(`inflate-test.wasm aborted: ${text}`);
        },
      },
    });
    self = new WasmInflater(instance);
    return self;
  }

  /** Decodes `input` as `coding`, fed in the chunks of `options`, and reads everything back. */
  decode(coding: Coding, input: Uint8Array, options: DecodeOptions = {}): DecodeResult {
    const x = this.x;
    const keep = options.keep ?? true;
    const base = x.inflate_input(Math.max(1, input.length));
    new Uint8Array(x.memory.buffer, base, input.length).set(input);
    x.inflate_reset(coding, BigInt(options.maxOutput ?? DEFAULT_MAX_OUTPUT), keep ? 1 : 0);
    const pieces: Buffer[] = [];
    const drain = (): void => {
      const n = x.inflate_collected_length();
      if (keep && n > 0) pieces.push(Buffer.from(new Uint8Array(x.memory.buffer, x.inflate_collected_ptr(), n)));
      x.inflate_drain();
    };
    const chunks = options.chunks;
    let k = 0;
    for (let at = 0; at < input.length; ) {
      let size = input.length;
      if (typeof chunks === "function") size = chunks();
      else if (chunks && chunks.length > 0) size = chunks[k++ % chunks.length];
      size = Math.max(1, Math.min(size, input.length - at));
      x.inflate_write(at, size);
      at += size;
      drain();
    }
    const ok = x.inflate_finish() === 1;
    drain();
    const reasonLength = x.inflate_reason();
    return {
      ok,
      failed: x.inflate_failed() === 1,
      reason: Buffer.from(new Uint8Array(x.memory.buffer, x.inflate_reason_ptr(), reasonLength)).toString("utf8"),
      output: Buffer.concat(pieces),
      outputLength: Number(x.inflate_output_length()),
      sinkWrites: x.inflate_sink_writes(),
      raw: x.inflate_raw() === 1,
    };
  }

  /** contentCodingOf for a header value. */
  contentCodingOf(value: string): Coding {
    const bytes = Buffer.from(value, "latin1");
    const base = this.x.inflate_input(Math.max(1, bytes.length));
    new Uint8Array(this.x.memory.buffer, base, bytes.length).set(bytes);
    return this.x.inflate_content_coding(bytes.length) as Coding;
  }

  /** The module's linear memory size in bytes (it must not grow with the bodies decoded). */
  get memoryBytes(): number {
    return this.x.memory.buffer.byteLength;
  }
}
