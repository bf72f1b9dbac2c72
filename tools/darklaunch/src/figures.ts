// The figures an operator judges a rule by, computed from its counters and latency histograms.
// Pure: no I/O. Used by `verdict` (counters since start) and `watch` (the difference between two
// readings, i.e. the last interval).

import {
  GAUGE_SUFFIXES,
  HISTOGRAM_SUFFIXES,
  MISMATCH_PARTS,
  SKIP_REASONS,
  STATUS_CLASSES,
  counterSuffixes,
} from "../../../assembly/darklaunch/stats_names.js";
import type { HistogramReading, Quantiles } from "./admin.js";
import { wilsonInterval, type Interval } from "./judge.js";

const KNOWN_SUFFIXES = new Set(counterSuffixes());

/** A counter suffix, checked against the filter's own table so the two cannot drift apart. */
function suffix(name: string): string {
  if (!KNOWN_SUFFIXES.has(name)) throw new Error(`stats table has no counter "${name}"`);
  return name;
}

const S = {
  requests: suffix("requests"),
  mirrored: suffix("mirrored"),
  darkFailed: suffix("dark.failed"),
  darkTimeout: suffix("dark.timeout"),
  match: suffix("compare.match"),
  incomplete: suffix("compare.incomplete"),
  skipped: (reason: string) => suffix("skipped." + reason),
  darkStatus: (cls: string) => suffix("dark.status." + cls),
  primaryStatus: (cls: string) => suffix("primary.status." + cls),
  mismatch: (part: string) => suffix("compare.mismatch." + part),
};

const [PRIMARY_LATENCY, DARK_LATENCY] = ((): [string, string] => {
  const primary = HISTOGRAM_SUFFIXES.find((h) => h.startsWith("primary."));
  const dark = HISTOGRAM_SUFFIXES.find((h) => h.startsWith("dark."));
  if (primary === undefined || dark === undefined) throw new Error("stats table lacks the latency histograms");
  return [primary, dark];
})();

const IN_FLIGHT = ((): string => {
  const gauge = GAUGE_SUFFIXES.find((g) => g === "in_flight");
  if (gauge === undefined) throw new Error("stats table lacks the in_flight gauge");
  return gauge;
})();

/** The status class the error rates count. */
const SERVER_ERROR_CLASS = ((): string => {
  const cls = STATUS_CLASSES.find((c) => c.startsWith("5"));
  if (cls === undefined) throw new Error("stats table lacks the 5xx class");
  return cls;
})();

export interface LatencyFigures {
  /** Samples the quantiles are computed from. */
  samples: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface RuleFigures {
  requests: number;
  mirrored: number;
  /** mirrored / requests; null without requests. */
  coverage: number | null;
  /** Skips by reason, every reason of the contract (0 included), in the filter's order. */
  skipped: Record<string, number>;
  divergence: {
    /** match + Σ mismatch: pairs with a verdict. */
    compared: number;
    match: number;
    mismatched: number;
    /** Mismatches by the first differing part. */
    byPart: Record<string, number>;
    /** Pairs without a verdict (dark failed or timed out, primary reset, client gone). */
    incomplete: number;
    /** mismatched / compared; null without pairs. */
    rate: number | null;
    /** 95% Wilson score interval of `rate`; null without pairs. */
    interval: Interval | null;
  };
  errors: {
    /** The primary on the paired sample: 5xx / Σ primary.status.*. */
    primary: { errors: number; responses: number; rate: number | null };
    /** The dark side: (5xx + failed + timeout) / dark calls that ended. */
    dark: { errors: number; calls: number; rate: number | null; status5xx: number; failed: number; timeout: number };
  };
  latency: { primary: LatencyFigures; dark: LatencyFigures };
  /** Dark calls awaiting a response when the reading was taken. */
  inFlight: number;
}

function sum(counters: Record<string, number>, names: string[]): number {
  let total = 0;
  for (const n of names) total += counters[n] ?? 0;
  return total;
}

function ratio(part: number, whole: number): number | null {
  return whole > 0 ? part / whole : null;
}

function latency(h: HistogramReading | undefined, window: "cumulative" | "interval"): LatencyFigures {
  if (h === undefined) return { samples: 0, p50: null, p95: null, p99: null };
  const q: Quantiles = window === "cumulative" ? h.cumulative : h.interval;
  const samples = window === "cumulative" ? h.samples : h.intervalSamples;
  return { samples, p50: q.p50, p95: q.p95, p99: q.p99 };
}

/**
 * Figures from a rule's counters (by suffix), gauges and histograms. `window` says which of
 * Envoy's quantiles to use: since start (`verdict`) or its last flush interval (`watch`).
 */
export function ruleFigures(
  counters: Record<string, number>,
  gauges: Record<string, number>,
  histograms: Record<string, HistogramReading>,
  window: "cumulative" | "interval" = "cumulative",
): RuleFigures {
  const c = (name: string): number => counters[name] ?? 0;
  const requests = c(S.requests);
  const mirrored = c(S.mirrored);

  const skipped: Record<string, number> = {};
  for (const reason of SKIP_REASONS) skipped[reason] = c(S.skipped(reason));

  const byPart: Record<string, number> = {};
  for (const part of MISMATCH_PARTS) byPart[part] = c(S.mismatch(part));
  const mismatched = sum(byPart, MISMATCH_PARTS);
  const match = c(S.match);
  const compared = match + mismatched;

  const darkStatus5xx = c(S.darkStatus(SERVER_ERROR_CLASS));
  const darkFailed = c(S.darkFailed);
  const darkTimeout = c(S.darkTimeout);
  const darkAnswered = sum(counters, STATUS_CLASSES.map(S.darkStatus));
  const darkCalls = darkAnswered + darkFailed + darkTimeout;
  const darkErrors = darkStatus5xx + darkFailed + darkTimeout;

  const primaryResponses = sum(counters, STATUS_CLASSES.map(S.primaryStatus));
  const primaryErrors = c(S.primaryStatus(SERVER_ERROR_CLASS));

  return {
    requests,
    mirrored,
    coverage: ratio(mirrored, requests),
    skipped,
    divergence: {
      compared,
      match,
      mismatched,
      byPart,
      incomplete: c(S.incomplete),
      rate: ratio(mismatched, compared),
      interval: compared > 0 ? wilsonInterval(mismatched, compared) : null,
    },
    errors: {
      primary: { errors: primaryErrors, responses: primaryResponses, rate: ratio(primaryErrors, primaryResponses) },
      dark: {
        errors: darkErrors,
        calls: darkCalls,
        rate: ratio(darkErrors, darkCalls),
        status5xx: darkStatus5xx,
        failed: darkFailed,
        timeout: darkTimeout,
      },
    },
    latency: {
      primary: latency(histograms[PRIMARY_LATENCY], window),
      dark: latency(histograms[DARK_LATENCY], window),
    },
    inFlight: gauges[IN_FLIGHT] ?? 0,
  };
}

/**
 * Counters of `now` minus those of `before` (the traffic of the interval between two readings).
 * A counter that went down means Envoy restarted: the interval then counts from 0.
 */
export function counterDelta(now: Record<string, number>, before: Record<string, number> | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  const restarted = before !== undefined && Object.keys(now).some((k) => (now[k] ?? 0) < (before[k] ?? 0));
  for (const [k, v] of Object.entries(now)) out[k] = before === undefined || restarted ? v : v - (before[k] ?? 0);
  return out;
}
