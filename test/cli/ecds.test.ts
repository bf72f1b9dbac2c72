// Kill switch and ramp without a restart: the project's ECDS example in a real Envoy, changed
// with the real `darklaunch set` command. Each step measures the time from starting the command
// (and from its exit, when the file has been swapped) to the first request that behaves the new
// way, and checks that requests in flight during the swap all succeed.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test, type TestContext } from "node:test";
import { getText } from "../../tools/lib/envoy.js";
import { send } from "../support/client.js";
import { ruleStats, waitForRuleStats, type RuleStats } from "../support/stats.js";
import { startEcdsStack, type EcdsStack } from "./ecds-stack.js";
import { cliProcess } from "./helpers.js";

const RULE = "checkout"; // the example's rule, matched by route checkout_route (/api/checkout)
const SWITCH_LIMIT_MS = 10000; // a wide margin: Envoy applies a moved-in file within about a second
const SLOW_MS = 1500;

type Outcome = "mirrored" | "disabled" | "sampled_out" | "other";

/**
 * Sends one request and tells what the filter did with it, from the counters that moved, and when
 * its answer came. (The previous probe waited for its own counts, so `before` holds them.)
 */
async function probe(stack: EcdsStack, i: number): Promise<{ outcome: Outcome; at: number }> {
  const before = await ruleStats(stack.envoy.adminUrl, RULE);
  const res = await send(stack.envoy.url, { path: `/api/checkout/probe-${i}` });
  const at = Date.now();
  assert.equal(res.status, 200);
  // The gate counts while the request is handled; the counts reach Envoy at the worker's next tick.
  const now = await waitForRuleStats(stack.envoy.adminUrl, RULE, (s) => s.requests! > before.requests!, "the probe counted", 5000);
  const moved = (k: string): number => (now[k] ?? 0) - (before[k] ?? 0);
  assert.equal(moved("requests"), 1, "one probe, one request counted");
  if (moved("mirrored") === 1) return { outcome: "mirrored", at };
  if (moved("skipped.disabled") === 1) return { outcome: "disabled", at };
  if (moved("skipped.sampled_out") === 1) return { outcome: "sampled_out", at };
  return { outcome: "other", at };
}

interface Switch {
  /** Command start → first request with the new behaviour. */
  fromCommandMs: number;
  /** Command exit (file swapped) → first request with the new behaviour. */
  fromSwapMs: number;
  commandMs: number;
}

