// Process-wide state of the protections, kept in Envoy's shared data (shared by every worker VM
// of one vm_id) and updated with compare-and-swap: read, compute, write if unchanged, else retry.
import { WasmResult } from "../abi/enums";
import { getSharedData, setSharedData } from "../abi/hostcalls";
import { BreakerWindow, TokenBucket } from "../darklaunch/limits";
import { Breaker } from "../darklaunch/config";

// @ts-ignore: decorator
@inline const CAS_ATTEMPTS: i32 = 16;

function readI64(bytes: ArrayBuffer | null, index: i32): i64 {
  if (bytes === null || bytes.byteLength < (index + 1) * 8) return 0;
  return load<i64>(changetype<usize>(bytes) + <usize>index * 8);
}

function words(a: i64, b: i64 = 0, c: i64 = 0, d: i64 = 0, n: i32 = 1): ArrayBuffer {
  const out = new ArrayBuffer(n * 8);
  const p = changetype<usize>(out);
  store<i64>(p, a);
  if (n > 1) store<i64>(p + 8, b);
  if (n > 2) store<i64>(p + 16, c);
  if (n > 3) store<i64>(p + 24, d);
  return out;
}

/** Adds 1 to the counter at `key` unless it has reached `limit`; false when at the limit. */
export function acquireSlot(key: ArrayBuffer, limit: i32): bool {
  if (limit <= 0) return false;
  for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
    const cur = getSharedData(key);
    const n = readI64(cur.bytes, 0);
    if (n >= <i64>limit) return false;
    if (setSharedData(key, words(n + 1), cur.cas) == WasmResult.Ok) return true;
  }
  return false;
}

/** Subtracts 1 from the counter at `key` (never below 0). */
export function releaseSlot(key: ArrayBuffer): void {
  for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
    const cur = getSharedData(key);
    const n = readI64(cur.bytes, 0);
    if (setSharedData(key, words(n > 0 ? n - 1 : 0), cur.cas) == WasmResult.Ok) return;
  }
}

/** Takes one token from the process-wide bucket at `key`; false when empty. */
export function takeToken(key: ArrayBuffer, perSecond: i32, nowMs: i64): bool {
  for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
    const cur = getSharedData(key);
    const bucket = new TokenBucket(readI64(cur.bytes, 0), readI64(cur.bytes, 1));
    const taken = bucket.take(nowMs, perSecond);
    if (setSharedData(key, words(bucket.milliTokens, bucket.lastMs, 0, 0, 2), cur.cas) == WasmResult.Ok) return taken;
  }
  return false;
}

function readBreaker(bytes: ArrayBuffer | null): BreakerWindow {
  return new BreakerWindow(readI64(bytes, 0), readI64(bytes, 1), readI64(bytes, 2), readI64(bytes, 3));
}

/** Until when (ms) the breaker at `key` is open; 0 or a past time when closed. */
export function breakerOpenUntil(key: ArrayBuffer): i64 {
  return readBreaker(getSharedData(key).bytes).openUntilMs;
}

/**
 * Counts `calls` finished dark calls (`failures` of them failed) in the breaker at `key`.
 * Returns until when the breaker is open afterwards (0 or a past time when closed).
 */
export function breakerRecord(key: ArrayBuffer, nowMs: i64, calls: i64, failures: i64, cfg: Breaker): i64 {
  for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
    const cur = getSharedData(key);
    const w = readBreaker(cur.bytes);
    w.recordMany(nowMs, calls, failures, cfg);
    const next = words(w.windowStartMs, w.calls, w.failures, w.openUntilMs, 4);
    if (setSharedData(key, next, cur.cas) == WasmResult.Ok) return w.openUntilMs;
  }
  return 0;
}
