// Is the dark version safe to promote? Pure judgement of one rule's figures against thresholds.
//
// Each check answers PASS, FAIL or NOT_ENOUGH_DATA; a rule FAILs if any check fails, else it has
// NOT_ENOUGH_DATA if any check lacks data, else it PASSes.
//
// Divergence is judged with its 95% Wilson score interval, asymmetrically, as a promotion gate:
//   FAIL when the observed rate is at or above the limit;
//   PASS only when the interval's upper bound is below the limit (the true rate is below it with
//   95% confidence);
//   otherwise NOT_ENOUGH_DATA (below the limit, but not yet provably so).
// With no mismatch at all, PASS at the 1% default therefore needs at least 381 compared pairs.

import type { RuleFigures } from "./figures.js";
import type { Thresholds } from "./thresholds.js";

export type Verdict = "PASS" | "FAIL" | "NOT_ENOUGH_DATA";
export type CheckName = "divergence" | "error_rate" | "latency_p95";

export interface Interval {
  low: number;
  high: number;
}

/** z for a two-sided 95% interval. */
export const Z95 = 1.959963984540054;

/**
 * Wilson score interval for `successes` out of `trials` (Wilson 1927), at `z` standard errors.
 * Stays within [0, 1] and behaves at 0 and n, unlike the normal approximation.
 */
export function wilsonInterval(successes: number, trials: number, z: number = Z95): Interval {
  if (!(trials > 0)) throw new RangeError(`wilsonInterval: trials must be > 0 (got ${trials})`);
  if (successes < 0 || successes > trials) throw new RangeError(`wilsonInterval: successes ${successes} not in 0..${trials}`);
  const p = successes / trials;
  const z2 = z * z;
  const denominator = 1 + z2 / trials;
  const centre = (p + z2 / (2 * trials)) / denominator;
  const half = (z / denominator) * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials));
  // Clamp the rounding at the ends (successes 0 or n gives exactly 0 or 1).
  return { low: successes === 0 ? 0 : Math.max(0, centre - half), high: successes === trials ? 1 : Math.min(1, centre + half) };
}

export interface CheckResult {
  check: CheckName;
  verdict: Verdict;
  /** One sentence for people. */
  reason: string;
  /** The judged figure (a fraction for rates, ms for latency); null when there was none. */
  observed: number | null;
  /** The limit it was judged against, in the same unit; null when not computed. */
  limit: number | null;
  samples: number;
  minSamples: number;
}

export interface RuleVerdict {
  rule: string;
  verdict: Verdict;
  /** The reasons behind the verdict: the failing checks, else those lacking data, else all. */
  reasons: string[];
  checks: CheckResult[];
}

const pct = (fraction: number, digits = 2): string => `${(fraction * 100).toFixed(digits)}%`;
const ms = (v: number): string => `${v.toFixed(1)} ms`;

export function judgeDivergence(f: RuleFigures, t: Thresholds["divergence"]): CheckResult {
  const d = f.divergence;
  const limit = t.maxPercent / 100;
  const base = { check: "divergence" as const, observed: d.rate, limit, samples: d.compared, minSamples: t.minCompared };
  if (d.compared < t.minCompared || d.rate === null || d.interval === null) {
    return { ...base, verdict: "NOT_ENOUGH_DATA", reason: `only ${d.compared} compared pairs (needs ${t.minCompared})` };
  }
  const parts = Object.entries(d.byPart)
    .filter(([, n]) => n > 0)
    .map(([part, n]) => `${part} ${n}`)
    .join(", ");
  const observed = `divergence ${pct(d.rate)} (${d.mismatched} of ${d.compared} pairs, 95% CI ${pct(d.interval.low)}–${pct(d.interval.high)})`;
  if (d.rate >= limit) {
    return { ...base, verdict: "FAIL", reason: `${observed} ≥ ${t.maxPercent}%; mismatches: ${parts}` };
  }
  if (d.interval.high >= limit) {
    return {
      ...base,
      verdict: "NOT_ENOUGH_DATA",
      reason: `${observed} is under ${t.maxPercent}% but its 95% upper bound is not: needs more pairs`,
    };
  }
  return { ...base, verdict: "PASS", reason: `${observed}: upper bound < ${t.maxPercent}%` };
}

