// A new configuration (ECDS) while dark calls are in flight: the old root context stays until
// its calls have called back, so their slots, outcomes and comparisons are all settled, and the
// in-flight limit is not left holding slots of calls nobody will answer for.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { startEcdsStack } from "../cli/ecds-stack.ts";
import { send } from "../support/client.ts";
import { assertInvariants, ruleStats, waitForRuleStats } from "../support/stats.ts";

const RULE = "checkout";

test("an ECDS update during dark calls: they still settle, their slots come back, mirroring goes on", async (t) => {
  const stack = await startEcdsStack({ darkScripts: { "/api/checkout": { body: "dark", delayMs: 2000 } } });
  t.after(() => stack.stop());
  let version = 100;
  const swap = (mismatchLogPerSecond: number): void => {
    const config = {
      mismatch_log_per_second: mismatchLogPerSecond,
      rules: [{ name: RULE, match: { route: "checkout_route" }, dark: { cluster: "checkout_v2", timeout_ms: 5000 }, limits: { max_in_flight: 3 } }],
    };
    let text = readFileSync(stack.ecdsPath, "utf8");
    text = text.replace(/version_info: "[^"]*"/, `version_info: "${version++}"`);
    text = text.replace(/value: \|\n[\s\S]*$/, `value: |\n            ${JSON.stringify(config)}\n`);
    const tmp = join(dirname(stack.ecdsPath), "next.yaml");
    writeFileSync(tmp, text);
    renameSync(tmp, stack.ecdsPath);
  };
  const reloads = async (): Promise<number> => {
    const text = await (await fetch(`${stack.envoy.adminUrl}/stats?filter=extension_config_discovery.*config_reload$`)).text();
    return [...text.matchAll(/: (\d+)/g)].reduce((a, m) => a + Number(m[1]), 0);
  };

  swap(1);
  const first = await reloads();
  await waitForRuleStats(stack.envoy.adminUrl, RULE, () => true, "stats");
  for (let i = 0; i < 3; i++) assert.equal((await send(stack.envoy.url, { path: `/api/checkout/a${i}` })).status, 200);
  // The gauge moves at the worker's next tick; the dark side takes 2 s.
  const busy = await waitForRuleStats(stack.envoy.adminUrl, RULE, (s) => s["in_flight"]! >= 3, "in_flight = 3", 1500);
  assert.equal(busy["in_flight"], 3, "three dark calls in flight (the dark side takes 2 s)");

  const before = await reloads();
  swap(2); // any change: a new root context; the old one is shut down with its calls in flight
  const deadline = Date.now() + 10_000;
  while ((await reloads()) <= before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.ok((await reloads()) > before, `Envoy applied the update (reloads ${first} → ${await reloads()})`);

  const settled = await waitForRuleStats(stack.envoy.adminUrl, RULE, (s) => s["in_flight"] === 0 && s["dark.status.2xx"] === 3, "the old root's calls settled", 10_000);
  assert.equal(settled["compare.mismatch.body"], 3, "their comparisons were counted");

  for (let i = 0; i < 3; i++) assert.equal((await send(stack.envoy.url, { path: `/api/checkout/b${i}` })).status, 200);
  const after = await assertInvariants(stack.envoy.adminUrl, RULE, { timeoutMs: 10_000 });
  assert.equal(after["skipped.in_flight_limit"], 0, "no slot is held by calls from before the update");
  assert.equal(after["mirrored"], 6);
});
