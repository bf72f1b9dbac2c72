// Time-boxed rules in the real Envoy (contract §2.1, `expires_at`, Envoy's wall clock): a rule
// whose time has passed mirrors nothing and counts skipped.expired; one in the future mirrors;
// one whose time passes while traffic flows stops mirroring at that moment.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { send } from "../support/client.js";
import { prefixRule, startStack, type Stack } from "../support/stack.js";
import { assertInvariants, settledRuleStats, waitForRuleStats } from "../support/stats.js";
import type { VerdictDocument } from "../../tools/darklaunch/src/commands/verdict.js";
import { cli } from "../cli/helpers.js";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** How long after Envoy is ready the `passing` rule expires. */
const PASSES_AFTER_MS = 4000;
/** Leeway around that moment for the two clocks and the request's way through Envoy. */
const LEEWAY_MS = 250;

describe("expires_at in Envoy", () => {
  let stack: Stack;
  let expiresAt: number;

  before(async () => {
    // A whole second, written with an offset, a few seconds from now (Envoy takes about a second to start).
    expiresAt = Math.ceil((Date.now() + 2000 + PASSES_AFTER_MS) / 1000) * 1000;
    const inBerlinTime = new Date(expiresAt + 3600_000).toISOString().replace(/\.\d{3}Z$/, "+01:00");
    stack = await startStack({
      filterConfig: {
        rules: [
          prefixRule("past", "/past", { expires_at: "2020-01-01T00:00:00Z" }),
          prefixRule("future", "/future", { expires_at: "2099-12-31T23:59:59Z" }),
          prefixRule("passing", "/passing", { expires_at: inBerlinTime }),
        ],
      },
    });
  });
  after(() => stack?.stop());

  test("in the past: every request counts as skipped.expired, nothing reaches the dark service", async () => {
    for (let i = 0; i < 5; i++) assert.equal((await send(stack.envoy.url, { path: `/past/${i}` })).status, 200);
    const stats = await waitForRuleStats(stack.envoy.adminUrl, "past", (s) => s.requests === 5, "5 requests");
    assert.equal(stats["skipped.expired"], 5);
    assert.equal(stats.mirrored, 0);
    await sleep(200);
    assert.equal(stack.dark.requestsTo("/past").length, 0);
    assert.equal(stack.primary.requestsTo("/past").length, 5, "the primary serves them as always");
    await assertInvariants(stack.envoy.adminUrl, "past");
  });

  test("in the future: mirrored as usual", async () => {
    for (let i = 0; i < 5; i++) assert.equal((await send(stack.envoy.url, { path: `/future/${i}` })).status, 200);
    await stack.dark.waitForRequests("/future", 5);
    const stats = await waitForRuleStats(
      stack.envoy.adminUrl,
      "future",
      (s) => s["compare.match"]! + s["compare.mismatch.body"]! === 5,
      "5 compared",
    );
    assert.equal(stats.mirrored, 5);
    assert.equal(stats["skipped.expired"], 0);
  });

  test("passing while traffic flows: mirrored before the moment, skipped.expired after it", async () => {
    const sent: { i: number; at: number }[] = [];
    let i = 0;
    // A request every 50 ms from before to after the moment.
    while (Date.now() < expiresAt + 1500) {
      const at = Date.now();
      assert.equal((await send(stack.envoy.url, { path: `/passing/${i}` })).status, 200);
      sent.push({ i, at });
      i++;
      await sleep(50);
    }
    await sleep(300); // the last copies arrive
    const mirrored = new Set(stack.dark.requestsTo("/passing").map((r) => Number(r.path.split("/")[2])));
    const early = sent.filter((s) => s.at < expiresAt - LEEWAY_MS);
    const late = sent.filter((s) => s.at > expiresAt + LEEWAY_MS);
    assert.ok(early.length >= 10 && late.length >= 10, `${early.length} before, ${late.length} after`);
    assert.deepEqual(
      early.filter((s) => !mirrored.has(s.i)).map((s) => s.i),
      [],
      "sent before expires_at and not mirrored",
    );
    assert.deepEqual(
      late.filter((s) => mirrored.has(s.i)).map((s) => s.i),
      [],
      "sent after expires_at and mirrored",
    );
    const stats = await settledRuleStats(stack.envoy.adminUrl, "passing");
    assert.equal(stats.requests, sent.length);
    assert.equal(stats.mirrored, mirrored.size);
    assert.equal(stats["skipped.expired"], sent.length - mirrored.size);
    await assertInvariants(stack.envoy.adminUrl, "passing");
  });

  test("verdict and watch show the expired rule as expired", async () => {
    const json = JSON.parse((await cli(["verdict", "--admin", stack.envoy.adminUrl, "--json"])).stdout) as VerdictDocument;
    const byRule = Object.fromEntries(json.rules.map((r) => [r.rule, r]));
    assert.equal(byRule.past!.expired, true);
    assert.equal(byRule.past!.figures.expired, byRule.past!.figures.skipped.expired);
    assert.equal(byRule.future!.expired, false);
    const text = (await cli(["verdict", "--admin", stack.envoy.adminUrl, "--rule", "past"])).stdout;
    assert.match(text, /^past +NOT ENOUGH DATA \(expired\) +\d+ +0 /m);
    assert.match(text, /^ {2}expired {6}its expires_at has passed: \d+ requests not mirrored since$/m);
    await send(stack.envoy.url, { path: "/past/late" });
    const watch = await cli(["watch", "--admin", stack.envoy.adminUrl, "--interval", "0.2", "--iterations", "1"]);
    assert.equal(watch.code, 0, watch.stderr);
    assert.match(watch.stdout, /^past .*\(expired\)$/m);
    assert.match(watch.stdout, /^expired \(expires_at has passed, nothing mirrored\): (passing, )?past$/m);
  });
});
