// Stats under the contract's exact names (section 3), taken from the filter's own table:
// present at 0 from start-up for every rule, at /stats and at /stats/prometheus with the rule
// label, moving with traffic, and the invariants.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { send } from "../support/client.js";
import { prefixRule, startStack, type Stack } from "../support/stack.js";
import { LATENCY_BUCKETS_MS, STATS_TAGS, prometheusSeries } from "../../tools/darklaunch/src/stats-config.js";
import {
  GAUGE_SUFFIXES,
  assertInvariants,
  counterSuffixes,
  prometheusText,
  ruleStats,
  settledRuleStats,
  statName,
  statsText,
  waitFor,
} from "../support/stats.js";

const RULES = ["s-one", "s-two", "s_three", "s-off"];

/**
 * A rule's stat as a /stats/prometheus series, `name{rule="...",reason="..."}`, the labels in the
 * order of the stats tags (the order Envoy prints them in).
 */
function promSeries(rule: string, suffix: string): string {
  const { name, labels } = prometheusSeries(rule, suffix);
  const text = STATS_TAGS.filter((t) => t.tag_name in labels)
    .map((t) => `${t.tag_name}="${labels[t.tag_name]}"`)
    .join(",");
  return `${name}{${text}}`;
}

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

  test("/stats/prometheus shows every counter and the gauge with its labels (rule; reason, class, part), at 0", () => {
    // What the stats tags make of each name, as computed from the regexes, is what Envoy shows.
    assert.equal(promSeries("s-one", "skipped.sampled_out"), 'darklaunch_skipped{rule="s-one",reason="sampled_out"}');
    assert.equal(promSeries("s-one", "dark.status.5xx"), 'darklaunch_dark_status{rule="s-one",class="5xx"}');
    assert.equal(promSeries("s-one", "primary.status.2xx"), 'darklaunch_primary_status{rule="s-one",class="2xx"}');
    assert.equal(promSeries("s-one", "compare.mismatch.body"), 'darklaunch_compare_mismatch{rule="s-one",part="body"}');
    assert.equal(promSeries("s-one", "noise.mismatch.body"), 'darklaunch_noise_mismatch{rule="s-one",part="body"}');
    assert.equal(promSeries("s-one", "mirrored"), 'darklaunch_mirrored{rule="s-one"}');
    for (const rule of RULES) {
      for (const suffix of counterSuffixes()) {
        const series = promSeries(rule, suffix);
        assert.ok(firstProm.includes(`\n${series} 0\n`), `${series} 0`);
        assert.ok(firstProm.includes(`# TYPE ${prometheusSeries(rule, suffix).name} counter\n`), `${series} counter`);
      }
      assert.ok(firstProm.includes(`\n${promSeries(rule, "in_flight")} 0\n`));
    }
    assert.ok(firstProm.includes("# TYPE darklaunch_in_flight gauge\n"));
    assert.ok(!firstProm.includes("wasmcustom"), "the wasmcustom. namespace leaks into Prometheus names");
    // No name part is left in a metric name: one series family per kind.
    const families = [...firstProm.matchAll(/^# TYPE (darklaunch_\S+) /gm)].map((m) => m[1]);
    assert.deepEqual(
      families.filter((f) => /_(2xx|3xx|4xx|5xx|sampled_out|disabled|body|status_status)$/.test(f!)),
      [],
    );
  });

  test("/stats/prometheus: the latency histograms on the project's buckets, labelled by rule", () => {
    for (const rule of RULES) {
      for (const name of ["darklaunch_primary_latency_ms", "darklaunch_dark_latency_ms"]) {
        const les = [...firstProm.matchAll(new RegExp(`^${name}_bucket\\{rule="${rule}",le="([^"]+)"\\} 0$`, "gm"))].map((m) => m[1]);
        assert.deepEqual(les, [...LATENCY_BUCKETS_MS.map(String), "+Inf"], `${name} of ${rule}`);
      }
    }
  });

  test("traffic moves only its rule's counters, at /stats and /stats/prometheus", async () => {
    for (let i = 0; i < 3; i++) assert.equal((await send(stack.envoy.url, { path: `/s/one/${i}` })).status, 200);
    await send(stack.envoy.url, { path: "/s/off/1" });
    const one = await waitFor(
      () => ruleStats(stack.envoy.adminUrl, "s-one"),
      (s) => s["compare.incomplete"]! + s["compare.match"]! + s["compare.mismatch.body"]! === 3,
      "s-one: 3 compared",
    );
    assert.equal(one.requests, 3);
    assert.equal(one.mirrored, 3);
    assert.equal(one["dark.status.2xx"], 3);
    assert.equal(one["primary.status.2xx"], 3);
    assert.equal(one["compare.mismatch.body"], 3, "the dark answers with its marker: a different body");
    const two = await settledRuleStats(stack.envoy.adminUrl, "s-two");
    assert.ok(
      Object.values(two).every((v) => v === 0),
      "s-two moved",
    );
    const off = await settledRuleStats(stack.envoy.adminUrl, "s-off");
    assert.equal(off["skipped.disabled"], 1);

    const prom = await prometheusText(stack.envoy.adminUrl);
    assert.match(prom, /\ndarklaunch_requests\{rule="s-one"\} 3\n/);
    assert.match(prom, /\ndarklaunch_mirrored\{rule="s-one"\} 3\n/);
    assert.match(prom, /\ndarklaunch_compare_mismatch\{rule="s-one",part="body"\} 3\n/);
    assert.match(prom, /\ndarklaunch_dark_status\{rule="s-one",class="2xx"\} 3\n/);
    assert.match(prom, /\ndarklaunch_skipped\{rule="s-off",reason="disabled"\} 1\n/);
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