export function judgeErrorRate(f: RuleFigures, t: Thresholds["errorRate"]): CheckResult {
  const { primary, dark } = f.errors;
  const samples = Math.min(dark.calls, primary.responses);
  const base = { check: "error_rate" as const, observed: dark.rate, limit: null, samples, minSamples: t.minCalls };
  if (dark.calls < t.minCalls || primary.responses < t.minCalls || dark.rate === null || primary.rate === null) {
    return {
      ...base,
      verdict: "NOT_ENOUGH_DATA",
      reason: `only ${dark.calls} ended dark calls and ${primary.responses} paired primary responses (needs ${t.minCalls} each)`,
    };
  }
  const limit = primary.rate + t.maxPointsOverPrimary / 100;
  const detail = `5xx ${dark.status5xx}, failed ${dark.failed}, timeout ${dark.timeout} of ${dark.calls}`;
  // A tolerance for floating-point rounding: a rate of exactly primary + the points passes.
  const within = dark.rate <= limit + 1e-12;
  const text = `dark error rate ${pct(dark.rate)} (${detail}) ${within ? "≤" : ">"} primary ${pct(primary.rate)} + ${t.maxPointsOverPrimary} points`;
  return { ...base, limit, verdict: within ? "PASS" : "FAIL", reason: text };
}

export function judgeLatency(f: RuleFigures, t: Thresholds["latencyP95"]): CheckResult {
  const { primary, dark } = f.latency;
  const samples = Math.min(primary.samples, dark.samples);
  const base = { check: "latency_p95" as const, observed: dark.p95, limit: null, samples, minSamples: t.minSamples };
  if (primary.samples < t.minSamples || dark.samples < t.minSamples || primary.p95 === null || dark.p95 === null) {
    return {
      ...base,
      verdict: "NOT_ENOUGH_DATA",
      reason: `only ${dark.samples} dark and ${primary.samples} primary latency samples (needs ${t.minSamples} each)`,
    };
  }
  const limit = Math.max(t.maxRatio * primary.p95, primary.p95 + t.slackMs);
  const within = dark.p95 <= limit + 1e-9;
  const text = `dark p95 ${ms(dark.p95)} ${within ? "≤" : ">"} ${ms(limit)} (${t.maxRatio} × primary p95 ${ms(primary.p95)}, at least + ${t.slackMs} ms)`;
  return { ...base, limit, verdict: within ? "PASS" : "FAIL", reason: text };
}

/** The verdict of one rule. */
export function judgeRule(rule: string, f: RuleFigures, t: Thresholds): RuleVerdict {
  const checks: CheckResult[] = [];
  if (t.divergence.enabled) checks.push(judgeDivergence(f, t.divergence));
  if (t.errorRate.enabled) checks.push(judgeErrorRate(f, t.errorRate));
  if (t.latencyP95.enabled) checks.push(judgeLatency(f, t.latencyP95));
  const failed = checks.filter((c) => c.verdict === "FAIL");
  const lacking = checks.filter((c) => c.verdict === "NOT_ENOUGH_DATA");
  const verdict: Verdict = failed.length > 0 ? "FAIL" : lacking.length > 0 ? "NOT_ENOUGH_DATA" : "PASS";
  const because = failed.length > 0 ? failed : lacking.length > 0 ? lacking : checks;
  return { rule, verdict, checks, reasons: because.map((c) => c.reason) };
}

/** The verdict over all rules and its exit code: 0 all PASS, 1 any FAIL, 2 otherwise (also no rules). */
export function overallVerdict(rules: RuleVerdict[]): { verdict: Verdict; exitCode: 0 | 1 | 2 } {
  if (rules.some((r) => r.verdict === "FAIL")) return { verdict: "FAIL", exitCode: 1 };
  if (rules.length > 0 && rules.every((r) => r.verdict === "PASS")) return { verdict: "PASS", exitCode: 0 };
  return { verdict: "NOT_ENOUGH_DATA", exitCode: 2 };
}
