// Rule matching (contract section 1.1 and the `match` block): route name, path prefix, header
// conditions, first match wins, and a request no rule fits is counted nowhere.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { send } from "../support/client.js";
import { prefixRule, startStack, type Stack } from "../support/stack.js";
import { assertInvariants, nonZero, settledRuleStats, settledStatsValues } from "../support/stats.js";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const RULES = ["m-route", "m-route-miss", "m-exact", "m-prefix", "m-present", "m-absent", "m-order-a", "m-order-b", "m-all"];

describe("rule matching", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      bootstrap: { extraRoutes: [{ name: "other_route", prefix: "/m/route-other" }] },
      filterConfig: {
        rules: [
          { name: "m-route", match: { route: "other_route" }, dark: { cluster: "dark" } },
          prefixRule("m-route-miss", "/m/route-miss", { match: { route: "no_such_route" } }),
          prefixRule("m-exact", "/m/exact", { match: { headers: [{ name: "x-dark", exact: "1" }] } }),
          prefixRule("m-prefix", "/m/prefix", { match: { headers: [{ name: "X-Tenant", prefix: "beta-" }] } }),
          prefixRule("m-present", "/m/present", { match: { headers: [{ name: "x-flag", present: true }] } }),
          prefixRule("m-absent", "/m/absent", { match: { headers: [{ name: "x-skip", absent: true }] } }),
          prefixRule("m-order-a", "/m/order", { match: { headers: [{ name: "x-first", exact: "yes" }] } }),
          prefixRule("m-order-b", "/m/order"),
          prefixRule("m-all", "/m/all", {
            match: {
              route: "primary_route",
              headers: [
                { name: "x-a", exact: "1" },
                { name: "x-b", present: true },
              ],
            },
          }),
        ],
      },
    });
  });
  after(() => stack?.stop());

  /** A rule's requests once the workers have flushed what they counted. */
  async function counts(rule: string): Promise<number> {
    return (await settledRuleStats(stack.envoy.adminUrl, rule)).requests!;
  }

  test("route: matches requests on the named route (xds.route_name) only", async () => {
    await send(stack.envoy.url, { path: "/m/route-other/a" });
    await send(stack.envoy.url, { path: "/m/route-other/b?q=1" });
    await send(stack.envoy.url, { path: "/m/route-miss/a" }); // on primary_route; the rule wants no_such_route
    await stack.dark.waitForRequests("/m/route-other", 2);
    assert.equal(await counts("m-route"), 2);
    assert.equal(await counts("m-route-miss"), 0);
  });

  test("header exact: only the exact value matches", async () => {
    await send(stack.envoy.url, { path: "/m/exact/1", headers: [["x-dark", "1"]] });
    await send(stack.envoy.url, { path: "/m/exact/2", headers: [["x-dark", "10"]] });
    await send(stack.envoy.url, { path: "/m/exact/3", headers: [["x-dark", "2"]] });
    await send(stack.envoy.url, { path: "/m/exact/4" });
    await stack.dark.waitForRequests("/m/exact", 1);
    await sleep(200);
    assert.equal(await counts("m-exact"), 1);
    assert.deepEqual(
      stack.dark.requestsTo("/m/exact").map((r) => r.path),
      ["/m/exact/1"],
    );
  });

  test("header prefix: values starting with the prefix match (header name case-insensitive)", async () => {
    await send(stack.envoy.url, { path: "/m/prefix/1", headers: [["x-tenant", "beta-7"]] });
    await send(stack.envoy.url, { path: "/m/prefix/2", headers: [["X-TENANT", "beta-"]] });
    await send(stack.envoy.url, { path: "/m/prefix/3", headers: [["x-tenant", "alpha-beta-"]] });
    await send(stack.envoy.url, { path: "/m/prefix/4" });
    await stack.dark.waitForRequests("/m/prefix", 2);
    await sleep(200);
    assert.equal(await counts("m-prefix"), 2);
    assert.deepEqual(
      stack.dark
        .requestsTo("/m/prefix")
        .map((r) => r.path)
        .sort(),
      ["/m/prefix/1", "/m/prefix/2"],
    );
  });

  test("header present / absent", async () => {
    await send(stack.envoy.url, { path: "/m/present/1", headers: [["x-flag", ""]] });
    await send(stack.envoy.url, { path: "/m/present/2", headers: [["x-flag", "on"]] });
    await send(stack.envoy.url, { path: "/m/present/3" });
    await send(stack.envoy.url, { path: "/m/absent/1" });
    await send(stack.envoy.url, { path: "/m/absent/2", headers: [["x-skip", "1"]] });
    await stack.dark.waitForRequests("/m/absent", 1);
    await stack.dark.waitForRequests("/m/present", 2);
    await sleep(200);
    assert.equal(await counts("m-present"), 2);
    assert.equal(await counts("m-absent"), 1);
    assert.deepEqual(
      stack.dark.requestsTo("/m/absent").map((r) => r.path),
      ["/m/absent/1"],
    );
  });

  test("rules are tried in order: the first that fits counts the request, the next does not", async () => {
    await send(stack.envoy.url, { path: "/m/order/1", headers: [["x-first", "yes"]] });
    await send(stack.envoy.url, { path: "/m/order/2" });
    await send(stack.envoy.url, { path: "/m/order/3", headers: [["x-first", "no"]] });
    await stack.dark.waitForRequests("/m/order", 3);
    assert.equal(await counts("m-order-a"), 1);
    assert.equal(await counts("m-order-b"), 2);
    const copies = stack.dark.requestsTo("/m/order");
    const byPath = Object.fromEntries(
      copies.map((r) => [r.path, r.rawHeaders[r.rawHeaders.findIndex((h) => h.toLowerCase() === "x-dark-launch") + 1]]),
    );
    assert.deepEqual(byPath, { "/m/order/1": "m-order-a", "/m/order/2": "m-order-b", "/m/order/3": "m-order-b" });
  });

  test("all conditions of a match must hold (route, prefix and two headers)", async () => {
    await send(stack.envoy.url, {
      path: "/m/all/1",
      headers: [
        ["x-a", "1"],
        ["x-b", "z"],
      ],
    });
    await send(stack.envoy.url, { path: "/m/all/2", headers: [["x-a", "1"]] });
    await send(stack.envoy.url, { path: "/m/all/3", headers: [["x-b", "z"]] });
    await send(stack.envoy.url, {
      path: "/m/al/4",
      headers: [
        ["x-a", "1"],
        ["x-b", "z"],
      ],
    });
    await stack.dark.waitForRequests("/m/all", 1);
    await sleep(200);
    assert.equal(await counts("m-all"), 1);
  });

  test("a request no rule fits is untouched and counted nowhere", async () => {
    const before = await settledStatsValues(stack.envoy.adminUrl);
    const darkBefore = stack.dark.requests.length;
    for (const path of ["/nomatch", "/m/exact-but-no-header", "/m/present/x", "/M/ORDER/upper"]) {
      const res = await send(stack.envoy.url, { path });
      assert.equal(res.status, 200);
      assert.equal(res.body.toString(), `primary: GET ${path} (0 bytes)`);
    }
    // Settled: anything these requests had counted would have been flushed within the window.
    const afterStats = await settledStatsValues(stack.envoy.adminUrl);
    const moved = [...afterStats].filter(([k, v]) => k.startsWith("wasmcustom.") && v !== (before.get(k) ?? 0));
    assert.deepEqual(moved, []);
    assert.equal(stack.dark.requests.length, darkBefore);
  });

  test("invariants hold for every matching rule", async () => {
    for (const rule of RULES) {
      const s = await assertInvariants(stack.envoy.adminUrl, rule);
      assert.equal(s.mirrored, s.requests, `${rule}: ${JSON.stringify(nonZero(s))}`);
    }
  });
});
