// Node side of build/json-digest.test.wasm (assembly/testing/json_entry.ts): the filter's JSON
// comparison and sample redactor compiled alone, for the emulator tier's JSON tests and
// bench/json-speed.ts.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const JSON_DIGEST_WASM = fileURLToPath(new URL("../../build/json-digest.test.wasm", import.meta.url));

interface JsonEntryExports {
  memory: WebAssembly.Memory;
  alloc(size: number): number;
  release(ptr: number): void;
  collect(): void;
  resultPtr(): number;
  resultLength(): number;
  parsePath(ptr: number, len: number): number;
  compilePaths(ptr: number, len: number): number;
  digestCreate(set: number): number;
  digestDrop(h: number): void;
  digestReset(h: number): void;
  digestWrite(h: number, ptr: number, len: number): void;
  digestFinish(h: number): number;
  digestLeaves(h: number): bigint;
  digestsEqual(a: number, b: number): number;
  differingPaths(a: number, b: number, max: number): number;
  pathsDrop(h: number): void;
  redactorCreate(set: number, cap: number): number;
  redactorDrop(h: number): void;
  redactorReset(h: number): void;
  redactorWrite(h: number, ptr: number, len: number): void;
  redactorFinish(h: number): void;
  redactorOutputPtr(h: number): number;
  redactorOutputLength(h: number): number;
  redactorFlags(h: number): number;
}

/** The module, with a staging block that chunks are copied through. */
export class JsonDigestModule {
  readonly exports: JsonEntryExports;
  /** Messages the module logged before trapping (its abort handler logs through proxy_log). */
  readonly logs: string[] = [];
  private staging = 0;
  private stagingSize = 0;

  private constructor(instance: WebAssembly.Instance, logs: string[]) {
    this.exports = instance.exports as unknown as JsonEntryExports;
    this.logs = logs;
  }

  static async load(path = JSON_DIGEST_WASM): Promise<JsonDigestModule> {
    if (!existsSync(path)) throw new Error(`${path} is missing: build it with \`npm run build:json-test\``);
    const logs: string[] = [];
    let memory: WebAssembly.Memory | undefined;
    const env = {
      proxy_log(_level: number, ptr: number, len: number): number {
        logs.push(Buffer.from(memory!.buffer, ptr, len).toString("utf8"));
        return 0;
      },
    };
    const { instance } = await WebAssembly.instantiate(readFileSync(path), { env });
    memory = instance.exports.memory as WebAssembly.Memory;
    (instance.exports._initialize as (() => void) | undefined)?.();
    return new JsonDigestModule(instance, logs);
  }

  /** Linear memory size in bytes. */
  get memoryBytes(): number {
    return this.exports.memory.buffer.byteLength;
  }

  private result(): string {
    const e = this.exports;
    // Wasm returns addresses as i32: read them unsigned.
    return Buffer.from(e.memory.buffer, e.resultPtr() >>> 0, e.resultLength()).toString("utf8");
  }

  /** Copies `bytes` into a block of their own in the module's memory (until `exports.release`). */
  place(bytes: Uint8Array): number {
    const ptr = this.exports.alloc(bytes.length) >>> 0;
    new Uint8Array(this.exports.memory.buffer, ptr, bytes.length).set(bytes);
    return ptr;
  }

  /** Copies `bytes` into the module; the pointer is valid until the next call of `stage`. */
  stage(bytes: Uint8Array): number {
    if (bytes.length > this.stagingSize) {
      if (this.staging !== 0) this.exports.release(this.staging);
      this.stagingSize = Math.max(bytes.length, 4096);
      this.staging = this.exports.alloc(this.stagingSize) >>> 0;
    }
    new Uint8Array(this.exports.memory.buffer, this.staging >>> 0, bytes.length).set(bytes);
    return this.staging;
  }

  /** null when `text` is a well-formed path, else the parser's message. */
  pathError(text: string): string | null {
    const bytes = Buffer.from(text, "utf8");
    return this.exports.parsePath(this.stage(bytes), bytes.length) === 1 ? null : this.result();
  }

