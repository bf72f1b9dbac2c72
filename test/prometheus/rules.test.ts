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
    const files = readdirSync(TEST_DIR).filter((f) => f.endsWith(".test.yml")).sort();
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
    assert.deepEqual(
      metricNamesIn("a:b:rate5m / ignoring (reason) group_left c_total offset 5m > bool 1e3 and on (rule) d"),
      ["a:b:rate5m", "c_total", "d"],
    );
    assert.throws(() => metricNamesIn('rate({__name__=~"darklaunch_.+"}[5m])'), /__name__/);
  });

  test("every skip reason and every mismatch part has its recording rule", () => {
    const labelled = (record: string, label: string): string[] =>
      rules.filter(isRecording).filter((r) => r.record === record).map((r) => r.labels?.[label] ?? "");
    assert.deepEqual(labelled("darklaunch:skipped:rate5m", "reason"), SKIP_REASONS);
    assert.deepEqual(labelled("darklaunch:compare_mismatch_by_part:rate5m", "part"), MISMATCH_PARTS);
    for (const r of rules.filter(isRecording)) {
      if (r.record === "darklaunch:skipped:rate5m") {
        assert.deepEqual(metricNamesIn(r.expr), [prometheusName("skipped." + r.labels!["reason"])]);
      }
      if (r.record === "darklaunch:compare_mismatch_by_part:rate5m") {
        assert.deepEqual(metricNamesIn(r.expr), [prometheusName("compare.mismatch." + r.labels!["part"])]);
      }
    }
  });

  test("the figures of the issue are recorded", () => {
    for (const name of [
      "darklaunch:mirror_coverage:ratio_rate5m",
      "darklaunch:divergence:ratio_rate5m",
      "darklaunch:dark_error:ratio_rate5m",
      "darklaunch:primary_error:ratio_rate5m",
      ...["p50", "p95", "p99"].flatMap((q) => [`darklaunch:primary_latency_ms:${q}_5m`, `darklaunch:dark_latency_ms:${q}_5m`]),
      "darklaunch:skipped:rate5m",
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
    ]);
    for (const a of alerts) {
      assert.match(a.for ?? "", /^\d+[smh]$/, `${a.alert}: for`);
      assert.ok(["info", "warning", "critical"].includes(a.labels?.["severity"] ?? ""), `${a.alert}: severity`);
      for (const key of ["summary", "description"]) {
        assert.match(a.annotations?.[key] ?? "", /\{\{ \$labels\.rule \}\}/, `${a.alert}: ${key} names the rule`);
      }
      assert.equal(a.annotations?.["runbook_url"], `docs/alerts.md#${a.alert.toLowerCase()}`);
    }
  });
});
