// `darklaunch verdict`: reads the source once and judges every rule.
// Exit code: 0 every rule PASS, 1 any rule FAIL, 2 otherwise (NOT ENOUGH DATA, no rules, source
// unreachable).

import type { CliIO } from "../cli.js";
import { CliError, EXIT } from "../errors.js";
import { ruleFigures, type RuleFigures } from "../figures.js";
import { judgeRule, overallVerdict, type RuleVerdict, type Verdict } from "../judge.js";
import type { SourceInfo, StatsReading } from "../reading.js";
import type { Source } from "../sources/source.js";
import { formatMs, formatPercent, pair, Painter, renderTable } from "../table.js";
import { loadThresholds, thresholdsFor, type ThresholdSet, type Thresholds } from "../thresholds.js";

export interface VerdictOptions {
  source: Source;
  thresholdsPath?: string;
  /** Judge only these rules (all when empty). */
  rules: string[];
  json: boolean;
}

export interface RuleReport {
  rule: string;
  verdict: Verdict;
  reasons: string[];
  checks: RuleVerdict["checks"];
  /** The rule's `expires_at` has passed (its requests count as skipped.expired). */
  expired: boolean;
  figures: RuleFigures;
  thresholds: Thresholds;
}

/** The machine document `--json` prints. */
export interface VerdictDocument {
  verdict: Verdict;
  exit_code: number;
  source: SourceInfo;
  taken_at: string;
  thresholds_file: string | null;
  rules: RuleReport[];
}

/** The verdict of one rule of a reading. */
export function ruleReport(r: StatsReading["rules"][number], thresholds: ThresholdSet): RuleReport {
  const figures = ruleFigures(r.counters, r.gauges, r.histograms, r.hasNoise);
  const t = thresholdsFor(thresholds, r.rule);
  const v = judgeRule(r.rule, figures, r.histograms, t);
  return { rule: r.rule, verdict: v.verdict, reasons: v.reasons, checks: v.checks, expired: figures.expired > 0, figures, thresholds: t };
}

/** Where the source is, in words. */
export function sourceText(source: SourceInfo): string {
  if (source.kind === "admin")
    return source.urls.length === 1 ? `Envoy admin ${source.urls[0]}` : `Envoy admin × ${source.urls.length} (${source.urls.join(", ")})`;
  return `Prometheus ${source.url}, increase over ${source.window}${source.selector !== null ? ` of ${source.selector}` : ""}`;
}

/** Judges every rule of a reading (or those named in `only`). */
export function judgeReading(reading: StatsReading, thresholds: ThresholdSet, only: string[] = []): VerdictDocument {
  const missing = only.filter((name) => !reading.rules.some((r) => r.rule === name));
  if (missing.length > 0) {
    const known = reading.rules.map((r) => r.rule).join(", ") || "none";
    throw new CliError(`no stats for rule(s) ${missing.join(", ")} at ${sourceText(reading.source)} (rules there: ${known})`, EXIT.other);
  }
  const rules = reading.rules.filter((r) => only.length === 0 || only.includes(r.rule)).map((r) => ruleReport(r, thresholds));
  const overall = overallVerdict(rules);
  return {
    verdict: overall.verdict,
    exit_code: overall.exitCode,
    source: reading.source,
    taken_at: new Date(reading.takenAt).toISOString(),
    thresholds_file: thresholds.source,
    rules,
  };
}

const CHECK_LABELS: Record<string, string> = {
  divergence: "divergence",
  error_rate: "error rate",
  latency_p95: "latency p95",
};

/** Divergence for a table (verdict, watch): the dark rate, and the noise rate beside it when the rule has a noise cluster. */
export function divergenceCell(f: RuleFigures): string {
  const d = f.divergence;
  if (d.rate === null) return "-";
  if (d.noise === null || d.noise.rate === null) return formatPercent(d.rate);
  return `${formatPercent(d.rate)} (noise ${formatPercent(d.noise.rate)})`;
}

