// The gates that stop a request from being mirrored (contract section 1), each counted once
// under skipped.<reason>, with the primary untouched. Limits and the breaker: limits.test.ts.

import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, test } from "node:test";
import { abortMidBody, send } from "../support/client.js";
import { stickyIn } from "../support/sampling.js";
import { prefixRule, startStack, type Stack } from "../support/stack.js";
import { assertInvariants, nonZero, ruleStats, waitForRuleStats } from "../support/stats.js";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Lets late dark copies arrive before asserting that none did. */
const QUIET_MS = 300;

describe("gates (one Envoy, one rule per case)", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      primaryScripts: { "/g/reset": { resetOnHeaders: true } },
      filterConfig: {
        rules: [
          prefixRule("g-disabled", "/g/disabled", { enabled: false, methods: ["GET", "POST"] }),
          prefixRule("g-method", "/g/method"),
          prefixRule("g-sampled", "/g/sampled", { sample: { percent: 0 } }),
          prefixRule("g-body", "/g/body", { methods: ["POST", "PUT"], dark: { max_body_bytes: 16 } }),
          prefixRule("g-aborted", "/g/aborted", { methods: ["POST"] }),
          prefixRule("g-reset", "/g/reset", { methods: ["POST"] }),
          prefixRule("g-dispatch", "/g/dispatch", { dark: { cluster: "no_such_cluster" } }),
          prefixRule("g-random", "/g/random", { sample: { percent: 50, by: "header:x-user-id" } }),
          prefixRule("g-body0", "/g/zero-body", { methods: ["POST"], dark: { max_body_bytes: 0 } }),
          prefixRule("g-cookie", "/g/cookie", { sample: { percent: 50, by: "cookie:uid" } }),
          // One rule per position in the order of checks: each would also fail every later gate.
          prefixRule("g-order-disabled", "/g/order-disabled", {
            enabled: false,
            sample: { percent: 0 },
            dark: { max_body_bytes: 1, cluster: "no_such_cluster" },
            limits: { max_in_flight: 0 },
          }),
          prefixRule("g-order-method", "/g/order-method", {
            sample: { percent: 0 },
            dark: { max_body_bytes: 1, cluster: "no_such_cluster" },
            limits: { max_in_flight: 0 },
          }),
          prefixRule("g-order-sampled", "/g/order-sampled", {
            methods: ["POST"],
            sample: { percent: 0 },
            dark: { max_body_bytes: 1, cluster: "no_such_cluster" },
            limits: { max_in_flight: 0 },
          }),
          prefixRule("g-order-body", "/g/order-body", {
            methods: ["POST"],
            dark: { max_body_bytes: 1, cluster: "no_such_cluster" },
            limits: { max_in_flight: 0, max_per_second: 1 },
          }),
          prefixRule("g-order-inflight", "/g/order-inflight", {
            methods: ["POST"],
            dark: { cluster: "no_such_cluster" },
            limits: { max_in_flight: 0, max_per_second: 1 },
          }),
          prefixRule("g-order-rate", "/g/order-rate", { dark: { cluster: "no_such_cluster" }, limits: { max_per_second: 1 } }),
        ],
      },
    });
  });
  after(() => stack?.stop());

  test("rule enabled:false counts requests under skipped.disabled and mirrors nothing", async () => {
    for (const method of ["GET", "POST", "GET"]) {
      const res = await send(stack.envoy.url, { method, path: "/g/disabled/x", body: method === "POST" ? "b" : undefined });
      assert.equal(res.status, 200);
    }
    await sleep(QUIET_MS);
    const s = await assertInvariants(stack.envoy.adminUrl, "g-disabled");
    assert.deepEqual(nonZero(s), { requests: 3, "skipped.disabled": 3 });
    assert.equal(stack.dark.requestsTo("/g/disabled").length, 0);
    assert.equal(stack.primary.requestsTo("/g/disabled").length, 3);
  });

  test("default methods: GET/HEAD/OPTIONS are mirrored, POST/PUT/PATCH/DELETE are skipped.method", async () => {
    for (const method of ["GET", "HEAD", "OPTIONS"]) {
      assert.equal((await send(stack.envoy.url, { method, path: `/g/method/${method}` })).status, 200);
    }
    for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
      const res = await send(stack.envoy.url, { method, path: `/g/method/${method}`, body: "payload" });
      assert.equal(res.status, 200);
      assert.equal(res.body.toString(), `primary: ${method} /g/method/${method} (7 bytes)`);
    }
    await stack.dark.waitForRequests("/g/method", 3);
    await sleep(QUIET_MS);
    assert.deepEqual(
      stack.dark
        .requestsTo("/g/method")
        .map((r) => r.method)
        .sort(),
      ["GET", "HEAD", "OPTIONS"],
    );
    const s = await assertInvariants(stack.envoy.adminUrl, "g-method");
    assert.equal(s.requests, 7);
    assert.equal(s.mirrored, 3);
    assert.equal(s["skipped.method"], 4);
  });

  test("sample.percent 0 skips every request as sampled_out", async () => {
    for (let i = 0; i < 10; i++) await send(stack.envoy.url, { path: `/g/sampled/${i}`, headers: [["x-user-id", `u${i}`]] });
    await sleep(QUIET_MS);
    const s = await assertInvariants(stack.envoy.adminUrl, "g-sampled");
    assert.deepEqual(nonZero(s), { requests: 10, "skipped.sampled_out": 10 });
    assert.equal(stack.dark.requestsTo("/g/sampled").length, 0);
  });

  test("body_too_large: one byte over max_body_bytes is skipped (content-length and chunked), exactly at it is copied whole", async () => {
    const at = "0123456789abcdef"; // 16 bytes = max_body_bytes
    const over = `${at}!`;
    const cases = [
      { path: "/g/body/at-cl", body: at, chunked: false, mirrored: true },
      { path: "/g/body/at-chunked", body: at, chunked: true, mirrored: true },
      { path: "/g/body/over-cl", body: over, chunked: false, mirrored: false },
      { path: "/g/body/over-chunked", body: over, chunked: true, mirrored: false },
      { path: "/g/body/huge-chunked", body: "x".repeat(300_000), chunked: true, mirrored: false },
    ];
    for (const c of cases) {
      const res = await send(stack.envoy.url, { method: "POST", path: c.path, body: c.body, chunked: c.chunked });
      assert.equal(res.status, 200, c.path);
    }
    await stack.dark.waitForRequests("/g/body/at-", 2);
    await sleep(QUIET_MS);
    for (const c of cases) {
      const primary = stack.primary.requestsTo(c.path);
      assert.equal(primary.length, 1, c.path);
      assert.equal(primary[0]!.body.toString(), c.body, `${c.path}: primary body untouched`);
      const dark = stack.dark.requestsTo(c.path);
      assert.equal(dark.length, c.mirrored ? 1 : 0, `${c.path}: copies`);
      if (c.mirrored) assert.equal(dark[0]!.body.toString(), c.body, `${c.path}: copy body`);
    }
    const s = await assertInvariants(stack.envoy.adminUrl, "g-body");
    assert.equal(s.requests, 5);
    assert.equal(s.mirrored, 2);
    assert.equal(s["skipped.body_too_large"], 3);
  });

  test("max_body_bytes 0: a POST without a body is mirrored, one byte is body_too_large", async () => {
    await send(stack.envoy.url, { method: "POST", path: "/g/zero-body/empty", body: "" });
    await send(stack.envoy.url, { method: "POST", path: "/g/zero-body/one", body: "1" });
    await send(stack.envoy.url, { method: "POST", path: "/g/zero-body/one-chunked", body: "1", chunked: true });
    await stack.dark.waitForRequests("/g/zero-body/empty", 1);
    await sleep(QUIET_MS);
    assert.deepEqual(
      stack.dark.requestsTo("/g/zero-body").map((r) => r.path),
      ["/g/zero-body/empty"],
    );
    const s = await assertInvariants(stack.envoy.adminUrl, "g-body0");
    assert.deepEqual([s.requests, s.mirrored, s["skipped.body_too_large"]], [3, 1, 2]);
  });

  test("cookie:<name> key: the first <name>= pair across cookie headers (not a longer name ending in it)", async () => {
    const keys = Array.from({ length: 50 }, (_, i) => `k${i}`);
    const keyIn = keys.find((k) => stickyIn(k, 50))!;
    const keyOut = keys.find((k) => !stickyIn(k, 50))!;
    const cases: { name: string; cookies: string[]; mirrored: boolean }[] = [
      { name: "plain-in", cookies: [`uid=${keyIn}`], mirrored: true },
      { name: "plain-out", cookies: [`uid=${keyOut}`], mirrored: false },
      { name: "suffix-name", cookies: [`xuid=${keyIn}; uid=${keyOut}`], mirrored: false },
      { name: "first-pair", cookies: [`a=1; uid=${keyIn}; uid=${keyOut}`], mirrored: true },
      { name: "second-header", cookies: ["a=1", `uid=${keyOut}`], mirrored: false },
      { name: "second-header-in", cookies: ["theme=x", `uid=${keyIn}`], mirrored: true },
    ];
    const REPEAT = 6; // a random fallback would almost surely mix outcomes
    for (const c of cases) {
      for (let i = 0; i < REPEAT; i++) {
        await send(stack.envoy.url, { path: `/g/cookie/${c.name}/${i}`, headers: c.cookies.map((v): [string, string] => ["cookie", v]) });
      }
    }
    await assertInvariants(stack.envoy.adminUrl, "g-cookie");
    await sleep(QUIET_MS);
    for (const c of cases) {
      assert.equal(stack.dark.requestsTo(`/g/cookie/${c.name}/`).length, c.mirrored ? REPEAT : 0, c.name);
    }
  });

  test("aborted: a client that sends part of a POST body and goes away is skipped.aborted, nothing is mirrored", async () => {
    await abortMidBody(stack.envoy.port, "/g/aborted/1", 1000, 100);
    await abortMidBody(stack.envoy.port, "/g/aborted/2", 5000, 0);
    const s = await waitForRuleStats(stack.envoy.adminUrl, "g-aborted", (x) => x["skipped.aborted"] === 2, "skipped.aborted = 2");
    await sleep(QUIET_MS);
    assert.equal(stack.dark.requestsTo("/g/aborted").length, 0);
    assert.equal(s.requests, 2);
    assert.equal(s.mirrored, 0);
    // A complete POST on the same rule is still mirrored afterwards.
    assert.equal((await send(stack.envoy.url, { method: "POST", path: "/g/aborted/3", body: "whole" })).status, 200);
    const [copy] = await stack.dark.waitForRequests("/g/aborted/3", 1);
    assert.equal(copy!.body.toString(), "whole");
    const end = await assertInvariants(stack.envoy.adminUrl, "g-aborted");
    assert.deepEqual([end.requests, end.mirrored, end["skipped.aborted"]], [3, 1, 2]);
  });

  test("aborted: the primary resets the stream while the client is still sending the body", async () => {
    const raw = await new Promise<string>((resolveRaw, reject) => {
      const socket = connect(stack.envoy.port, "127.0.0.1");
      let text = "";
      socket.on("error", reject);
      socket.on("data", (c: Buffer) => (text += c.toString("latin1")));
      socket.on("close", () => resolveRaw(text));
      socket.on("connect", () => {
        socket.write("POST /g/reset/1 HTTP/1.1\r\nhost: a\r\ncontent-length: 1000\r\n\r\n");
        socket.write(Buffer.alloc(100, "a"));
        setTimeout(() => socket.destroy(), 1500);
      });
    });
    assert.match(raw, /^HTTP\/1\.1 503/, "Envoy answers the reset with a local 503");
    const s = await waitForRuleStats(stack.envoy.adminUrl, "g-reset", (x) => x["skipped.aborted"] === 1, "skipped.aborted = 1");
    assert.equal(s.mirrored, 0);
    assert.equal(stack.dark.requestsTo("/g/reset").length, 0);
    await assertInvariants(stack.envoy.adminUrl, "g-reset");
  });

  test("dispatch_failed: unknown dark cluster is counted, the primary is fine, one error log line names the cluster", async () => {
    for (let i = 0; i < 5; i++) {
      const res = await send(stack.envoy.url, { path: `/g/dispatch/${i}` });
      assert.equal(res.status, 200);
      assert.equal(res.body.toString(), `primary: GET /g/dispatch/${i} (0 bytes)`);
    }
    const s = await assertInvariants(stack.envoy.adminUrl, "g-dispatch");
    assert.deepEqual(nonZero(s), { requests: 5, "skipped.dispatch_failed": 5 });
    const line = await stack.envoy.waitForLog(
      /darklaunch: dark call to cluster "no_such_cluster" refused by Envoy \(rule g-dispatch\): BadArgument/,
    );
    assert.match(line, /\[error\]/);
    // Rate-limited: at most one line per rule every 10 s per worker (one worker here).
    const lines = stack.envoy
      .logs()
      .split("\n")
      .filter((l) => l.includes('cluster "no_such_cluster" refused by Envoy (rule g-dispatch)'));
    assert.equal(lines.length, 1, lines.join("\n"));
  });

  test("a request without the sticky key falls back to a random draw (50%: neither none nor all of 200)", async () => {
    for (let i = 0; i < 200; i++) await send(stack.envoy.url, { path: `/g/random/${i}` });
    const s = await assertInvariants(stack.envoy.adminUrl, "g-random");
    assert.equal(s.requests, 200);
    // Binomial(200, 0.5): sd ≈ 7; these bounds are more than 5 sd away.
    assert.ok(s.mirrored! >= 60 && s.mirrored! <= 140, `mirrored ${s.mirrored} of 200`);
    assert.equal(s["skipped.sampled_out"], 200 - s.mirrored!);
  });

  test("skip reasons are checked in the contract's order: the first failing gate is counted, once", async () => {
    const big = "x".repeat(100);
    const cases: [string, string, string][] = [
      ["g-order-disabled", "/g/order-disabled", "skipped.disabled"],
      ["g-order-method", "/g/order-method", "skipped.method"],
      ["g-order-sampled", "/g/order-sampled", "skipped.sampled_out"],
      ["g-order-body", "/g/order-body", "skipped.body_too_large"],
      ["g-order-inflight", "/g/order-inflight", "skipped.in_flight_limit"],
    ];
    for (const [rule, path, reason] of cases) {
      for (let i = 0; i < 3; i++) {
        const res = await send(stack.envoy.url, {
          method: "POST",
          path: `${path}/${i}`,
          body: reason === "skipped.in_flight_limit" ? "y" : big,
        });
        assert.equal(res.status, 200);
      }
      const s = await assertInvariants(stack.envoy.adminUrl, rule);
      assert.deepEqual(nonZero(s), { requests: 3, [reason]: 3 }, rule);
    }
    // rate_limited before dispatch_failed: the first call spends the token and fails to dispatch.
    for (let i = 0; i < 3; i++) await send(stack.envoy.url, { path: `/g/order-rate/${i}` });
    const rate = await assertInvariants(stack.envoy.adminUrl, "g-order-rate");
    assert.deepEqual(nonZero(rate), { requests: 3, "skipped.dispatch_failed": 1, "skipped.rate_limited": 2 });
  });

  test("every gate case leaves all rules' invariants intact", async () => {
    for (const rule of ["g-disabled", "g-method", "g-sampled", "g-body", "g-aborted", "g-dispatch"]) {
      await assertInvariants(stack.envoy.adminUrl, rule);
    }
    const s = await ruleStats(stack.envoy.adminUrl, "g-disabled");
    assert.equal(s.mirrored, 0);
  });
});

describe("top-level enabled:false", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      filterConfig: { enabled: false, rules: [prefixRule("g-top-off", "/", { methods: ["GET", "POST"] })] },
    });
  });
  after(() => stack?.stop());

  test("the global kill switch counts every request as skipped.disabled and mirrors nothing", async () => {
    for (let i = 0; i < 4; i++) {
      const res = await send(stack.envoy.url, { method: i % 2 ? "POST" : "GET", path: `/top/${i}`, body: i % 2 ? "b" : undefined });
      assert.equal(res.status, 200);
    }
    await sleep(QUIET_MS);
    const s = await assertInvariants(stack.envoy.adminUrl, "g-top-off");
    assert.deepEqual(nonZero(s), { requests: 4, "skipped.disabled": 4 });
    assert.equal(stack.dark.requests.length, 0);
  });
});
