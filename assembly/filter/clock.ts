// Monotonic time in the units the filter uses, the wall clock for `expires_at`, and the seed of
// its random numbers: readings the filter takes as given (Envoy's clocks do not fail; a refused
// reading counts as 0).
import { WasmResult } from "proxy-wasm-sdk-as/assembly/enums";
import { monotonicNanos, randomU64, wallClockNanos } from "proxy-wasm-sdk-as/assembly/hostcalls";
import { Out } from "proxy-wasm-sdk-as/assembly/out";

const READING = new Out<u64>(0);

/** The monotonic clock in nanoseconds (0 if the host refused). */
export function nowNs(): u64 {
  return monotonicNanos(READING) == WasmResult.Ok ? READING.value : 0;
}

export function nowMs(): i64 {
  return <i64>(nowNs() / 1_000_000);
}

/** Whole milliseconds between two monotonic nanosecond readings (0 if the clock went backwards). */
export function elapsedMs(startNs: u64, endNs: u64): u64 {
  return endNs > startNs ? (endNs - startNs) / 1_000_000 : 0;
}

/** Envoy's wall clock in milliseconds since the Unix epoch (what `expires_at` is compared with; 0 if refused). */
export function wallClockMs(): i64 {
  return wallClockNanos(READING) == WasmResult.Ok ? <i64>(READING.value / 1_000_000) : 0;
}

/** 64 random bits from the host, to seed the filter's generator (0 if refused). */
export function randomSeed(): u64 {
  return randomU64(READING) == WasmResult.Ok ? READING.value : 0;
}
