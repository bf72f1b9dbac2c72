// Unit tests of the CLI's pure parts: the anytime-valid evidence, the bins, each check's
// decisions (fail-fast examples of the operator-tools contract, the noise floor, the breaker,
// latency from bins), the verdict of a rule and of a run, figures from counters, and the
// thresholds file. The error rates themselves: verdict-simulation.test.ts.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { counterSuffixes, SKIP_REASONS } from "../../assembly/darklaunch/stats_names.js";
import { CliError } from "../../tools/darklaunch/src/errors.js";
import { counterDelta, ruleFigures, type RuleFigures } from "../../tools/darklaunch/src/figures.js";
import {
  binsFromCumulative,
  binsFromDetailed,
  countSurelyAbove,
  countSurelyAtMost,
  estimateQuantile,
  largestBoundWithAtMost,
  mergeHistograms,
  smallestBoundWithAtLeast,
  subtractHistogram,
  type Histogram,
} from "../../tools/darklaunch/src/histogram.js";
import {
  FAIL_ALPHA,
  PASS_ALPHA,
  judgeDivergence,
  judgeErrorRate,
  judgeLatency,
  judgeRule,
  latencyDecision,
  overallVerdict,
  type RuleVerdict,
} from "../../tools/darklaunch/src/judge.js";
import {
  bernoulliCrossed,
  bernoulliEvidence,
  confidenceBounds,
  crosses,
  fewestEventsAbove,
  mostEventsBelow,
  pairedDifferenceCrossed,
  pairedDifferenceEvidence,
} from "../../tools/darklaunch/src/sequential.js";
import { DEFAULT_THRESHOLDS, loadThresholds, thresholdsFor, thresholdsFromObject } from "../../tools/darklaunch/src/thresholds.js";

function counters(values: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of counterSuffixes()) out[s] = 0;
  for (const [k, v] of Object.entries(values)) {
    assert.ok(k in out, `test uses an unknown counter ${k}`);
    out[k] = v;
  }
  return out;
}

/** Latency samples (whole ms) as the admin source reads Envoy's detailed bins ([v, v + 0.1) below 10 ms, [v, v + 1) below 100). */
function bins(samples: Record<number, number>): Histogram {
  return binsFromDetailed(
    Object.entries(samples).map(([v, count]) => ({ lower_bound: Number(v), width: Number(v) < 10 ? 0.1 : 1, count })),
    true,
  );
}

/** Figures of a rule with `n` mirrored requests, all answered 2xx, and overrides. */
function figures(opts: {
  n?: number;
  mismatchBody?: number;
  dark5xx?: number;
  darkFailed?: number;
  darkTimeout?: number;
  primary5xx?: number;
  breakerOpen?: number;
  noise?: { compared: number; mismatched: number };
}): RuleFigures {
  const n = opts.n ?? 1000;
  const darkBad = (opts.dark5xx ?? 0) + (opts.darkFailed ?? 0) + (opts.darkTimeout ?? 0);
  const c = counters({
    requests: n + (opts.breakerOpen ?? 0),
    mirrored: n,
    "skipped.breaker_open": opts.breakerOpen ?? 0,
    "dark.status.2xx": n - darkBad,
    "dark.status.5xx": opts.dark5xx ?? 0,
    "dark.failed": opts.darkFailed ?? 0,
    "dark.timeout": opts.darkTimeout ?? 0,
    "primary.status.2xx": n - (opts.primary5xx ?? 0),
    "primary.status.5xx": opts.primary5xx ?? 0,
    "compare.match": n - (opts.mismatchBody ?? 0),
    "compare.mismatch.body": opts.mismatchBody ?? 0,
  });
  if (opts.noise !== undefined) {
    Object.assign(c, {
      "noise.match": opts.noise.compared - opts.noise.mismatched,
      "noise.mismatch.status": 0,
      "noise.mismatch.headers": 0,
      "noise.mismatch.body": opts.noise.mismatched,
      "noise.incomplete": 0,
    });
  }
  return ruleFigures(c, { in_flight: 0 }, {}, opts.noise !== undefined);
}

const e = (logE: number): number => Math.exp(logE);

