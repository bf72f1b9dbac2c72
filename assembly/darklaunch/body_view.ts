// One side's response body as the comparison sees it (contract §2.2–2.4), built while the body
// streams past, without keeping it: the XXH64 of the bytes as received; with `decode` and a gzip
// or deflate content-encoding, the XXH64 of the decoded bytes; in JSON mode, the JSON digest of
// the decoded (or, without an encoding, received) bytes. Memory: a few words, plus the decoder's
// 32 KiB window while a compressed body streams, plus the JSON digest's depth-bound state.
import { ByteSink } from "proxy-wasm-sdk-as/assembly/bytes";
import { BodyHasher } from "./body_hash";
import { Compare } from "./config";
import { ContentCoding, Inflater } from "./inflate";
import { JsonDigest } from "./json_digest";
import { SampleCapture } from "./sample_capture";

/** Decoded bodies larger than this are compared as received (contract §2.4). */
// @ts-ignore: decorator
@inline export const MAX_DECODED_BYTES: i64 = 16 * 1024 * 1024;

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
  /** The JSON digest (JSON mode only) of the body as compared. */
  readonly json: JsonDigest | null;
  private readonly decode: bool;
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
    this.json = compare.json ? new JsonDigest(compare.ignorePaths) : null;
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
    if (len <= 0) return;
    this.raw.write(ptr, len);
    const capture = this.capture;
    const encoded = this.coding != ContentCoding.Identity;
    // The bytes as received are kept for a sample only when they may have to stand in for decoded ones.
    if (capture !== null && encoded) capture.rawBody.write(ptr, len);
    if (this.decode && (this.coding == ContentCoding.Gzip || this.coding == ContentCoding.Deflate)) {
      let inflater = this.inflater;
      if (inflater === null) {
        const sink = new DecodedSink(new BodyHasher(), this.json, capture);
        inflater = new Inflater(MAX_DECODED_BYTES);
        inflater.reset(this.coding, sink);
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
      this.inflater = null; // the window is not needed any more
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
