// The arithmetic of the protections, on plain values; the glue keeps the state in Envoy's shared
// data (one copy per Envoy process) and updates it with compare-and-swap. Both classes are
// unmanaged: their fields are consecutive i64 words, so `at(ptr)` works on a value read from
// shared data in place, without allocating or copying.
import { Breaker } from "./config";

/** A token bucket: `milliTokens` left at `lastMs`; capacity and refill rate are `perSecond`. */
// @ts-ignore: decorator
@unmanaged
export class TokenBucket {
  constructor(
    public milliTokens: i64,
    public lastMs: i64,
  ) {}

  /** The bucket stored as two i64 words at `ptr`; changes write through. */
  static at(ptr: usize): TokenBucket {
    return changetype<TokenBucket>(ptr);
  }

  /** Milli-tokens the bucket holds at `nowMs` after refilling (nothing changes). */
  refilled(nowMs: i64, perSecond: i32): i64 {
    const capacity = <i64>perSecond * 1000;
    if (this.lastMs == 0 && this.milliTokens == 0) return capacity; // a fresh bucket starts full
    if (nowMs <= this.lastMs) return this.milliTokens;
    return min(capacity, this.milliTokens + (nowMs - this.lastMs) * <i64>perSecond);
  }

  /** Whether a take at `nowMs` would succeed (nothing changes). */
  available(nowMs: i64, perSecond: i32): bool {
    return this.refilled(nowMs, perSecond) >= 1000;
  }

  /** Refills for the time since `lastMs`, then takes one token if there is one. */
  take(nowMs: i64, perSecond: i32): bool {
    this.milliTokens = this.refilled(nowMs, perSecond);
    // A worker that read the clock before another worker's update must not move time back
    // (the interval since would be credited twice).
    this.lastMs = max(this.lastMs, nowMs);
    if (this.milliTokens < 1000) return false;
    this.milliTokens -= 1000;
    return true;
  }
}

/**
 * The breaker's window: calls and failures counted in a fixed window of `window_ms`; it opens
 * when a window has at least `min_calls` calls and the failure ratio reaches `failure_ratio`,
 * stays open for `open_ms`, then lets calls through again with a fresh window.
 */
// @ts-ignore: decorator
@unmanaged
export class BreakerWindow {
  constructor(
    public windowStartMs: i64,
    public calls: i64,
    public failures: i64,
    public openUntilMs: i64,
  ) {}

  /** The window stored as four i64 words at `ptr`; changes write through. */
  static at(ptr: usize): BreakerWindow {
    return changetype<BreakerWindow>(ptr);
  }

  isOpen(nowMs: i64): bool {
    return nowMs < this.openUntilMs;
  }

  /** Counts one finished dark call; returns true when this call opened the breaker. */
  record(nowMs: i64, failed: bool, cfg: Breaker): bool {
    if (this.isOpen(nowMs)) return false; // calls that finish while open do not count
    if (this.openUntilMs != 0 || nowMs - this.windowStartMs >= <i64>cfg.windowMs) {
      this.windowStartMs = nowMs;
      this.calls = 0;
      this.failures = 0;
      this.openUntilMs = 0;
    }
    this.calls++;
    if (failed) this.failures++;
    if (this.calls >= <i64>cfg.minCalls && <f64>this.failures >= cfg.failureRatio * <f64>this.calls) {
      this.openUntilMs = nowMs + <i64>cfg.openMs;
      return true;
    }
    return false;
  }
}