/** Runs `darklaunch set ...` and probes until a request has outcome `expected`. */
async function switchTo(stack: EcdsStack, args: string[], expected: Outcome): Promise<Switch> {
  const started = Date.now();
  const run = await cliProcess(["set", ...args, "--ecds", stack.ecdsPath]);
  const swapped = Date.now();
  assert.equal(run.code, 0, `darklaunch set ${args.join(" ")}: ${run.stdout}${run.stderr}`);
  for (let i = 0; ; i++) {
    const { outcome, at } = await probe(stack, i);
    if (outcome === expected) return { fromCommandMs: at - started, fromSwapMs: at - swapped, commandMs: swapped - started };
    if (Date.now() - swapped > SWITCH_LIMIT_MS)
      assert.fail(`still "${outcome}" ${SWITCH_LIMIT_MS} ms after darklaunch set ${args.join(" ")}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function ecdsStats(adminUrl: string): Promise<Record<string, number>> {
  const text = (
    await getText(`${adminUrl}/stats?filter=${encodeURIComponent("^extension_config_discovery\\.http_filter\\.dark_launch\\.")}`)
  ).text;
  const out: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const m = /^extension_config_discovery\.http_filter\.dark_launch\.(\w+): (\d+)$/.exec(line);
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

function report(t: TestContext, what: string, s: Switch): void {
  t.diagnostic(
    `${what}: new behaviour ${s.fromSwapMs} ms after the file swap, ${s.fromCommandMs} ms after the command started (the command took ${s.commandMs} ms)`,
  );
}

describe("darklaunch set on the ECDS example, with a real Envoy", () => {
  let stack: EcdsStack;
  let statsBefore: RuleStats;

  before(async () => {
    stack = await startEcdsStack({
      primaryScripts: { "/api/checkout/slow": { body: "slow primary answer", delayMs: SLOW_MS } },
    });
    statsBefore = await ruleStats(stack.envoy.adminUrl, RULE);
  });

  after(async () => {
    await stack?.stop();
  });

  test("the example starts with its rule defined and every counter at 0", () => {
    assert.equal(statsBefore.requests, 0);
    assert.equal(statsBefore.mirrored, 0);
  });

  test("--disable: requests stop being mirrored (skipped.disabled); requests in flight all succeed", async (t) => {
    // Requests to a slow primary, running while the configuration is swapped.
    const inFlight = Array.from({ length: 6 }, (_, i) => send(stack.envoy.url, { path: `/api/checkout/slow/${i}` }));
    await stack.primary.waitForRequests("/api/checkout/slow", 6);
    const s = await switchTo(stack, [RULE, "--disable"], "disabled");
    report(t, "--disable", s);
    assert.ok(s.fromSwapMs < SWITCH_LIMIT_MS);
    const answers = await Promise.all(inFlight);
    assert.deepEqual(
      answers.map((a) => [a.status, a.body.toString()]),
      answers.map(() => [200, "slow primary answer"]),
    );
    // And the next ones are never mirrored.
    for (let i = 0; i < 10; i++) assert.equal((await probe(stack, 100 + i)).outcome, "disabled");
  });

  test("--enable --percent 100: every request mirrored again", async (t) => {
    const s = await switchTo(stack, [RULE, "--enable", "--percent", "100"], "mirrored");
    report(t, "--enable --percent 100", s);
    for (let i = 0; i < 10; i++) assert.equal((await probe(stack, 200 + i)).outcome, "mirrored");
  });

  test("--percent 0: the ramp goes down to nothing (skipped.sampled_out)", async (t) => {
    const s = await switchTo(stack, [RULE, "--percent", "0"], "sampled_out");
    report(t, "--percent 0", s);
    for (let i = 0; i < 10; i++) assert.equal((await probe(stack, 300 + i)).outcome, "sampled_out");
  });

  test("--all --disable: the global kill switch", async (t) => {
    const s = await switchTo(stack, ["--all", "--disable"], "disabled");
    report(t, "--all --disable", s);
  });

  test("a change the filter refuses is not written: file unchanged, Envoy never sees it", async () => {
    const before = readFileSync(stack.ecdsPath, "utf8");
    const reloads = (await ecdsStats(stack.envoy.adminUrl)).config_reload;
    const run = await cliProcess(["set", RULE, "--percent", "150", "--ecds", stack.ecdsPath]);
    assert.equal(run.code, 1);
    assert.equal(run.stdout, "rules[0].sample.percent: must be a number from 0 to 100 (got 150)\n");
    assert.match(run.stderr, /the filter refuses the changed configuration; .* is left as it was/);
    assert.equal(readFileSync(stack.ecdsPath, "utf8"), before);
    const unknown = await cliProcess(["set", "nope", "--disable", "--ecds", stack.ecdsPath]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no rule named "nope" \(rules: checkout\)/);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await ecdsStats(stack.envoy.adminUrl)).config_reload, reloads);
  });

  test("Envoy took every update (ECDS counters) and the file kept its comments and layout", async () => {
    const ecds = await ecdsStats(stack.envoy.adminUrl);
    // The initial load plus four updates.
    assert.equal(ecds.config_reload, 5);
    assert.equal(ecds.update_rejected, 0);
    assert.equal(ecds.config_fail, 0);
    const text = readFileSync(stack.ecdsPath, "utf8");
    assert.match(text, /^# The dark-launch filter's configuration as an ECDS resource/);
    assert.match(text, /^version_info: "5"$/m);
    assert.match(text, /"sample": \{ "percent": 0, "by": "header:x-user-id" \}/);
    assert.match(text, /^ {14}"enabled": false,$/m);
  });
});
