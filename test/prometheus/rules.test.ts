// The Prometheus rules: valid for promtool, passing their promtool unit tests, and reading only
// series the filter really exports (names derived from the filter's stats table), so the rules
// cannot drift from the filter.

import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { MISMATCH_PARTS, SKIP_REASONS } from "../../assembly/darklaunch/stats_names.js";
import { PROJECT_ROOT } from "../../tools/lib/envoy.js";
import {
  RULES_FILE,
  filterMetricNames,
  isAlerting,
  isRecording,
  loadRuleGroups,
  metricNamesIn,
  prometheusName,
  runTool,
  toolVersion,
} from "./promql.js";

const TEST_DIR = join(PROJECT_ROOT, "test", "prometheus");

describe("prometheus rules", () => {
  const groups = loadRuleGroups();
  const rules = groups.flatMap((g) => g.rules);
  const recorded = new Set(rules.filter(isRecording).map((r) => r.record));
  const alerts = rules.filter(isAlerting);

  test("promtool is installed", () => {
    assert.match(toolVersion("promtool"), /^promtool, version \d+\.\d+/);
  });

  test("promtool check rules accepts the rules file", () => {
    const { status, output } = runTool("promtool", ["check", "rules", RULES_FILE]);
    assert.equal(status, 0, output);
    assert.match(output, new RegExp(`SUCCESS: ${rules.length} rules found`));
  });

  test("promtool test rules passes every test file", () => {
    const files = readdirSync(TEST_DIR)
      .filter((f) => f.endsWith(".test.yml"))
      .sort();
    assert.deepEqual(files, ["alerts.test.yml", "recording.test.yml"]);
    const { status, output } = runTool("promtool", ["test", "rules", ...files.map((f) => join(TEST_DIR, f))]);
    assert.equal(status, 0, output);
    assert.equal(output.match(/SUCCESS/g)?.length, files.length, output);
  });

  test("every metric read by a rule is a filter stat or a recording rule", () => {
    const known = filterMetricNames();
    const unknown: string[] = [];
    for (const rule of rules) {
      for (const name of metricNamesIn(rule.expr)) {
        if (!known.has(name) && !recorded.has(name)) unknown.push(`${"record" in rule ? rule.record : rule.alert}: ${name}`);
      }
    }
    assert.deepEqual(unknown, []);
  });

  test("a recording rule uses only recording rules defined above it", () => {
    const seen = new Set<string>();
    for (const group of groups) {
      for (const rule of group.rules) {
        if (!isRecording(rule)) continue;
        for (const name of metricNamesIn(rule.expr)) {
          if (recorded.has(name)) assert.ok(seen.has(name), `${rule.record} reads ${name} before it is recorded`);
        }
        seen.add(rule.record);
      }
    }
  });

  test("the scanner finds metric names, and only them", () => {
    assert.deepEqual(
      metricNamesIn('histogram_quantile(0.95, sum by (rule, le) (rate(darklaunch_dark_latency_ms_bucket{rule=~"a|b"}[5m])))'),
      ["darklaunch_dark_latency_ms_bucket"],
    );
    assert.deepEqual(metricNamesIn("a:b:rate5m / ignoring (reason) group_left c_total offset 5m > bool 1e3 and on (rule) d"), [
      "a:b:rate5m",
      "c_total",
      "d",
    ]);
    assert.throws(() => metricNamesIn('rate({__name__=~"darklaunch_.+"}[5m])'), /__name__/);
  });

  test("skips, mismatches and status classes are read as labels: one series family each, kept by reason and part", () => {
    // Every skip reason is one series of darklaunch_skipped with its `reason`, every part one of
    // darklaunch_compare_mismatch with its `part` (the stats tags of the Envoy configs).
    for (const reason of SKIP_REASONS)
      assert.deepEqual(prometheusName(`skipped.${reason}`), { name: "darklaunch_skipped", labels: { reason } });
    for (const part of MISMATCH_PARTS)
      assert.deepEqual(prometheusName(`compare.mismatch.${part}`), { name: "darklaunch_compare_mismatch", labels: { part } });
    const byRecord = (record: string): string => rules.filter(isRecording).find((r) => r.record === record)!.expr;
    assert.equal(byRecord("darklaunch:skipped:rate5m"), "sum by (rule, reason) (rate(darklaunch_skipped[5m]))");
    assert.equal(byRecord("darklaunch:compare_mismatch_by_part:rate5m"), "sum by (rule, part) (rate(darklaunch_compare_mismatch[5m]))");
    assert.equal(byRecord("darklaunch:noise_mismatch_by_part:rate5m"), "sum by (rule, part) (rate(darklaunch_noise_mismatch[5m]))");
    assert.match(byRecord("darklaunch:dark_errors:rate5m"), /darklaunch_dark_status\{class="5xx"\}/);
    assert.match(byRecord("darklaunch:primary_error:ratio_rate5m"), /darklaunch_primary_status\{class="5xx"\}/);
    // No rule reads a name that still carries a reason, a class or a part.
    const old = rules
      .flatMap((r) => metricNamesIn(r.expr))
      .filter((n) => /^darklaunch_(skipped_|(dark|primary)_status_|(compare|noise)_mismatch_)/.test(n));
    assert.deepEqual(old, []);
  });

  test("the figures of the issue are recorded", () => {
    for (const name of [
      "darklaunch:mirror_coverage:ratio_rate5m",
      "darklaunch:divergence:ratio_rate5m",
      "darklaunch:dark_error:ratio_rate5m",
      "darklaunch:primary_error:ratio_rate5m",
      ...["p50", "p95", "p99"].flatMap((q) => [`darklaunch:primary_latency_ms:${q}_5m`, `darklaunch:dark_latency_ms:${q}_5m`]),
      "darklaunch:skipped:rate5m",
      "darklaunch:divergence_over_noise:ratio_rate5m",
      "darklaunch:dark_error_excess:ratio_rate5m",
      "darklaunch:dark_latency_p95:ratio_5m",
    ]) {
      assert.ok(recorded.has(name), `${name} is not recorded`);
    }
  });

  test("every alert has for, a severity, annotations naming the rule and a runbook in docs/alerts.md", () => {
    assert.deepEqual(alerts.map((a) => a.alert).sort(), [
      "DarkLaunchBreakerOpen",
      "DarkLaunchDarkErrorRateHigh",
      "DarkLaunchDarkLatencyRegression",
      "DarkLaunchDivergenceHigh",
      "DarkLaunchMirrorCoverageCollapsed",
      "DarkLaunchRuleExpired",
    ]);
    for (const a of alerts) {
      assert.match(a.for ?? "", /^\d+[smh]$/, `${a.alert}: for`);
      assert.ok(["info", "warning", "critical"].includes(a.labels?.severity ?? ""), `${a.alert}: severity`);
      for (const key of ["summary", "description"]) {
        assert.match(a.annotations?.[key] ?? "", /\{\{ \$labels\.rule \}\}/, `${a.alert}: ${key} names the rule`);
      }
      assert.equal(a.annotations?.runbook_url, `docs/alerts.md#${a.alert.toLowerCase()}`);
    }
  });
});
