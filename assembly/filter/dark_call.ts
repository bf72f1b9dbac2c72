// One mirrored request: the primary side (filled by its stream) and the dark side (filled by the
// http-call callback on the root context), compared once both are finished. Lives in the root
// context's table keyed by the call token, because the call outlives the stream.
import { ResponseSummary } from "../darklaunch/compare";
import { RuleRuntime } from "./rule_runtime";

export class DarkCall {
  readonly dark: ResponseSummary;
  /** The primary response is complete or will never be (stream gone). */
  primaryFinished: bool = false;
  /** The dark call has ended (response, failure or timeout). */
  darkFinished: bool = false;

  constructor(
    readonly token: u32,
    readonly runtime: RuleRuntime,
    readonly primary: ResponseSummary,
    readonly startNs: u64,
    /** The in-flight bucket its slot was taken in (shared_state.ts). */
    readonly inFlightBucket: i64,
    /** The request's x-request-id (bounded, for the mismatch log), or null. */
    readonly requestId: ArrayBuffer | null,
  ) {
    this.dark = new ResponseSummary(runtime.rule.compare);
  }

  get settled(): bool {
    return this.primaryFinished && this.darkFinished;
  }
}
