// Comparison of the primary and dark responses (contract section 2 "Comparison").
import { HeaderMap } from "proxy-wasm-sdk-as/assembly/headers";
import { parseDecimal } from "proxy-wasm-sdk-as/assembly/bytes";
import { Compare, Samples } from "./config";
import { SampleCapture } from "./sample_capture";
import { BodyView } from "./body_view";
import { contentCodingOf } from "./inflate";
import { differingJsonPaths, jsonValuesEqual } from "./json_digest";
import { fnv1a64Update, FNV64_OFFSET } from "./hash";
import { GRPC_STATUS_MISSING_HTTP, httpStatusOfGrpc, isGrpcContentType, parseGrpcStatus } from "./grpc";

export enum Outcome {
  Match = -1,
  MismatchStatus = 0,
  MismatchHeaders = 1,
  MismatchBody = 2,
}

/** Status class index for stats: 0 = 2xx, 1 = 3xx, 2 = 4xx, 3 = 5xx (below 200 counts as 2xx, 600+ as 5xx). */
export function statusClass(status: i32): i32 {
  if (status < 300) return 0;
  if (status < 400) return 1;
  if (status < 500) return 2;
  return 3;
}

/** Parses a decimal :status value; -1 when it is not a number. */
export function parseStatus(ptr: usize, len: i32): i32 {
  return <i32>parseDecimal(ptr, len, 4);
}

const COMMA: ArrayBuffer = String.UTF8.encode(",");
const STATUS: ArrayBuffer = String.UTF8.encode(":status");
const CONTENT_TYPE: ArrayBuffer = String.UTF8.encode("content-type");
const GRPC_STATUS: ArrayBuffer = String.UTF8.encode("grpc-status");
const CONTENT_ENCODING: ArrayBuffer = String.UTF8.encode("content-encoding");

/** At most this many differing JSON paths are named (contract §2.3). */
// @ts-ignore: decorator
@inline export const MAX_NAMED_PATHS: i32 = 5;

/** The digest of an absent header; a present header whose hash is 0 is stored as 1. */
// @ts-ignore: decorator
@inline const ABSENT: u64 = 0;

const NO_DIGESTS = new StaticArray<u64>(0);

/** What one side's response looked like, as far as comparison needs: no header values are kept. */
export class ResponseSummary {
  /** The status that counts (contract §2.5): HTTP :status, or for gRPC the one grpc-status maps to once known. */
  status: i32 = -1;
  /** The HTTP :status as received (-1 when absent or not a number). */
  httpStatus: i32 = -1;
  /** Whether the response is gRPC (content-type application/grpc…, not gRPC-Web). */
  grpc: bool = false;
  /** The raw grpc-status of a gRPC response, -1 until seen (or when not gRPC). */
  grpcStatus: i32 = -1;
  /** One digest per `compare.headers` entry: FNV-1a 64 over all its values joined by ",", or 0 if absent. */
  headerDigests: StaticArray<u64>;
  body: BodyView;
  /** What a mismatch sample keeps of this response (samples configured), or null. */
  capture: SampleCapture | null = null;
  /** Whether the whole response (headers, body, trailers) was seen. */
  complete: bool = false;
  /** False when Envoy answered itself (upstream reset, refused, timed out): no service answered. */
  fromUpstream: bool = true;

  constructor(compare: Compare, samples: Samples | null = null) {
    const n = compare.headers.length;
    // Most rules compare no headers: they share one empty array (never written to).
    this.headerDigests = n > 0 ? new StaticArray<u64>(n) : NO_DIGESTS;
    this.body = new BodyView(compare);
    if (samples !== null) {
      const capture = new SampleCapture(samples);
      this.capture = capture;
      this.body.captureFor(capture);
    }
  }

  /** Whether trailers add anything: a gRPC status, a compared header, or an allow-listed one for a sample. */
  get readsTrailers(): bool {
    return this.wantsTrailers() || this.capture !== null;
  }

  /** Drops what a sample would have shown (the pair will not be sampled): its memory goes now. */
  dropCapture(): void {
    this.capture = null;
    this.body.captureFor(null);
  }

  /** Records the status, gRPC-ness and compared headers of `headers` (a response header map). */
  takeHeaders(compare: Compare, headers: HeaderMap): void {
    const s = headers.indexOf(STATUS);
    this.status = s >= 0 ? parseStatus(headers.valuePtr(s), headers.valueLen(s)) : -1;
    this.httpStatus = this.status;
    const ct = headers.indexOf(CONTENT_TYPE);
    if (ct >= 0 && isGrpcContentType(headers.valuePtr(ct), headers.valueLen(ct))) {
      this.grpc = true;
      this.takeGrpcStatus(headers); // a trailers-only response carries it in its headers
    }
    digestHeaders(compare.headerBytes, headers, this.headerDigests);
    const ce = headers.indexOf(CONTENT_ENCODING);
    if (ce >= 0) this.body.setCoding(contentCodingOf(headers.valuePtr(ce), headers.valueLen(ce)));
    const capture = this.capture;
    if (capture !== null) capture.takeHeaders(headers);
  }

