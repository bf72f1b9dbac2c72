// The verdict's noise floor against a real Envoy: rules with a `compare.noise_cluster` (a second
// instance of the primary's version) whose JSON answers carry a volatile timestamp that is fresh
// on a cache miss, i.e. on request i when i % 10 < 3, on the dark and the noise side alike:
//   explained    noise cluster; the dark side differs only there       → dark 30%, noise 30%: not FAIL
//   unexplained  the same dark side, no noise cluster                   → FAIL on divergence
//   regressed    noise cluster; the dark side also changes the price
//                when i % 10 is 3 to 6                                   → dark 70%, noise 30%: FAIL
// `verdict` shows both divergences and judges their difference; `watch` shows the noise's too.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { VerdictDocument } from "../../tools/darklaunch/src/commands/verdict.js";
import type { WatchBlock } from "../../tools/darklaunch/src/commands/watch.js";
import { prefixRule, startStack, type Stack } from "../support/stack.js";
import { assertInvariants } from "../support/stats.js";
import { startUpstream, type RecordedRequest, type Reply, type Upstream } from "../support/upstream.js";
import { cli, settledStats, traffic, type CliRun } from "./helpers.js";

const PAIRS = 300;
/** Requests of `explained` sent while `watch` looks. */
const WATCHED = 100;
// The latency check is not what this file is about: off, so that a loaded machine cannot decide a rule.
const THRESHOLDS = "defaults:\n  latency_p95: { enabled: false }\n";

const CACHED_AT = "2026-12-01T09:00:00.000Z";
const cacheMiss = (i: number): boolean => i % 10 < 3;
const priceChanged = (i: number): boolean => i % 10 >= 3 && i % 10 <= 6;

type Side = "primary" | "dark" | "noise";

