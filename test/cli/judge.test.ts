// Unit tests of the CLI's pure parts: the Wilson interval, each check's threshold edges, the
// verdict of a rule and of a run, figures from counters, and the thresholds file.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { counterSuffixes, SKIP_REASONS } from "../../assembly/darklaunch/stats_names.js";
import type { HistogramReading } from "../../tools/darklaunch/src/admin.js";
import { CliError } from "../../tools/darklaunch/src/errors.js";
import { counterDelta, ruleFigures, type RuleFigures } from "../../tools/darklaunch/src/figures.js";
import {
  judgeDivergence,
  judgeErrorRate,
  judgeLatency,
  judgeRule,
  overallVerdict,
  wilsonInterval,
  type RuleVerdict,
} from "../../tools/darklaunch/src/judge.js";
import { DEFAULT_THRESHOLDS, loadThresholds, thresholdsFor, thresholdsFromObject } from "../../tools/darklaunch/src/thresholds.js";

const round4 = (x: number): number => Math.round(x * 10000) / 10000;

function counters(values: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of counterSuffixes()) out[s] = 0;
  for (const [k, v] of Object.entries(values)) {
    assert.ok(k in out, `test uses an unknown counter ${k}`);
    out[k] = v;
  }
  return out;
}

function histogram(samples: number, p95: number | null, p50: number | null = p95, p99: number | null = p95): HistogramReading {
  return {
    samples,
    intervalSamples: samples,
    cumulative: { p50, p95, p99 },
    interval: { p50, p95, p99 },
  };
}

/** Figures of a rule with `n` mirrored requests, all answered 2xx, and overrides. */
function figures(opts: {
  n?: number;
  mismatchBody?: number;
  dark5xx?: number;
  darkFailed?: number;
  darkTimeout?: number;
  primary5xx?: number;
  primaryP95?: number | null;
  darkP95?: number | null;
  latencySamples?: number;
}): RuleFigures {
  const n = opts.n ?? 1000;
  const darkBad = (opts.dark5xx ?? 0) + (opts.darkFailed ?? 0) + (opts.darkTimeout ?? 0);
  const c = counters({
    requests: n,
    mirrored: n,
    "dark.status.2xx": n - darkBad,
    "dark.status.5xx": opts.dark5xx ?? 0,
    "dark.failed": opts.darkFailed ?? 0,
    "dark.timeout": opts.darkTimeout ?? 0,
    "primary.status.2xx": n - (opts.primary5xx ?? 0),
    "primary.status.5xx": opts.primary5xx ?? 0,
    "compare.match": n - (opts.mismatchBody ?? 0),
    "compare.mismatch.body": opts.mismatchBody ?? 0,
  });
  const samples = opts.latencySamples ?? n;
  return ruleFigures(c, { in_flight: 0 }, {
    "primary.latency_ms": histogram(samples, opts.primaryP95 === undefined ? 10 : opts.primaryP95),
    "dark.latency_ms": histogram(samples, opts.darkP95 === undefined ? 10 : opts.darkP95),
  });
}

describe("wilsonInterval", () => {
  test("matches the published 95% score intervals (Newcombe 1998, method 3)", () => {
    const cases: [number, number, number, number][] = [
      [81, 263, 0.2553, 0.3662],
      [15, 148, 0.0624, 0.1605],
      [0, 20, 0, 0.1611],
      [1, 29, 0.0061, 0.1718],
    ];
    for (const [x, n, low, high] of cases) {
      const i = wilsonInterval(x, n);
      assert.deepEqual([round4(i.low), round4(i.high)], [low, high], `${x}/${n}`);
    }
  });

  test("no success: upper bound z²/(n+z²), which is under 1% from n = 381 on", () => {
    assert.equal(round4(wilsonInterval(0, 100).high), 0.037);
    assert.ok(wilsonInterval(0, 380).high >= 0.01);
    assert.ok(wilsonInterval(0, 381).high < 0.01);
  });

  test("is symmetric: x of n mirrors n-x of n, and all successes reach 1", () => {
    const a = wilsonInterval(7, 40);
    const b = wilsonInterval(33, 40);
    assert.ok(Math.abs(a.low - (1 - b.high)) < 1e-12 && Math.abs(a.high - (1 - b.low)) < 1e-12);
    assert.equal(wilsonInterval(40, 40).high, 1);
    assert.equal(wilsonInterval(0, 40).low, 0);
  });

  test("refuses impossible counts", () => {
    assert.throws(() => wilsonInterval(0, 0), RangeError);
    assert.throws(() => wilsonInterval(5, 4), RangeError);
  });
});