describe("anytime-valid evidence (sequential.ts)", () => {
  test("one proportion: evidence grows with events for `above` and with clean trials for `below`", () => {
    const few = bernoulliEvidence(100, 0, 0.01);
    const more = bernoulliEvidence(400, 0, 0.01);
    assert.ok(more.below > few.below && few.below > 0);
    assert.ok(bernoulliEvidence(100, 5, 0.01).above > bernoulliEvidence(100, 2, 0.01).above);
    // Nothing observed: both e-values are the mixture's weights, which sum to 1.
    const none = bernoulliEvidence(0, 0, 0.3);
    assert.ok(Math.abs(e(none.above) - 1) < 1e-12 && Math.abs(e(none.below) - 1) < 1e-12);
  });

  test("each bet is a fair game at the margin: the mean e-value over the outcomes is 1 (a martingale)", () => {
    // One step at the boundary of the null: p = m exactly.
    for (const m of [0.01, 0.05, 0.5, 0.95]) {
      const up = bernoulliEvidence(1, 1, m);
      const down = bernoulliEvidence(1, 0, m);
      assert.ok(Math.abs(m * e(up.above) + (1 - m) * e(down.above) - 1) < 1e-9, `above at ${m}`);
      assert.ok(Math.abs(m * e(up.below) + (1 - m) * e(down.below) - 1) < 1e-9, `below at ${m}`);
    }
    // A paired difference A − B at mean m: any split over +1, 0, −1 with that mean.
    for (const m of [0, 0.005, 0.02]) {
      for (const pDown of [0, 0.01, 0.3]) {
        const pUp = m + pDown;
        const pZero = 1 - pUp - pDown;
        const one = (a: number, b: number) => pairedDifferenceEvidence(1, a, b, m);
        const mean = (k: "above" | "below") => pUp * e(one(1, 0)[k]) + pZero * e(one(0, 0)[k]) + pDown * e(one(0, 1)[k]);
        assert.ok(Math.abs(mean("above") - 1) < 1e-9, `above at ${m}, ${pDown}`);
        assert.ok(Math.abs(mean("below") - 1) < 1e-9, `below at ${m}, ${pDown}`);
      }
    }
  });

  test("a paired difference assumes no pair had both events (the counters cannot say): that is the lesser evidence", () => {
    // 10 dark errors and 10 primary errors in 100 pairs could be the same 10 requests (difference
    // 0 on every pair) or 20 different ones; the totals are judged as the latter.
    const judged = pairedDifferenceEvidence(100, 10, 10, 0.005);
    assert.ok(judged.below < pairedDifferenceEvidence(100, 0, 0, 0.005).below);
    // More pairs than events: nothing forces an overlap; fewer: the overlap the totals force.
    // 8 and 8 events in 10 pairs: at least 6 pairs had both; the rest is 2 up, 2 down.
    assert.deepEqual(pairedDifferenceEvidence(10, 8, 8, 0), pairedDifferenceEvidence(10, 2, 2, 0));
  });

  test("the cheap crossing test agrees with the e-values", () => {
    for (const [n, k] of [
      [20, 20],
      [400, 0],
      [1000, 9],
      [1000, 30],
      [50, 3],
    ] as const) {
      const ev = bernoulliEvidence(n, k, 0.01);
      assert.deepEqual(bernoulliCrossed(n, k, 0.01, 0.0025, 0.05), { above: crosses(ev.above, 0.0025), below: crosses(ev.below, 0.05) });
    }
    for (const [n, a, b] of [
      [20, 10, 0],
      [900, 0, 0],
      [3000, 40, 30],
      [100, 0, 5],
    ] as const) {
      const ev = pairedDifferenceEvidence(n, a, b, 0.005);
      assert.deepEqual(pairedDifferenceCrossed(n, a, b, 0.005, 0.005, 0.05), {
        above: crosses(ev.above, 0.005),
        below: crosses(ev.below, 0.05),
      });
    }
  });

  test("bounds bracket the observed rate and narrow with more data", () => {
    const wide = confidenceBounds((m) => bernoulliEvidence(100, 10, m), [0, 1], 0.0025, 0.05);
    const narrow = confidenceBounds((m) => bernoulliEvidence(10000, 1000, m), [0, 1], 0.0025, 0.05);
    assert.ok(wide.low < 0.1 && wide.high > 0.1 && narrow.low < 0.1 && narrow.high > 0.1);
    assert.ok(narrow.high - narrow.low < (wide.high - wide.low) / 3);
  });

  test("quantile searches: the fewest events for `above`, the most for `below`, monotone", () => {
    const k = fewestEventsAbove(1000, 0.95, 0.00125)!;
    assert.ok(crosses(bernoulliEvidence(1000, k, 0.95).above, 0.00125));
    assert.ok(!crosses(bernoulliEvidence(1000, k - 1, 0.95).above, 0.00125));
    const j = mostEventsBelow(1000, 0.95, 0.025)!;
    assert.ok(crosses(bernoulliEvidence(1000, j, 0.95).below, 0.025));
    assert.ok(!crosses(bernoulliEvidence(1000, j + 1, 0.95).below, 0.025));
    assert.equal(fewestEventsAbove(10, 0.95, 0.00125), null); // 10 samples cannot bound a p95
  });
});

