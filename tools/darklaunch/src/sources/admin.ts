// Figures from Envoy admin endpoints: every rule's counters, its in_flight gauge and its two
// latency histograms, since each Envoy started; several endpoints are summed.
//
// One request per Envoy, limited to the filter's stats by a regex:
//   /stats?format=json&filter=^wasmcustom\.darklaunch\.&histogram_buckets=detailed
// `detailed` gives Envoy's own histogram bins (about two significant digits: [10, 11), [11, 12),
// ..., [100, 110), ...), which add up exactly across Envoys; an Envoy that does not know it gets
// asked again for `histogram_buckets=cumulative` (its configured buckets). Histograms reach the
// admin endpoint when Envoy merges them, every `stats_flush_interval` (default 5 s): latency
// figures trail the counters by up to one flush interval.

import {
  ENVOY_CUSTOM_PREFIX,
  GAUGE_SUFFIXES,
  HISTOGRAM_SUFFIXES,
  STATS_ROOT,
  counterSuffixes,
  noiseCounterSuffixes,
} from "../../../../assembly/darklaunch/stats_names.js";
import { CliError, EXIT, UsageError } from "../errors.js";
import { binsFromCumulative, binsFromDetailed, type Histogram } from "../histogram.js";
import { getText } from "../http.js";
import { emptyRule, readingDelta, sortRules, sumRules, type RuleReading, type StatsReading } from "../reading.js";
import type { Source } from "./source.js";

const STAT_PREFIX = `${ENVOY_CUSTOM_PREFIX + STATS_ROOT}.`;
/** Every name the filter defines, and no other: `^wasmcustom\.darklaunch\.`. */
const FILTER_REGEX = `^${STAT_PREFIX.replace(/\./g, "\\.")}`;

/** Envoy's answer to `/stats?format=json`: named values, then one entry holding the histograms. */
interface StatsJson {
  stats: ({ name: string; value: number | string } | { histograms: DetailedHistograms | BucketHistogram[] | QuantileHistograms })[];
}
interface DetailedHistograms {
  details: { name: string; totals: DetailedBin[]; intervals: DetailedBin[] }[];
}
interface DetailedBin {
  lower_bound: number;
  width: number;
  count: number;
}
interface BucketHistogram {
  name: string;
  buckets: { upper_bound: number; interval: number; cumulative: number }[];
}
interface QuantileHistograms {
  computed_quantiles: unknown[];
}

/** The admin URL without a trailing slash; a usage error unless it is http(s)://host[:port][/path]. */
export function normaliseAdminUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--admin ${JSON.stringify(text)} is not a URL (expected e.g. http://127.0.0.1:9901)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`--admin ${JSON.stringify(text)}: only http:// and https:// are supported`);
  }
  return url.toString().replace(/\/+$/, "");
}

async function adminJson(
  adminUrl: string,
  query: string,
  timeoutMs: number,
): Promise<{ status: number; json: StatsJson | null; text: string }> {
  const url = `${adminUrl}/stats?format=json&filter=${encodeURIComponent(FILTER_REGEX)}${query}`;
  let res: { status: number; text: string };
  try {
    res = await getText(url, timeoutMs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(`cannot reach the Envoy admin endpoint at ${adminUrl}: ${code ?? (err as Error).message}`, EXIT.other);
  }
  if (res.status !== 200) return { status: res.status, json: null, text: res.text };
  try {
    return { status: 200, json: JSON.parse(res.text) as StatsJson, text: res.text };
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

const COUNTERS = new Set(counterSuffixes());
const NOISE_COUNTERS = new Set(noiseCounterSuffixes());
const GAUGES = new Set(GAUGE_SUFFIXES);
const HISTOGRAMS = new Set(HISTOGRAM_SUFFIXES);

/** One Envoy's rules, parsed from its /stats JSON. */
export function rulesFromAdminJson(json: StatsJson): RuleReading[] {
  const rules = new Map<string, RuleReading>();
  const ruleOf = (rule: string): RuleReading => {
    let r = rules.get(rule);
    if (r === undefined) {
      r = emptyRule(rule, false);
      r.recentHistograms = {};
      rules.set(rule, r);
    }
    return r;
  };
  for (const entry of json.stats) {
    if ("name" in entry) {
      const parts = splitName(entry.name);
      if (parts === null) continue;
      const [rule, suffix] = parts;
      const value = Number(entry.value);
      if (COUNTERS.has(suffix)) ruleOf(rule).counters[suffix] = value;
      else if (NOISE_COUNTERS.has(suffix)) {
        const r = ruleOf(rule);
        r.hasNoise = true;
        r.counters[suffix] = value;
      } else if (GAUGES.has(suffix)) ruleOf(rule).gauges[suffix] = value;
      continue;
    }
    const h = entry.histograms;
    if (Array.isArray(h)) {
      for (const b of h) {
        const parts = splitName(b.name);
        if (parts === null || !HISTOGRAMS.has(parts[1])) continue;
        const r = ruleOf(parts[0]);
        r.histograms[parts[1]] = binsFromCumulative(
          b.buckets.map((x) => ({ le: x.upper_bound, count: x.cumulative })),
          true,
        );
        // Envoy's buckets stop at its last bound: samples above it are only in the total, which
        // this answer lacks. The filter's latencies stay far below (the shipped last bound is 60 s).
        r.recentHistograms![parts[1]] = binsFromCumulative(
          b.buckets.map((x) => ({ le: x.upper_bound, count: x.interval })),
          true,
        );
      }
    } else if ("details" in h) {
      for (const d of h.details) {
        const parts = splitName(d.name);
        if (parts === null || !HISTOGRAMS.has(parts[1])) continue;
        const r = ruleOf(parts[0]);
        r.histograms[parts[1]] = binsFromDetailed(d.totals, true);
        r.recentHistograms![parts[1]] = binsFromDetailed(d.intervals, true);
      }
    }
  }
  // Noise counters exist for every rule with a noise cluster, or for none of its Envoys.
  for (const r of rules.values()) {
    if (r.hasNoise) for (const s of NOISE_COUNTERS) r.counters[s] ??= 0;
  }
  return sortRules(rules.values());
}

/** Reads one Envoy's rules. Throws CliError (exit 2) if it cannot. */
export async function readAdmin(adminUrl: string, timeoutMs = 5000): Promise<RuleReading[]> {
  let res = await adminJson(adminUrl, "&histogram_buckets=detailed", timeoutMs);
  // An Envoy without the detailed mode refuses the parameter: ask for its buckets instead.
  if (res.status === 400) res = await adminJson(adminUrl, "&histogram_buckets=cumulative", timeoutMs);
  if (res.json === null) {
    throw new CliError(`Envoy admin ${adminUrl} answered ${res.status} to /stats: ${res.text.slice(0, 200)}`, EXIT.other);
  }
  return rulesFromAdminJson(res.json);
}

/** One or more Envoy admin endpoints, summed. */
export class AdminSource implements Source {
  readonly label: string;

  constructor(readonly urls: string[]) {
    this.label = urls.length === 1 ? `Envoy admin ${urls[0]}` : `${urls.length} Envoy admins (${urls.join(", ")})`;
  }

  async read(): Promise<StatsReading> {
    const takenAt = Date.now();
    // In parallel, so the Envoys are read at nearly the same moment.
    const parts = await Promise.all(this.urls.map((u) => readAdmin(u)));
    return { source: { kind: "admin", urls: [...this.urls] }, takenAt, rules: sumRules(parts) };
  }

  between(before: StatsReading, now: StatsReading): Promise<StatsReading> {
    return Promise.resolve(readingDelta(now, before));
  }
}

export type { Histogram };
