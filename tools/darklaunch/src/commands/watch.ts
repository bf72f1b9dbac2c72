// `darklaunch watch`: a live view of every rule over the last interval, until Ctrl-C (or
// `--iterations N` blocks). Counters are the differences between two readings, shown as rates;
// latency quantiles over Envoy's last stats flush interval (admin endpoints: histograms only
// move at those flushes) or over the interval (Prometheus). Each block also judges every rule on
// everything so far (since Envoy started, or over --window), anytime-valid, so watching does not
// make the verdict err more often. On a terminal the screen is redrawn; otherwise one block per
// interval.

import type { CliIO } from "../cli.js";
import { pause } from "../pause.js";
import { CliError, EXIT } from "../errors.js";
import { ruleFigures, type RuleFigures } from "../figures.js";
import type { Verdict } from "../judge.js";
import type { StatsReading } from "../reading.js";
import type { Source } from "../sources/source.js";
import { formatMs, formatPercent, formatRate, pair, Painter, renderTable } from "../table.js";
import { loadThresholds, type ThresholdSet } from "../thresholds.js";
import { divergenceCell, ruleReport, sourceText } from "./verdict.js";

export interface WatchOptions {
  source: Source;
  /** Thresholds of the "so far" verdict; default the built-in ones. */
  thresholdsPath?: string;
  intervalMs: number;
  /** Stop after this many blocks; null = until Ctrl-C. */
  iterations: number | null;
  json: boolean;
}

export interface WatchRule {
  rule: string;
  /** Per second over the interval. */
  rates: { requests: number; mirrored: number; skipped: Record<string, number> };
  /** Figures of the interval's traffic. */
  interval: RuleFigures;
  /** The verdict on everything so far, and its reasons. */
  verdict_so_far: Verdict;
  reasons_so_far: string[];
  /** The rule's expires_at has passed (requests counted as skipped.expired). */
  expired: boolean;
}

export interface WatchBlock {
  at: string;
  interval_s: number;
  rules: WatchRule[];
}

const CLEAR_SCREEN = "\x1b[2J\x1b[H";

/** One block: `interval` is the traffic since the last block, `soFar` everything so far. */
export function watchBlock(interval: StatsReading, soFar: StatsReading, seconds: number, thresholds: ThresholdSet): WatchBlock {
  const s = Math.max(0.001, seconds);
  const rules = soFar.rules.map((r): WatchRule => {
    const recent = interval.rules.find((x) => x.rule === r.rule);
    const latency = r.recentHistograms ?? recent?.histograms ?? {};
    const figures =
      recent === undefined ? ruleFigures({}, r.gauges, {}, r.hasNoise) : ruleFigures(recent.counters, r.gauges, latency, r.hasNoise);
    const skipped: Record<string, number> = {};
    for (const [reason, n] of Object.entries(figures.skipped)) skipped[reason] = n / s;
    const report = ruleReport(r, thresholds);
    return {
      rule: r.rule,
      rates: { requests: figures.requests / s, mirrored: figures.mirrored / s, skipped },
      interval: figures,
      verdict_so_far: report.verdict,
      reasons_so_far: report.reasons,
      expired: figures.expired > 0 || report.expired,
    };
  });
  return { at: new Date(soFar.takenAt).toISOString(), interval_s: s, rules };
}

export function renderWatchBlock(block: WatchBlock, source: string, latencyNote: string, painter: Painter): string {
  const out: string[] = [];
  out.push(
    `${painter.paint("darklaunch watch", "bold")}  ${source}  ${block.at}  (last ${block.interval_s.toFixed(1)} s; ${latencyNote}; Ctrl-C to stop)`,
  );
  out.push("");
  if (block.rules.length === 0) {
    out.push("No dark-launch rules here (no darklaunch stats).");
    return `${out.join("\n")}\n`;
  }
  const header = [
    "RULE",
    "REQ/S",
    "MIRRORED/S",
    "COVERAGE",
    "DIVERGENCE",
    "ERRORS P / D",
    "P50 ms P / D",
    "P95 ms P / D",
    "P99 ms P / D",
    "IN FLIGHT",
    "SO FAR",
  ];
  const rows = block.rules.map((r) => {
    const f = r.interval;
    return [
      r.rule,
      formatRate(r.rates.requests),
      formatRate(r.rates.mirrored),
      formatPercent(f.coverage, 1),
      divergenceCell(f),
      pair(formatPercent(f.errors.primary.rate), formatPercent(f.errors.dark.rate)),
      pair(formatMs(f.latency.primary.p50), formatMs(f.latency.dark.p50)),
      pair(formatMs(f.latency.primary.p95), formatMs(f.latency.dark.p95)),
      pair(formatMs(f.latency.primary.p99), formatMs(f.latency.dark.p99)),
      String(f.inFlight),
      painter.verdict(r.verdict_so_far) + (r.expired ? " (expired)" : ""),
    ];
  });
  out.push(renderTable(header, rows, ["left", "right", "right", "right", "right", "left", "left", "left", "left", "right", "left"]));
  const skips = block.rules
    .map((r) => {
      const parts = Object.entries(r.rates.skipped)
        .filter(([, n]) => n > 0)
        .map(([reason, n]) => `${reason} ${formatRate(n)}/s`);
      return parts.length > 0 ? `  ${r.rule}: ${parts.join(", ")}` : null;
    })
    .filter((line): line is string => line !== null);
  out.push("");
  out.push(skips.length > 0 ? `skipped:\n${skips.join("\n")}` : "skipped: none");
  const failing = block.rules.filter((r) => r.verdict_so_far === "FAIL");
  for (const r of failing) out.push(`${r.rule} FAILs: ${r.reasons_so_far.join("; ")}`);
  const expired = block.rules.filter((r) => r.expired).map((r) => r.rule);
  if (expired.length > 0) out.push(`expired (expires_at has passed, nothing mirrored): ${expired.join(", ")}`);
  return `${out.join("\n")}\n`;
}

export async function watchCommand(opts: WatchOptions, io: CliIO): Promise<number> {
  const painter = new Painter(io.colour);
  const thresholds = loadThresholds(opts.thresholdsPath);
  // The first reading is the baseline: an unreachable source fails at once (exit 2).
  let before = await opts.source.read();
  const latencyNote = before.source.kind === "admin" ? "latency over Envoy's last stats flush" : "latency over the interval";
  let blocks = 0;
  while (opts.iterations === null || blocks < opts.iterations) {
    if (!(await pause(opts.intervalMs, io.signal))) break;
    let text: string;
    try {
      const now = await opts.source.read();
      const interval = await opts.source.between(before, now);
      const block = watchBlock(interval, now, (now.takenAt - before.takenAt) / 1000, thresholds);
      before = now;
      text = opts.json ? `${JSON.stringify(block)}\n` : renderWatchBlock(block, sourceText(now.source), latencyNote, painter);
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      // The source went away (or restarts): say so and keep watching.
      text = opts.json ? `${JSON.stringify({ at: new Date().toISOString(), error: err.message })}\n` : `darklaunch watch: ${err.message}\n`;
    }
    if (io.signal.aborted) break;
    if (opts.json) io.out(text);
    else if (io.isTTY) io.out(CLEAR_SCREEN + text);
    else io.out((blocks > 0 ? "\n" : "") + text);
    blocks++;
  }
  return EXIT.ok;
}
