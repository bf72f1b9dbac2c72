// Process-wide state of the protections, kept in Envoy's shared data (shared by every worker VM
// of one vm_id) and updated with compare-and-swap: read, compute, write if unchanged, else retry.
// Values are little-endian i64 words, read into and written from a static scratch area, so the
// per-request path allocates nothing here.
import { WasmResult } from "../abi/enums";
import { getSharedData, getSharedDataInto, setSharedData, setSharedDataFrom } from "../abi/hostcalls";
import { BreakerWindow, TokenBucket } from "../darklaunch/limits";
import { Breaker } from "../darklaunch/config";

// @ts-ignore: decorator
@inline const CAS_ATTEMPTS: i32 = 64;

/** Scratch for one value at a time (the VM is single-threaded; nothing re-enters these calls). */
const WORDS: usize = memory.data(128);

// @ts-ignore: decorator
@inline
function word(i: i32): i64 {
  return load<i64>(WORDS + <usize>i * 8);
}

// @ts-ignore: decorator
@inline
function setWord(i: i32, v: i64): void {
  store<i64>(WORDS + <usize>i * 8, v);
}

// The in-flight count is kept in time buckets, so that slots can never leak for good: a dark
// call that will never call back (its VM crashed or was replaced, a release lost too many
// compare-and-swap races) stops counting once its bucket is older than the window. Every live
// call calls back within timeout_ms (at most 60 s), and the window is longer than that.
// Value: IN_FLIGHT_BUCKETS × { i64 bucket number, i64 count }; bucket number = seconds / width.
// @ts-ignore: decorator
@inline const IN_FLIGHT_BUCKETS: i32 = 8;
// @ts-ignore: decorator
@inline const IN_FLIGHT_BUCKET_SECONDS: i64 = 8;
// @ts-ignore: decorator
@inline export const IN_FLIGHT_BYTES: i32 = IN_FLIGHT_BUCKETS * 16;

/** The in-flight bucket a call started at `nowMs` belongs to. */
export function inFlightBucket(nowMs: i64): i64 {
  return nowMs / 1000 / IN_FLIGHT_BUCKET_SECONDS;
}

/** Σ counts of the buckets still inside the window at bucket `now` (value in WORDS). */
function inFlightTotal(now: i64): i64 {
  let total: i64 = 0;
  for (let i = 0; i < IN_FLIGHT_BUCKETS; i++) {
    if (word(i * 2) > now - IN_FLIGHT_BUCKETS) total += word(i * 2 + 1);
  }
  return total;
}

/**
 * Takes an in-flight slot at `key` for a call starting in bucket `now`, unless `limit` calls are
 * already in flight. Returns the number in flight afterwards, or -1 when at the limit.
 */
export function acquireSlot(key: ArrayBuffer, limit: i32, now: i64): i64 {
  if (limit <= 0) return -1;
  for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
    const cas = getSharedDataInto(key, WORDS, IN_FLIGHT_BYTES);
    const total = inFlightTotal(now);
    if (total >= <i64>limit) return -1;
    const i = <i32>(now % IN_FLIGHT_BUCKETS);
    if (word(i * 2) != now) {
      setWord(i * 2, now);
      setWord(i * 2 + 1, 0);
    }
    setWord(i * 2 + 1, word(i * 2 + 1) + 1);
    if (setSharedDataFrom(key, WORDS, IN_FLIGHT_BYTES, cas) == WasmResult.Ok) return total + 1;
  }
  return -1;
}

/**
 * Gives back the slot of a call that started in bucket `started` (nothing to give back once that
 * bucket has left the window). Returns the number in flight afterwards.
 */
export function releaseSlot(key: ArrayBuffer, started: i64, now: i64): i64 {
  for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
    const cas = getSharedDataInto(key, WORDS, IN_FLIGHT_BYTES);
    const i = <i32>(started % IN_FLIGHT_BUCKETS);
    if (word(i * 2) == started && word(i * 2 + 1) > 0) setWord(i * 2 + 1, word(i * 2 + 1) - 1);
    const total = inFlightTotal(now);
    if (setSharedDataFrom(key, WORDS, IN_FLIGHT_BYTES, cas) == WasmResult.Ok) return total;
  }
  return inFlightTotal(now); // lost every race: the slot expires with its bucket
}

/** Takes one token from the process-wide bucket at `key`; false when empty. */
export function takeToken(key: ArrayBuffer, perSecond: i32, nowMs: i64): bool {
  for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
    const cas = getSharedDataInto(key, WORDS, 16);
    const bucket = new TokenBucket(word(0), word(1));
    const taken = bucket.take(nowMs, perSecond);
    setWord(0, bucket.milliTokens);
    setWord(1, bucket.lastMs);
    if (setSharedDataFrom(key, WORDS, 16, cas) == WasmResult.Ok) return taken;
  }
  return false;
}

/** Until when (ms) the breaker at `key` is open; 0 or a past time when closed. */
export function breakerOpenUntil(key: ArrayBuffer): i64 {
  getSharedDataInto(key, WORDS, 32);
  return word(3);
}

/**
 * Counts one finished dark call in the breaker at `key` (failed: 5xx, no response, timeout).
 * Returns until when the breaker is open afterwards (0 or a past time when closed).
 * Every call is written at once, so all workers judge one exact window. (Writing successes in
 * batches saved two host calls per request, but let one worker's failures meet a window still
 * missing another worker's successes: the breaker opened below failure_ratio under mixed load on
 * two workers, which test/envoy/workers.test.ts caught.)
 */
export function breakerRecord(key: ArrayBuffer, nowMs: i64, failed: bool, cfg: Breaker): i64 {
  for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
    const cas = getSharedDataInto(key, WORDS, 32);
    const w = new BreakerWindow(word(0), word(1), word(2), word(3));
    w.record(nowMs, failed, cfg);
    setWord(0, w.windowStartMs);
    setWord(1, w.calls);
    setWord(2, w.failures);
    setWord(3, w.openUntilMs);
    if (setSharedDataFrom(key, WORDS, 32, cas) == WasmResult.Ok) return w.openUntilMs;
  }
  return 0;
}

/** Creates a shared-data key of `size` zero bytes if no VM has created it yet (configure time). */
export function initSharedKey(key: ArrayBuffer, size: i32): void {
  const cur = getSharedData(key);
  const existing = cur.bytes;
  if (existing !== null && existing.byteLength >= size) return;
  // cas 0 = unconditional; a lost race here only means another VM initialised it first.
  setSharedData(key, new ArrayBuffer(size), existing === null ? 0 : cur.cas);
}
