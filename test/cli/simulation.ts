// Simulated dark launches for the verdict's error rates: each run draws pairs (or latency
// samples) one at a time, and after every one looks at the verdict with the judge's own decision
// functions (tools/darklaunch/src/judge.ts). A run counts as FAILed (or PASSed) if any look
// said so: the error rates of a verdict polled after every request.

import { LATENCY_BUCKETS_MS } from "../../tools/darklaunch/src/stats-config.js";
import { wholeNumberBin, type Bin, type Histogram } from "../../tools/darklaunch/src/histogram.js";
import { divergenceDecision, errorRateDecision, latencyDecision, type Verdict } from "../../tools/darklaunch/src/judge.js";
import { DEFAULT_THRESHOLDS, type Thresholds } from "../../tools/darklaunch/src/thresholds.js";
import { Rng } from "../emulator/random.js";

export interface Outcome {
  runs: number;
  /** Runs with at least one FAIL (PASS) look. */
  everFail: number;
  everPass: number;
  /** Median number of samples at the first FAIL (PASS) look, over the runs that had one. */
  medianToFail: number | null;
  medianToPass: number | null;
  seconds: number;
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
}

/** Runs `runs` launches of at most `looks` steps; `step(rng)` adds one sample and returns the verdict. */
function simulate(runs: number, looks: number, seed: number, start: () => (rng: Rng) => Verdict): Outcome {
  const t0 = process.hrtime.bigint();
  let everFail = 0;
  let everPass = 0;
  const toFail: number[] = [];
  const toPass: number[] = [];
  for (let r = 0; r < runs; r++) {
    const rng = new Rng(seed + r * 7919);
    const step = start();
    let failedAt = 0;
    let passedAt = 0;
    for (let i = 1; i <= looks && failedAt === 0; i++) {
      const v = step(rng);
      if (v === "FAIL") failedAt = i;
      else if (v === "PASS" && passedAt === 0) passedAt = i;
    }
    if (failedAt > 0) {
      everFail++;
      toFail.push(failedAt);
    }
    if (passedAt > 0) {
      everPass++;
      toPass.push(passedAt);
    }
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { runs, everFail, everPass, medianToFail: median(toFail), medianToPass: median(toPass), seconds };
}

/** Divergence: each pair mismatches with pDark; with pNoise, a noise pair too (independently). */
export function simulateDivergence(opts: {
  runs: number;
  looks: number;
  seed: number;
  pDark: number;
  pNoise?: number;
  t?: Thresholds["divergence"];
}): Outcome {
  const t = opts.t ?? DEFAULT_THRESHOLDS.divergence;
  return simulate(opts.runs, opts.looks, opts.seed, () => {
    const d = { compared: 0, mismatched: 0, noise: opts.pNoise === undefined ? null : { compared: 0, mismatched: 0 } };
    return (rng) => {
      d.compared++;
      if (rng.chance(opts.pDark)) d.mismatched++;
      if (d.noise !== null) {
        d.noise.compared++;
        if (rng.chance(opts.pNoise!)) d.noise.mismatched++;
      }
      return divergenceDecision(d, t).verdict;
    };
  });
}

/**
 * Error rate: per mirrored request the primary fails with pPrimary and the dark side with pDark.
 * `shared`: the share of the primary's failures that the dark side shares (same bad request),
 * the rest of the dark side's failures being independent of them.
 */
export function simulateErrorRate(opts: {
  runs: number;
  looks: number;
  seed: number;
  pPrimary: number;
  pDark: number;
  shared?: number;
  t?: Thresholds["errorRate"];
}): Outcome {
  const t = opts.t ?? DEFAULT_THRESHOLDS.errorRate;
  const shared = opts.shared ?? 0;
  // P(dark fails | primary did not) so that the dark side's rate stays pDark.
  const darkAlone = Math.max(0, (opts.pDark - shared * opts.pPrimary) / (1 - opts.pPrimary));
  return simulate(opts.runs, opts.looks, opts.seed, () => {
    const e = { primary: { errors: 0, responses: 0 }, dark: { errors: 0, calls: 0 }, breakerOpen: 0 };
    return (rng) => {
      const primaryFails = rng.chance(opts.pPrimary);
      const darkFails = primaryFails ? rng.chance(shared) || rng.chance(darkAlone) : rng.chance(darkAlone);
      e.primary.responses++;
      e.dark.calls++;
      if (primaryFails) e.primary.errors++;
      if (darkFails) e.dark.errors++;
      return errorRateDecision(e, t).verdict;
    };
  });
}

/** An empty histogram on the project's shipped Prometheus buckets (the coarser of the two sources). */
export function bucketHistogram(): Histogram {
  const bins: Bin[] = [];
  let lo = 0;
  LATENCY_BUCKETS_MS.forEach((le, i) => {
    bins.push({ lo, hi: le, loInclusive: i === 0, hiInclusive: true, count: 0 });
    lo = le;
  });
  bins.push({ lo, hi: Infinity, loInclusive: false, hiInclusive: false, count: 0 });
  // As the sources read them: the filter records whole milliseconds.
  return bins.map((b) => wholeNumberBin(b)!);
}

/**
 * Bins like Envoy's own (the admin source's `histogram_buckets=detailed`): two significant
 * digits, [1, 1.1), ..., [10, 11), ..., [100, 110), ...; only the bins that hold samples, as
 * Envoy lists them. The filter records whole milliseconds, so below 100 ms every millisecond
 * has its own bin.
 */
export class EnvoyBins {
  readonly bins: Histogram = [];
  private byLo = new Map<number, Bin>();

  record(ms: number): void {
    const v = Math.floor(ms);
    let lo = 0;
    let width = 0;
    if (v > 0) {
      const decade = 10 ** Math.floor(Math.log10(v));
      width = decade / 10;
      lo = Math.floor(v / width) * width;
    }
    const bin = this.byLo.get(lo);
    if (bin !== undefined) {
      bin.count++;
      return;
    }
    const fresh = wholeNumberBin({ lo, hi: lo + width, loInclusive: true, hiInclusive: width === 0, count: 1 })!;
    this.byLo.set(lo, fresh);
    this.bins.push(fresh);
    this.bins.sort((a, b) => a.lo - b.lo);
  }
}

/** Adds one latency sample (ms, recorded as whole milliseconds as the filter does). */
export function record(h: Histogram, ms: number): void {
  const v = Math.floor(ms);
  // Buckets (lo, hi]: the first with hi ≥ v (binary search).
  let lo = 0;
  let hi = h.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (h[mid]!.hi >= v) hi = mid;
    else lo = mid + 1;
  }
  h[lo]!.count++;
}

