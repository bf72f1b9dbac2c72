// Reads the filter's stats from Envoy's admin endpoint: every rule's counters, its in_flight gauge
// and its two latency histograms (sample counts and Envoy's computed quantiles).
//
// Two requests, both limited to the filter's stats by a regex:
//   /stats?format=json&filter=...                              counters, gauges, quantiles
//   /stats?format=json&filter=...&histogram_buckets=cumulative  histogram bucket counts
// Envoy answers histogram quantiles twice: `cumulative` (since start) and `interval` (over its
// last stats flush interval, `stats_flush_interval`, default 5 s). Histograms only change at
// those flushes, so latency figures trail the counters by up to one flush interval.

import { request as httpRequest } from "node:http";
import {
  ENVOY_CUSTOM_PREFIX,
  GAUGE_SUFFIXES,
  HISTOGRAM_SUFFIXES,
  STATS_ROOT,
  counterSuffixes,
} from "../../../assembly/darklaunch/stats_names.js";
import { CliError, EXIT } from "./errors.js";

/** Quantiles the CLI shows, as percent (Envoy's `supported_quantiles` unit). */
export const QUANTILES = [50, 95, 99] as const;
export type Quantile = (typeof QUANTILES)[number];

export type Quantiles = Record<`p${Quantile}`, number | null>;

/** One latency histogram of a rule, as Envoy last merged it. */
export interface HistogramReading {
  /** Samples since Envoy started. */
  samples: number;
  /** Samples in Envoy's last stats flush interval. */
  intervalSamples: number;
  /** Quantiles since start (ms); null when there is no sample. */
  cumulative: Quantiles;
  /** Quantiles over the last flush interval (ms); null when there is no sample. */
  interval: Quantiles;
}

export interface RuleReading {
  rule: string;
  /** Every counter of the rule by suffix (`requests`, `skipped.method`, ...); 0 when Envoy lacks one. */
  counters: Record<string, number>;
  /** Gauges by suffix (`in_flight`). */
  gauges: Record<string, number>;
  /** Histograms by suffix (`primary.latency_ms`, `dark.latency_ms`). */
  histograms: Record<string, HistogramReading>;
}

export interface StatsReading {
  adminUrl: string;
  /** When the reading was taken (ms since the epoch). */
  takenAt: number;
  /** Rules in name order. */
  rules: RuleReading[];
}

const STAT_PREFIX = ENVOY_CUSTOM_PREFIX + STATS_ROOT + ".";
/** Every name the filter defines, and no other: `^wasmcustom\.darklaunch\.`. */
const FILTER_REGEX = "^" + STAT_PREFIX.replace(/\./g, "\\.");

/** Envoy's answer to `/stats?format=json`: named values, then one entry holding the histograms. */
interface StatsJson {
  stats: (
    | { name: string; value: number | string }
    | { histograms: QuantileHistograms }
    | { histograms: BucketHistogram[] }
  )[];
}
interface QuantileHistograms {
  supported_quantiles: number[];
  computed_quantiles: { name: string; values: { cumulative: number | null; interval: number | null }[] }[];
}
interface BucketHistogram {
  name: string;
  buckets: { upper_bound: number; interval: number; cumulative: number }[];
}

/** GET on a fresh connection (no keep-alive pool that would hold the process open). */
function getText(url: string, timeoutMs: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end();
  });
}

/** The admin URL without a trailing slash; a usage error unless it is http(s)://host[:port][/path]. */
export function normaliseAdminUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliError(`--admin ${JSON.stringify(text)} is not a URL (expected e.g. http://127.0.0.1:9901)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new CliError(`--admin ${JSON.stringify(text)}: only http:// and https:// are supported`);
  }
  return url.toString().replace(/\/+$/, "");
}