  /** A compiled set handle, or the messages of every malformed path. */
  compilePaths(paths: readonly string[]): number | string[] {
    const bytes = Buffer.from(paths.join("\n"), "utf8");
    const h = this.exports.compilePaths(this.stage(bytes), bytes.length);
    return h >= 0 ? h : this.result().split("\n");
  }

  digest(set = -1): Digest {
    return new Digest(this, this.exports.digestCreate(set));
  }

  /** A redactor of the paths of set `set` (-1: none) whose output is cut at `cap` bytes. */
  redactor(set: number, cap: number): Redactor {
    return new Redactor(this, this.exports.redactorCreate(set, cap));
  }

  dropPaths(set: number): void {
    this.exports.pathsDrop(set);
  }

  /** The differing paths, and whether the leaf tables decoded (else the paths are approximate). */
  differences(a: Digest, b: Digest, max = 5): { paths: string[]; exact: boolean } {
    const n = this.exports.differingPaths(a.handle, b.handle, max);
    return { paths: n === 0 ? [] : this.result().split("\n"), exact: n >= 0 };
  }

  differingPaths(a: Digest, b: Digest, max = 5): string[] {
    return this.differences(a, b, max).paths;
  }

  equal(a: Digest, b: Digest): boolean {
    return this.exports.digestsEqual(a.handle, b.handle) === 1;
  }
}

/** One JsonDigest in the module. */
export class Digest {
  constructor(
    private readonly module: JsonDigestModule,
    readonly handle: number,
  ) {}

  reset(): void {
    this.module.exports.digestReset(this.handle);
  }

  write(bytes: Uint8Array): void {
    this.module.exports.digestWrite(this.handle, this.module.stage(bytes), bytes.length);
  }

  /** Writes `bytes` cut at `cuts` (increasing offsets), then finishes. */
  writeAll(bytes: Uint8Array, cuts: readonly number[] = []): boolean {
    let at = 0;
    for (const cut of [...cuts, bytes.length]) {
      this.write(bytes.subarray(at, cut));
      at = cut;
    }
    return this.finish();
  }

  finish(): boolean {
    return this.module.exports.digestFinish(this.handle) === 1;
  }

  get leaves(): number {
    return Number(this.module.exports.digestLeaves(this.handle));
  }

  drop(): void {
    this.module.exports.digestDrop(this.handle);
  }
}

/** What a redactor made of a body. */
export interface Redaction {
  output: Buffer;
  truncated: boolean;
  redacted: boolean;
  notJson: boolean;
  withheld: boolean;
}

/** One JsonRedactor in the module. */
export class Redactor {
  constructor(
    private readonly module: JsonDigestModule,
    readonly handle: number,
  ) {}

  reset(): void {
    this.module.exports.redactorReset(this.handle);
  }

  write(bytes: Uint8Array): void {
    this.module.exports.redactorWrite(this.handle, this.module.stage(bytes), bytes.length);
  }

  /** Resets, writes `bytes` cut at `cuts` (increasing offsets), finishes: the result. */
  redact(bytes: Uint8Array, cuts: readonly number[] = []): Redaction {
    this.reset();
    let at = 0;
    for (const cut of [...cuts, bytes.length]) {
      this.write(bytes.subarray(at, cut));
      at = cut;
    }
    this.module.exports.redactorFinish(this.handle);
    return this.result();
  }

  result(): Redaction {
    const e = this.module.exports;
    const ptr = e.redactorOutputPtr(this.handle) >>> 0;
    const output = Buffer.from(new Uint8Array(e.memory.buffer, ptr, e.redactorOutputLength(this.handle)));
    const flags = e.redactorFlags(this.handle);
    return { output, truncated: (flags & 1) !== 0, redacted: (flags & 2) !== 0, notJson: (flags & 4) !== 0, withheld: (flags & 8) !== 0 };
  }

  drop(): void {
    this.module.exports.redactorDrop(this.handle);
  }
}
