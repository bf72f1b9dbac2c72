// Comparison of primary and dark responses (contract "Comparison"): every outcome, the first
// differing part in the order status, headers, body, incomplete pairs, and the mismatch log line.

import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, test } from "node:test";
import { freePort, send } from "../support/client.js";
import { prefixRule, startStack, type Stack } from "../support/stack.js";
import { assertInvariants, nonZero, waitForRuleStats } from "../support/stats.js";
import { xxh64Hex } from "../support/xxh64.js";

const BIG = Buffer.from(Array.from({ length: 300_000 }, (_, i) => String.fromCharCode(65 + (i % 26))).join(""));
const BIG_LAST_BYTE_CHANGED = Buffer.concat([BIG.subarray(0, BIG.length - 1), Buffer.from("!")]);

const SAME = { body: "same body", headers: { "content-type": "text/plain" } };

/** Primary and dark scripts per rule prefix. */
const PRIMARY = {
  "/k/": SAME,
  "/k/big": { body: BIG, chunked: true },
  "/k/bigdiff": { body: BIG, chunked: true },
  "/k/both4xx": { status: 404, body: "missing" },
  "/k/gone": { delayMs: 800, body: "late" },
  "/k/both5xx": { status: 500, body: "broken" },
};
const DARK = {
  "/k/match": SAME,
  "/k/status": { status: 500, body: "different too" },
  "/k/headers": { body: "same body", headers: { "content-type": "application/json" } },
  "/k/ignored": { body: "same body", headers: { "content-type": "text/plain", "x-other": "dark-only" } },
  "/k/body": { body: "other body", headers: { "content-type": "text/plain" } },
  "/k/nostatus": { status: 201, body: "same body" },
  "/k/big": { body: BIG },
  "/k/bigdiff": { body: BIG_LAST_BYTE_CHANGED, chunked: true },
  "/k/both4xx": { status: 404, body: "missing" },
  "/k/reset": { reset: true },
  "/k/timeout": { delayMs: 1500, body: "same body" },
  "/k/gone": { body: "late" },
  "/k/real503": { status: 503, body: "same body" },
  "/k/real504": { status: 504, body: "same body" },
  "/k/redirect": { status: 302, body: "same body", headers: { location: "/elsewhere" } },
  "/k/both5xx": { status: 500, body: "broken" },
};

const MISMATCH_LINE =
  /darklaunch: mismatch rule=(\S+) part=(status|headers|body) x-request-id=(\S+) primary_status=(\d+) dark_status=(\d+) primary_body_hash=([0-9a-f]{16}) dark_body_hash=([0-9a-f]{16})$/;

