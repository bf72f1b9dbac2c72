// This worker's side of a rule's process-wide breaker (kept in shared data), made to cost few
// host calls per request: the state is read on every dispatch (so a breaker opened by any worker
// stops every worker at once), and finished calls are written in batches. A failure is written at
// once, with every call still pending, so the breaker opens on complete local counts; successes
// wait for the next failure, for BATCH calls or for FLUSH_MS.
import { Breaker } from "../darklaunch/config";
import { breakerOpenUntil, breakerRecord } from "./shared_state";

// @ts-ignore: decorator
@inline const FLUSH_MS: i64 = 100;
// @ts-ignore: decorator
@inline const BATCH: i64 = 32;

export class BreakerView {
  private pendingCalls: i64 = 0;
  private pendingFailures: i64 = 0;
  private writtenAtMs: i64 = 0;

  constructor(
    readonly key: ArrayBuffer,
    readonly cfg: Breaker,
  ) {}

  /** Whether mirroring is stopped by the breaker now. */
  isOpen(nowMs: i64): bool {
    return nowMs < breakerOpenUntil(this.key);
  }

  /** Counts one finished dark call (failed: 5xx, no response, timeout). */
  record(nowMs: i64, failed: bool): void {
    this.pendingCalls++;
    if (failed) this.pendingFailures++;
    if (failed || this.pendingCalls >= BATCH || nowMs - this.writtenAtMs >= FLUSH_MS) {
      breakerRecord(this.key, nowMs, this.pendingCalls, this.pendingFailures, this.cfg);
      this.writtenAtMs = nowMs;
      this.pendingCalls = 0;
      this.pendingFailures = 0;
    }
  }
}