/** A log-normal latency: median × exp(sigma × N(0, 1)). */
export function logNormal(rng: Rng, medianMs: number, sigma: number): number {
  // Box–Muller.
  const u = Math.max(rng.next(), 1e-12);
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
  return medianMs * Math.exp(sigma * z);
}

/** Latency: primary samples log-normal; dark samples the same scaled by `darkScale`. */
export function simulateLatency(opts: {
  runs: number;
  looks: number;
  seed: number;
  medianMs: number;
  sigma: number;
  darkScale: number;
  bins: "prometheus" | "envoy";
  t?: Thresholds["latencyP95"];
}): Outcome {
  const t = opts.t ?? DEFAULT_THRESHOLDS.latencyP95;
  return simulate(opts.runs, opts.looks, opts.seed, () => {
    if (opts.bins === "envoy") {
      const P = new EnvoyBins();
      const D = new EnvoyBins();
      return (rng) => {
        P.record(logNormal(rng, opts.medianMs, opts.sigma));
        D.record(opts.darkScale * logNormal(rng, opts.medianMs, opts.sigma));
        return latencyDecision(P.bins, D.bins, t).verdict;
      };
    }
    const P = bucketHistogram();
    const D = bucketHistogram();
    return (rng) => {
      record(P, logNormal(rng, opts.medianMs, opts.sigma));
      record(D, opts.darkScale * logNormal(rng, opts.medianMs, opts.sigma));
      return latencyDecision(P, D, t).verdict;
    };
  });
}

/** A whole rule with an identical dark version: every check judged at every look. */
export function simulateIdenticalRule(opts: {
  runs: number;
  looks: number;
  seed: number;
  pMismatch: number;
  pError: number;
  medianMs: number;
  sigma: number;
}): Outcome {
  const t = DEFAULT_THRESHOLDS;
  return simulate(opts.runs, opts.looks, opts.seed, () => {
    const d = { compared: 0, mismatched: 0, noise: { compared: 0, mismatched: 0 } };
    const e = { primary: { errors: 0, responses: 0 }, dark: { errors: 0, calls: 0 }, breakerOpen: 0 };
    const P = bucketHistogram();
    const D = bucketHistogram();
    return (rng) => {
      d.compared++;
      d.noise.compared++;
      if (rng.chance(opts.pMismatch)) d.mismatched++;
      if (rng.chance(opts.pMismatch)) d.noise.mismatched++;
      e.primary.responses++;
      e.dark.calls++;
      if (rng.chance(opts.pError)) e.primary.errors++;
      if (rng.chance(opts.pError)) e.dark.errors++;
      record(P, logNormal(rng, opts.medianMs, opts.sigma));
      record(D, logNormal(rng, opts.medianMs, opts.sigma));
      const verdicts = [
        divergenceDecision(d, t.divergence).verdict,
        errorRateDecision(e, t.errorRate).verdict,
        latencyDecision(P, D, t.latencyP95).verdict,
      ];
      return verdicts.includes("FAIL") ? "FAIL" : verdicts.every((v) => v === "PASS") ? "PASS" : "NOT_ENOUGH_DATA";
    };
  });
}
