// What a mismatch sample (contract §2.7) keeps of one response while its pair is undecided: the
// allow-listed headers' values and the first `max_body_bytes` of the body (after decoding, with
// redacted values replaced), never more. Pure code, no host calls.
import { BoundedBytes, ByteSink } from "proxy-wasm-sdk-as/assembly/bytes";
import { HeaderMap } from "proxy-wasm-sdk-as/assembly/headers";
import { Samples } from "./config";
import { JsonRedactor } from "./json_redact";

const COMMA_SPACE: ArrayBuffer = String.UTF8.encode(", ");
/** Longest header value kept (a longer one is cut). */
// @ts-ignore: decorator
@inline const MAX_HEADER_VALUE_BYTES: i32 = 4096;

/** A body as a sample shows it: bounded bytes, and whether they were cut or redacted. */
export abstract class SampleBody extends ByteSink {
  abstract finish(): void;
  abstract get output(): ArrayBuffer;
  abstract get truncated(): bool;
  abstract get redacted(): bool;
}

/** The first `cap` bytes of a body, as they come (no redaction configured, or bytes as received). */
export class PlainSampleBody extends SampleBody {
  /** Allocated at the first byte: most captured bodies are dropped with their matching pair. */
  private bytes: BoundedBytes | null = null;
  private cut: bool = false;

  constructor(readonly cap: i32) {
    super();
  }

  write(ptr: usize, len: i32): void {
    if (this.cut || len <= 0) return;
    let bytes = this.bytes;
    if (bytes === null) {
      bytes = new BoundedBytes(this.cap, min(this.cap, len));
      this.bytes = bytes;
    }
    const room = this.cap - bytes.length;
    if (len > room) {
      this.cut = true;
      len = room;
    }
    if (len > 0) bytes.append(ptr, len);
  }

  finish(): void {}

  get output(): ArrayBuffer {
    const bytes = this.bytes;
    return bytes !== null ? bytes.toArrayBuffer() : new ArrayBuffer(0);
  }
  get truncated(): bool {
    return this.cut;
  }
  get redacted(): bool {
    return false;
  }
}

/** The redacting body: values at `samples.redact` paths replaced before the cut (json_redact.ts). */
export class RedactedSampleBody extends SampleBody {
  private readonly redactor: JsonRedactor;

  constructor(samples: Samples) {
    super();
    this.redactor = new JsonRedactor(samples.redactPaths, samples.maxBodyBytes);
  }

  write(ptr: usize, len: i32): void {
    this.redactor.write(ptr, len);
  }
  finish(): void {
    this.redactor.finish();
  }
  get output(): ArrayBuffer {
    return this.redactor.output;
  }
  get truncated(): bool {
    return this.redactor.truncated;
  }
  get redacted(): bool {
    return this.redactor.redacted;
  }
}

/** One response as a sample will show it. */
export class SampleCapture {
  /** Values of samples.headers (joined ", " when repeated), null when absent. */
  readonly headerValues: StaticArray<ArrayBuffer | null>;
  /** The body after decoding (or as received, without an encoding), redacted, cut. */
  readonly body: SampleBody;
  /** The body as received, cut: used when it could not be decoded (then sent as base64). */
  readonly rawBody: PlainSampleBody;

  constructor(readonly samples: Samples) {
    this.headerValues = new StaticArray<ArrayBuffer | null>(samples.headerBytes.length);
    this.body = samples.redact.length > 0 ? <SampleBody>new RedactedSampleBody(samples) : <SampleBody>new PlainSampleBody(samples.maxBodyBytes);
    this.rawBody = new PlainSampleBody(samples.maxBodyBytes);
  }

  /** Takes the allow-listed headers `map` has and the capture does not have yet (headers, then trailers). */
  takeHeaders(map: HeaderMap): void {
    const names = this.samples.headerBytes;
    for (let k = 0; k < names.length; k++) {
      if (unchecked(this.headerValues[k]) !== null) continue;
      const name = unchecked(names[k]);
      let i = map.indexOf(name);
      if (i < 0) continue;
      const value = new BoundedBytes(MAX_HEADER_VALUE_BYTES, 64);
      let first = true;
      while (i >= 0) {
        if (!first) value.append(changetype<usize>(COMMA_SPACE), COMMA_SPACE.byteLength);
        value.append(map.valuePtr(i), min(map.valueLen(i), MAX_HEADER_VALUE_BYTES - value.length));
        first = false;
        i = map.indexOf(name, i + 1);
      }
      unchecked((this.headerValues[k] = value.toArrayBuffer()));
    }
  }
}
