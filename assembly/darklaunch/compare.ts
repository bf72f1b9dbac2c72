// Comparison of the primary and dark responses (contract section 2 "Comparison").
import { HeaderMap } from "../abi/headers";
import { parseDecimal } from "../abi/bytes";
import { Compare } from "./config";
import { BodyHasher } from "./body_hash";
import { fnv1a64Update, FNV64_OFFSET } from "./hash";

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

/** The digest of an absent header; a present header whose hash is 0 is stored as 1. */
// @ts-ignore: decorator
@inline const ABSENT: u64 = 0;

const NO_DIGESTS = new StaticArray<u64>(0);

/** What one side's response looked like, as far as comparison needs: no header values are kept. */
export class ResponseSummary {
  status: i32 = -1;
  /** One digest per `compare.headers` entry: FNV-1a 64 over all its values joined by ",", or 0 if absent. */
  headerDigests: StaticArray<u64>;
  body: BodyHasher = new BodyHasher();
  /** Whether the whole response (headers and body) was seen. */
  complete: bool = false;
  /** False when Envoy answered itself (upstream reset, refused, timed out): no service answered. */
  fromUpstream: bool = true;

  constructor(compare: Compare) {
    const n = compare.headers.length;
    // Most rules compare no headers: they share one empty array (never written to).
    this.headerDigests = n > 0 ? new StaticArray<u64>(n) : NO_DIGESTS;
  }

  /** Records the status and compared headers of `headers` (a response header map). */
  takeHeaders(compare: Compare, headers: HeaderMap, status: i32): void {
    this.status = status;
    const names = compare.headerBytes;
    for (let k = 0; k < names.length; k++) {
      const name = unchecked(names[k]);
      let h: u64 = FNV64_OFFSET;
      let found = false;
      let i = headers.indexOf(name);
      while (i >= 0) {
        if (found) h = fnv1a64Update(h, changetype<usize>(COMMA), 1);
        h = fnv1a64Update(h, headers.valuePtr(i), headers.valueLen(i));
        found = true;
        i = headers.indexOf(name, i + 1);
      }
      const digest: u64 = found ? (h == ABSENT ? 1 : h) : ABSENT;
      unchecked((this.headerDigests[k] = digest));
    }
  }
}

/** Match, or the first differing enabled part in the order status, headers, body. */
export function compareResponses(compare: Compare, primary: ResponseSummary, dark: ResponseSummary): Outcome {
  if (compare.status && primary.status != dark.status) return Outcome.MismatchStatus;
  for (let k = 0; k < primary.headerDigests.length; k++) {
    if (unchecked(primary.headerDigests[k]) != unchecked(dark.headerDigests[k])) return Outcome.MismatchHeaders;
  }
  if (compare.body && (primary.body.hash != dark.body.hash || primary.body.length != dark.body.length)) return Outcome.MismatchBody;
  return Outcome.Match;
}