  /**
   * Whether the trailers still matter: a gRPC status not yet seen, or a compared header not found
   * among the headers (compare.headers names are looked up in the headers, then the trailers).
   */
  wantsTrailers(): bool {
    if (this.grpc && this.grpcStatus < 0) return true;
    for (let k = 0; k < this.headerDigests.length; k++) {
      if (unchecked(this.headerDigests[k]) == ABSENT) return true;
    }
    return false;
  }

  /** Records what the trailers add: the gRPC status, compared headers the headers lacked. */
  takeTrailers(compare: Compare, trailers: HeaderMap): void {
    if (this.grpc && this.grpcStatus < 0) this.takeGrpcStatus(trailers);
    digestHeaders(compare.headerBytes, trailers, this.headerDigests);
    const capture = this.capture;
    if (capture !== null) capture.takeHeaders(trailers);
  }

  /**
   * The response is over (complete or not): a gRPC response's status becomes the one its
   * grpc-status maps to, or 500 without one.
   */
  settleStatus(): void {
    this.statusSettled = true;
    if (this.grpc && this.grpcStatus < 0 && this.status >= 0) this.status = GRPC_STATUS_MISSING_HTTP;
  }

  /** Whether `status` is final: known, and for gRPC its grpc-status seen (or the response over). */
  get statusFinal(): bool {
    return this.status >= 0 && (!this.grpc || this.grpcStatus >= 0 || this.statusSettled);
  }

  private statusSettled: bool = false;

  private takeGrpcStatus(map: HeaderMap): void {
    const g = map.indexOf(GRPC_STATUS);
    if (g < 0 || this.status < 0) return;
    const code = parseGrpcStatus(map.valuePtr(g), map.valueLen(g));
    if (code < 0) return; // not a number: as if absent (500 once the response is over)
    this.grpcStatus = code;
    this.status = httpStatusOfGrpc(code);
  }
}

/** Fills the digests of `names` still absent from the values they have in `map`. */
function digestHeaders(names: ArrayBuffer[], map: HeaderMap, digests: StaticArray<u64>): void {
  for (let k = 0; k < names.length; k++) {
    if (unchecked(digests[k]) != ABSENT) continue;
    const name = unchecked(names[k]);
    let h: u64 = FNV64_OFFSET;
    let found = false;
    let i = map.indexOf(name);
    while (i >= 0) {
      if (found) h = fnv1a64Update(h, changetype<usize>(COMMA), 1);
      h = fnv1a64Update(h, map.valuePtr(i), map.valueLen(i));
      found = true;
      i = map.indexOf(name, i + 1);
    }
    if (found) unchecked((digests[k] = h == ABSENT ? 1 : h));
  }
}

/** The result of comparing one pair: the outcome, and what the body comparison had to fall back on. */
export class PairComparison {
  outcome: Outcome = Outcome.Match;
  /** JSON mode: the bodies were compared as bytes because one side was not JSON (compare.json_invalid). */
  jsonInvalid: bool = false;
  /** Bodies (0–2) compared as received though decode was on (compare.undecoded). */
  undecoded: i32 = 0;
  /** The bodies were compared as JSON values. */
  jsonCompared: bool = false;
  /** A JSON body mismatch: up to MAX_NAMED_PATHS differing paths (none when they could not be named). */
  paths: string[] = [];
}

/**
 * Match, or the first differing enabled part in the order status, headers, body. The body's
 * fallbacks (json_invalid, undecoded) are reported only when the body part was compared.
 */
export function comparePair(compare: Compare, primary: ResponseSummary, other: ResponseSummary): PairComparison {
  const result = new PairComparison();
  // Two gRPC codes that map to one HTTP status (3 and 11) still differ; so do gRPC and not.
  if (compare.status && (primary.status != other.status || primary.grpcStatus != other.grpcStatus)) {
    result.outcome = Outcome.MismatchStatus;
    return result;
  }
  for (let k = 0; k < primary.headerDigests.length; k++) {
    if (unchecked(primary.headerDigests[k]) != unchecked(other.headerDigests[k])) {
      result.outcome = Outcome.MismatchHeaders;
      return result;
    }
  }
  if (!compare.body) return result;
  const p = primary.body;
  const d = other.body;
  result.undecoded = (p.undecoded ? 1 : 0) + (d.undecoded ? 1 : 0);
  if (compare.json) {
    if (p.empty && d.empty) return result; // no body on either side (204, HEAD): nothing to parse
    if (p.jsonValid && d.jsonValid) {
      result.jsonCompared = true;
      if (!jsonValuesEqual(p.json!, d.json!)) {
        result.outcome = Outcome.MismatchBody;
        result.paths = differingJsonPaths(p.json!, d.json!, MAX_NAMED_PATHS);
      }
      return result;
    }
    result.jsonInvalid = true;
  }
  if (p.hash != d.hash || p.length != d.length) result.outcome = Outcome.MismatchBody;
  return result;
}

/** The outcome alone (tests, callers that need no fallbacks). */
export function compareResponses(compare: Compare, primary: ResponseSummary, dark: ResponseSummary): Outcome {
  return comparePair(compare, primary, dark).outcome;
}