describe("latency bins (histogram.ts)", () => {
  test("Prometheus buckets: (previous le, le]; Envoy's detailed bins: [lower_bound, + width)", () => {
    const b = binsFromCumulative([
      { le: 1, count: 2 },
      { le: 5, count: 7 },
      { le: Infinity, count: 8 },
    ]);
    assert.deepEqual(
      b.map((x) => [x.lo, x.hi, x.count]),
      [
        [0, 1, 2],
        [1, 5, 5],
        [5, Infinity, 1],
      ],
    );
    assert.equal(countSurelyAtMost(b, 5), 7);
    assert.equal(countSurelyAtMost(b, 4.9), 2); // the (1, 5] bucket may hold 4.95
    assert.equal(countSurelyAbove(b, 1), 6); // (1, 5] is above 1
    assert.equal(countSurelyAbove(b, 0.5), 6);
    const d = binsFromDetailed([
      { lower_bound: 0, width: 0, count: 3 },
      { lower_bound: 10, width: 1, count: 4 },
    ]);
    assert.equal(countSurelyAbove(d, 10), 0); // [10, 11) holds 10
    assert.equal(countSurelyAbove(d, 9.99), 4);
    assert.equal(countSurelyAtMost(d, 0), 3);
    assert.equal(countSurelyAtMost(d, 10.5), 3);
    // Whole milliseconds: [10, 11) holds only 10; (1, 5] only 2 to 5.
    const w = binsFromDetailed([{ lower_bound: 10, width: 1, count: 4 }], true);
    assert.equal(countSurelyAtMost(w, 10), 4);
    assert.deepEqual(
      binsFromCumulative(
        [
          { le: 1, count: 2 },
          { le: 5, count: 7 },
        ],
        true,
      ).map((x) => [x.lo, x.hi]),
      [
        [0, 1],
        [2, 5],
      ],
    );
    assert.throws(
      () =>
        binsFromCumulative([
          { le: 1, count: 5 },
          { le: 2, count: 4 },
        ]),
      /do not share one bucket layout/,
    );
  });

  test("merge, subtract, bound searches and the quantile estimate", () => {
    const a = bins({ 1: 5, 2: 3 });
    const m = mergeHistograms(a, bins({ 2: 2, 7: 1 }));
    assert.deepEqual(
      m.map((x) => [x.lo, x.count]),
      [
        [1, 5],
        [2, 5],
        [7, 1],
      ],
    );
    assert.deepEqual(
      subtractHistogram(m, a).map((x) => [x.lo, x.count]),
      [
        [2, 2],
        [7, 1],
      ],
    );
    assert.equal(smallestBoundWithAtLeast(m, 10), 2); // 1 and 2: 10 samples surely ≤ 2
    assert.equal(largestBoundWithAtMost(m, 10), 2); // at most 10 samples possibly ≤ 2
    assert.equal(largestBoundWithAtMost(m, 9), 1);
    const coarse = binsFromCumulative([
      { le: 10, count: 0 },
      { le: 20, count: 100 },
    ]);
    assert.equal(estimateQuantile(coarse, 0.5), 15); // linear inside the bucket
  });
});

