// Is the dark version safe to promote? Pure judgement of one rule's figures against thresholds.
//
// Each check answers PASS, FAIL or NOT_ENOUGH_DATA; a rule FAILs if any check fails, else it has
// NOT_ENOUGH_DATA if any check lacks data, else it PASSes.
//
// Every check is a pair of anytime-valid tests (sequential.ts), so the verdict may be asked for
// after every request without its error rates growing:
//   FAIL when the evidence that the dark version is over the limit reaches 1/α_fail, with α_fail
//        split over the checks (0.25% divergence, 0.5% error rate, 0.25% latency: an identical
//        dark version FAILs a rule in at most 1% of launches);
//   PASS when the evidence that it is under the limit reaches 1/α_pass (α_pass 5% per check: a
//        dark version over a limit PASSes that check in at most 5% of launches), and the check has
//        its minimum samples;
//   NOT_ENOUGH_DATA otherwise.
// There is no minimum before a FAIL: overwhelming evidence fails at once (20 mismatches in 20
// pairs; 10 dark errors in 20 calls against none).
// docs/verdict.md gives the method, its references and the simulated error rates.

import {
  countSurelyAbove,
  countSurelyAtMost,
  largestBoundWithAtMost,
  sampleCount,
  smallestBoundWithAtLeast,
  type Histogram,
} from "./histogram.js";
import { PRIMARY_LATENCY, DARK_LATENCY, type RuleFigures } from "./figures.js";
import {
  bernoulliCrossed,
  bernoulliEvidence,
  confidenceBounds,
  crosses,
  fewestEventsAbove,
  mostEventsBelow,
  pairedDifferenceCrossed,
  pairedDifferenceEvidence,
  pValue,
  type Crossed,
  type LogEvidence,
} from "./sequential.js";
import type { Thresholds } from "./thresholds.js";

export type Verdict = "PASS" | "FAIL" | "NOT_ENOUGH_DATA";
export type CheckName = "divergence" | "error_rate" | "latency_p95";

/** Level of each check's FAIL test: their sum is the chance an identical dark version ever FAILs. */
export const FAIL_ALPHA: Record<CheckName, number> = { divergence: 0.0025, error_rate: 0.005, latency_p95: 0.0025 };
/** Level of each check's PASS test: the chance a dark version over that check's limit ever PASSes it. */
export const PASS_ALPHA = 0.05;
/** The latency quantile judged. */
const Q = 0.95;

export interface Bounds {
  /** The value is above this (at the FAIL test's level). */
  low: number;
  /** The value is below this (at the PASS test's level). */
  high: number;
}

export interface CheckResult {
  check: CheckName;
  verdict: Verdict;
  /** One sentence for people: the figures, and why this verdict. */
  reason: string;
  /** The judged figure (a fraction for rates, a difference of fractions with noise, ms for latency); null without data. */
  observed: number | null;
  /** The limit it was judged against, in the same unit; null when not computed. */
  limit: number | null;
  samples: number;
  /** PASS also needs this many samples (thresholds file); FAIL needs none. */
  minSamples: number;
  /** Anytime-valid bounds of the judged figure (rates and differences); null for latency. */
  bounds: Bounds | null;
  /** Anytime-valid p-values of the two tests: small `over_limit` → FAIL, small `under_limit` → PASS. */
  p_values: { over_limit: number; under_limit: number };
}

export interface RuleVerdict {
  rule: string;
  verdict: Verdict;
  /** The reasons behind the verdict: the failing checks, else those lacking data, else all. */
  reasons: string[];
  checks: CheckResult[];
}

const pct = (fraction: number, digits = 2): string => `${(fraction * 100).toFixed(digits)}%`;
const points = (fraction: number): string => `${fraction >= 0 ? "+" : "−"}${Math.abs(fraction * 100).toFixed(2)} points`;
const ms = (v: number): string => `${v < 10 ? v.toFixed(1) : v.toFixed(0)} ms`;

function partsText(byPart: Record<string, number>): string {
  return Object.entries(byPart)
    .map(([part, n]) => `${part} ${n}`)
    .join(", ");
}

function decide(c: Crossed, samples: number, minSamples: number): Verdict {
  if (c.above) return "FAIL";
  if (c.below && samples >= minSamples) return "PASS";
  return "NOT_ENOUGH_DATA";
}