function answer(side: Side, rule: string): (req: RecordedRequest) => Reply {
  return (req) => {
    const i = Number(req.path.split("/")[2]);
    const fresh = side !== "primary" && cacheMiss(i);
    const price = side === "dark" && rule === "regressed" && priceChanged(i) ? "9.00" : "10.00";
    const body = { id: i, price, meta: { generated_at: fresh ? new Date(Date.parse(CACHED_AT) + 1000 + i).toISOString() : CACHED_AT } };
    return { headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
  };
}

const RULES = ["explained", "unexplained", "regressed"] as const;
const scripts = (side: Side) => Object.fromEntries(RULES.map((rule) => [`/${rule}/`, answer(side, rule)]));

describe("the verdict's noise floor against a real Envoy", () => {
  let stack: Stack;
  let noise: Upstream;
  let dir: string;
  let thresholds: string;
  let watchText: CliRun;
  let watchJson: CliRun;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "darklaunch-noise-floor-"));
    thresholds = join(dir, "thresholds.yaml");
    writeFileSync(thresholds, THRESHOLDS);
    noise = await startUpstream({ name: "noise", scripts: scripts("noise") });
    const json = { body: { json: true } };
    stack = await startStack({
      primaryScripts: scripts("primary"),
      darkScripts: scripts("dark"),
      clusters: { noise: noise.port },
      filterConfig: {
        rules: [
          prefixRule("explained", "/explained/", { compare: { ...json, noise_cluster: "noise" } }),
          prefixRule("unexplained", "/unexplained/", { compare: json }),
          prefixRule("regressed", "/regressed/", { compare: { ...json, noise_cluster: "noise" } }),
        ],
      },
      bootstrap: { statsFlushIntervalMs: 1000 },
    });

    // `watch` (as text and as JSON) over an interval that holds WATCHED requests of `explained`.
    const watchArgs = ["watch", "--admin", stack.envoy.adminUrl, "--interval", "5", "--iterations", "1", "--thresholds", thresholds];
    const watching = Promise.all([cli(watchArgs), cli([...watchArgs, "--json"])]);
    await new Promise((r) => setTimeout(r, 300));
    await traffic(stack.envoy.url, WATCHED, (i) => ({ path: `/explained/${i}` }));
    [watchText, watchJson] = await watching;

    await traffic(stack.envoy.url, PAIRS - WATCHED, (i) => ({ path: `/explained/${WATCHED + i}` }));
    await traffic(stack.envoy.url, PAIRS, (i) => ({ path: `/unexplained/${i}` }));
    await traffic(stack.envoy.url, PAIRS, (i) => ({ path: `/regressed/${i}` }));
    await settledStats(stack.envoy.adminUrl);
  });

  after(async () => {
    await stack?.stop();
    await noise?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  const count = (when: (i: number) => boolean): number => Array.from({ length: PAIRS }, (_, i) => i).filter(when).length;
  const volatile = count(cacheMiss);
  const regressed = count((i) => cacheMiss(i) || priceChanged(i));

  test("the filter counts both comparisons; every invariant holds, the noise one too", async () => {
    for (const rule of RULES) {
      const s = await assertInvariants(stack.envoy.adminUrl, rule);
      assert.equal(s["compare.mismatch.body"], rule === "regressed" ? regressed : volatile, rule);
      assert.equal(s["noise.mismatch.body"], rule === "unexplained" ? undefined : volatile, rule);
    }
  });

  test("verdict --json: noise that explains the dark differences does not FAIL; the same differences without a noise cluster do; more than the noise does", async () => {
    const run = await cli(["verdict", "--admin", stack.envoy.adminUrl, "--thresholds", thresholds, "--json"]);
    const doc = JSON.parse(run.stdout) as VerdictDocument;
    const rule = (name: string) => doc.rules.find((r) => r.rule === name)!;
    const divergence = (name: string) => rule(name).checks.find((c) => c.check === "divergence")!;

    const explained = rule("explained");
    assert.equal(explained.figures.divergence.compared, PAIRS);
    assert.equal(explained.figures.divergence.mismatched, volatile);
    assert.equal(explained.figures.divergence.noise?.compared, PAIRS);
    assert.equal(explained.figures.divergence.noise?.mismatched, volatile);
    assert.equal(divergence("explained").observed, 0, "dark minus noise");
    assert.notEqual(divergence("explained").verdict, "FAIL", divergence("explained").reason);
    assert.notEqual(explained.verdict, "FAIL", explained.reasons.join(" | "));
    const rate = ((100 * volatile) / PAIRS).toFixed(2);
    assert.match(
      divergence("explained").reason,
      new RegExp(`^divergence over noise \\+0\\.00 points \\(dark ${rate}% of ${PAIRS} pairs, noise ${rate}% of ${PAIRS}; bounds `),
    );

    // Without the noise floor, the very same dark side is a divergence far over the limit.
    assert.equal(rule("unexplained").figures.divergence.mismatched, volatile);
    assert.equal(rule("unexplained").figures.divergence.noise, null);
    assert.equal(divergence("unexplained").verdict, "FAIL");

    const worse = rule("regressed");
    assert.equal(worse.figures.divergence.mismatched, regressed);
    assert.equal(worse.figures.divergence.noise?.mismatched, volatile);
    assert.equal(divergence("regressed").verdict, "FAIL");
    assert.ok(Math.abs(divergence("regressed").observed! - (regressed - volatile) / PAIRS) < 1e-9);
    const points = ((100 * (regressed - volatile)) / PAIRS).toFixed(2);
    assert.match(
      divergence("regressed").reason,
      new RegExp(
        `^divergence over noise \\+${points} points \\(dark ${((100 * regressed) / PAIRS).toFixed(2)}% of ${PAIRS} pairs, noise ${rate}% .* is over the limit of 1 points beyond chance`,
      ),
    );
    assert.equal(worse.verdict, "FAIL");
    assert.equal(run.code, 1);
  });

  test("verdict, for people: both divergences side by side", async () => {
    const run = await cli(["verdict", "--admin", stack.envoy.adminUrl, "--thresholds", thresholds]);
    const rate = ((100 * volatile) / PAIRS).toFixed(2);
    assert.match(run.stdout, new RegExp(`^explained +NOT ENOUGH DATA +${PAIRS} +${PAIRS} +100\\.0% +${rate}% \\(noise ${rate}%\\)`, "m"));
    assert.match(
      run.stdout,
      new RegExp(`^regressed +FAIL +${PAIRS} +${PAIRS} +100\\.0% +${((100 * regressed) / PAIRS).toFixed(2)}% \\(noise ${rate}%\\)`, "m"),
    );
    assert.match(
      run.stdout,
      new RegExp(`^unexplained +FAIL +${PAIRS} +${PAIRS} +100\\.0% +${rate}% +0\\.00%`, "m"),
      "no noise column without a noise cluster",
    );
    assert.match(run.stdout, /^ {2}divergence {3}FAIL {2}divergence over noise \+40\.00 points/m);
  });

  test("watch shows the noise divergence beside the dark one, for the interval", () => {
    assert.equal(watchText.code, 0, watchText.stderr);
    const share = ((100 * count((i) => i < WATCHED && cacheMiss(i))) / WATCHED).toFixed(2);
    assert.match(
      watchText.stdout,
      new RegExp(`^explained +[\\d.]+ +[\\d.]+ +100\\.0% +${share}% \\(noise ${share}%\\) `, "m"),
      watchText.stdout,
    );
    assert.match(watchText.stdout, /^unexplained +0\.0 +0\.0 +- +- /m, "a rule without traffic in the interval");
    assert.equal(watchJson.code, 0, watchJson.stderr);
    const block = JSON.parse(watchJson.stdout) as WatchBlock;
    const explained = block.rules.find((r) => r.rule === "explained")!;
    assert.equal(explained.interval.divergence.compared, WATCHED);
    assert.equal(explained.interval.divergence.noise?.compared, WATCHED);
    assert.equal(explained.interval.divergence.noise?.mismatched, explained.interval.divergence.mismatched);
    assert.notEqual(explained.verdict_so_far, "FAIL");
  });
});
