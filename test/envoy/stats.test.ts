// Stats under the contract's exact names (section 3), taken from the filter's own table:
// present at 0 from start-up for every rule, at /stats and at /stats/prometheus with the rule
// label, moving with traffic, and the invariants.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { send } from "../support/client.js";
import { prefixRule, startStack, type Stack } from "../support/stack.js";
import {
  GAUGE_SUFFIXES,
  assertInvariants,
  counterSuffixes,
  prometheusText,
  ruleStats,
  statName,
  statsText,
  waitFor,
} from "../support/stats.js";

const RULES = ["s-one", "s-two", "s_three", "s-off"];

/** The Prometheus name of a suffix: `darklaunch_` + suffix with dots as underscores. */
const promName = (suffix: string): string => "darklaunch_" + suffix.replace(/\./g, "_");

/** `name: value` lines of /stats as a map. */
function parseStatsText(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const i = line.indexOf(": ");
    if (i > 0) out.set(line.slice(0, i), line.slice(i + 2));
  }
  return out;
}

describe("stats", () => {
  let stack: Stack;
  let firstStats: string;
  let firstProm: string;
  before(async () => {
    stack = await startStack({
      bootstrap: { statsFlushIntervalMs: 200 },
      filterConfig: {
        rules: [
          prefixRule("s-one", "/s/one"),
          prefixRule("s-two", "/s/two"),
          prefixRule("s_three", "/s/three"),
          prefixRule("s-off", "/s/off", { enabled: false }),
        ],
      },
    });
    // Read before any traffic.
    firstStats = await statsText(stack.envoy.adminUrl);
    firstProm = await prometheusText(stack.envoy.adminUrl);
  });
  after(() => stack?.stop());

  test("every counter and the in_flight gauge of every rule are at /stats at 0 before any traffic", () => {
    const stats = parseStatsText(firstStats);
    for (const rule of RULES) {
      for (const suffix of [...counterSuffixes(), ...GAUGE_SUFFIXES]) {
        assert.equal(stats.get(statName(rule, suffix)), "0", statName(rule, suffix));
      }
    }
    assert.equal(counterSuffixes().length, 29, "the contract's 29 counters per rule (noise counters apart)");
  });

  test("the latency histograms of every rule are declared at /stats", () => {
    const stats = parseStatsText(firstStats);
    for (const rule of RULES) {
      for (const suffix of ["primary.latency_ms", "dark.latency_ms"]) {
        assert.ok(stats.has(statName(rule, suffix)), statName(rule, suffix));
      }
    }
  });

  test("/stats/prometheus shows every counter and the gauge with a rule label (no wasmcustom prefix), at 0", () => {
    for (const rule of RULES) {
      for (const suffix of counterSuffixes()) {
        assert.ok(firstProm.includes(`\n${promName(suffix)}{rule="${rule}"} 0\n`), `${promName(suffix)}{rule="${rule}"} 0`);
        assert.ok(firstProm.includes(`# TYPE ${promName(suffix)} counter\n`), `${promName(suffix)} counter`);
      }
      assert.ok(firstProm.includes(`\ndarklaunch_in_flight{rule="${rule}"} 0\n`));
    }
    assert.ok(firstProm.includes("# TYPE darklaunch_in_flight gauge\n"));
    assert.ok(!firstProm.includes("wasmcustom"), "the wasmcustom. namespace leaks into Prometheus names");
  });

  test("traffic moves only its rule's counters, at /stats and /stats/prometheus", async () => {
    for (let i = 0; i < 3; i++) assert.equal((await send(stack.envoy.url, { path: `/s/one/${i}` })).status, 200);
    await send(stack.envoy.url, { path: "/s/off/1" });
    const one = await waitFor(() => ruleStats(stack.envoy.adminUrl, "s-one"), (s) => s["compare.incomplete"]! + s["compare.match"]! + s["compare.mismatch.body"]! === 3, "s-one: 3 compared");
    assert.equal(one["requests"], 3);
    assert.equal(one["mirrored"], 3);
    assert.equal(one["dark.status.2xx"], 3);
    assert.equal(one["primary.status.2xx"], 3);
    assert.equal(one["compare.mismatch.body"], 3, "the dark answers with its marker: a different body");
    const two = await ruleStats(stack.envoy.adminUrl, "s-two");
    assert.ok(Object.values(two).every((v) => v === 0), "s-two moved");
    const off = await ruleStats(stack.envoy.adminUrl, "s-off");
    assert.equal(off["skipped.disabled"], 1);

    const prom = await prometheusText(stack.envoy.adminUrl);
    assert.match(prom, /\ndarklaunch_requests\{rule="s-one"\} 3\n/);
    assert.match(prom, /\ndarklaunch_mirrored\{rule="s-one"\} 3\n/);
    assert.match(prom, /\ndarklaunch_compare_mismatch_body\{rule="s-one"\} 3\n/);
    assert.match(prom, /\ndarklaunch_skipped_disabled\{rule="s-off"\} 1\n/);
    assert.match(prom, /\ndarklaunch_mirrored\{rule="s-two"\} 0\n/);
  });

  test("latency histograms record mirrored requests (primary and dark), with the rule label", async () => {
    const prom = await waitFor(
      () => prometheusText(stack.envoy.adminUrl),
      (p) =>
        /\ndarklaunch_primary_latency_ms_count\{rule="s-one"\} 3\n/.test(p) &&
        /\ndarklaunch_dark_latency_ms_count\{rule="s-one"\} 3\n/.test(p),
      "latency histogram counts of s-one = 3",
    );
    assert.match(prom, /# TYPE darklaunch_primary_latency_ms histogram\n/);
    assert.doesNotMatch(prom, /\ndarklaunch_primary_latency_ms_count\{rule="s-two"\} [1-9]/);
  });

  test("invariants for every rule", async () => {
    for (const rule of RULES) await assertInvariants(stack.envoy.adminUrl, rule);
  });
});
