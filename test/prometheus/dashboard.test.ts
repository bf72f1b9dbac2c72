// The Grafana dashboard: its layout (rule variable, Overview / On-call / Debug rows), and every
// query reads only the filter's series or the recording rules, filters by the `rule` variable,
// and parses (promtool checks all of them as a generated rules file).

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import {
  DASHBOARD_FILE,
  filterMetricNames,
  isAlerting,
  isRecording,
  loadRuleGroups,
  metricNamesIn,
  runTool,
  selectorsIn,
} from "./promql.js";

interface Target {
  refId: string;
  expr: string;
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  targets?: Target[];
  panels?: Panel[];
}
interface Variable {
  name: string;
  type: string;
  definition?: string;
  query?: unknown;
  multi?: boolean;
  includeAll?: boolean;
}
interface Dashboard {
  title: string;
  uid: string;
  schemaVersion: number;
  templating: { list: Variable[] };
  panels: Panel[];
}

/** Prometheus' own series of alert states. */
const PROMETHEUS_SERIES = new Set(["ALERTS"]);

/** Grafana's variables replaced by values Prometheus accepts. */
function substituteVariables(expr: string): string {
  return expr.replace(/\$\{?rule\}?/g, "checkout").replace(/\$\{?(__rate_interval|__interval|__range)\}?/g, "5m");
}

describe("grafana dashboard", () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD_FILE, "utf8")) as Dashboard;
  // Panels of collapsed rows sit inside the row; of open rows, after it.
  const allPanels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
  const queries = allPanels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p, target: t })));
  const rules = loadRuleGroups().flatMap((g) => g.rules);
  const recorded = new Set(rules.filter(isRecording).map((r) => r.record));

  test("identity and schema", () => {
    assert.equal(dashboard.uid, "darklaunch");
    assert.ok(dashboard.schemaVersion >= 36 && dashboard.schemaVersion <= 41, `schemaVersion ${dashboard.schemaVersion}`);
    assert.equal(new Set(allPanels.map((p) => p.id)).size, allPanels.length, "panel ids are unique");
    for (const p of allPanels) {
      assert.ok(p.gridPos.x >= 0 && p.gridPos.x + p.gridPos.w <= 24, `${p.title}: inside the 24-column grid`);
    }
  });

  test("a `rule` variable lists the rules from darklaunch_requests", () => {
    const rule = dashboard.templating.list.find((v) => v.name === "rule");
    assert.ok(rule !== undefined);
    assert.equal(rule.type, "query");
    assert.equal(rule.definition, "label_values(darklaunch_requests, rule)");
    assert.match(JSON.stringify(rule.query), /label_values\(darklaunch_requests, rule\)/);
    assert.equal(rule.multi, true);
    assert.equal(rule.includeAll, true);
  });

  test("three rows: Overview, On-call, Debug, each with panels", () => {
    const rows = dashboard.panels.filter((p) => p.type === "row");
    assert.deepEqual(
      rows.map((r) => r.title),
      ["Overview", "On-call", "Debug"],
    );
    const counts = new Map<string, number>();
    let current = "";
    for (const p of dashboard.panels) {
      if (p.type === "row") {
        current = p.title;
        counts.set(current, p.panels?.length ?? 0);
      } else {
        assert.notEqual(current, "", `${p.title} is above the first row`);
        counts.set(current, counts.get(current)! + 1);
      }
    }
    for (const [row, n] of counts) assert.ok(n >= 4, `row ${row} has ${n} panels`);
  });

  test("the views the issue asks for are there", () => {
    const exprs = (title: RegExp): string =>
      queries
        .filter((q) => title.test(q.panel.title))
        .map((q) => q.target.expr)
        .join("\n");
    assert.match(exprs(/coverage/i), /darklaunch:mirror_coverage:ratio_rate5m/);
    assert.match(exprs(/^Divergence/), /darklaunch:divergence:ratio_rate5m/);
    assert.match(exprs(/error rate/i), /darklaunch:dark_error:ratio_rate5m[\s\S]*darklaunch:primary_error:ratio_rate5m/);
    assert.match(exprs(/breaker/i), /reason="breaker_open"/);
    assert.match(exprs(/in flight/i), /darklaunch_in_flight/);
    assert.match(exprs(/skips by reason/i), /darklaunch:skipped:rate5m/);
    assert.match(exprs(/mismatches by part/i), /darklaunch:compare_mismatch_by_part:rate5m/);
    const latency = exprs(/latency/i);
    for (const q of ["p50", "p95", "p99"]) {
      for (const side of ["primary", "dark"]) assert.match(latency, new RegExp(`darklaunch:${side}_latency_ms:${q}_5m`));
    }
    // Status classes are a label: one query, a series per class.
    assert.match(exprs(/status classes/i), /sum by \(rule, class\) \(rate\(darklaunch_dark_status\{rule=~"\$rule"\}/);
  });

  test("every query reads only filter series, recording rules or ALERTS", () => {
    assert.ok(queries.length >= 20, `${queries.length} queries`);
    const known = filterMetricNames();
    const unknown: string[] = [];
    for (const { panel, target } of queries) {
      for (const name of metricNamesIn(target.expr)) {
        if (!known.has(name) && !recorded.has(name) && !PROMETHEUS_SERIES.has(name)) {
          unknown.push(`${panel.title} ${target.refId}: ${name}`);
        }
      }
    }
    assert.deepEqual(unknown, []);
  });

  test("every selector filters by the rule variable", () => {
    const unfiltered: string[] = [];
    for (const { panel, target } of queries) {
      for (const s of selectorsIn(target.expr)) {
        if (!s.matchers.includes('rule=~"$rule"')) unfiltered.push(`${panel.title} ${target.refId}: ${s.name}${s.matchers}`);
      }
    }
    assert.deepEqual(unfiltered, []);
  });

  test("no query reads a name that still carries a reason, a class or a part (they are labels)", () => {
    const old = queries
      .flatMap(({ target }) => metricNamesIn(target.expr))
      .filter((n) => /^darklaunch_(skipped_|(dark|primary)_status_|(compare|noise)_mismatch_)/.test(n));
    assert.deepEqual(old, []);
  });

  test("the ALERTS panel covers every alert of the rules file", () => {
    const alertsQuery = queries.find((q) => metricNamesIn(q.target.expr).includes("ALERTS"));
    assert.ok(alertsQuery !== undefined);
    const pattern = /alertname=~"([^"]+)"/.exec(alertsQuery.target.expr)?.[1];
    assert.ok(pattern !== undefined);
    for (const a of rules.filter(isAlerting)) assert.match(a.alert, new RegExp(`^(?:${pattern})$`));
  });

  test("promtool parses every query", () => {
    const dir = mkdtempSync(join(tmpdir(), "darklaunch-dashboard-"));
    try {
      const file = join(dir, "dashboard.rules.yml");
      const group = {
        name: "dashboard",
        rules: queries.map(({ panel, target }) => ({
          record: `dashboard:panel_${panel.id}:${target.refId}`,
          expr: substituteVariables(target.expr),
        })),
      };
      // JSON is YAML.
      writeFileSync(file, JSON.stringify({ groups: [group] }, null, 2));
      const { status, output } = runTool("promtool", ["check", "rules", file]);
      assert.equal(status, 0, output);
      assert.match(output, new RegExp(`SUCCESS: ${queries.length} rules found`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
