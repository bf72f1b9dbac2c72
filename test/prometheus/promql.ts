// Helpers shared by the Prometheus tests: the Prometheus names of the filter's stats (derived from
// the filter's own table, never retyped), the rules file, the metric names a PromQL expression
// reads, and the Prometheus tools from the Debian package `prometheus`.

import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { GAUGE_SUFFIXES, HISTOGRAM_SUFFIXES, counterSuffixes, noiseCounterSuffixes } from "../../assembly/darklaunch/stats_names.js";
import { PROJECT_ROOT } from "../../tools/lib/envoy.js";
import { prometheusSeries } from "../../tools/darklaunch/src/stats-config.js";

export const RULES_FILE: string = join(PROJECT_ROOT, "prometheus", "darklaunch.rules.yml");
export const DASHBOARD_FILE: string = join(PROJECT_ROOT, "grafana", "dark-launch-dashboard.json");

/**
 * The Prometheus name and labels (apart from `rule`) of a stat suffix, as Envoy shows it with the
 * project's stats tags: `skipped.sampled_out` → darklaunch_skipped{reason="sampled_out"}.
 */
export function prometheusName(suffix: string): { name: string; labels: Record<string, string> } {
  const { name, labels } = prometheusSeries("r", suffix);
  delete labels.rule;
  return { name, labels };
}

/**
 * Every series name the filter's stats produce at /stats/prometheus; `noise`: with the counters
 * of rules that have a noise cluster.
 */
export function filterMetricNames(opts: { noise: boolean } = { noise: true }): Set<string> {
  const names = new Set<string>();
  for (const s of [...counterSuffixes(), ...(opts.noise ? noiseCounterSuffixes() : []), ...GAUGE_SUFFIXES])
    names.add(prometheusName(s).name);
  for (const s of HISTOGRAM_SUFFIXES) {
    for (const part of ["_bucket", "_sum", "_count"]) names.add(prometheusName(s).name + part);
  }
  return names;
}

export interface RecordingRule {
  record: string;
  expr: string;
  labels?: Record<string, string>;
}
export interface AlertingRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
export type Rule = RecordingRule | AlertingRule;
export interface RuleGroup {
  name: string;
  rules: Rule[];
}

export function loadRuleGroups(path: string = RULES_FILE): RuleGroup[] {
  const doc = parseYaml(readFileSync(path, "utf8")) as { groups: RuleGroup[] };
  return doc.groups;
}

export const isRecording = (r: Rule): r is RecordingRule => "record" in r;
export const isAlerting = (r: Rule): r is AlertingRule => "alert" in r;

// Words of PromQL that look like identifiers but are not metric names.
const PROMQL_WORDS = new Set([
  "and",
  "or",
  "unless",
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "bool",
  "offset",
  "inf",
  "nan",
]);

/**
 * The metric names an expression selects. A small scanner, enough for the rules and the
 * dashboard: strings, label matchers, ranges and grouping label lists are removed first; then
 * every identifier that is not a keyword, a number or a function name is a metric name.
 * Throws on a `__name__` matcher, which would hide the name from this check.
 */
export function metricNamesIn(expr: string): string[] {
  if (expr.includes("__name__")) throw new Error(`select metrics by name, not with __name__: ${expr}`);
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, "{}")
    .replace(/\[[^\]]*\]/g, "[]")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, "$1");
  const names: string[] = [];
  const token = /(\d+(?:\.\d+)?(?:e[+-]?\d+)?[a-z]*)|([A-Za-z_:][A-Za-z0-9_:]*)/gi;
  for (const m of stripped.matchAll(token)) {
    const word = m[2];
    if (word === undefined) continue; // a number or a duration
    if (PROMQL_WORDS.has(word.toLowerCase())) continue;
    const rest = stripped.slice(m.index! + word.length);
    if (/^\s*(\(|(by|without)\b)/.test(rest)) continue; // a function or an aggregation
    names.push(word);
  }
  return names;
}

/**
 * The vector selectors of an expression as written: `name` and its `{...}` matchers
 * ("" when it has none). Used to check that dashboard queries filter by the `rule` variable.
 */
export function selectorsIn(expr: string): { name: string; matchers: string }[] {
  const out: { name: string; matchers: string }[] = [];
  for (const name of new Set(metricNamesIn(expr))) {
    const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const re = new RegExp(`(?<![A-Za-z0-9_:])${escaped}(?![A-Za-z0-9_:])\\s*(\\{[^}]*\\})?`, "g");
    for (const m of expr.matchAll(re)) out.push({ name, matchers: m[1] ?? "" });
  }
  return out;
}

/** Runs a Prometheus tool; throws, saying what to install, when it is not on PATH. */
export function runTool(tool: "promtool" | "prometheus", args: string[]): { status: number; output: string } {
  const res = spawnSync(tool, args, { cwd: PROJECT_ROOT, encoding: "utf8", timeout: 60_000 });
  if (res.error !== undefined) {
    const code = (res.error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      throw new Error(`${tool} not found on PATH: install the Debian package \`prometheus\` (apt-get install prometheus)`);
    }
    throw res.error;
  }
  return { status: res.status ?? -1, output: `${res.stdout}${res.stderr}` };
}

/** The version line of a Prometheus tool (also proves it is installed). */
export function toolVersion(tool: "promtool" | "prometheus"): string {
  try {
    return execFileSync(tool, ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).split("\n")[0]!;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      throw new Error(`${tool} not found on PATH: install the Debian package \`prometheus\` (apt-get install prometheus)`);
    }
    throw err;
  }
}
