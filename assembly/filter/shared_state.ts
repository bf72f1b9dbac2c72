// Process-wide state of the protections, kept in Envoy's shared data (shared by every worker VM
// of one vm_id) and updated with compare-and-swap: read, compute, write if unchanged, else retry.
// Values are little-endian i64 words, read into and written from a static scratch area, so the
// per-request path allocates nothing here.
import { WasmResult } from "../abi/enums";
import { getSharedDataInto, setSharedDataFrom } from "../abi/hostcalls";
import { BreakerWindow, TokenBucket } from "../darklaunch/limits";
import { Breaker } from "../darklaunch/config";

// @ts-ignore: decorator
@inline const CAS_ATTEMPTS: i32 = 16;

/** Four words of scratch: one value at a time (the VM is single-threaded, nothing re-enters). */
const WORDS: usize = memory.data(32);

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

/** Adds 1 to the counter at `key` unless it has reached `limit`; false when at the limit. */
export function acquireSlot(key: ArrayBuffer, limit: i32): bool {
  if (limit <= 0) return false;
  for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
    const cas = getSharedDataInto(key, WORDS, 8);
    const n = word(0);
    if (n >= <i64>limit) return false;
    setWord(0, n + 1);
    if (setSharedDataFrom(key, WORDS, 8, cas) == WasmResult.Ok) return true;
  }
  return false;
}

/** Subtracts 1 from the counter at `key` (never below 0). */
export function releaseSlot(key: ArrayBuffer): void {
  for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
    const cas = getSharedDataInto(key, WORDS, 8);
    const n = word(0);
    setWord(0, n > 0 ? n - 1 : 0);
    if (setSharedDataFrom(key, WORDS, 8, cas) == WasmResult.Ok) return;
  }
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
 * Counts `calls` finished dark calls (`failures` of them failed) in the breaker at `key`.
 * Returns until when the breaker is open afterwards (0 or a past time when closed).
 */
export function breakerRecord(key: ArrayBuffer, nowMs: i64, calls: i64, failures: i64, cfg: Breaker): i64 {
  for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
    const cas = getSharedDataInto(key, WORDS, 32);
    const w = new BreakerWindow(word(0), word(1), word(2), word(3));
    w.recordMany(nowMs, calls, failures, cfg);
    setWord(0, w.windowStartMs);
    setWord(1, w.calls);
    setWord(2, w.failures);
    setWord(3, w.openUntilMs);
    if (setSharedDataFrom(key, WORDS, 32, cas) == WasmResult.Ok) return w.openUntilMs;
  }
  return 0;
}
