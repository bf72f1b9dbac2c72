// Protecting the primary: a slow dark service never delays it (dark.timeout), and the limits
// in_flight_limit, rate_limited and breaker_open (contract sections 1 and 2, `limits`/`breaker`).

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { connect, type Socket } from "node:net";
import { send } from "../support/client.js";
import { prefixRule, startStack, type Stack } from "../support/stack.js";
import { allCallsEnded, assertInvariants, nonZero, settledRuleStats, waitForRuleStats } from "../support/stats.js";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("limits (one worker)", () => {
  let stack: Stack;
  const openSockets: Socket[] = [];
  after(() => {
    for (const s of openSockets) s.destroy();
  });
  before(async () => {
    stack = await startStack({
      darkScripts: {
        "/l/slow": { delayMs: 3000 },
        "/l/inflight": { delayMs: 1500 },
        "/l/breaker": { status: 500 },
        "/l/ratio/f": { status: 500 },
        "/l/brk-timeout": { delayMs: 1000 },
      },
      filterConfig: {
        rules: [
          prefixRule("l-slow", "/l/slow", { methods: ["GET", "POST"], dark: { timeout_ms: 1000 } }),
          prefixRule("l-stream", "/l/stream", { methods: ["POST"] }),
          prefixRule("l-inflight0", "/l/inflight0", { limits: { max_in_flight: 0 } }),
          prefixRule("l-inflight", "/l/inflight", { dark: { timeout_ms: 5000 }, limits: { max_in_flight: 2 } }),
          prefixRule("l-rate", "/l/rate", { limits: { max_per_second: 3 } }),
          prefixRule("l-breaker", "/l/breaker", {
            breaker: { failure_ratio: 0.5, min_calls: 4, window_ms: 10000, open_ms: 1500 },
          }),
          prefixRule("l-ratio", "/l/ratio", { breaker: { failure_ratio: 0.5, min_calls: 4, window_ms: 10000, open_ms: 30000 } }),
          prefixRule("l-brk-timeout", "/l/brk-timeout", {
            dark: { timeout_ms: 200 },
            breaker: { failure_ratio: 0.5, min_calls: 3, window_ms: 10000, open_ms: 30000 },
          }),
        ],
      },
    });
  });
  after(() => stack?.stop());

  test("dark sleeping 3 s: primary answers in well under 500 ms; dark.timeout counted at timeout_ms 1000", async () => {
    const started = Date.now();
    for (let i = 0; i < 4; i++) {
      const get = await send(stack.envoy.url, { path: `/l/slow/get-${i}` });
      assert.equal(get.status, 200);
      assert.ok(get.elapsedMs < 500, `GET answered in ${get.elapsedMs} ms`);
      const post = await send(stack.envoy.url, { method: "POST", path: `/l/slow/post-${i}`, body: "x".repeat(1000) });
      assert.equal(post.status, 200);
      assert.ok(post.elapsedMs < 500, `POST answered in ${post.elapsedMs} ms`);
    }
    assert.ok(Date.now() - started < 3000, "eight primary requests took longer than one dark answer");
    // The gauge moves at the worker's next tick; the dark service sleeps past the timeout.
    const during = await waitForRuleStats(stack.envoy.adminUrl, "l-slow", (x) => x.in_flight! > 0, "in_flight > 0", 1000);
    assert.ok(during.in_flight! > 0, "dark calls in flight while the dark service sleeps");
    const s = await waitForRuleStats(stack.envoy.adminUrl, "l-slow", (x) => x["dark.timeout"] === 8, "dark.timeout = 8");
    assert.equal(s["compare.incomplete"], 8);
    assert.equal(s["dark.status.2xx"], 0);
    await assertInvariants(stack.envoy.adminUrl, "l-slow");
  });

  test("request bodies stream to the primary: it gets the request before the client has sent the whole body", async () => {
    const half = Buffer.alloc(20_000, "a");
    const rest = Buffer.alloc(20_000, "b");
    const socket = connect(stack.envoy.port, "127.0.0.1");
    openSockets.push(socket);
    await new Promise<void>((r, reject) => socket.once("connect", r).once("error", reject));
    socket.write(`POST /l/stream/1 HTTP/1.1\r\nhost: a\r\ncontent-length: ${half.length + rest.length}\r\nconnection: close\r\n\r\n`);
    socket.write(half);
    const deadline = Date.now() + 2000;
    while (!stack.primary.started.includes("/l/stream/1") && Date.now() < deadline) await sleep(20);
    assert.ok(stack.primary.started.includes("/l/stream/1"), "the primary saw nothing before the body was complete");
    assert.equal(stack.primary.requestsTo("/l/stream/1").length, 0, "the request cannot be complete yet");
    const response = new Promise<string>((r) => {
      let text = "";
      socket.on("data", (c: Buffer) => (text += c.toString("latin1")));
      socket.on("close", () => r(text));
    });
    socket.write(rest);
    assert.match(await response, /^HTTP\/1\.1 200/);
    const [primary] = stack.primary.requestsTo("/l/stream/1");
    assert.ok(primary!.body.equals(Buffer.concat([half, rest])));
    const [copy] = await stack.dark.waitForRequests("/l/stream/1", 1);
    assert.ok(copy!.body.equals(Buffer.concat([half, rest])), "the copy is sent whole once the request is complete");
    await assertInvariants(stack.envoy.adminUrl, "l-stream");
  });

  test("max_in_flight 0: every request is skipped.in_flight_limit", async () => {
    for (let i = 0; i < 3; i++) await send(stack.envoy.url, { path: `/l/inflight0/${i}` });
    const s = await assertInvariants(stack.envoy.adminUrl, "l-inflight0");
    assert.deepEqual(nonZero(s), { requests: 3, "skipped.in_flight_limit": 3 });
    assert.equal(stack.dark.requestsTo("/l/inflight0").length, 0);
  });

  test("max_in_flight 2 with a dark service that sleeps: 2 mirrored, the rest skipped.in_flight_limit; calls let through again once answered", async () => {
    for (let i = 0; i < 6; i++) {
      const res = await send(stack.envoy.url, { path: `/l/inflight/a${i}` });
      assert.ok(res.elapsedMs < 500, `primary answered in ${res.elapsedMs} ms`);
    }
    // Counted at the worker's next tick (the dark side is still asleep then).
    const during = await waitForRuleStats(stack.envoy.adminUrl, "l-inflight", (x) => x.requests === 6, "requests = 6");
    assert.equal(during.in_flight, 2);
    assert.equal(during.mirrored, 2);
    assert.equal(during["skipped.in_flight_limit"], 4);
    await waitForRuleStats(stack.envoy.adminUrl, "l-inflight", (x) => allCallsEnded(x) && x.in_flight === 0, "both calls answered");
    await send(stack.envoy.url, { path: "/l/inflight/b0" });
    const s = await waitForRuleStats(stack.envoy.adminUrl, "l-inflight", (x) => x.mirrored === 3, "mirrored = 3");
    assert.equal(s["skipped.in_flight_limit"], 4);
    await assertInvariants(stack.envoy.adminUrl, "l-inflight");
  });

  test("max_per_second 3: a quick burst of 12 mirrors the burst and not much more, the rest rate_limited", async () => {
    const started = Date.now();
    for (let i = 0; i < 12; i++) await send(stack.envoy.url, { path: `/l/rate/${i}` });
    const elapsedS = (Date.now() - started) / 1000;
    const s = await assertInvariants(stack.envoy.adminUrl, "l-rate");
    assert.equal(s.requests, 12);
    assert.ok(s.mirrored! >= 3, `mirrored ${s.mirrored}: the burst of 3 should pass`);
    assert.ok(s.mirrored! <= 3 + 3 * elapsedS + 1, `mirrored ${s.mirrored} in ${elapsedS}s`);
    assert.equal(s["skipped.rate_limited"], 12 - s.mirrored!);

    // The bucket refills: after more than a second, a new burst gets (about) 3 through again.
    await sleep(1500);
    for (let i = 0; i < 6; i++) await send(stack.envoy.url, { path: `/l/rate/again-${i}` });
    const again = await assertInvariants(stack.envoy.adminUrl, "l-rate");
    const more = again.mirrored! - s.mirrored!;
    assert.ok(more >= 3 && more <= 4, `${more} of 6 mirrored after the refill`);
  });

  test("breaker: opens after min_calls failing calls (skipped.breaker_open), lets calls through again after open_ms", async () => {
    for (let i = 0; i < 4; i++) await send(stack.envoy.url, { path: `/l/breaker/a${i}` });
    await waitForRuleStats(stack.envoy.adminUrl, "l-breaker", (x) => x["dark.status.5xx"] === 4, "dark.status.5xx = 4");
    for (let i = 0; i < 6; i++) {
      const res = await send(stack.envoy.url, { path: `/l/breaker/b${i}` });
      assert.equal(res.status, 200, "the primary is unaffected by the breaker");
    }
    const open = await settledRuleStats(stack.envoy.adminUrl, "l-breaker");
    assert.equal(open.mirrored, 4);
    assert.equal(open["skipped.breaker_open"], 6);
    assert.equal(stack.dark.requestsTo("/l/breaker/b").length, 0);

    stack.dark.script("/l/breaker", { status: 200 });
    await sleep(1500 + 400);
    for (let i = 0; i < 3; i++) await send(stack.envoy.url, { path: `/l/breaker/c${i}` });
    const s = await waitForRuleStats(stack.envoy.adminUrl, "l-breaker", (x) => x["dark.status.2xx"]! >= 1, "a call through after open_ms");
    assert.ok(s.mirrored! >= 5, JSON.stringify(nonZero(s)));
    await assertInvariants(stack.envoy.adminUrl, "l-breaker");
  });

  test("breaker stays closed while the failure ratio is below failure_ratio", async () => {
    // 2 failures in 8 calls (never more than 1/3 at any point after min_calls): no breaker_open.
    const pattern = ["o", "o", "o", "f", "o", "o", "f", "o", "o", "o", "o", "o"];
    for (const [i, kind] of pattern.entries()) {
      await send(stack.envoy.url, { path: `/l/ratio/${kind}${i}` });
      await waitForRuleStats(stack.envoy.adminUrl, "l-ratio", (x) => x.mirrored === i + 1 && allCallsEnded(x), `call ${i + 1} answered`);
    }
    const s = await assertInvariants(stack.envoy.adminUrl, "l-ratio");
    assert.deepEqual([s.mirrored, s["skipped.breaker_open"], s["dark.status.5xx"]], [12, 0, 2]);
  });

  test("timeouts count as breaker failures", async () => {
    for (let i = 0; i < 3; i++) await send(stack.envoy.url, { path: `/l/brk-timeout/a${i}` });
    await waitForRuleStats(stack.envoy.adminUrl, "l-brk-timeout", (x) => x["dark.timeout"] === 3, "dark.timeout = 3");
    for (let i = 0; i < 3; i++) await send(stack.envoy.url, { path: `/l/brk-timeout/b${i}` });
    const s = await assertInvariants(stack.envoy.adminUrl, "l-brk-timeout");
    assert.deepEqual([s.mirrored, s["skipped.breaker_open"]], [3, 3]);
  });
});