describe("divergence check", () => {
  const t = DEFAULT_THRESHOLDS.divergence;

  test("fails fast: 20 mismatches in 20 pairs FAIL at once (operator-tools example), and 77 of 77", () => {
    for (const n of [20, 77]) {
      const r = judgeDivergence(figures({ n, mismatchBody: n }), t);
      assert.equal(r.verdict, "FAIL", `${n} of ${n}`);
      assert.match(
        r.reason,
        new RegExp(
          `divergence 100\\.00% \\(${n} of ${n} pairs; bounds .*\\) is over the 1% limit beyond chance; mismatched parts: status 0, headers 0, body ${n}`,
        ),
      );
      assert.ok(r.p_values.over_limit < FAIL_ALPHA.divergence);
    }
    // Not from a handful: 3 of 3 could be chance at a 1% limit? No: even that is beyond it.
    assert.equal(judgeDivergence(figures({ n: 3, mismatchBody: 1 }), t).verdict, "NOT_ENOUGH_DATA");
  });

  test("PASS needs the evidence of being under the limit (401 clean pairs at 1%), and the minimum", () => {
    assert.equal(judgeDivergence(figures({ n: 400 }), t).verdict, "NOT_ENOUGH_DATA");
    assert.equal(judgeDivergence(figures({ n: 401 }), t).verdict, "PASS");
    assert.match(
      judgeDivergence(figures({ n: 200 }), t).reason,
      /not yet shown to be under the limit \(about 201 more pairs if none is bad\)/,
    );
    assert.equal(judgeDivergence(figures({ n: 5000, mismatchBody: 10 }), t).verdict, "PASS");
    assert.equal(judgeDivergence(figures({ n: 500 }), { ...t, minCompared: 600 }).verdict, "NOT_ENOUGH_DATA");
  });

  test("over the limit but not beyond chance: NOT ENOUGH DATA, said so", () => {
    const r = judgeDivergence(figures({ n: 200, mismatchBody: 4 }), t);
    assert.equal(r.verdict, "NOT_ENOUGH_DATA");
    assert.match(r.reason, /over the limit, but not beyond chance yet/);
  });

  test("with a noise cluster: dark divergence minus noise divergence against the limit", () => {
    // Dark 10%, noise 10%: the same noise; judged as 0 points over it.
    const same = judgeDivergence(figures({ n: 5000, mismatchBody: 500, noise: { compared: 5000, mismatched: 500 } }), t);
    assert.notEqual(same.verdict, "FAIL");
    assert.equal(same.observed, 0);
    assert.match(same.reason, /divergence over noise \+0\.00 points \(dark 10\.00% of 5000 pairs, noise 10\.00% of 5000/);
    // Dark 30%, noise 10%: 20 points over the noise.
    const worse = judgeDivergence(figures({ n: 2000, mismatchBody: 600, noise: { compared: 2000, mismatched: 200 } }), t);
    assert.equal(worse.verdict, "FAIL");
    // Without the noise counters the same dark figures FAIL too; with noise equal to them they do not.
    assert.equal(judgeDivergence(figures({ n: 5000, mismatchBody: 500 }), t).verdict, "FAIL");
    // No noise: the clean dark side passes against noise that has some.
    assert.equal(judgeDivergence(figures({ n: 3000, mismatchBody: 0, noise: { compared: 3000, mismatched: 30 } }), t).verdict, "PASS");
  });

  test("a noise floor near 100% gives no PASS: a dark difference could not show above it", () => {
    // Every pair differs on both sides (a volatile field): dark minus noise is 0, whatever the dark version does.
    const saturated = judgeDivergence(figures({ n: 5000, mismatchBody: 5000, noise: { compared: 5000, mismatched: 5000 } }), t);
    assert.equal(saturated.verdict, "NOT_ENOUGH_DATA");
    assert.match(saturated.reason, /the noise floor is 100\.00%.*darklaunch noise --rule <rule> suggests them/);
    // Just under the line (1 − 3 × 1% = 97%), the check judges as usual (here: not shown yet either way).
    const room = judgeDivergence(figures({ n: 5000, mismatchBody: 4800, noise: { compared: 5000, mismatched: 4800 } }), t);
    assert.doesNotMatch(room.reason, /noise floor is/);
    // A dark excess still FAILs over a high floor.
    assert.equal(judgeDivergence(figures({ n: 5000, mismatchBody: 5000, noise: { compared: 5000, mismatched: 4000 } }), t).verdict, "FAIL");
  });
});

describe("error rate check", () => {
  const t = DEFAULT_THRESHOLDS.errorRate;

  test("fails fast: 10 dark errors in 20 calls against none on the primary (operator-tools example)", () => {
    const r = judgeErrorRate(figures({ n: 20, dark5xx: 10 }), t);
    assert.equal(r.verdict, "FAIL", r.reason);
    assert.match(
      r.reason,
      /dark error rate 50\.00% \(5xx 10, failed 0, timeout 0 of 20\) against primary 0\.00% \(0 of 20\).*over primary \+ 0\.5 points beyond chance/,
    );
  });

  test("the breaker that opened counts against the dark side (the issue's 10 of 20, breaker open, 380 skipped)", () => {
    const r = judgeErrorRate(figures({ n: 20, dark5xx: 10, breakerOpen: 380 }), t);
    assert.equal(r.verdict, "FAIL");
    // Diluted totals: a burst after many clean calls; the breaker says the dark side is failing now.
    const diluted = judgeErrorRate(figures({ n: 5000, dark5xx: 12, breakerOpen: 40 }), t);
    assert.equal(diluted.verdict, "FAIL");
    assert.match(diluted.reason, /^the filter's breaker opened \(40 requests not mirrored\)/);
    // Not when the primary failed as much: the breaker then says nothing about the dark version.
    assert.notEqual(judgeErrorRate(figures({ n: 5000, dark5xx: 12, primary5xx: 12, breakerOpen: 40 }), t).verdict, "FAIL");
  });

  test("failed and timed-out dark calls count as errors", () => {
    const r = judgeErrorRate(figures({ n: 1000, dark5xx: 10, darkFailed: 10, darkTimeout: 10 }), t);
    assert.equal(r.verdict, "FAIL");
    assert.match(r.reason, /5xx 10, failed 10, timeout 10 of 1000/);
  });

  test("PASS: 804 clean pairs at 0.5 points; the same errors on both sides need more", () => {
    assert.equal(judgeErrorRate(figures({ n: 803 }), t).verdict, "NOT_ENOUGH_DATA");
    assert.equal(judgeErrorRate(figures({ n: 804 }), t).verdict, "PASS");
    assert.equal(judgeErrorRate(figures({ n: 804, primary5xx: 8, dark5xx: 8 }), t).verdict, "NOT_ENOUGH_DATA");
  });
});

describe("latency check", () => {
  const t = DEFAULT_THRESHOLDS.latencyP95;
  const rule = (primary: Histogram, dark: Histogram) => ({ "primary.latency_ms": primary, "dark.latency_ms": dark });
  const f = (primary: Histogram, dark: Histogram) => ruleFigures(counters({}), {}, rule(primary, dark), false);

  test("a much slower dark side FAILs once the primary's p95 is bounded (about 150 primary samples)", () => {
    const primary = bins({ 2: 100, 3: 90, 5: 10 });
    const dark = bins({ 60: 150, 80: 50 });
    const r = judgeLatency(f(primary, dark), rule(primary, dark), t);
    assert.equal(r.verdict, "FAIL", r.reason);
    assert.match(
      r.reason,
      /^dark p95 ≈ 80 ms, primary p95 ≈ 3\.0 ms \(200 dark, 200 primary samples\): 200 dark samples \(100\.0%\) are above 7\.0 ms, the limit \(1\.25 × primary p95, at least \+ 2 ms\) at the primary p95's upper bound 5\.0 ms: over the limit beyond chance$/,
    );
    const few = bins({ 2: 50, 3: 45, 5: 5 });
    assert.equal(latencyDecision(few, dark, t).verdict, "NOT_ENOUGH_DATA");
  });

  test("the same latencies PASS; the slack covers one millisecond of grain", () => {
    const same = bins({ 1: 600, 2: 300, 3: 100 });
    const r = judgeLatency(f(same, same), rule(same, same), t);
    assert.equal(r.verdict, "PASS", r.reason);
    // 1 ms slower on most requests, the same p95: within the slack, not within a bare 1.1 ×.
    const slower = bins({ 2: 600, 3: 400 });
    assert.equal(latencyDecision(same, slower, t).verdict, "PASS");
    assert.notEqual(latencyDecision(same, slower, { ...t, slackMs: 0 }).verdict, "PASS");
  });

  test("coarse buckets: NOT ENOUGH DATA, and the reason says the buckets are too coarse", () => {
    const coarse = binsFromCumulative([
      { le: 50, count: 0 },
      { le: 100, count: 1000 },
      { le: Infinity, count: 1000 },
    ]);
    const r = judgeLatency(f(coarse, coarse), rule(coarse, coarse), t);
    assert.equal(r.verdict, "NOT_ENOUGH_DATA");
    assert.match(
      r.reason,
      /bins are too coarse to show it within the limit .*primary p95 is in 50 ms–100 ms, the dark p95 in 50 ms–100 ms/,
    );
  });

  test("no samples: NOT ENOUGH DATA", () => {
    const r = judgeLatency(f([], []), rule([], []), t);
    assert.equal(r.verdict, "NOT_ENOUGH_DATA");
    assert.match(r.reason, /only 0 dark and 0 primary latency samples/);
  });
});

describe("rule and run verdicts", () => {
  test("a rule fails on any failing check, with only the failing checks as reasons", () => {
    const v = judgeRule("r", figures({ n: 1000, dark5xx: 100, mismatchBody: 100 }), {}, DEFAULT_THRESHOLDS);
    assert.equal(v.verdict, "FAIL");
    assert.deepEqual(
      v.checks.filter((c) => c.verdict === "FAIL").map((c) => c.check),
      ["divergence", "error_rate"],
    );
    assert.equal(v.reasons.length, 2);
    assert.match(v.reasons[0]!, /^divergence: /);
    assert.match(v.reasons[1]!, /^error_rate: /);
  });

  test("lacking data beats passing; every check passing passes", () => {
    const t = { ...DEFAULT_THRESHOLDS, latencyP95: { ...DEFAULT_THRESHOLDS.latencyP95, enabled: false } };
    assert.equal(judgeRule("r", figures({ n: 500 }), {}, t).verdict, "NOT_ENOUGH_DATA");
    assert.equal(judgeRule("r", figures({ n: 1000 }), {}, t).verdict, "PASS");
  });

  test("a check turned off is not judged", () => {
    const t = {
      ...DEFAULT_THRESHOLDS,
      divergence: { ...DEFAULT_THRESHOLDS.divergence, enabled: false },
      latencyP95: { ...DEFAULT_THRESHOLDS.latencyP95, enabled: false },
    };
    const v = judgeRule("r", figures({ n: 1000, mismatchBody: 1000 }), {}, t);
    assert.equal(v.verdict, "PASS");
    assert.deepEqual(
      v.checks.map((c) => c.check),
      ["error_rate"],
    );
  });

  test("the levels: FAIL levels add up to 1% over the checks, PASS 5% per check", () => {
    assert.ok(Math.abs(Object.values(FAIL_ALPHA).reduce((a, b) => a + b, 0) - 0.01) < 1e-12);
    assert.equal(PASS_ALPHA, 0.05);
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
    const f = ruleFigures(c, { in_flight: 0 }, {}, false);
    assert.equal(f.coverage, 0.5);
    assert.equal(f.divergence.compared, 90);
    assert.equal(f.divergence.rate, 10 / 90);
    assert.deepEqual(f.divergence.byPart, { status: 5, headers: 0, body: 5 });
    assert.equal(f.errors.dark.rate, 10 / 100);
    assert.equal(f.errors.primary.rate, 2 / 100);
    assert.deepEqual(Object.keys(f.skipped), SKIP_REASONS);
    assert.equal(f.skipped.sampled_out, 100);
    assert.equal(f.latency.dark.p95, null);
    assert.equal(f.divergence.noise, null);
    assert.equal(f.errors.breakerOpen, 0);
  });

  test("noise counters give the noise comparison; skipped.expired says the rule expired", () => {
    const c = {
      ...counters({ mirrored: 10, "compare.match": 8, "compare.mismatch.body": 2, "skipped.expired": 3 }),
      "noise.match": 9,
      "noise.mismatch.status": 0,
      "noise.mismatch.headers": 1,
      "noise.mismatch.body": 0,
      "noise.incomplete": 0,
    };
    const f = ruleFigures(c, {}, {}, true);
    assert.deepEqual(f.divergence.noise, {
      compared: 10,
      match: 9,
      mismatched: 1,
      byPart: { status: 0, headers: 1, body: 0 },
      incomplete: 0,
      rate: 0.1,
    });
    assert.equal(f.expired, 3);
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
        for (const part of [
          "extra: unknown key",
          "defaults.divergence.max_pct: unknown key",
          "rules.r.latency_p95.max_ratio",
          "rules.r.latency_p95.min_samples",
        ]) {
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
