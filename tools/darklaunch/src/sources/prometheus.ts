// Figures from a Prometheus server (or anything speaking its HTTP query API: Thanos, Mimir,
// VictoriaMetrics) that scrapes every Envoy of the fleet: the increase of each counter and
// latency bucket over the window, summed over every series matching the selector.
//
// Why the increase is computed here and not with PromQL's increase(): increase() extrapolates
// to the window's edges, so its counts are not whole numbers of requests and are inflated by up
// to one scrape interval's worth (a quarter on a one-minute window of 15 s scrapes). The verdict
// treats counts as events; inflated counts would make it overconfident. So the raw samples of
// each series are read (one instant query of a range selector per group of metrics), and the
// increase is the sum of the series' steps inside the window, counting a drop as a restart from 0
// (as increase() does), from the last sample before the window, or from 0 for a series that
// first appears inside it (an Envoy started during the window: the filter's counters start at 0).

import { GAUGE_SUFFIXES, HISTOGRAM_SUFFIXES, counterSuffixes, noiseCounterSuffixes } from "../../../../assembly/darklaunch/stats_names.js";
import { CliError, EXIT, UsageError } from "../errors.js";
import { binsFromCumulative } from "../histogram.js";
import { getText } from "../http.js";
import { emptyRule, sortRules, type RuleReading, type StatsReading } from "../reading.js";
import { prometheusSeries } from "../stats-config.js";
import type { Source } from "./source.js";

/** How far before the window a baseline sample is looked for (Prometheus' own lookback). */
const LOOKBACK_S = 300;

/** Prometheus durations: 30m, 1h30m, 90s, 2d, 500ms. */
export function parseDuration(text: string, flag = "--window"): number {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)/y;
  const unit: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };
  let seconds = 0;
  let at = 0;
  while (at < text.length) {
    re.lastIndex = at;
    const m = re.exec(text);
    if (m === null) throw new UsageError(`${flag} ${JSON.stringify(text)} is not a duration (e.g. 30m, 1h, 90s)`);
    seconds += Number(m[1]) * unit[m[2]!]!;
    at = re.lastIndex;
  }
  if (text.length === 0 || seconds <= 0) throw new UsageError(`${flag} ${JSON.stringify(text)} is not a duration > 0 (e.g. 30m, 1h, 90s)`);
  return seconds;
}

/** The matchers inside a `{...}` selector (checked lightly here; Prometheus checks the rest). */
export function selectorMatchers(selector: string | null): string {
  if (selector === null) return "";
  const s = selector.trim();
  if (!s.startsWith("{") || !s.endsWith("}")) {
    throw new UsageError(`--selector ${JSON.stringify(selector)} must be a PromQL label matcher set, e.g. '{namespace="shop"}'`);
  }
  if (/__name__/.test(s)) throw new UsageError("--selector must not match on __name__: the metric names are the filter's");
  return s.slice(1, -1).trim();
}

export function normalisePrometheusUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--prometheus ${JSON.stringify(text)} is not a URL (expected e.g. http://prometheus:9090)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`--prometheus ${JSON.stringify(text)}: only http:// and https:// are supported`);
  }
  return url.toString().replace(/\/+$/, "");
}

interface MatrixSeries {
  metric: Record<string, string>;
  values: [number, string][];
}

/** What a series of each Prometheus name and non-rule labels is, for the filter's stats. */
interface SeriesKind {
  kind: "counter" | "noise" | "gauge" | "bucket";
  suffix: string;
}

const KINDS: Map<string, SeriesKind> = (() => {
  const out = new Map<string, SeriesKind>();
  const add = (suffix: string, kind: SeriesKind["kind"], nameEnd = ""): void => {
    // Any rule name gives the same name and labels apart from `rule`.
    const { name, labels } = prometheusSeries("r", suffix);
    delete labels.rule;
    out.set(seriesKey(name + nameEnd, labels), { kind, suffix });
  };
  for (const s of counterSuffixes()) add(s, "counter");
  for (const s of noiseCounterSuffixes()) add(s, "noise");
  for (const s of GAUGE_SUFFIXES) add(s, "gauge");
  for (const s of HISTOGRAM_SUFFIXES) add(s, "bucket", "_bucket");
  return out;
})();

function seriesKey(name: string, labels: Record<string, string>): string {
  return `${name}{${Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(",")}}`;
}

/** The metric names of each query: counters and gauges in one, each histogram's buckets in its own. */
const QUERY_GROUPS: string[][] = (() => {
  const plain = new Set<string>();
  const buckets: string[] = [];
  for (const [key, kind] of KINDS) {
    const name = key.slice(0, key.indexOf("{"));
    if (kind.kind === "bucket") buckets.push(name);
    else plain.add(name);
  }
  return [[...plain].sort(), ...buckets.map((b) => [b])];
})();

/** Label names that say which Envoy a series is from are kept apart; only these are the filter's. */
const FILTER_LABELS = new Set(["rule", "reason", "class", "part", "le", "__name__"]);

/**
 * The increase of one counter series over (from, to]: its steps inside the window from the last
 * sample at or before `from` (or from 0 when it has none: it began inside the window), a drop
 * counting as a restart from 0.
 */
export function seriesIncrease(values: [number, number][], from: number): number {
  let previous: number | null = null;
  let total = 0;
  for (const [t, v] of values) {
    if (t <= from) {
      previous = v;
      continue;
    }
    if (previous === null) total += v;
    else total += v >= previous ? v - previous : v;
    previous = v;
  }
  return total;
}