describe("comparison outcomes", () => {
  let stack: Stack;
  let refusedPort: number;
  before(async () => {
    refusedPort = await freePort();
    stack = await startStack({
      primaryScripts: PRIMARY,
      darkScripts: DARK,
      clusters: { dark_closed: refusedPort },
      filterConfig: {
        mismatch_log_per_second: 100,
        rules: [
          prefixRule("k-match", "/k/match"),
          prefixRule("k-status", "/k/status"),
          prefixRule("k-headers", "/k/headers", { compare: { headers: ["Content-Type"] } }),
          prefixRule("k-ignored", "/k/ignored", { compare: { headers: ["content-type"] } }),
          prefixRule("k-body", "/k/body"),
          prefixRule("k-statusoff", "/k/nostatus", { compare: { status: false } }),
          prefixRule("k-big", "/k/big/"),
          prefixRule("k-bigdiff", "/k/bigdiff"),
          prefixRule("k-both4xx", "/k/both4xx"),
          prefixRule("k-reset", "/k/reset"),
          prefixRule("k-timeout", "/k/timeout", { dark: { timeout_ms: 300 } }),
          prefixRule("k-refused", "/k/refused", { dark: { cluster: "dark_closed" } }),
          prefixRule("k-gone", "/k/gone"),
          prefixRule("k-real503", "/k/real503"),
          prefixRule("k-real504", "/k/real504"),
          prefixRule("k-redirect", "/k/redirect"),
          prefixRule("k-both5xx", "/k/both5xx"),
        ],
      },
    });
  });
  after(() => stack?.stop());

  async function run(rule: string, path: string, n: number, reqId?: string): Promise<Record<string, number>> {
    for (let i = 0; i < n; i++) {
      const res = await send(stack.envoy.url, { path: `${path}/${i}`, headers: reqId ? [["x-request-id", `${reqId}-${i}`]] : [] });
      assert.ok(!res.body.toString("latin1").includes(stack.dark.marker!));
    }
    await waitForRuleStats(stack.envoy.adminUrl, rule, (s) => s.mirrored === n, `mirrored = ${n}`);
    return assertInvariants(stack.envoy.adminUrl, rule);
  }

  test("match: equal status and body", async () => {
    const s = await run("k-match", "/k/match", 3);
    assert.deepEqual(nonZero(s), { requests: 3, mirrored: 3, "dark.status.2xx": 3, "primary.status.2xx": 3, "compare.match": 3 });
  });

  test("mismatch.status: dark 500 vs primary 200 (status is the first differing part, before body)", async () => {
    const s = await run("k-status", "/k/status", 2, "req-k-status");
    assert.equal(s["compare.mismatch.status"], 2);
    assert.equal(s["compare.mismatch.body"], 0);
    assert.equal(s["dark.status.5xx"], 2);
    assert.equal(s["primary.status.2xx"], 2);
    const line = await stack.envoy.waitForLog(/darklaunch: mismatch rule=k-status /);
    const m = MISMATCH_LINE.exec(line);
    assert.ok(m, `mismatch line format: ${line}`);
    assert.deepEqual([m[2], m[3]!.startsWith("req-k-status-"), m[4], m[5]], ["status", true, "200", "500"]);
    assert.notEqual(m[6], m[7], "different bodies, different hashes");
    assert.match(line, /\[info\]/);
  });

  test("mismatch.headers: a listed header differs (name case-insensitive), bodies equal", async () => {
    const s = await run("k-headers", "/k/headers", 2, "req-k-headers");
    assert.equal(s["compare.mismatch.headers"], 2);
    assert.equal(s["compare.match"], 0);
    const line = await stack.envoy.waitForLog(/darklaunch: mismatch rule=k-headers /);
    const m = MISMATCH_LINE.exec(line);
    assert.ok(m, `mismatch line format: ${line}`);
    assert.deepEqual([m[2], m[4], m[5]], ["headers", "200", "200"]);
    assert.equal(m[6], m[7], "same bodies, same hashes");
  });

  test("headers not listed in compare.headers do not count", async () => {
    const s = await run("k-ignored", "/k/ignored", 2);
    assert.equal(s["compare.match"], 2);
  });

  test("mismatch.body: same status, different body; log line with both hashes", async () => {
    const s = await run("k-body", "/k/body", 2, "req-k-body");
    assert.equal(s["compare.mismatch.body"], 2);
    const line = await stack.envoy.waitForLog(/darklaunch: mismatch rule=k-body /);
    const m = MISMATCH_LINE.exec(line);
    assert.ok(m, `mismatch line format: ${line}`);
    assert.deepEqual([m[2], m[4], m[5]], ["body", "200", "200"]);
    // XXH64 of each whole body, as `xxhsum -H64` prints it (docs/operating.md).
    assert.deepEqual([m[6], m[7]], [xxh64Hex(SAME.body), xxh64Hex(DARK["/k/body"].body)]);
  });

  test("compare.status false: a different status alone is a match", async () => {
    const s = await run("k-statusoff", "/k/nostatus", 2);
    assert.equal(s["compare.match"], 2);
    assert.equal(s["dark.status.2xx"], 2);
  });

  test("large bodies (300 KB, chunked on one side) are hashed whole: equal = match, last byte changed = mismatch.body", async () => {
    const big = await run("k-big", "/k/big", 2);
    assert.equal(big["compare.match"], 2, JSON.stringify(nonZero(big)));
    const diff = await run("k-bigdiff", "/k/bigdiff", 2);
    assert.equal(diff["compare.mismatch.body"], 2, JSON.stringify(nonZero(diff)));
  });

  test("equal 404s match and are counted as 4xx on both sides", async () => {
    const s = await run("k-both4xx", "/k/both4xx", 2);
    assert.deepEqual(nonZero(s), { requests: 2, mirrored: 2, "dark.status.4xx": 2, "primary.status.4xx": 2, "compare.match": 2 });
  });

  test("incomplete: dark resets the connection → dark.failed", async () => {
    const s = await run("k-reset", "/k/reset", 2);
    assert.equal(s["dark.failed"], 2);
    assert.equal(s["compare.incomplete"], 2);
  });

  test("incomplete: dark slower than timeout_ms → dark.timeout", async () => {
    const s = await run("k-timeout", "/k/timeout", 2);
    assert.equal(s["dark.timeout"], 2);
    assert.equal(s["compare.incomplete"], 2);
  });

  test("incomplete: dark cluster refuses connections → dark.failed", async () => {
    const s = await run("k-refused", "/k/refused", 2);
    assert.equal(s["dark.failed"], 2);
    assert.equal(s["compare.incomplete"], 2);
    assert.equal(s["skipped.dispatch_failed"], 0, "the call was made; it failed later");
  });

  test("a real 503 / 504 from the dark service is dark.status.5xx (a verdict), not failed / timeout", async () => {
    for (const [rule, path] of [
      ["k-real503", "/k/real503"],
      ["k-real504", "/k/real504"],
    ] as const) {
      const s = await run(rule, path, 2);
      assert.deepEqual(
        nonZero(s),
        { requests: 2, mirrored: 2, "dark.status.5xx": 2, "primary.status.2xx": 2, "compare.mismatch.status": 2 },
        rule,
      );
    }
  });

  test("a dark 302 is dark.status.3xx and a status mismatch; equal 500s match as 5xx on both sides", async () => {
    const redirect = await run("k-redirect", "/k/redirect", 2);
    assert.deepEqual([redirect["dark.status.3xx"], redirect["compare.mismatch.status"]], [2, 2]);
    const both = await run("k-both5xx", "/k/both5xx", 2);
    assert.deepEqual(nonZero(both), { requests: 2, mirrored: 2, "dark.status.5xx": 2, "primary.status.5xx": 2, "compare.match": 2 });
  });

  test("incomplete: the client goes away before the primary answers", async () => {
    await new Promise<void>((resolveGone, reject) => {
      const socket = connect(stack.envoy.port, "127.0.0.1");
      socket.on("error", reject);
      socket.on("connect", () => {
        socket.write("GET /k/gone/1 HTTP/1.1\r\nhost: a\r\n\r\n");
        setTimeout(() => {
          socket.destroy();
          resolveGone();
        }, 200);
      });
    });
    await stack.dark.waitForRequests("/k/gone", 1);
    const s = await waitForRuleStats(stack.envoy.adminUrl, "k-gone", (x) => x["compare.incomplete"] === 1, "compare.incomplete = 1");
    assert.equal(s["compare.match"], 0);
    await assertInvariants(stack.envoy.adminUrl, "k-gone");
  });

  test("no mismatch log line for matches", async () => {
    assert.ok(!stack.envoy.logs().includes("mismatch rule=k-match "));
    assert.ok(!stack.envoy.logs().includes("mismatch rule=k-big "));
  });
});