/** How many more trials without an event until `below` crosses (a hint for NOT ENOUGH DATA), or null. */
function moreCleanTrials(evidence: (extra: number) => LogEvidence, limit = 10_000_000): number | null {
  if (crosses(evidence(0).below, PASS_ALPHA)) return 0;
  let hi = 1;
  while (!crosses(evidence(hi).below, PASS_ALPHA)) {
    hi *= 2;
    if (hi > limit) return null;
  }
  let lo = hi / 2;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (crosses(evidence(mid).below, PASS_ALPHA)) hi = mid;
    else lo = mid;
  }
  return hi;
}

// ---- Decisions: the pure tests, shared by the judge and the simulation tests ------------------

export interface CountsDecision {
  verdict: Verdict;
  /** Pairs (or trials) judged, the events on the judged side and, for a paired difference, on the other. */
  n: number;
  a: number;
  b: number;
  /** Which test crossed at the limit. */
  crossed: Crossed;
  /** The evidence as a function of the margin (for bounds and hints). */
  evidence: (margin: number, extraCleanTrials?: number) => LogEvidence;
  /** The margin range of the judged figure. */
  range: [number, number];
}

/**
 * Divergence: mismatches in compared pairs against the limit; with a noise cluster, dark
 * mismatches minus noise mismatches per pair.
 */
export function divergenceDecision(
  d: { compared: number; mismatched: number; noise: { compared: number; mismatched: number } | null },
  t: Thresholds["divergence"],
): CountsDecision {
  const limit = t.maxPercent / 100;
  if (d.noise === null) {
    const n = d.compared;
    const a = d.mismatched;
    const evidence = (m: number, extra = 0): LogEvidence => bernoulliEvidence(n + extra, a, m);
    const c = bernoulliCrossed(n, a, limit, FAIL_ALPHA.divergence, PASS_ALPHA);
    return { verdict: decide(c, n, t.minCompared), n, a, b: 0, crossed: c, evidence, range: [0, 1] };
  }
  const n = Math.min(d.compared, d.noise.compared);
  const a = Math.min(d.mismatched, n);
  const b = Math.min(d.noise.mismatched, n);
  const evidence = (m: number, extra = 0): LogEvidence => pairedDifferenceEvidence(n + extra, a, b, m);
  const c = pairedDifferenceCrossed(n, a, b, limit, FAIL_ALPHA.divergence, PASS_ALPHA);
  return { verdict: decide(c, n, t.minCompared), n, a, b, crossed: c, evidence, range: [-1, 1] };
}

/**
 * Error rate: dark errors minus primary errors per mirrored request whose both sides have ended
 * (dark calls still running are left out), against the allowed points; a breaker that opened
 * while the dark side had more errors than the primary FAILs too.
 */
export function errorRateDecision(
  errors: { primary: { errors: number; responses: number }; dark: { errors: number; calls: number }; breakerOpen: number },
  t: Thresholds["errorRate"],
): CountsDecision & { byBreaker: boolean } {
  const margin = t.maxPointsOverPrimary / 100;
  const n = Math.min(errors.dark.calls, errors.primary.responses);
  const a = Math.min(errors.dark.errors, n);
  const b = Math.min(errors.primary.errors, n);
  const evidence = (m: number, extra = 0): LogEvidence => pairedDifferenceEvidence(n + extra, a, b, m);
  const c = pairedDifferenceCrossed(n, a, b, margin, FAIL_ALPHA.error_rate, PASS_ALPHA);
  let verdict = decide(c, n, t.minCalls);
  // The breaker opens only after the dark side failed at least its failure_ratio of min_calls
  // calls in one window: recent evidence that the totals dilute.
  const byBreaker = verdict !== "FAIL" && errors.breakerOpen > 0 && errors.dark.errors > errors.primary.errors;
  if (byBreaker) verdict = "FAIL";
  return { verdict, n, a, b, crossed: c, evidence, range: [-1, 1], byBreaker };
}

/** The latency limit for a primary p95 of q: max(ratio × q, q + slack). */
export function latencyLimit(q: number, t: Thresholds["latencyP95"]): number {
  // Rounded to a nanosecond, so that 1.1 × 50 is the bucket bound 55, not 55.00000000000001.
  return Math.round(Math.max(t.maxRatio * q, q + t.slackMs) * 1e6) / 1e6;
}

export interface LatencyDecision {
  verdict: Verdict;
  primarySamples: number;
  darkSamples: number;
  /** FAIL side: the primary p95's upper bound, the limit there, dark samples surely above it. */
  upper: number | null;
  failLimit: number | null;
  darkAbove: number;
  /** PASS side: the primary p95's lower bound (0 without evidence), the limit there, dark samples surely within. */
  lower: number;
  passLimit: number;
  darkWithin: number;
  /** The dark side is shown within the limit, only the minimum samples are missing. */
  withinButFew: boolean;
}

