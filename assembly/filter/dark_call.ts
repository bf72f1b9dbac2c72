// One mirrored request: the primary side (filled by its stream), the dark side (filled by the
// http-call callback on the root context) and, with a noise cluster, the noise side (another http
// call). Each pair is compared once both its sides are finished; a sample, when one is wanted, is
// sent once every side is. Lives in the root context's table keyed by the call tokens, because
// the calls outlive the stream.
import { PairComparison, ResponseSummary } from "../darklaunch/compare";
import { Samples } from "../darklaunch/config";
import { RuleRuntime } from "./rule_runtime";

export class DarkCall {
  readonly dark: ResponseSummary;
  /** The noise side (rules with compare.noise_cluster), else null. */
  readonly noise: ResponseSummary | null;
  /** The primary response is complete or will never be (stream gone). */
  primaryFinished: bool = false;
  /** The dark call has ended (response, failure or timeout). */
  darkFinished: bool = false;
  /** The noise call has ended, or was never made (no noise cluster, or Envoy refused it). */
  noiseFinished: bool = true;
  /** The token of the noise call while one is pending. */
  noiseToken: u32 = 0;
  hasNoiseCall: bool = false;
  /** The primary–dark pair was counted; its comparison is kept while a sample may be sent. */
  darkSettled: bool = false;
  darkResult: PairComparison | null = null;
  /** The primary–noise pair was counted (null result: incomplete). */
  noiseSettled: bool = false;
  noiseResult: PairComparison | null = null;
  /** Every side has finished and the root has settled the call (counted once). */
  closed: bool = false;
  /** The pair is to be sampled once every side has finished. */
  sampleWanted: bool = false;
  /** For a sample: the request's method and path without query (samples configured), else null. */
  method: ArrayBuffer | null = null;
  path: ArrayBuffer | null = null;

  constructor(
    readonly token: u32,
    readonly runtime: RuleRuntime,
    readonly primary: ResponseSummary,
    readonly startNs: u64,
    /** The in-flight bucket its slot was taken in (shared_state.ts). */
    readonly inFlightBucket: i64,
    /** The request's x-request-id (bounded, for the mismatch log and samples), or null. */
    readonly requestId: ArrayBuffer | null,
    samples: Samples | null,
  ) {
    const compare = runtime.rule.compare;
    this.dark = new ResponseSummary(compare, samples);
    this.noise = compare.noiseCluster !== null ? new ResponseSummary(compare, samples) : null;
  }

  /** Both sides of the primary–dark pair are finished. */
  get darkPairReady(): bool {
    return this.primaryFinished && this.darkFinished;
  }

  /** Both sides of the primary–noise pair are finished (a rule with a noise cluster). */
  get noisePairReady(): bool {
    return this.noise !== null && this.primaryFinished && this.noiseFinished;
  }

  /** Every pair is counted and its sample built: the bodies' digests and decoders go back for reuse. */
  releaseBodies(): void {
    this.primary.body.release();
    this.dark.body.release();
    const noise = this.noise;
    if (noise !== null) noise.body.release();
  }

  /** Nothing more will happen to this call. */
  get done(): bool {
    return this.primaryFinished && this.darkFinished && this.noiseFinished;
  }
}
