// Process-wide state of the protections, kept in Envoy's shared data (shared by every worker VM
// of one vm_id) and updated with compare-and-swap: read, compute, write if unchanged, else retry.
// Values are little-endian i64 words, read into and written from a static scratch area, so the
// per-request path allocates nothing here.
import { WasmResult } from "proxy-wasm-sdk-as/assembly/enums";
import { getSharedData, getSharedDataInto, setSharedData, setSharedDataFrom } from "proxy-wasm-sdk-as/assembly/hostcalls";
import { Out, SharedValue } from "proxy-wasm-sdk-as/assembly/out";
import { BreakerWindow, TokenBucket } from "../darklaunch/limits";
import { Breaker } from "../darklaunch/config";

// @ts-ignore: decorator
@inline const CAS_ATTEMPTS: i32 = 64;

// A rule's guard: its in-flight slots and its breaker in one shared-data value, so that starting
// a dark call is one read and one write, and so is finishing one (two keys took seven host calls
// per mirrored request, one key takes four).
//
// The in-flight count is kept in time buckets, so that slots can never leak for good: a dark
// call that will never call back (its VM crashed or was replaced, a release lost too many
// compare-and-swap races) stops counting once its bucket is older than the window. Every live
// call calls back within timeout_ms (at most 60 s), and the window is longer than that.
// Words 0..15: IN_FLIGHT_BUCKETS × { i64 bucket number, i64 count }; bucket number = seconds / width.
// Words 16..19: the breaker window { window start ms, calls, failures, open until ms }.
// @ts-ignore: decorator
@inline const IN_FLIGHT_BUCKETS: i32 = 8;
// @ts-ignore: decorator
@inline const IN_FLIGHT_BUCKET_SECONDS: i64 = 8;
// @ts-ignore: decorator
@inline const BREAKER_WORD: i32 = IN_FLIGHT_BUCKETS * 2;
// @ts-ignore: decorator
@inline export const GUARD_BYTES: i32 = (IN_FLIGHT_BUCKETS * 2 + 4) * 8;

/** Scratch for one value at a time (the VM is single-threaded; nothing re-enters these calls). */
const WORDS: usize = memory.data(GUARD_BYTES);
/** The token bucket's own scratch, so a rate check inside admit() keeps the guard's words. */
const TOKEN_WORDS: usize = memory.data(16);

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

/** The breaker window inside the guard value in WORDS (a view: changes write through). */
// @ts-ignore: decorator
@inline
function guardBreaker(): BreakerWindow {
  return BreakerWindow.at(WORDS + <usize>BREAKER_WORD * 8);
}

const CAS = new Out<u32>(0);

/**
 * Reads `key` into the `n` bytes at `into` (all zero when the key does not exist yet); returns
 * its version, 0 when it does not exist (a write with version 0 is unconditional).
 */
function readInto(key: ArrayBuffer, into: usize, n: i32): u32 {
  return getSharedDataInto(key, into, n, CAS) == WasmResult.Ok ? CAS.value : 0;
}

/** Admission refused (admit() results below zero). */
export enum Refusal {
  InFlightLimit = -1,
  RateLimited = -2,
  BreakerOpen = -3,
}

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
 * The protections for a dark call starting at `nowMs` (in-flight bucket `bucket`), judged in the
 * contract's order: in-flight limit, rate limit (token bucket at `rateKey` when `perSecond` > 0),
 * breaker. When all let it through, takes an in-flight slot and a token and returns the number
 * in flight afterwards; otherwise a Refusal, and nothing is taken.
 */
