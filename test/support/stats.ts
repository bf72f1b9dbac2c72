// Envoy admin stats for the tests: raw reads, a rule's counters by their contract names (taken
// from the filter's own table, assembly/darklaunch/stats_names.ts), polling, and the contract's
// invariants.
//
// The filter hands its counters and its in_flight gauge to Envoy at each worker's tick
// (STATS_FLUSH_PERIOD_MS), so a read right after a request may not show it yet: poll for what
// must move (waitForRuleStats), or read once the stats have settled (settledRuleStats:
// unchanged for several flush periods), as assertInvariants does.

import assert from "node:assert/strict";
import { getText } from "../../tools/lib/envoy.js";
import { brokenInvariants, darkCallsEnded } from "../../tools/lib/invariants.js";
import {
  ENVOY_CUSTOM_PREFIX,
  GAUGE_SUFFIXES,
  MISMATCH_PARTS,
  SKIP_REASONS,
  STATUS_CLASSES,
  counterSuffixes,
  noiseCounterSuffixes,
  ruleStatName,
  STATS_FLUSH_PERIOD_MS,
} from "../../assembly/darklaunch/stats_names.js";

export { counterSuffixes, GAUGE_SUFFIXES, MISMATCH_PARTS, SKIP_REASONS, STATUS_CLASSES };

/** A stat's full name at `/stats`: `wasmcustom.darklaunch.<rule>.<suffix>`. */
export function statName(rule: string, suffix: string): string {
  return ENVOY_CUSTOM_PREFIX + ruleStatName(rule, suffix);
}

async function adminGet(adminUrl: string, path: string): Promise<string> {
  const res = await getText(adminUrl + path);
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${res.text.slice(0, 200)}`);
  return res.text;
}

/** `/stats` as text (`name: value` lines). */
export function statsText(adminUrl: string): Promise<string> {
  return adminGet(adminUrl, "/stats");
}

/** `/stats/prometheus` as text. */
export function prometheusText(adminUrl: string): Promise<string> {
  return adminGet(adminUrl, "/stats/prometheus");
}

/** Every counter and gauge at `/stats?format=json`, by full name. */
export async function statsValues(adminUrl: string): Promise<Map<string, number>> {
  const body = JSON.parse(await adminGet(adminUrl, "/stats?format=json")) as {
    stats: ({ name: string; value: number } | { histograms: unknown })[];
  };
  const out = new Map<string, number>();
  for (const s of body.stats) if ("name" in s) out.set(s.name, s.value);
  return out;
}

/** A rule's counters and its in_flight gauge, by suffix (`requests`, `skipped.method`, ...). */
export type RuleStats = Record<string, number>;

/** Every counter of `rule` (and `in_flight`) by suffix; a stat Envoy does not show is an error. */
export async function ruleStats(adminUrl: string, rule: string): Promise<RuleStats> {
  const values = await statsValues(adminUrl);
  const out: RuleStats = {};
  const missing: string[] = [];
  for (const suffix of [...counterSuffixes(), ...GAUGE_SUFFIXES]) {
    const v = values.get(statName(rule, suffix));
    if (v === undefined) missing.push(statName(rule, suffix));
    else out[suffix] = v;
  }
  if (missing.length > 0) throw new Error(`stats missing at /stats: ${missing.join(", ")}`);
  // The noise counters exist only for rules with a noise cluster: all of them, or none.
  const noise = noiseCounterSuffixes().map((suffix) => [suffix, values.get(statName(rule, suffix))] as const);
  const present = noise.filter(([, v]) => v !== undefined);
  if (present.length > 0 && present.length < noise.length) throw new Error(`${rule}: only some noise counters at /stats`);
  for (const [suffix, v] of present) out[suffix] = v!;
  return out;
}

/**
 * Every dark call counted as mirrored has also been counted as ended (a status class, failed or
 * timed out): no call of the rule is in flight, as far as the flushed counters tell.
 */
export function allCallsEnded(s: RuleStats): boolean {
  return darkCallsEnded((k) => s[k] ?? 0) === s.mirrored;
}

/** Counters that are not 0, for messages. */
export function nonZero(stats: RuleStats): RuleStats {
  return Object.fromEntries(Object.entries(stats).filter(([, v]) => v !== 0));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `read` until `pred` holds; rejects after `timeoutMs` with the last value seen. */
export async function waitFor<T>(
  read: () => Promise<T>,
  pred: (v: T) => boolean,
  what: string,
  timeoutMs = 10000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await read();
  while (!pred(last)) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(last)}`);
    }
    await sleep(intervalMs);
    last = await read();
  }
  return last;
}

