// Monotonic time in the units the filter uses.
import { monotonicNanos } from "../abi/hostcalls";

export function nowMs(): i64 {
  return <i64>(monotonicNanos() / 1_000_000);
}

/** Whole milliseconds between two monotonic nanosecond readings (0 if the clock went backwards). */
export function elapsedMs(startNs: u64, endNs: u64): u64 {
  return endNs > startNs ? (endNs - startNs) / 1_000_000 : 0;
}