async function adminJson(adminUrl: string, query: string, timeoutMs: number): Promise<StatsJson> {
  const url = `${adminUrl}/stats?format=json&filter=${encodeURIComponent(FILTER_REGEX)}${query}`;
  let res: { status: number; text: string };
  try {
    res = await getText(url, timeoutMs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(`cannot reach the Envoy admin endpoint at ${adminUrl}: ${code ?? (err as Error).message}`, EXIT.other);
  }
  if (res.status !== 200) {
    throw new CliError(`Envoy admin ${adminUrl} answered ${res.status} to /stats: ${res.text.slice(0, 200)}`, EXIT.other);
  }
  try {
    return JSON.parse(res.text) as StatsJson;
  } catch {
    throw new CliError(`Envoy admin ${adminUrl}: /stats?format=json did not return JSON (is this Envoy's admin port?)`, EXIT.other);
  }
}

/** `wasmcustom.darklaunch.<rule>.<suffix>` → [rule, suffix]; rule names have no dots. */
function splitName(name: string): [string, string] | null {
  if (!name.startsWith(STAT_PREFIX)) return null;
  const rest = name.slice(STAT_PREFIX.length);
  const dot = rest.indexOf(".");
  if (dot <= 0) return null;
  return [rest.slice(0, dot), rest.slice(dot + 1)];
}

function emptyQuantiles(): Quantiles {
  return { p50: null, p95: null, p99: null };
}

function emptyHistogram(): HistogramReading {
  return { samples: 0, intervalSamples: 0, cumulative: emptyQuantiles(), interval: emptyQuantiles() };
}

/** Reads every rule's stats from Envoy's admin endpoint. Throws CliError (exit 2) if it cannot. */
export async function readStats(adminUrl: string, timeoutMs = 5000): Promise<StatsReading> {
  const takenAt = Date.now();
  // Buckets first: a flush between the two requests then only adds samples the quantiles include.
  const withBuckets = await adminJson(adminUrl, "&histogram_buckets=cumulative", timeoutMs);
  const withQuantiles = await adminJson(adminUrl, "", timeoutMs);

  const counterSet = new Set(counterSuffixes());
  const gaugeSet = new Set(GAUGE_SUFFIXES);
  const histogramSet = new Set(HISTOGRAM_SUFFIXES);
  const rules = new Map<string, RuleReading>();
  const ruleOf = (rule: string): RuleReading => {
    let r = rules.get(rule);
    if (r === undefined) {
      r = { rule, counters: {}, gauges: {}, histograms: {} };
      for (const s of counterSet) r.counters[s] = 0;
      for (const s of gaugeSet) r.gauges[s] = 0;
      for (const s of histogramSet) r.histograms[s] = emptyHistogram();
      rules.set(rule, r);
    }
    return r;
  };

  for (const entry of withQuantiles.stats) {
    if ("name" in entry) {
      const parts = splitName(entry.name);
      if (parts === null) continue;
      const [rule, suffix] = parts;
      const value = Number(entry.value);
      if (counterSet.has(suffix)) ruleOf(rule).counters[suffix] = value;
      else if (gaugeSet.has(suffix)) ruleOf(rule).gauges[suffix] = value;
    } else if (!Array.isArray(entry.histograms)) {
      const { supported_quantiles: supported, computed_quantiles: computed } = entry.histograms;
      for (const h of computed) {
        const parts = splitName(h.name);
        if (parts === null || !histogramSet.has(parts[1])) continue;
        const reading = ruleOf(parts[0]).histograms[parts[1]]!;
        for (const q of QUANTILES) {
          const i = supported.indexOf(q);
          if (i < 0 || h.values[i] === undefined) continue;
          reading.cumulative[`p${q}`] = h.values[i]!.cumulative;
          reading.interval[`p${q}`] = h.values[i]!.interval;
        }
      }
    }
  }
  for (const entry of withBuckets.stats) {
    if (!("histograms" in entry) || !Array.isArray(entry.histograms)) continue;
    for (const h of entry.histograms) {
      const parts = splitName(h.name);
      if (parts === null || !histogramSet.has(parts[1])) continue;
      const reading = ruleOf(parts[0]).histograms[parts[1]]!;
      // Buckets are cumulative over upper bounds: the last one holds every sample (the filter's
      // latencies stay far below Envoy's last bound, one hour).
      const last = h.buckets.at(-1);
      reading.samples = last?.cumulative ?? 0;
      reading.intervalSamples = last?.interval ?? 0;
    }
  }
  return {
    adminUrl,
    takenAt,
    rules: [...rules.values()].sort((a, b) => (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0)),
  };
}