/** The report for people: one table row per rule, then each rule's checks and skips. */
export function renderVerdict(doc: VerdictDocument, painter: Painter): string {
  const out: string[] = [];
  out.push(`${painter.paint("darklaunch verdict", "bold")}  ${sourceText(doc.source)}  ${doc.taken_at}`);
  out.push("");
  if (doc.rules.length === 0) {
    out.push(
      doc.source.kind === "admin"
        ? "No dark-launch rules at this Envoy (no wasmcustom.darklaunch.* stats): is the filter loaded?"
        : "No dark-launch series in Prometheus (no darklaunch_* series with a rule label): are the Envoys scraped, with the project's stats_tags?",
    );
    out.push("");
  } else {
    const header = [
      "RULE",
      "VERDICT",
      "REQUESTS",
      "MIRRORED",
      "COVERAGE",
      "DIVERGENCE",
      "ERRORS P / D",
      "P50 ms P / D",
      "P95 ms P / D",
      "P99 ms P / D",
    ];
    const rows = doc.rules.map((r) => {
      const f = r.figures;
      const lp = f.latency.primary;
      const ld = f.latency.dark;
      return [
        r.rule,
        painter.verdict(r.verdict) + (r.expired ? " (expired)" : ""),
        String(f.requests),
        String(f.mirrored),
        formatPercent(f.coverage, 1),
        divergenceCell(f),
        pair(formatPercent(f.errors.primary.rate), formatPercent(f.errors.dark.rate)),
        pair(formatMs(lp.p50), formatMs(ld.p50)),
        pair(formatMs(lp.p95), formatMs(ld.p95)),
        pair(formatMs(lp.p99), formatMs(ld.p99)),
      ];
    });
    out.push(renderTable(header, rows, ["left", "left", "right", "right", "right", "left", "left", "left", "left", "left"]));
    out.push("");
    for (const r of doc.rules) {
      out.push(`${painter.paint(r.rule, "bold")}: ${painter.verdict(r.verdict)}`);
      for (const c of r.checks) out.push(`  ${CHECK_LABELS[c.check]!.padEnd(12)} ${painter.verdict(c.verdict)}  ${c.reason}`);
      if (r.checks.length === 0) out.push("  (every check is turned off in the thresholds)");
      const f = r.figures;
      const skips = Object.entries(f.skipped).filter(([, n]) => n > 0);
      out.push(`  ${"skipped".padEnd(12)} ${skips.length === 0 ? "none" : skips.map(([reason, n]) => `${reason} ${n}`).join(", ")}`);
      if (r.expired) out.push(`  ${"expired".padEnd(12)} its expires_at has passed: ${f.expired} requests not mirrored since`);
      if (f.divergence.incomplete > 0 || f.inFlight > 0) {
        out.push(`  ${"".padEnd(12)} incomplete pairs ${f.divergence.incomplete}, dark calls in flight ${f.inFlight}`);
      }
      out.push("");
    }
  }
  const counts = (["PASS", "FAIL", "NOT_ENOUGH_DATA"] as const)
    .map((v) => [v, doc.rules.filter((r) => r.verdict === v).length] as const)
    .filter(([, n]) => n > 0)
    .map(([v, n]) => `${n} ${painter.verdict(v)}`);
  out.push(`verdict: ${painter.verdict(doc.verdict)}${counts.length > 0 ? ` (${counts.join(", ")})` : ""}, exit code ${doc.exit_code}`);
  return `${out.join("\n")}\n`;
}

export async function verdictCommand(opts: VerdictOptions, io: CliIO): Promise<number> {
  const thresholds = loadThresholds(opts.thresholdsPath);
  const reading = await opts.source.read();
  const doc = judgeReading(reading, thresholds, opts.rules);
  for (const name of Object.keys(thresholds.rules)) {
    if (!reading.rules.some((r) => r.rule === name))
      io.err(`darklaunch: note: thresholds for rule "${name}", which ${sourceText(reading.source)} does not have\n`);
  }
  if (opts.json) io.out(`${JSON.stringify(doc, null, 2)}\n`);
  else io.out(renderVerdict(doc, new Painter(io.colour)));
  return doc.exit_code;
}