/**
 * Latency p95 from bins, never assuming where samples sit inside a bin:
 *   FAIL: the primary's p95 is at most U (at least 95% of its samples are surely ≤ U, beyond
 *         chance), and more than 5% of dark samples are surely above limit(U), beyond chance;
 *   PASS: the primary's p95 is above L (more than 5% of its samples surely above L, beyond
 *         chance; else L = 0), and at least 95% of dark samples are surely ≤ limit(L), beyond chance.
 * Each side is two tests, each at half the check's level.
 */
export function latencyDecision(P: Histogram, D: Histogram, t: Thresholds["latencyP95"]): LatencyDecision {
  const np = sampleCount(P);
  const nd = sampleCount(D);
  const aF = FAIL_ALPHA.latency_p95 / 2;
  const aP = PASS_ALPHA / 2;

  const kUpper = fewestEventsAbove(np, Q, aF);
  const upper = kUpper === null ? null : smallestBoundWithAtLeast(P, kUpper);
  const failLimit = upper === null ? null : latencyLimit(upper, t);
  const darkAbove = failLimit === null ? 0 : countSurelyAbove(D, failLimit);
  const fail = failLimit !== null && bernoulliCrossed(nd, darkAbove, 1 - Q, aF, 1).above;

  const kLower = mostEventsBelow(np, Q, aP);
  const lower = (kLower === null ? null : largestBoundWithAtMost(P, kLower)) ?? 0;
  const passLimit = latencyLimit(lower, t);
  const darkWithin = countSurelyAtMost(D, passLimit);
  const within = !fail && bernoulliCrossed(nd, darkWithin, Q, aP, 1).above;
  const enough = Math.min(np, nd) >= t.minSamples;

  const verdict: Verdict = fail ? "FAIL" : within && enough ? "PASS" : "NOT_ENOUGH_DATA";
  return {
    verdict,
    primarySamples: np,
    darkSamples: nd,
    upper,
    failLimit,
    darkAbove,
    lower,
    passLimit,
    darkWithin,
    withinButFew: within && !enough,
  };
}

// ---- Checks: decisions with their figures and reasons ---------------------------------------

/** The sentence for NOT ENOUGH DATA. */
function notYet(over: boolean, decision: CountsDecision, limit: number, min: number, unit: string): string {
  if (decision.crossed.below) return `under the limit, but PASS needs at least ${min} ${unit} (thresholds)`;
  if (over) return `over the limit, but not beyond chance yet`;
  const more = moreCleanTrials((extra) => decision.evidence(limit, extra));
  return `not yet shown to be under the limit${more !== null && more > 0 ? ` (about ${more} more ${unit} if none is bad)` : ""}`;
}

function countsCheck(
  check: CheckName,
  decision: CountsDecision,
  limit: number,
  observed: number | null,
  shownLimit: number | null,
  minSamples: number,
): Omit<CheckResult, "reason"> {
  const e = decision.evidence(limit);
  return {
    check,
    verdict: decision.verdict,
    observed,
    limit: shownLimit,
    samples: decision.n,
    minSamples,
    bounds: decision.n > 0 ? confidenceBounds((m) => decision.evidence(m), decision.range, FAIL_ALPHA[check], PASS_ALPHA) : null,
    p_values: { over_limit: pValue(e.above), under_limit: pValue(e.below) },
  };
}

