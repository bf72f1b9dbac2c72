// `darklaunch watch`: a live view of every rule over the last interval, until Ctrl-C (or
// `--iterations N` blocks). Counters are differences between two readings, shown as rates;
// latency quantiles are Envoy's own over its last stats flush interval (histograms only change
// when Envoy merges them). On a terminal the screen is redrawn; otherwise one block per interval.

import { setTimeout as sleep } from "node:timers/promises";
import { readStats, type StatsReading } from "../admin.js";
import type { CliIO } from "../cli.js";
import { CliError, EXIT } from "../errors.js";
import { counterDelta, ruleFigures, type RuleFigures } from "../figures.js";
import { judgeRule, type Verdict } from "../judge.js";
import { formatMs, formatPercent, formatRate, pair, Painter, renderTable } from "../table.js";
import { loadThresholds, thresholdsFor, type ThresholdSet } from "../thresholds.js";

export interface WatchOptions {
  adminUrl: string;
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
  /** Figures of the interval's traffic (latency: Envoy's last flush interval). */
  interval: RuleFigures;
  /** The verdict on everything since Envoy started. */
  verdict_so_far: Verdict;
}

export interface WatchBlock {
  at: string;
  interval_s: number;
  rules: WatchRule[];
}

const CLEAR_SCREEN = "\x1b[2J\x1b[H";

export function watchBlock(before: StatsReading, now: StatsReading, thresholds: ThresholdSet): WatchBlock {
  const seconds = Math.max(0.001, (now.takenAt - before.takenAt) / 1000);
  const rules = now.rules.map((r): WatchRule => {
    const previous = before.rules.find((b) => b.rule === r.rule);
    const delta = counterDelta(r.counters, previous?.counters);
    const interval = ruleFigures(delta, r.gauges, r.histograms, "interval");
    const sinceStart = ruleFigures(r.counters, r.gauges, r.histograms, "cumulative");
    const skipped: Record<string, number> = {};
    for (const [reason, n] of Object.entries(interval.skipped)) skipped[reason] = n / seconds;
    return {
      rule: r.rule,
      rates: { requests: interval.requests / seconds, mirrored: interval.mirrored / seconds, skipped },
      interval,
      verdict_so_far: judgeRule(r.rule, sinceStart, thresholdsFor(thresholds, r.rule)).verdict,
    };
  });
  return { at: new Date(now.takenAt).toISOString(), interval_s: seconds, rules };
}

export function renderWatchBlock(block: WatchBlock, adminUrl: string, painter: Painter): string {
  const out: string[] = [];
  out.push(
    `${painter.paint("darklaunch watch", "bold")}  Envoy admin ${adminUrl}  ${block.at}  ` +
      `(last ${block.interval_s.toFixed(1)} s; latency over Envoy's last stats flush; Ctrl-C to stop)`,
  );
  out.push("");
  if (block.rules.length === 0) {
    out.push("No dark-launch rules at this Envoy (no wasmcustom.darklaunch.* stats).");
    return out.join("\n") + "\n";
  }
  const header = ["RULE", "REQ/S", "MIRRORED/S", "COVERAGE", "DIVERGENCE", "ERRORS P / D", "P50 ms P / D", "P95 ms P / D", "P99 ms P / D", "IN FLIGHT", "SO FAR"];
  const rows = block.rules.map((r) => {
    const f = r.interval;
    return [
      r.rule,
      formatRate(r.rates.requests),
      formatRate(r.rates.mirrored),
      formatPercent(f.coverage, 1),
      formatPercent(f.divergence.rate),
      pair(formatPercent(f.errors.primary.rate), formatPercent(f.errors.dark.rate)),
      pair(formatMs(f.latency.primary.p50), formatMs(f.latency.dark.p50)),
      pair(formatMs(f.latency.primary.p95), formatMs(f.latency.dark.p95)),
      pair(formatMs(f.latency.primary.p99), formatMs(f.latency.dark.p99)),
      String(f.inFlight),
      painter.verdict(r.verdict_so_far),
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
  return out.join("\n") + "\n";
}

/** Sleeps `ms`; resolves false if Ctrl-C came first. */
async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

export async function watchCommand(opts: WatchOptions, io: CliIO): Promise<number> {
  const painter = new Painter(io.colour);
  const thresholds = loadThresholds(opts.thresholdsPath);
  // The first reading is the baseline: an unreachable admin fails at once (exit 2).
  let before = await readStats(opts.adminUrl);
  let blocks = 0;
  while (opts.iterations === null || blocks < opts.iterations) {
    if (!(await pause(opts.intervalMs, io.signal))) break;
    let text: string;
    try {
      const now = await readStats(opts.adminUrl);
      const block = watchBlock(before, now, thresholds);
      before = now;
      text = opts.json ? JSON.stringify(block) + "\n" : renderWatchBlock(block, opts.adminUrl, painter);
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      // Envoy went away (or restarts): say so and keep watching.
      text = opts.json ? JSON.stringify({ at: new Date().toISOString(), error: err.message }) + "\n" : `darklaunch watch: ${err.message}\n`;
    }
    if (io.signal.aborted) break;
    if (opts.json) io.out(text);
    else if (io.isTTY) io.out(CLEAR_SCREEN + text);
    else io.out((blocks > 0 ? "\n" : "") + text);
    blocks++;
  }
  return EXIT.ok;
}