describe("divergence check", () => {
  const t = DEFAULT_THRESHOLDS.divergence;

  test("fewer compared pairs than the minimum: NOT ENOUGH DATA; the minimum itself is judged", () => {
    assert.equal(judgeDivergence(figures({ n: 99, mismatchBody: 50 }), t).verdict, "NOT_ENOUGH_DATA");
    assert.equal(judgeDivergence(figures({ n: 100, mismatchBody: 50 }), t).verdict, "FAIL");
  });

  test("observed rate at the limit fails; just under it with a wide interval lacks data", () => {
    assert.equal(judgeDivergence(figures({ n: 1000, mismatchBody: 10 }), t).verdict, "FAIL");
    const under = judgeDivergence(figures({ n: 1000, mismatchBody: 9 }), t);
    assert.equal(under.verdict, "NOT_ENOUGH_DATA");
    assert.match(under.reason, /upper bound/);
  });

  test("PASS needs the 95% upper bound under the limit", () => {
    assert.equal(judgeDivergence(figures({ n: 380 }), t).verdict, "NOT_ENOUGH_DATA");
    assert.equal(judgeDivergence(figures({ n: 381 }), t).verdict, "PASS");
    assert.equal(judgeDivergence(figures({ n: 5000, mismatchBody: 25 }), t).verdict, "PASS");
  });

  test("the reason of a failure names the differing part", () => {
    const r = judgeDivergence(figures({ n: 200, mismatchBody: 200 }), t);
    assert.equal(r.verdict, "FAIL");
    assert.match(r.reason, /mismatches: body 200/);
    assert.equal(r.observed, 1);
    assert.equal(r.limit, 0.01);
  });
});

describe("error rate check", () => {
  const t = DEFAULT_THRESHOLDS.errorRate;

  test("dark rate exactly primary + 0.5 points passes; one more error fails", () => {
    // primary 1.0%, dark 1.5% of 1000: at the limit.
    assert.equal(judgeErrorRate(figures({ n: 1000, primary5xx: 10, dark5xx: 15 }), t).verdict, "PASS");
    assert.equal(judgeErrorRate(figures({ n: 1000, primary5xx: 10, dark5xx: 16 }), t).verdict, "FAIL");
  });

  test("failed and timed-out dark calls count as errors", () => {
    const r = judgeErrorRate(figures({ n: 1000, dark5xx: 2, darkFailed: 2, darkTimeout: 2 }), t);
    assert.equal(r.verdict, "FAIL");
    assert.match(r.reason, /5xx 2, failed 2, timeout 2 of 1000/);
  });

  test("needs the minimum of ended dark calls", () => {
    assert.equal(judgeErrorRate(figures({ n: 99, dark5xx: 50 }), t).verdict, "NOT_ENOUGH_DATA");
    assert.equal(judgeErrorRate(figures({ n: 100, dark5xx: 50 }), t).verdict, "FAIL");
  });
});

describe("latency check", () => {
  const t = DEFAULT_THRESHOLDS.latencyP95;

  test("dark p95 up to 1.10 × primary passes, above fails", () => {
    assert.equal(judgeLatency(figures({ primaryP95: 100, darkP95: 110 }), t).verdict, "PASS");
    assert.equal(judgeLatency(figures({ primaryP95: 100, darkP95: 110.5 }), t).verdict, "FAIL");
  });

  test("the slack covers the histograms' millisecond grain at small latencies", () => {
    assert.equal(judgeLatency(figures({ primaryP95: 1, darkP95: 2 }), t).verdict, "PASS");
    assert.equal(judgeLatency(figures({ primaryP95: 1, darkP95: 2.1 }), t).verdict, "FAIL");
    assert.equal(judgeLatency(figures({ primaryP95: 0, darkP95: 1 }), { ...t, slackMs: 0 }).verdict, "FAIL");
  });

  test("too few samples on either side, or no quantile: NOT ENOUGH DATA", () => {
    assert.equal(judgeLatency(figures({ latencySamples: 99 }), t).verdict, "NOT_ENOUGH_DATA");
    assert.equal(judgeLatency(figures({ primaryP95: null }), t).verdict, "NOT_ENOUGH_DATA");
    assert.equal(judgeLatency(figures({ latencySamples: 100 }), t).verdict, "PASS");
  });
});

describe("rule and run verdicts", () => {
  test("a rule fails on any failing check, with only the failing checks as reasons", () => {
    const v = judgeRule("r", figures({ n: 1000, dark5xx: 100, darkP95: 50 }), DEFAULT_THRESHOLDS);
    assert.equal(v.verdict, "FAIL");
    assert.deepEqual(
      v.checks.filter((c) => c.verdict === "FAIL").map((c) => c.check),
      ["error_rate", "latency_p95"],
    );
    assert.equal(v.reasons.length, 2);
  });

  test("lacking data beats passing; every check passing passes", () => {
    assert.equal(judgeRule("r", figures({ n: 200 }), DEFAULT_THRESHOLDS).verdict, "NOT_ENOUGH_DATA");
    assert.equal(judgeRule("r", figures({ n: 1000 }), DEFAULT_THRESHOLDS).verdict, "PASS");
  });

  test("a check turned off is not judged", () => {
    const t = { ...DEFAULT_THRESHOLDS, divergence: { ...DEFAULT_THRESHOLDS.divergence, enabled: false } };
    const v = judgeRule("r", figures({ n: 1000, mismatchBody: 1000 }), t);
    assert.equal(v.verdict, "PASS");
    assert.deepEqual(v.checks.map((c) => c.check), ["error_rate", "latency_p95"]);
  });

  test("exit codes: 0 all PASS, 1 any FAIL, 2 otherwise and for no rules", () => {
    const r = (verdict: RuleVerdict["verdict"]): RuleVerdict => ({ rule: verdict, verdict, reasons: [], checks: [] });
    assert.deepEqual(overallVerdict([r("PASS"), r("PASS")]), { verdict: "PASS", exitCode: 0 });
    assert.deepEqual(overallVerdict([r("PASS"), r("NOT_ENOUGH_DATA"), r("FAIL")]), { verdict: "FAIL", exitCode: 1 });
    assert.deepEqual(overallVerdict([r("PASS"), r("NOT_ENOUGH_DATA")]), { verdict: "NOT_ENOUGH_DATA", exitCode: 2 });
    assert.deepEqual(overallVerdict([]), { verdict: "NOT_ENOUGH_DATA", exitCode: 2 });
  });
});

