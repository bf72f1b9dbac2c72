// Reads the filter's per-rule stats from Envoy's admin /stats and renders them as a table.
// Every name comes from the filter's own table, assembly/darklaunch/stats_names.ts.

import {
  ENVOY_CUSTOM_PREFIX,
  GAUGE_SUFFIXES,
  HISTOGRAM_SUFFIXES,
  SAMPLES_COUNTERS,
  SKIP_REASONS,
  STATS_ROOT,
  counterSuffixes,
  noiseCounterSuffixes,
} from "../assembly/darklaunch/stats_names.js";
import { brokenInvariants as brokenInvariantsOf, darkCallsEnded } from "../tools/lib/invariants.js";

/** Quantile (e.g. 50, 99) -> value, from Envoy's cumulative histogram summary. */
export type Quantiles = Map<number, number>;

export interface RuleStats {
  /** Counters and gauges by suffix (`requests`, `skipped.method`, `in_flight`, ...). */
  values: Map<string, number>;
  /** Histograms by suffix (`dark.latency_ms`, ...); absent until Envoy has flushed samples. */
  histograms: Map<string, Quantiles>;
}

export interface DarkLaunchStats {
  /** Rule names in the order Envoy lists them. */
  rules: string[];
  byRule: Map<string, RuleStats>;
  /** The process-wide `samples.*` counters (sent, dropped, failed); empty without `samples`. */
  samples: Map<string, number>;
}

const RULE_PREFIX = `${ENVOY_CUSTOM_PREFIX + STATS_ROOT}.`;
const HISTOGRAMS = new Set(HISTOGRAM_SUFFIXES);
const NOISE_SUFFIXES = noiseCounterSuffixes();
/** `darklaunch.samples.<counter>` is process-wide; a rule may be named `samples` too, but never has these suffixes. */
const SAMPLES_SCOPE = "samples";

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Parses Envoy's text histogram summary: `P50(interval,cumulative) P99(...)`. */
function parseQuantiles(summary: string): Quantiles {
  const quantiles: Quantiles = new Map();
  for (const match of summary.matchAll(/P([\d.]+)\(([^,]+),([^)]+)\)/g)) {
    const cumulative = Number(match[3]);
    if (Number.isFinite(cumulative)) quantiles.set(Number(match[1]), cumulative);
  }
  return quantiles;
}

/** Reads every `wasmcustom.darklaunch.<rule>.*` stat from the admin endpoint. */
export async function readDarkLaunchStats(adminUrl: string): Promise<DarkLaunchStats> {
  const filter = encodeURIComponent(`^${escapeRegex(RULE_PREFIX)}`);
  const response = await fetch(`${adminUrl}/stats?filter=${filter}`);
  if (!response.ok) throw new Error(`GET /stats: HTTP ${response.status}`);
  const stats: DarkLaunchStats = { rules: [], byRule: new Map(), samples: new Map() };
  for (const line of (await response.text()).split("\n")) {
    const colon = line.indexOf(": ");
    if (!line.startsWith(RULE_PREFIX) || colon < 0) continue;
    const name = line.slice(RULE_PREFIX.length, colon);
    const dot = name.indexOf("."); // rule names never contain a dot
    if (dot < 0) continue;
    const rule = name.slice(0, dot);
    const suffix = name.slice(dot + 1);
    if (rule === SAMPLES_SCOPE && SAMPLES_COUNTERS.includes(suffix)) {
      stats.samples.set(suffix, Number(line.slice(colon + 2).trim()));
      continue;
    }
    let ruleStats = stats.byRule.get(rule);
    if (ruleStats === undefined) {
      ruleStats = { values: new Map(), histograms: new Map() };
      stats.byRule.set(rule, ruleStats);
      stats.rules.push(rule);
    }
    const value = line.slice(colon + 2).trim();
    if (HISTOGRAMS.has(suffix)) ruleStats.histograms.set(suffix, parseQuantiles(value));
    else ruleStats.values.set(suffix, Number(value));
  }
  return stats;
}

function value(stats: RuleStats, suffix: string): number {
  return stats.values.get(suffix) ?? 0;
}