export class PrometheusSource implements Source {
  readonly label: string;
  private readonly windowS: number;
  private readonly matchers: string;

  constructor(
    readonly url: string,
    readonly window: string,
    readonly selector: string | null,
    private readonly timeoutMs = 30000,
  ) {
    this.windowS = parseDuration(window);
    this.matchers = selectorMatchers(selector);
    this.label = `Prometheus ${url}, increase over ${window}${selector !== null ? ` of ${selector}` : ""}`;
  }

  read(): Promise<StatsReading> {
    const to = Date.now() / 1000;
    return this.readSpan(to - this.windowS, to, this.window);
  }

  between(before: StatsReading, now: StatsReading): Promise<StatsReading> {
    const from = before.takenAt / 1000;
    const to = now.takenAt / 1000;
    return this.readSpan(
      from,
      to,
      `${Math.max(0.001, to - from)
        .toFixed(3)
        .replace(/\.?0+$/, "")}s`,
    );
  }

  /** Every rule's figures over (from, to], in seconds since the epoch. */
  async readSpan(from: number, to: number, windowText: string): Promise<StatsReading> {
    const range = Math.ceil(to - from + LOOKBACK_S);
    const results = await Promise.all(
      QUERY_GROUPS.map((names) => {
        const nameMatcher = names.length === 1 ? `__name__="${names[0]}"` : `__name__=~"${names.join("|")}"`;
        const selector = `{${[nameMatcher, this.matchers].filter((m) => m !== "").join(", ")}}[${range}s]`;
        return this.queryMatrix(selector, to);
      }),
    );
    const rules = new Map<string, RuleReading>();
    const buckets = new Map<string, Map<number, number>>(); // rule|suffix → le → increase
    for (const series of results.flat()) {
      const labels: Record<string, string> = {};
      for (const [k, v] of Object.entries(series.metric))
        if (FILTER_LABELS.has(k) && k !== "__name__" && k !== "rule" && k !== "le") labels[k] = v;
      const name = series.metric.__name__ ?? "";
      const kind = KINDS.get(seriesKey(name, labels));
      const rule = series.metric.rule;
      if (kind === undefined || rule === undefined) continue;
      let r = rules.get(rule);
      if (r === undefined) {
        r = emptyRule(rule, false);
        rules.set(rule, r);
      }
      const values = series.values.map(([t, v]): [number, number] => [t, Number(v)]);
      if (kind.kind === "gauge") {
        // The last value, if recent; summed over the Envoys.
        const last = values.at(-1);
        if (last !== undefined && last[0] > to - LOOKBACK_S) r.gauges[kind.suffix] = (r.gauges[kind.suffix] ?? 0) + last[1];
        continue;
      }
      const increase = seriesIncrease(values, from);
      if (kind.kind === "bucket") {
        const le = Number(series.metric.le === "+Inf" ? Infinity : series.metric.le);
        if (Number.isNaN(le)) continue;
        const key = `${rule}|${kind.suffix}`;
        let byLe = buckets.get(key);
        if (byLe === undefined) {
          byLe = new Map();
          buckets.set(key, byLe);
        }
        byLe.set(le, (byLe.get(le) ?? 0) + increase);
        continue;
      }
      if (kind.kind === "noise") r.hasNoise = true;
      r.counters[kind.suffix] = (r.counters[kind.suffix] ?? 0) + increase;
    }
    for (const [key, byLe] of buckets) {
      const [rule, suffix] = key.split("|") as [string, string];
      try {
        rules.get(rule)!.histograms[suffix] = binsFromCumulative(
          [...byLe].map(([le, count]) => ({ le, count })),
          true,
        );
      } catch (err) {
        throw new CliError(`Prometheus ${this.url}: ${suffix} of rule ${rule}: ${(err as Error).message}`, EXIT.other);
      }
    }
    for (const r of rules.values()) if (r.hasNoise) for (const s of noiseCounterSuffixes()) r.counters[s] ??= 0;
    return {
      source: {
        kind: "prometheus",
        url: this.url,
        window: windowText,
        selector: this.selector,
        from: new Date(from * 1000).toISOString(),
        to: new Date(to * 1000).toISOString(),
      },
      takenAt: Math.round(to * 1000),
      rules: sortRules(rules.values()),
    };
  }

  private async queryMatrix(selector: string, time: number): Promise<MatrixSeries[]> {
    const url = `${this.url}/api/v1/query?query=${encodeURIComponent(selector)}&time=${time.toFixed(3)}`;
    let res: { status: number; text: string };
    try {
      res = await getText(url, this.timeoutMs);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new CliError(`cannot reach Prometheus at ${this.url}: ${code ?? (err as Error).message}`, EXIT.other);
    }
    let body: { status?: string; error?: string; data?: { resultType: string; result: MatrixSeries[] } };
    try {
      body = JSON.parse(res.text) as typeof body;
    } catch {
      throw new CliError(`Prometheus ${this.url} answered ${res.status} without JSON: ${res.text.slice(0, 200)}`, EXIT.other);
    }
    if (res.status !== 200 || body.status !== "success" || body.data === undefined) {
      throw new CliError(`Prometheus ${this.url} refused the query ${selector}: ${body.error ?? `HTTP ${res.status}`}`, EXIT.other);
    }
    if (body.data.resultType !== "matrix")
      throw new CliError(`Prometheus ${this.url}: expected a matrix for ${selector}, got ${body.data.resultType}`, EXIT.other);
    return body.data.result;
  }
}
