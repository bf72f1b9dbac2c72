// The percentage gate: sticky buckets by a key of the request, or a random draw.
import { Sample, StickyKeySource } from "./config";
import { fnv1a64 } from "./hash";

// @ts-ignore: decorator
@inline export const BUCKETS: u64 = 10000;

/** The sticky bucket of a key: FNV-1a 64 of its bytes mod 10000 (0..9999). */
export function sampleBucket(ptr: usize, len: i32): i32 {
  return <i32>(fnv1a64(ptr, len) % BUCKETS);
}

/** A request is in iff its bucket is below the threshold (round(percent × 100)). */
// @ts-ignore: decorator
@inline
export function bucketIsIn(bucket: i32, threshold: i32): bool {
  return bucket < threshold;
}

const COOKIE: ArrayBuffer = String.UTF8.encode("cookie");

/**
 * The sticky bucket of this request under `sample`, or -1 when the request has no key
 * (or the sample is random). `H`: a header lookup as in rules.ts; every cookie header is looked
 * at (indexOf from the next index), so a view that only knows first values sees only the first.
 */
export function stickyBucket<H>(sample: Sample, headers: H): i32 {
  if (sample.by == StickyKeySource.Header) {
    const i = headers.indexOf(sample.keyBytes);
    if (i < 0) return -1;
    return sampleBucket(headers.valuePtr(i), headers.valueLen(i));
  }
  if (sample.by == StickyKeySource.Cookie) {
    let i = headers.indexOf(COOKIE);
    while (i >= 0) {
      const bucket = cookieBucket(headers.valuePtr(i), headers.valueLen(i), sample.keyBytes);
      if (bucket >= 0) return bucket;
      i = headers.indexOf(COOKIE, i + 1);
    }
  }
  return -1;
}

/** Finds `name=value` in a cookie header value ("a=1; b=2") and returns the bucket of the value. */
function cookieBucket(ptr: usize, len: i32, name: ArrayBuffer): i32 {
  const nameLen = name.byteLength;
  const namePtr = changetype<usize>(name);
  let pos = 0;
  while (pos < len) {
    while (pos < len && (load<u8>(ptr + pos) == 0x20 || load<u8>(ptr + pos) == 0x09)) pos++;
    let end = pos;
    while (end < len && load<u8>(ptr + end) != 0x3b /* ; */) end++;
    // One pair is [pos, end).
    if (end - pos > nameLen && load<u8>(ptr + pos + nameLen) == 0x3d /* = */ && memory.compare(ptr + pos, namePtr, nameLen) == 0) {
      let valueStart = pos + nameLen + 1;
      let valueEnd = end;
      while (valueEnd > valueStart && load<u8>(ptr + valueEnd - 1) == 0x20) valueEnd--;
      // A quoted cookie value counts without its quotes.
      if (valueEnd - valueStart >= 2 && load<u8>(ptr + valueStart) == 0x22 && load<u8>(ptr + valueEnd - 1) == 0x22) {
        valueStart++;
        valueEnd--;
      }
      return sampleBucket(ptr + valueStart, valueEnd - valueStart);
    }
    pos = end + 1;
  }
  return -1;
}

/** xorshift64* — the random draw for requests without a sticky key. Seeded once per VM. */
export class Xorshift64 {
  private state: u64;

  constructor(seed: u64) {
    this.state = seed != 0 ? seed : 0x9e3779b97f4a7c15;
  }

  next(): u64 {
    let x = this.state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    this.state = x;
    return x * 0x2545f4914f6cdd1d;
  }

  /** A uniform bucket in 0..9999. */
  nextBucket(): i32 {
    return <i32>((this.next() >> 11) % BUCKETS);
  }
}