export function admit(guardKey: ArrayBuffer, limit: i32, bucket: i64, nowMs: i64, rateKey: ArrayBuffer, perSecond: i32): i64 {
  if (limit <= 0) return Refusal.InFlightLimit;
  // The bucket is only looked at here, before the guard is read (its read-to-write window stays
  // short); the token is taken once the slot is held, so no refusal ever spends one.
  const tokenLikely = perSecond <= 0 || tokenAvailable(rateKey, perSecond, nowMs);
  for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
    const cas = readInto(guardKey, WORDS, GUARD_BYTES);
    const total = inFlightTotal(bucket);
    if (total >= <i64>limit) return Refusal.InFlightLimit;
    if (!tokenLikely) return Refusal.RateLimited;
    if (guardBreaker().isOpen(nowMs)) return Refusal.BreakerOpen;
    const i = <i32>(bucket % IN_FLIGHT_BUCKETS);
    if (word(i * 2) != bucket) {
      setWord(i * 2, bucket);
      setWord(i * 2 + 1, 0);
    }
    setWord(i * 2 + 1, word(i * 2 + 1) + 1);
    if (setSharedDataFrom(guardKey, WORDS, GUARD_BYTES, cas) != WasmResult.Ok) continue;
    if (perSecond > 0 && !takeToken(rateKey, perSecond, nowMs)) {
      // Another worker took the last token since it was looked at: the slot goes back.
      finish(guardKey, bucket, nowMs, false, null);
      return Refusal.RateLimited;
    }
    return total + 1;
  }
  return Refusal.InFlightLimit; // lost every race: as if full
}

/**
 * A dark call that started in bucket `started` ended at `nowMs`: gives its slot back (nothing
 * to give back once that bucket has left the window) and, with `cfg`, counts it in the breaker
 * (failed: 5xx, no response, timeout); without, the call was never sent (dispatch refused).
 * Every call is written at once, so all workers judge one exact window. (Writing successes in
 * batches saved host calls but let one worker's failures meet a window still missing another
 * worker's successes: the breaker opened below failure_ratio under mixed load on two workers,
 * which test/envoy/workers.test.ts caught.) Returns the number in flight afterwards.
 */
export function finish(guardKey: ArrayBuffer, started: i64, nowMs: i64, failed: bool, cfg: Breaker | null): i64 {
  const now = inFlightBucket(nowMs);
  for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
    const cas = readInto(guardKey, WORDS, GUARD_BYTES);
    const i = <i32>(started % IN_FLIGHT_BUCKETS);
    if (word(i * 2) == started && word(i * 2 + 1) > 0) setWord(i * 2 + 1, word(i * 2 + 1) - 1);
    if (cfg !== null) guardBreaker().record(nowMs, failed, cfg);
    const total = inFlightTotal(now);
    if (setSharedDataFrom(guardKey, WORDS, GUARD_BYTES, cas) == WasmResult.Ok) return total;
  }
  return inFlightTotal(now); // lost every race: the slot expires with its bucket
}

/** The process-wide number of dark calls in flight at `nowMs` (one read; for the gauge at a tick). */
export function inFlightNow(guardKey: ArrayBuffer, nowMs: i64): i64 {
  readInto(guardKey, WORDS, GUARD_BYTES);
  return inFlightTotal(inFlightBucket(nowMs));
}

/** Whether the process-wide bucket at `key` has a token now (nothing is taken). */
function tokenAvailable(key: ArrayBuffer, perSecond: i32, nowMs: i64): bool {
  readInto(key, TOKEN_WORDS, 16);
  return TokenBucket.at(TOKEN_WORDS).available(nowMs, perSecond);
}

/** Takes one token from the process-wide bucket at `key`; false when empty. */
export function takeToken(key: ArrayBuffer, perSecond: i32, nowMs: i64): bool {
  for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
    const cas = readInto(key, TOKEN_WORDS, 16);
    const taken = TokenBucket.at(TOKEN_WORDS).take(nowMs, perSecond);
    if (setSharedDataFrom(key, TOKEN_WORDS, 16, cas) == WasmResult.Ok) return taken;
  }
  return false;
}

/** Creates a shared-data key of `size` zero bytes if no VM has created it yet (configure time). */
export function initSharedKey(key: ArrayBuffer, size: i32): void {
  const cur = new SharedValue();
  const found = getSharedData(key, cur) == WasmResult.Ok;
  if (found && cur.bytes.byteLength >= size) return;
  // cas 0 = unconditional; a lost race here only means another VM initialised it first.
  setSharedData(key, new ArrayBuffer(size), found ? cur.cas : 0);
}