/** Polls a rule's stats until `pred` holds. */
export function waitForRuleStats(
  adminUrl: string,
  rule: string,
  pred: (s: RuleStats) => boolean,
  what: string,
  timeoutMs = 10000,
): Promise<RuleStats> {
  return waitFor(() => ruleStats(adminUrl, rule), pred, `${rule}: ${what}`, timeoutMs);
}

/**
 * How long the stats must stay unchanged to count as settled: every worker's tick falls in such a
 * window (with room for a busy machine delaying Envoy's timers), so nothing counted before it
 * starts is still waiting in a worker's memory.
 */
export const SETTLE_MS = Math.max(1000, 4 * STATS_FLUSH_PERIOD_MS);

/**
 * Reads `read` until what `key` makes of the reads has not changed for `SETTLE_MS` (every read in
 * between equal), and resolves with the last read; rejects after `timeoutMs`.
 */
export async function settled<T>(read: () => Promise<T>, key: (v: T) => string, what: string, timeoutMs = 15000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await read();
  let lastKey = key(last);
  let since = Date.now();
  while (Date.now() - since < SETTLE_MS) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} to settle; last: ${lastKey.slice(0, 500)}`);
    await sleep(100);
    const next = await read();
    const nextKey = key(next);
    if (nextKey !== lastKey) since = Date.now();
    last = next;
    lastKey = nextKey;
  }
  return last;
}

/** A rule's stats once they have settled (nothing counted is still waiting for a flush). */
export function settledRuleStats(adminUrl: string, rule: string, timeoutMs = 15000): Promise<RuleStats> {
  return settled(
    () => ruleStats(adminUrl, rule),
    (s) => JSON.stringify(s),
    `${rule}: stats`,
    timeoutMs,
  );
}

/** Every counter and gauge, once the filter's (`wasmcustom.*`) have settled. */
export function settledStatsValues(adminUrl: string, timeoutMs = 15000): Promise<Map<string, number>> {
  const filterStats = (m: Map<string, number>): string => JSON.stringify([...m].filter(([k]) => k.startsWith(ENVOY_CUSTOM_PREFIX)));
  return settled(() => statsValues(adminUrl), filterStats, "the filter's stats", timeoutMs);
}

function invariantProblems(s: RuleStats, compare: boolean): string[] {
  return brokenInvariants((suffix) => s[suffix] ?? 0, compare, "noise.match" in s);
}

/**
 * The contract's invariants for `rule` once traffic has stopped: waits until the stats have
 * settled (unchanged for SETTLE_MS: every worker has flushed since) with `in_flight` at 0 (dark
 * calls finished or timed out), and asserts
 *   requests = mirrored + Σ skipped.*
 *   mirrored = Σ dark.status.* + dark.failed + dark.timeout
 *   with comparison on: mirrored = compare.match + Σ compare.mismatch.* + compare.incomplete
 *   with a noise cluster: mirrored = noise.match + Σ noise.mismatch.* + noise.incomplete
 * Resolves with the final counters.
 */
export async function assertInvariants(
  adminUrl: string,
  rule: string,
  opts: { compare?: boolean; timeoutMs?: number } = {},
): Promise<RuleStats> {
  const compare = opts.compare ?? true;
  const timeoutMs = opts.timeoutMs ?? 10000;
  const deadline = Date.now() + timeoutMs + SETTLE_MS;
  let last = await settledRuleStats(adminUrl, rule, deadline - Date.now());
  // Settled with calls still in flight (a dark side slower than the settle window): wait for them.
  while ((last.in_flight !== 0 || invariantProblems(last, compare).length > 0) && Date.now() < deadline) {
    await sleep(100);
    last = await settledRuleStats(adminUrl, rule, Math.max(deadline - Date.now(), SETTLE_MS + 500));
  }
  assert.equal(last.in_flight, 0, `${rule}: dark calls still in flight: ${JSON.stringify(nonZero(last))}`);
  assert.deepEqual(invariantProblems(last, compare), [], `${rule}: invariants broken; counters: ${JSON.stringify(nonZero(last))}`);
  return last;
}