describe("figures", () => {
  test("coverage, divergence over compared pairs, error rates over the paired sample", () => {
    const c = counters({
      requests: 200,
      mirrored: 100,
      "skipped.sampled_out": 100,
      "dark.status.2xx": 90,
      "dark.status.5xx": 4,
      "dark.failed": 3,
      "dark.timeout": 3,
      "primary.status.2xx": 98,
      "primary.status.5xx": 2,
      "compare.match": 80,
      "compare.mismatch.status": 5,
      "compare.mismatch.body": 5,
      "compare.incomplete": 10,
    });
    const f = ruleFigures(c, { in_flight: 0 }, {});
    assert.equal(f.coverage, 0.5);
    assert.equal(f.divergence.compared, 90);
    assert.equal(f.divergence.rate, 10 / 90);
    assert.deepEqual(f.divergence.byPart, { status: 5, headers: 0, body: 5 });
    assert.equal(f.errors.dark.rate, 10 / 100);
    assert.equal(f.errors.primary.rate, 2 / 100);
    assert.deepEqual(Object.keys(f.skipped), SKIP_REASONS);
    assert.equal(f.skipped["sampled_out"], 100);
    assert.equal(f.latency.dark.p95, null);
  });

  test("counterDelta: the interval's traffic, or all of it after a restart", () => {
    assert.deepEqual(counterDelta({ a: 10, b: 5 }, { a: 4, b: 5 }), { a: 6, b: 0 });
    assert.deepEqual(counterDelta({ a: 3, b: 1 }, { a: 4, b: 0 }), { a: 3, b: 1 });
    assert.deepEqual(counterDelta({ a: 3 }, undefined), { a: 3 });
  });
});

describe("thresholds file", () => {
  test("defaults, then the file's defaults, then the rule's own block", () => {
    const set = thresholdsFromObject(
      {
        defaults: { latency_p95: { max_ratio: 1.5 } },
        rules: { checkout: { divergence: { enabled: false, max_percent: 2 }, error_rate: { min_calls: 10 } } },
      },
      "t.yaml",
    );
    const other = thresholdsFor(set, "other");
    assert.equal(other.latencyP95.maxRatio, 1.5);
    assert.equal(other.divergence.maxPercent, 1);
    const checkout = thresholdsFor(set, "checkout");
    assert.equal(checkout.latencyP95.maxRatio, 1.5);
    assert.deepEqual(checkout.divergence, { enabled: false, maxPercent: 2, minCompared: 100 });
    assert.equal(checkout.errorRate.minCalls, 10);
    assert.equal(checkout.errorRate.maxPointsOverPrimary, 0.5);
  });

  test("unknown keys and bad values are errors, all listed with their path", () => {
    assert.throws(
      () =>
        thresholdsFromObject(
          { defaults: { divergence: { max_pct: 1 } }, rules: { r: { latency_p95: { max_ratio: -1, min_samples: 1.5 } } }, extra: 1 },
          "t.yaml",
        ),
      (err: unknown) => {
        assert.ok(err instanceof CliError);
        assert.equal(err.exitCode, 2);
        for (const part of ["extra: unknown key", "defaults.divergence.max_pct: unknown key", "rules.r.latency_p95.max_ratio", "rules.r.latency_p95.min_samples"]) {
          assert.ok(err.message.includes(part), `${part} in ${err.message}`);
        }
        return true;
      },
    );
  });

  test("the example file loads; a missing file or broken YAML is a clear error (exit 2)", () => {
    const example = loadThresholds(join(import.meta.dirname, "../../tools/darklaunch/examples/thresholds.yaml"));
    assert.equal(thresholdsFor(example, "checkout").divergence.enabled, false);
    const dir = mkdtempSync(join(tmpdir(), "darklaunch-thresholds-"));
    try {
      writeFileSync(join(dir, "broken.yaml"), "defaults: [unclosed\n");
      assert.throws(() => loadThresholds(join(dir, "broken.yaml")), /not valid YAML/);
      assert.throws(() => loadThresholds(join(dir, "missing.yaml")), /cannot read the thresholds file .*ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
