// One side's response body as the comparison sees it (contract §2.2–2.4), built while the body
// streams past, without keeping it: the XXH64 of the bytes as received; with `decode` and a gzip
// or deflate content-encoding, the XXH64 of the decoded bytes; in JSON mode, the JSON digest of
// the decoded (or, without an encoding, received) bytes. Memory: a few words, plus a decoder
// (40 KiB) while a compressed body streams, plus a JSON digest (about 19 KiB) until the pair is
// settled; both are reused by later bodies rather than allocated for each (docs/decoding.md,
// docs/json-comparison.md).
import { ByteSink } from "proxy-wasm-sdk-as/assembly/bytes";
import { BodyHasher } from "./body_hash";
import { Compare } from "./config";
import { ContentCoding, Inflater } from "./inflate";
import { JsonDigest } from "./json_digest";
import { SampleCapture } from "./sample_capture";

/** Decoded bodies larger than this are compared as received (contract §2.4). */
// @ts-ignore: decorator
@inline export const MAX_DECODED_BYTES: i64 = 16 * 1024 * 1024;

/**
 * Decoders that finished bodies gave back (each holds a 40 KiB window): the next compressed body
 * takes one instead of allocating and zeroing its own. Per worker (each worker has its own VM).
 */
const idleInflaters = new Array<Inflater>();
// @ts-ignore: decorator
@inline const MAX_IDLE_INFLATERS: i32 = 8;

function takeInflater(coding: ContentCoding, out: ByteSink): Inflater {
  const inflater = idleInflaters.length > 0 ? idleInflaters.pop() : new Inflater(MAX_DECODED_BYTES);
  inflater.reset(coding, out);
  return inflater;
}

function giveInflater(inflater: Inflater): void {
  inflater.detach(); // an idle decoder keeps no body's sink alive
  if (idleInflaters.length < MAX_IDLE_INFLATERS) idleInflaters.push(inflater);
}

/** Decoders idle in this worker (tests: what finished bodies gave back). */
export function idleInflaterCount(): i32 {
  return idleInflaters.length;
}

/** Hands decoded bytes to the decoded-bytes hash, the JSON digest (JSON mode) and a sample's body. */
class DecodedSink extends ByteSink {
  constructor(
    readonly hasher: BodyHasher,
    readonly json: JsonDigest | null,
    readonly capture: SampleCapture | null,
  ) {
    super();
  }

  write(ptr: usize, len: i32): void {
    this.hasher.write(ptr, len);
    const json = this.json;
    if (json !== null) json.write(ptr, len);
    const capture = this.capture;
    if (capture !== null) capture.body.write(ptr, len);
  }
}

export class BodyView extends ByteSink {
  /** XXH64 of the body as received. */
  readonly raw: BodyHasher = new BodyHasher();
  /** The JSON digest (JSON mode only) of the body as compared; null again once released. */
  json: JsonDigest | null;
  private readonly decode: bool;
  private readonly compare: Compare;
  private released: bool = false;
  private coding: ContentCoding = ContentCoding.Identity;
  private inflater: Inflater | null = null;
  private decoded: DecodedSink | null = null;
  private finished: bool = false;
  /** What a mismatch sample keeps of this body (samples configured), or null. */
  private capture: SampleCapture | null = null;

  /** After finish: a content-encoding was on the body but it is compared as received (contract §2.4). */
  undecoded: bool = false;
  /** After finish, JSON mode: the body as compared is one valid JSON value (depth ≤ 128). */
  jsonValid: bool = false;

  constructor(compare: Compare) {
    super();
    this.decode = compare.decode;
    this.compare = compare;
    this.json = compare.json ? compare.jsonDigests.take() : null;
  }

  /**
   * The pair is settled and nothing reads this body's digest any more: the digest (and a decoder
   * still held) go back to be reused by the next bodies. Later writes are ignored.
   */
  release(): void {
    if (this.released) return;
    this.released = true;
    const json = this.json;
    if (json !== null) {
      this.json = null;
      this.compare.jsonDigests.give(json);
    }
    const inflater = this.inflater;
    if (inflater !== null) {
      this.inflater = null;
      giveInflater(inflater);
    }
  }

  /** The body's content-encoding, from the response headers (before any body byte). */
  setCoding(coding: ContentCoding): void {
    this.coding = coding;
  }

  /** Also keeps what a sample shows of the body (before any body byte). */
  captureFor(capture: SampleCapture | null): void {
    this.capture = capture;
  }

  write(ptr: usize, len: i32): void {
    if (len <= 0 || this.released) return;
    this.raw.write(ptr, len);
    const capture = this.capture;
    const encoded = this.coding != ContentCoding.Identity;
    // The bytes as received are kept for a sample only when they may have to stand in for decoded ones.
    if (capture !== null && encoded) capture.rawBody.write(ptr, len);
    if (this.decode && (this.coding == ContentCoding.Gzip || this.coding == ContentCoding.Deflate)) {
      let inflater = this.inflater;
      if (inflater === null) {
        const sink = new DecodedSink(new BodyHasher(), this.json, capture);
        inflater = takeInflater(this.coding, sink);
        this.inflater = inflater;
        this.decoded = sink;
      }
      inflater.write(ptr, len);
      return;
    }
    const json = this.json;
    if (json !== null) json.write(ptr, len);
    if (capture !== null && !encoded) capture.body.write(ptr, len);
  }

  /** The body is complete: settles whether it was decoded and whether it is JSON. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    const inflater = this.inflater;
    let decodedOk = true;
    if (inflater !== null) {
      decodedOk = inflater.finish();
      this.inflater = null; // the window is not needed any more: the next body takes it
      giveInflater(inflater);
      if (!decodedOk) this.decoded = null;
    }
    // With decode on: a body in an encoding the filter does not decode (br, zstd, a list of
    // codings), or one that failed to decode or passed the cap.
    this.undecoded = this.decode && this.raw.length > 0 && (this.coding == ContentCoding.Other || !decodedOk);
    const json = this.json;
    if (json !== null) this.jsonValid = json.finish() && !this.undecoded;
  }

  /** Whether the body came with a content-encoding (any but identity). */
  get encoded(): bool {
    return this.coding != ContentCoding.Identity;
  }

  /** Whether the bytes compared are the decoded ones. */
  get isDecoded(): bool {
    return this.decoded !== null;
  }

  /** XXH64 of the bytes as compared: decoded when decoding succeeded, else as received. */
  get hash(): u64 {
    const decoded = this.decoded;
    return decoded !== null ? decoded.hasher.hash : this.raw.hash;
  }

  /** Length of the bytes as compared. */
  get length(): i64 {
    const decoded = this.decoded;
    return decoded !== null ? decoded.hasher.length : this.raw.length;
  }

  /** Whether nothing at all was received. */
  get empty(): bool {
    return this.raw.length == 0;
  }
}