/** Dark calls started and not yet answered, failed or timed out. */
export function darkCallsPending(stats: RuleStats): number {
  const count = (suffix: string): number => value(stats, suffix);
  return Math.max(value(stats, "mirrored") - darkCallsEnded(count), value(stats, GAUGE_SUFFIXES[0] ?? "in_flight"));
}

/** The rule has a noise cluster: the filter defines its `noise.*` counters (at 0 from the start). */
export function hasNoise(stats: RuleStats): boolean {
  return stats.values.has(NOISE_SUFFIXES[0] ?? "noise.match");
}

/**
 * The contract's invariants (section 3) that do not hold, once dark calls have finished; the
 * fourth (noise) for rules with a noise cluster.
 */
export function brokenInvariants(stats: RuleStats, comparisonOn = true): string[] {
  return brokenInvariantsOf((suffix) => value(stats, suffix), comparisonOn, hasNoise(stats));
}

/**
 * Renders one column per rule and one row per counter. Skip reasons that are 0 for every rule
 * are left out (and named below the table) to keep it short.
 */
export function renderStatsTable(stats: DarkLaunchStats, comparisonOn = true): string {
  const rules = stats.rules;
  const get = (rule: string, suffix: string): number => {
    const ruleStats = stats.byRule.get(rule);
    return ruleStats === undefined ? 0 : value(ruleStats, suffix);
  };
  const zeroSkips = SKIP_REASONS.filter((reason) => rules.every((rule) => get(rule, `skipped.${reason}`) === 0));
  const rows: string[][] = [];
  const separator = (): void => {
    rows.push([]);
  };
  let group = "";
  for (const suffix of counterSuffixes()) {
    if (suffix.startsWith("skipped.") && zeroSkips.includes(suffix.slice("skipped.".length))) continue;
    const thisGroup = suffix.split(".")[0] ?? "";
    if (group !== "" && thisGroup !== group && !(group === "requests" && thisGroup === "mirrored")) separator();
    group = thisGroup;
    rows.push([suffix, ...rules.map((rule) => String(get(rule, suffix)))]);
  }
  // The primary–noise comparison, for the rules with a noise cluster ("-": the rule has none).
  const noisy = rules.filter((rule) => {
    const ruleStats = stats.byRule.get(rule);
    return ruleStats !== undefined && hasNoise(ruleStats);
  });
  if (noisy.length > 0) {
    separator();
    for (const suffix of NOISE_SUFFIXES) {
      rows.push([suffix, ...rules.map((rule) => (noisy.includes(rule) ? String(get(rule, suffix)) : "-"))]);
    }
  }
  separator();
  for (const suffix of HISTOGRAM_SUFFIXES) {
    for (const quantile of [50, 99]) {
      rows.push([
        `${suffix} p${quantile}`,
        ...rules.map((rule) => {
          const measured = stats.byRule.get(rule)?.histograms.get(suffix)?.get(quantile);
          return measured === undefined ? "-" : measured.toFixed(measured < 10 ? 1 : 0);
        }),
      ]);
    }
  }
  separator();
  rows.push([
    "invariants",
    ...rules.map((rule) => {
      const ruleStats = stats.byRule.get(rule);
      return ruleStats !== undefined && brokenInvariants(ruleStats, comparisonOn).length === 0 ? "ok" : "BROKEN";
    }),
  ]);

  const header = ["rule", ...rules];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)));
  const line = (cells: string[]): string =>
    cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[0] ?? 0) : cell.padStart(widths[column] ?? 0))).join("  ");
  const rule = widths.map((width) => "-".repeat(width)).join("  ");
  const out = [line(header), rule];
  for (const row of rows) out.push(row.length === 0 ? "" : line(row));
  if (zeroSkips.length > 0) out.push(`(0 for every rule, not shown: ${zeroSkips.map((r) => `skipped.${r}`).join(", ")})`);
  if (noisy.length > 0 && noisy.length < rules.length) out.push("(noise.*: only rules with a noise cluster have them; - for the others)");
  if (stats.samples.size > 0) {
    out.push(`samples (per Envoy process, all rules): ${SAMPLES_COUNTERS.map((c) => `${c} ${stats.samples.get(c) ?? 0}`).join(", ")}`);
  }
  return out.join("\n");
}