export function judgeDivergence(f: RuleFigures, t: Thresholds["divergence"]): CheckResult {
  const d = f.divergence;
  const limit = t.maxPercent / 100;
  const decision = divergenceDecision(d, t);
  const noise = d.noise;
  if (noise === null) {
    const base = countsCheck("divergence", decision, limit, d.rate, limit, t.minCompared);
    if (decision.n === 0) return { ...base, reason: `no compared pairs yet (limit ${t.maxPercent}%)` };
    const b = base.bounds!;
    const figure = `divergence ${pct(d.rate!)} (${d.mismatched} of ${d.compared} pairs; bounds ${pct(b.low)}–${pct(b.high)})`;
    if (base.verdict === "FAIL")
      return { ...base, reason: `${figure} is over the ${t.maxPercent}% limit beyond chance; mismatched parts: ${partsText(d.byPart)}` };
    if (base.verdict === "PASS") return { ...base, reason: `${figure} is under the ${t.maxPercent}% limit` };
    return { ...base, reason: `${figure}: ${notYet(d.rate! > limit, decision, limit, t.minCompared, "pairs")}` };
  }
  const observed = d.rate !== null && noise.rate !== null ? d.rate - noise.rate : null;
  const base = countsCheck("divergence", decision, limit, observed, limit, t.minCompared);
  if (decision.n === 0 || observed === null) {
    return { ...base, reason: `no pairs compared on both the dark and the noise side yet (limit ${t.maxPercent} points over noise)` };
  }
  const b = base.bounds!;
  const figure =
    `divergence over noise ${points(observed)} (dark ${pct(d.rate!)} of ${d.compared} pairs, noise ${pct(noise.rate!)} of ${noise.compared}; ` +
    `bounds ${points(b.low)} to ${points(b.high)})`;
  if (base.verdict === "FAIL")
    return {
      ...base,
      reason: `${figure} is over the limit of ${t.maxPercent} points beyond chance; dark mismatched parts: ${partsText(d.byPart)}`,
    };
  // A noise floor near 100% leaves no room above it: a dark version differing in three times the
  // limit more pairs could not show. Such a PASS would say nothing, so it is not given.
  if (noise.rate! > 1 - SATURATION_EXCESS * limit) {
    return {
      ...base,
      verdict: "NOT_ENOUGH_DATA",
      reason:
        `${figure}: the noise floor is ${pct(noise.rate!)}, nearly every pair differs between two instances of the current ` +
        `version, so a dark difference cannot show above it; ignore the volatile fields (darklaunch noise --rule <rule> suggests them) and judge again`,
    };
  }
  if (base.verdict === "PASS") return { ...base, reason: `${figure} is under the limit of ${t.maxPercent} points` };
  return { ...base, reason: `${figure}: ${notYet(observed > limit, decision, limit, t.minCompared, "pairs")}` };
}

/**
 * With a noise cluster, divergence is not judged PASS while the noise rate is above
 * 1 − SATURATION_EXCESS × limit: an excess of that many times the limit (the false-PASS target's
 * "three times a limit") would not fit above the noise.
 */
const SATURATION_EXCESS = 3;

export function judgeErrorRate(f: RuleFigures, t: Thresholds["errorRate"]): CheckResult {
  const { primary, dark, breakerOpen } = f.errors;
  const margin = t.maxPointsOverPrimary / 100;
  const decision = errorRateDecision(f.errors, t);
  const base = countsCheck("error_rate", decision, margin, dark.rate, primary.rate !== null ? primary.rate + margin : null, t.minCalls);
  const detail = `5xx ${dark.status5xx}, failed ${dark.failed}, timeout ${dark.timeout} of ${dark.calls}`;
  const figure =
    dark.rate === null || primary.rate === null || base.bounds === null
      ? `dark errors ${detail}, primary ${primary.errors} of ${primary.responses}`
      : `dark error rate ${pct(dark.rate)} (${detail}) against primary ${pct(primary.rate)} (${primary.errors} of ${primary.responses}); ` +
        `difference bounds ${points(base.bounds.low)} to ${points(base.bounds.high)}`;
  if (decision.byBreaker) {
    return {
      ...base,
      reason: `the filter's breaker opened (${breakerOpen} requests not mirrored): the dark side failed too often in a window; ${figure}`,
    };
  }
  if (decision.n === 0)
    return { ...base, reason: `no ended dark calls with a primary response yet (limit: primary + ${t.maxPointsOverPrimary} points)` };
  if (base.verdict === "FAIL") return { ...base, reason: `${figure}: over primary + ${t.maxPointsOverPrimary} points beyond chance` };
  if (base.verdict === "PASS") return { ...base, reason: `${figure}: within primary + ${t.maxPointsOverPrimary} points` };
  const over = dark.rate !== null && primary.rate !== null && dark.rate - primary.rate > margin;
  return { ...base, reason: `${figure}: ${notYet(over, decision, margin, t.minCalls, "calls")}` };
}

/** The bin holding a value (for the "buckets too coarse" explanation). */
function binAround(h: Histogram, x: number): { lo: number; hi: number } | null {
  for (const b of h) if (x >= b.lo && x <= b.hi) return { lo: b.lo, hi: b.hi };
  return null;
}

