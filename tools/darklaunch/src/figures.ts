// The figures an operator judges a rule by, computed from its counters and latency histograms.
// Pure: no I/O. The same code for every source (Envoy admin endpoints, Prometheus) and every
// span (since start, a window, the last interval of `watch`, a ramp so far).

import {
  GAUGE_SUFFIXES,
  HISTOGRAM_SUFFIXES,
  MISMATCH_PARTS,
  SKIP_REASONS,
  STATUS_CLASSES,
  counterSuffixes,
  noiseCounterSuffixes,
} from "../../../assembly/darklaunch/stats_names.js";
import { estimateQuantile, sampleCount, type Histogram } from "./histogram.js";

const KNOWN_SUFFIXES = new Set([...counterSuffixes(), ...noiseCounterSuffixes()]);

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
  noiseMatch: suffix("noise.match"),
  noiseIncomplete: suffix("noise.incomplete"),
  skipped: (reason: string) => suffix(`skipped.${reason}`),
  darkStatus: (cls: string) => suffix(`dark.status.${cls}`),
  primaryStatus: (cls: string) => suffix(`primary.status.${cls}`),
  mismatch: (part: string) => suffix(`compare.mismatch.${part}`),
  noiseMismatch: (part: string) => suffix(`noise.mismatch.${part}`),
};

export const [PRIMARY_LATENCY, DARK_LATENCY] = ((): [string, string] => {
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

/** The skip reasons with a meaning of their own for the verdict. */
export const BREAKER_OPEN = ((): string => {
  const r = SKIP_REASONS.find((s) => s === "breaker_open");
  if (r === undefined) throw new Error("stats table lacks skipped.breaker_open");
  return r;
})();
export const EXPIRED = ((): string => {
  const r = SKIP_REASONS.find((s) => s === "expired");
  if (r === undefined) throw new Error("stats table lacks skipped.expired");
  return r;
})();

export interface LatencyFigures {
  /** Samples in the histogram. */
  samples: number;
  /** Point estimates (ms), linear inside a bin; null without samples. For people only. */
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface Comparison {
  /** match + Σ mismatch: pairs with a verdict. */
  compared: number;
  match: number;
  mismatched: number;
  /** Mismatches by the first differing part. */
  byPart: Record<string, number>;
  /** Pairs without a verdict. */
  incomplete: number;
  /** mismatched / compared; null without pairs. */
  rate: number | null;
}

export interface RuleFigures {
  requests: number;
  mirrored: number;
  /** mirrored / requests; null without requests. */
  coverage: number | null;
  /** Skips by reason, every reason of the contract (0 included), in the filter's order. */
  skipped: Record<string, number>;
  /** Requests skipped because the rule's `expires_at` has passed (> 0: the rule has expired). */
  expired: number;
  /** Primary against dark. `noise`: primary against the noise cluster, for rules that have one. */
  divergence: Comparison & { noise: Comparison | null };
  errors: {
    /** The primary on the paired sample: 5xx / Σ primary.status.*. */
    primary: { errors: number; responses: number; rate: number | null };
    /** The dark side: (5xx + failed + timeout) / dark calls that ended. */
    dark: { errors: number; calls: number; rate: number | null; status5xx: number; failed: number; timeout: number };
    /** Requests the filter's breaker kept from the dark side (skipped.breaker_open). */
    breakerOpen: number;
  };
  latency: { primary: LatencyFigures; dark: LatencyFigures };
  /** Dark calls awaiting a response when the reading was taken (summed over Envoys). */
  inFlight: number;
}

function ratio(part: number, whole: number): number | null {
  return whole > 0 ? part / whole : null;
}

export function latencyFigures(h: Histogram | undefined): LatencyFigures {
  if (h === undefined) return { samples: 0, p50: null, p95: null, p99: null };
  return { samples: sampleCount(h), p50: estimateQuantile(h, 0.5), p95: estimateQuantile(h, 0.95), p99: estimateQuantile(h, 0.99) };
}

function comparison(c: (n: string) => number, match: string, mismatch: (part: string) => string, incomplete: string): Comparison {
  const byPart: Record<string, number> = {};
  let mismatched = 0;
  for (const part of MISMATCH_PARTS) {
    byPart[part] = c(mismatch(part));
    mismatched += byPart[part]!;
  }
  const m = c(match);
  return { compared: m + mismatched, match: m, mismatched, byPart, incomplete: c(incomplete), rate: ratio(mismatched, m + mismatched) };
}

/**
 * Figures from a rule's counters (by suffix), gauges and latency histograms. `hasNoise`: the
 * rule has a noise cluster (its noise counters exist).
 */
export function ruleFigures(
  counters: Record<string, number>,
  gauges: Record<string, number>,
  histograms: Record<string, Histogram>,
  hasNoise: boolean,
): RuleFigures {
  const c = (name: string): number => counters[name] ?? 0;
  const requests = c(S.requests);
  const mirrored = c(S.mirrored);

  const skipped: Record<string, number> = {};
  for (const reason of SKIP_REASONS) skipped[reason] = c(S.skipped(reason));

  const darkStatus5xx = c(S.darkStatus(SERVER_ERROR_CLASS));
  const darkFailed = c(S.darkFailed);
  const darkTimeout = c(S.darkTimeout);
  let darkAnswered = 0;
  let primaryResponses = 0;
  for (const cls of STATUS_CLASSES) {
    darkAnswered += c(S.darkStatus(cls));
    primaryResponses += c(S.primaryStatus(cls));
  }
  const darkCalls = darkAnswered + darkFailed + darkTimeout;
  const darkErrors = darkStatus5xx + darkFailed + darkTimeout;
  const primaryErrors = c(S.primaryStatus(SERVER_ERROR_CLASS));

  return {
    requests,
    mirrored,
    coverage: ratio(mirrored, requests),
    skipped,
    expired: skipped[EXPIRED]!,
    divergence: {
      ...comparison(c, S.match, S.mismatch, S.incomplete),
      noise: hasNoise ? comparison(c, S.noiseMatch, S.noiseMismatch, S.noiseIncomplete) : null,
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
      breakerOpen: skipped[BREAKER_OPEN]!,
    },
    latency: {
      primary: latencyFigures(histograms[PRIMARY_LATENCY]),
      dark: latencyFigures(histograms[DARK_LATENCY]),
    },
    inFlight: gauges[IN_FLIGHT] ?? 0,
  };
}

/**
 * Counters of `now` minus those of `before` (the traffic between two readings). A counter that
 * went down means an Envoy restarted: the difference then counts from 0.
 */
export function counterDelta(now: Record<string, number>, before: Record<string, number> | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  const restarted = before !== undefined && Object.keys(now).some((k) => (now[k] ?? 0) < (before[k] ?? 0));
  for (const [k, v] of Object.entries(now)) out[k] = before === undefined || restarted ? v : v - (before[k] ?? 0);
  return out;
}