describe("mismatch log rate", () => {
  let quiet: Stack;
  let normal: Stack;
  before(async () => {
    const rules = [prefixRule("k-rate", "/k/rate")];
    quiet = await startStack({ darkScripts: { "/k/rate": { status: 503 } }, filterConfig: { mismatch_log_per_second: 0, rules } });
    normal = await startStack({ darkScripts: { "/k/rate": { status: 503 } }, filterConfig: { rules } });
  });
  after(async () => {
    await normal?.stop();
    await quiet?.stop();
  });

  test("mismatch_log_per_second 0: mismatches are counted but never logged", async () => {
    for (let i = 0; i < 3; i++) await send(quiet.envoy.url, { path: `/k/rate/${i}` });
    const s = await waitForRuleStats(quiet.envoy.adminUrl, "k-rate", (x) => x["compare.mismatch.status"] === 3, "3 mismatches");
    assert.equal(s.mirrored, 3);
    assert.equal(s["dark.status.5xx"], 3);
    assert.ok(!quiet.envoy.logs().includes("darklaunch: mismatch"));
  });

  test("default (1 per second): a burst of 10 mismatches logs at most 1 + elapsed seconds lines", async () => {
    const started = Date.now();
    for (let i = 0; i < 10; i++) await send(normal.envoy.url, { path: `/k/rate/${i}` });
    await waitForRuleStats(normal.envoy.adminUrl, "k-rate", (x) => x["compare.mismatch.status"] === 10, "10 mismatches");
    const elapsedS = (Date.now() - started) / 1000;
    const lines = normal.envoy
      .logs()
      .split("\n")
      .filter((l) => l.includes("darklaunch: mismatch rule=k-rate"));
    assert.ok(lines.length >= 1, "at least one mismatch line");
    assert.ok(lines.length <= 1 + Math.ceil(elapsedS), `${lines.length} lines in ${elapsedS}s`);
  });
});