export function judgeLatency(f: RuleFigures, histograms: Record<string, Histogram>, t: Thresholds["latencyP95"]): CheckResult {
  const P = histograms[PRIMARY_LATENCY] ?? [];
  const D = histograms[DARK_LATENCY] ?? [];
  const { primary, dark } = f.latency;
  const x = latencyDecision(P, D, t);
  const observedLimit = primary.p95 !== null ? latencyLimit(primary.p95, t) : null;
  const base = {
    check: "latency_p95" as const,
    verdict: x.verdict,
    observed: dark.p95,
    limit: observedLimit,
    samples: Math.min(x.primarySamples, x.darkSamples),
    minSamples: t.minSamples,
    bounds: null,
    // Each side is two tests at half the level: twice the smaller p-value is the side's.
    p_values: {
      over_limit: x.failLimit === null ? 1 : Math.min(1, 2 * pValue(bernoulliEvidence(x.darkSamples, x.darkAbove, 1 - Q).above)),
      under_limit: Math.min(1, 2 * pValue(bernoulliEvidence(x.darkSamples, x.darkWithin, Q).above)),
    },
  };
  const rule = `${t.maxRatio} × primary p95, at least + ${t.slackMs} ms`;
  const nd = x.darkSamples;
  const np = x.primarySamples;
  if (np === 0 || nd === 0 || primary.p95 === null || dark.p95 === null) {
    return { ...base, reason: `only ${nd} dark and ${np} primary latency samples (limit ${rule})` };
  }
  const figure = `dark p95 ≈ ${ms(dark.p95)}, primary p95 ≈ ${ms(primary.p95)} (${nd} dark, ${np} primary samples)`;
  if (x.verdict === "FAIL") {
    return {
      ...base,
      reason: `${figure}: ${x.darkAbove} dark samples (${pct(x.darkAbove / nd, 1)}) are above ${ms(x.failLimit!)}, the limit (${rule}) at the primary p95's upper bound ${ms(x.upper!)}: over the limit beyond chance`,
    };
  }
  if (x.verdict === "PASS") {
    return {
      ...base,
      reason: `${figure}: ${x.darkWithin} dark samples (${pct(x.darkWithin / nd, 1)}) are at most ${ms(x.passLimit)}, the limit (${rule}) at the primary p95's lower bound ${ms(x.lower)}: within the limit`,
    };
  }
  if (x.withinButFew)
    return { ...base, reason: `${figure}: within the limit, but PASS needs at least ${t.minSamples} samples on each side (thresholds)` };
  // Could more data ever show it? Not if the bins around the p95s are wider than the limit allows.
  const pBin = binAround(P, primary.p95);
  const dBin = binAround(D, dark.p95);
  if (pBin !== null && dBin !== null && dark.p95 <= observedLimit! && latencyLimit(pBin.lo, t) < dBin.hi) {
    return {
      ...base,
      reason:
        `${figure}: the histogram's bins are too coarse to show it within the limit (${rule}): the primary p95 is in ` +
        `${ms(pBin.lo)}–${ms(pBin.hi)}, the dark p95 in ${ms(dBin.lo)}–${ms(dBin.hi)} (finer buckets: docs/cli.md#latency-from-histograms)`,
    };
  }
  const over = dark.p95 > observedLimit!;
  return {
    ...base,
    reason: `${figure}: ${over ? "over the limit, but not beyond chance yet" : "not yet shown to be within the limit"} (${rule})`,
  };
}

/** The verdict of one rule. `histograms` by suffix (the latency check reads the bins). */
export function judgeRule(rule: string, f: RuleFigures, histograms: Record<string, Histogram>, t: Thresholds): RuleVerdict {
  const checks: CheckResult[] = [];
  if (t.divergence.enabled) checks.push(judgeDivergence(f, t.divergence));
  if (t.errorRate.enabled) checks.push(judgeErrorRate(f, t.errorRate));
  if (t.latencyP95.enabled) checks.push(judgeLatency(f, histograms, t.latencyP95));
  const failed = checks.filter((c) => c.verdict === "FAIL");
  const lacking = checks.filter((c) => c.verdict === "NOT_ENOUGH_DATA");
  const verdict: Verdict = failed.length > 0 ? "FAIL" : lacking.length > 0 ? "NOT_ENOUGH_DATA" : "PASS";
  const because = failed.length > 0 ? failed : lacking.length > 0 ? lacking : checks;
  return { rule, verdict, checks, reasons: because.map((c) => `${c.check}: ${c.reason}`) };
}

/** The verdict over all rules and its exit code: 0 all PASS, 1 any FAIL, 2 otherwise (also no rules). */
export function overallVerdict(rules: { verdict: Verdict }[]): { verdict: Verdict; exitCode: 0 | 1 | 2 } {
  if (rules.some((r) => r.verdict === "FAIL")) return { verdict: "FAIL", exitCode: 1 };
  if (rules.length > 0 && rules.every((r) => r.verdict === "PASS")) return { verdict: "PASS", exitCode: 0 };
  return { verdict: "NOT_ENOUGH_DATA", exitCode: 2 };
}
