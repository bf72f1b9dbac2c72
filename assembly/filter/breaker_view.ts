// This worker's side of a rule's process-wide breaker (kept in shared data): the state is read on
// every dispatch and every finished call is written at once, so all workers judge one exact
// window. (Writing successes in batches saved two host calls per request, but let the failures of
// one worker meet a window still missing the successes of another: the breaker opened below
// failure_ratio under mixed load on two workers, which test/envoy/workers.test.ts caught.)
import { Breaker } from "../darklaunch/config";
import { breakerOpenUntil, breakerRecord } from "./shared_state";

export class BreakerView {
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
    breakerRecord(this.key, nowMs, 1, failed ? 1 : 0, this.cfg);
  }
}
