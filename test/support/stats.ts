// Envoy admin stats for the tests: raw reads, a rule's counters by their contract names (taken
// from the filter's own table, assembly/darklaunch/stats_names.ts), polling, and the contract's
// three invariants.

import assert from "node:assert/strict";
import { getText } from "../../tools/lib/envoy.js";
import { brokenInvariants } from "../../tools/lib/invariants.js";
import {
  ENVOY_CUSTOM_PREFIX,
  GAUGE_SUFFIXES,
  MISMATCH_PARTS,
  SKIP_REASONS,
  STATUS_CLASSES,
  counterSuffixes,
  noiseCounterSuffixes,
  ruleStatName,
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

function invariantProblems(s: RuleStats, compare: boolean): string[] {
  return brokenInvariants((suffix) => s[suffix] ?? 0, compare, "noise.match" in s);
}

/**
 * The contract's invariants for `rule` once traffic has stopped: waits until `in_flight` is 0
 * (dark calls finished or timed out), then until the counters settle, and asserts
 *   requests = mirrored + Σ skipped.*
 *   mirrored = Σ dark.status.* + dark.failed + dark.timeout
 *   with comparison on: mirrored = compare.match + Σ compare.mismatch.* + compare.incomplete
 * Resolves with the final counters.
 */
export async function assertInvariants(
  adminUrl: string,
  rule: string,
  opts: { compare?: boolean; timeoutMs?: number } = {},
): Promise<RuleStats> {
  const compare = opts.compare ?? true;
  const timeoutMs = opts.timeoutMs ?? 10000;
  await waitForRuleStats(adminUrl, rule, (s) => s["in_flight"] === 0, "in_flight = 0", timeoutMs);
  // Counting after the last response may trail the gauge by a moment: allow a short settle.
  let last = await ruleStats(adminUrl, rule);
  const deadline = Date.now() + 2000;
  while (invariantProblems(last, compare).length > 0 && Date.now() < deadline) {
    await sleep(50);
    last = await ruleStats(adminUrl, rule);
  }
  assert.equal(last["in_flight"], 0, `${rule}: in_flight back above 0: ${JSON.stringify(nonZero(last))}`);
  assert.deepEqual(invariantProblems(last, compare), [], `${rule}: invariants broken; counters: ${JSON.stringify(nonZero(last))}`);
  return last;
}
