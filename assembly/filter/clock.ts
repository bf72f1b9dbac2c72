// Monotonic time in the units the filter uses, and the wall clock for `expires_at`.
import { monotonicNanos, wallClockNanos } from "../abi/hostcalls";

export function nowMs(): i64 {
  return <i64>(monotonicNanos() / 1_000_000);
}

/** Whole milliseconds between two monotonic nanosecond readings (0 if the clock went backwards). */
export function elapsedMs(startNs: u64, endNs: u64): u64 {
  return endNs > startNs ? (endNs - startNs) / 1_000_000 : 0;
}

/** Envoy's wall clock in milliseconds since the Unix epoch (what `expires_at` is compared with). */
export function wallClockMs(): i64 {
  return <i64>(wallClockNanos() / 1_000_000);
}
