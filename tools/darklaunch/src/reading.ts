// What a source (Envoy admin endpoints, Prometheus) yields: every rule's counters, gauges and
// latency histograms, summed over the Envoys it covers. The judge never knows the source.

import { GAUGE_SUFFIXES, HISTOGRAM_SUFFIXES, counterSuffixes, noiseCounterSuffixes } from "../../../assembly/darklaunch/stats_names.js";
import { mergeHistograms, subtractHistogram, type Histogram } from "./histogram.js";
import { counterDelta } from "./figures.js";

export interface RuleReading {
  rule: string;
  /** Every counter by suffix (`requests`, `skipped.method`, ...; `noise.*` only with a noise cluster). */
  counters: Record<string, number>;
  /** Gauges by suffix (`in_flight`), summed over the Envoys. */
  gauges: Record<string, number>;
  /** Latency histograms by suffix (`primary.latency_ms`, `dark.latency_ms`). */
  histograms: Record<string, Histogram>;
  /**
   * The histograms over Envoy's last stats flush interval (admin endpoints only; null otherwise):
   * `watch` shows latency from them, as histograms only move at those flushes.
   */
  recentHistograms: Record<string, Histogram> | null;
  /** The rule has a noise cluster (its noise counters exist). */
  hasNoise: boolean;
}

/** Where figures came from, as the JSON output names it. */
export type SourceInfo =
  | { kind: "admin"; urls: string[] }
  | { kind: "prometheus"; url: string; window: string; selector: string | null; from: string; to: string };

export interface StatsReading {
  source: SourceInfo;
  /** When the reading was taken (ms since the epoch); for Prometheus, the end of the window. */
  takenAt: number;
  /** Rules in name order. */
  rules: RuleReading[];
}

/** An empty reading of one rule: every counter at 0 (as the filter defines them). */
export function emptyRule(rule: string, hasNoise: boolean): RuleReading {
  const counters: Record<string, number> = {};
  for (const s of counterSuffixes()) counters[s] = 0;
  if (hasNoise) for (const s of noiseCounterSuffixes()) counters[s] = 0;
  const gauges: Record<string, number> = {};
  for (const s of GAUGE_SUFFIXES) gauges[s] = 0;
  const histograms: Record<string, Histogram> = {};
  for (const s of HISTOGRAM_SUFFIXES) histograms[s] = [];
  return { rule, counters, gauges, histograms, recentHistograms: null, hasNoise };
}

export function sortRules(rules: Iterable<RuleReading>): RuleReading[] {
  return [...rules].sort((a, b) => (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0));
}

/** Several Envoys' readings summed: counters and gauges added, histograms merged. */
export function sumRules(parts: RuleReading[][]): RuleReading[] {
  const byRule = new Map<string, RuleReading>();
  for (const rules of parts) {
    for (const r of rules) {
      let sum = byRule.get(r.rule);
      if (sum === undefined) {
        sum = emptyRule(r.rule, r.hasNoise);
        sum.recentHistograms = r.recentHistograms === null ? null : {};
        byRule.set(r.rule, sum);
      }
      sum.hasNoise ||= r.hasNoise;
      for (const [k, v] of Object.entries(r.counters)) sum.counters[k] = (sum.counters[k] ?? 0) + v;
      for (const [k, v] of Object.entries(r.gauges)) sum.gauges[k] = (sum.gauges[k] ?? 0) + v;
      for (const [k, h] of Object.entries(r.histograms)) sum.histograms[k] = mergeHistograms(sum.histograms[k] ?? [], h);
      if (r.recentHistograms !== null && sum.recentHistograms !== null) {
        for (const [k, h] of Object.entries(r.recentHistograms))
          sum.recentHistograms[k] = mergeHistograms(sum.recentHistograms[k] ?? [], h);
      }
    }
  }
  return sortRules(byRule.values());
}

/**
 * The traffic between two readings of the same source: counters and histograms of `now` minus
 * those of `before` (gauges and recent histograms as `now` has them). A rule new in `now` counts
 * from 0; a counter that went down (an Envoy restarted) counts from 0 too.
 */
export function readingDelta(now: StatsReading, before: StatsReading): StatsReading {
  const rules = now.rules.map((r): RuleReading => {
    const old = before.rules.find((b) => b.rule === r.rule);
    const histograms: Record<string, Histogram> = {};
    for (const [k, h] of Object.entries(r.histograms))
      histograms[k] = old === undefined ? h : subtractHistogram(h, old.histograms[k] ?? []);
    return { ...r, counters: counterDelta(r.counters, old?.counters), histograms };
  });
  return { source: now.source, takenAt: now.takenAt, rules };
}
