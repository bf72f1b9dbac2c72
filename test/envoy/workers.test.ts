// Two workers (`--concurrency 2`), many separate connections: sticky sampling decides the same
// on both workers (and equals an independent FNV-1a 64 computation), and max_per_second /
// max_in_flight hold across workers of one Envoy process.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { abortMidBody, inBatches, send } from "../support/client.js";
import { stickyIn } from "../support/sampling.js";
import { prefixRule, startStack, type Stack } from "../support/stack.js";
import { assertInvariants, nonZero, statsValues, waitForRuleStats } from "../support/stats.js";
import { headerValues, type RecordedRequest, type Reply } from "../support/upstream.js";

/** Mixed load: the dark answer depends on the request number n (path /w/mixed/<kind>/<n>). */
const MIXED_KINDS = ["reset", "timeout", "error", "match", "body", "headers"] as const;
type MixedKind = (typeof MIXED_KINDS)[number];
const mixedKind = (path: string): MixedKind => path.split("/")[3] as MixedKind;
const mixedBody = (path: string): string => `answer for ${path.replace(/^\/w\/mixed\/[a-z]+\//, "")}`;

function mixedPrimaryReply(req: RecordedRequest): Reply {
  return { body: mixedBody(req.path), chunked: req.path.endsWith("0") };
}

function mixedDarkReply(req: RecordedRequest): Reply {
  const body = mixedBody(req.path);
  switch (mixedKind(req.path)) {
    case "reset":
      return { reset: true };
    case "timeout":
      return { delayMs: 700, body };
    case "error":
      return { status: 500, body };
    case "match":
      return { body };
    case "body":
      return { body: `${body}!` };
    case "headers":
      return { body, headers: { "content-type": "application/json" } };
  }
}

const KEYS = Array.from({ length: 120 }, (_, i) => `user-${i * 7919}`);
const COPIES_PER_KEY = 3;

/** Dark copies per key, read from the copy's header (`name`) or cookie. */
function copiesByKey(copies: RecordedRequest[], key: (r: RecordedRequest) => string | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of copies) {
    const k = key(r);
    if (k !== undefined) out.set(k, (out.get(k) ?? 0) + 1);
  }
  return out;
}

describe("two workers", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      concurrency: 2,
      darkScripts: { "/w/inflight": { delayMs: 1500 }, "/w/mixed": mixedDarkReply },
      primaryScripts: { "/w/mixed": mixedPrimaryReply },
      filterConfig: {
        rules: [
          prefixRule("w-sticky", "/w/sticky", { sample: { percent: 37.5, by: "header:x-user-id" } }),
          prefixRule("w-sticky10", "/w/s10", { sample: { percent: 10, by: "header:x-user-id" } }),
          prefixRule("w-sticky20", "/w/s20", { sample: { percent: 20, by: "header:x-user-id" } }),
          prefixRule("w-cookie", "/w/cookie", { sample: { percent: 50, by: "cookie:uid" } }),
          prefixRule("w-rate", "/w/rate", { limits: { max_per_second: 5 } }),
          prefixRule("w-inflight", "/w/inflight", { dark: { timeout_ms: 5000 }, limits: { max_in_flight: 3 } }),
          prefixRule("w-mixed", "/w/mixed", {
            methods: ["GET", "POST"],
            dark: { timeout_ms: 300, max_body_bytes: 1000 },
            compare: { headers: ["content-type"] },
          }),
        ],
      },
    });
  });
  after(() => stack?.stop());

  async function stickyRun(prefix: string, rule: string, headers: (key: string) => [string, string][]): Promise<Set<string>> {
    const jobs = KEYS.flatMap((key) => Array.from({ length: COPIES_PER_KEY }, (_, i) => ({ key, i })));
    await inBatches(jobs, 8, async ({ key, i }) => {
      const res = await send(stack.envoy.url, { path: `${prefix}/${i}`, headers: headers(key) });
      assert.equal(res.status, 200);
    });
    const s = await assertInvariants(stack.envoy.adminUrl, rule);
    assert.equal(s.requests, jobs.length);
    assert.equal(s.mirrored! + s["skipped.sampled_out"]!, jobs.length, JSON.stringify(nonZero(s)));
    return new Set(
      [...copiesByKey(stack.dark.requestsTo(`${prefix}/`), (r) => headerValues(r.rawHeaders, "x-test-key")[0])].map(([key, n]) => {
        assert.equal(n, COPIES_PER_KEY, `key ${key}: ${n} of ${COPIES_PER_KEY} copies (decisions differ between requests)`);
        return key;
      }),
    );
  }

  test("sticky header sampling: each key is mirrored on every request or never, exactly the keys FNV-1a 64 puts in", async () => {
    const mirrored = await stickyRun("/w/sticky", "w-sticky", (key) => [
      ["x-user-id", key],
      ["x-test-key", key],
    ]);
    const expected = new Set(KEYS.filter((k) => stickyIn(k, 37.5)));
    assert.ok(expected.size > 10 && expected.size < KEYS.length - 10, "the key set tests both outcomes");
    assert.deepEqual([...mirrored].sort(), [...expected].sort());
  });

  test("both workers served connections", async () => {
    const stats = await statsValues(stack.envoy.adminUrl);
    const perWorker = [0, 1].map((w) => {
      const name = [...stats.keys()].find((k) => k.startsWith("listener.127.0.0.1_") && k.endsWith(`.worker_${w}.downstream_cx_total`));
      assert.ok(name, `per-worker listener stat of worker_${w}`);
      return stats.get(name)!;
    });
    assert.ok(perWorker[0]! > 20 && perWorker[1]! > 20, `connections per worker: ${perWorker.join(", ")}`);
  });

  test("sticky cookie sampling: the cookie's value is the key (all-or-nothing per key, FNV-1a 64 set)", async () => {
    const mirrored = await stickyRun("/w/cookie", "w-cookie", (key) => [
      ["cookie", `theme=dark; uid=${key}; other=1`],
      ["x-test-key", key],
    ]);
    const expected = new Set(KEYS.filter((k) => stickyIn(k, 50)));
    assert.deepEqual([...mirrored].sort(), [...expected].sort());
  });

  test("raising percent only adds keys: the 10% set is inside the 20% set, both as computed", async () => {
    const at10 = await stickyRun("/w/s10", "w-sticky10", (key) => [
      ["x-user-id", key],
      ["x-test-key", key],
    ]);
    const at20 = await stickyRun("/w/s20", "w-sticky20", (key) => [
      ["x-user-id", key],
      ["x-test-key", key],
    ]);
    assert.deepEqual([...at10].sort(), KEYS.filter((k) => stickyIn(k, 10)).sort());
    assert.deepEqual([...at20].sort(), KEYS.filter((k) => stickyIn(k, 20)).sort());
    for (const k of at10) assert.ok(at20.has(k), `${k} in at 10% but out at 20%`);
    assert.ok(at20.size > at10.size);
  });

  test("max_per_second 5 holds across workers: a burst of 100 on separate connections", async () => {
    const started = Date.now();
    await inBatches(
      Array.from({ length: 100 }, (_, i) => i),
      20,
      async (i) => {
        const res = await send(stack.envoy.url, { path: `/w/rate/${i}` });
        assert.equal(res.status, 200);
      },
    );
    const elapsedS = (Date.now() - started) / 1000;
    const s = await assertInvariants(stack.envoy.adminUrl, "w-rate");
    assert.equal(s.requests, 100);
    assert.equal(s.mirrored! + s["skipped.rate_limited"]!, 100, JSON.stringify(nonZero(s)));
    const bound = 5 + 5 * elapsedS + 1;
    assert.ok(s.mirrored! <= bound, `mirrored ${s.mirrored} > ${bound} (burst ${elapsedS.toFixed(2)} s)`);
    assert.ok(s.mirrored! >= 5, `mirrored ${s.mirrored}: the burst of 5 should pass`);
  });

  test("max_in_flight 3 holds across workers: 24 concurrent requests while the dark service sleeps", async () => {
    await inBatches(
      Array.from({ length: 24 }, (_, i) => i),
      24,
      async (i) => {
        const res = await send(stack.envoy.url, { path: `/w/inflight/${i}` });
        assert.equal(res.status, 200);
      },
    );
    const during = await waitForRuleStats(stack.envoy.adminUrl, "w-inflight", (x) => x.requests === 24, "requests = 24");
    assert.equal(during.mirrored, 3, JSON.stringify(nonZero(during)));
    assert.equal(during["skipped.in_flight_limit"], 21);
    await assertInvariants(stack.envoy.adminUrl, "w-inflight");
  });

  test("mixed load on both workers (bodies, chunked, resets, timeouts, errors, mismatches, aborts): exact counts and invariants", async () => {
    const jobs = Array.from({ length: 180 }, (_, n) => {
      const kind = MIXED_KINDS[n % MIXED_KINDS.length]!;
      const size = [0, 10, 999, 1000, 1001, 5000][Math.floor(n / MIXED_KINDS.length) % 6]!;
      return { n, kind, size, chunked: n % 4 === 1, path: `/w/mixed/${kind}/${n}` };
    });
    const aborts = Array.from({ length: 10 }, (_, i) => `/w/mixed/match/abort-${i}`);
    await Promise.all([
      inBatches(jobs, 16, async (j) => {
        const res = await send(stack.envoy.url, {
          method: j.size === 0 ? "GET" : "POST",
          path: j.path,
          body: j.size === 0 ? undefined : "b".repeat(j.size),
          chunked: j.chunked && j.size > 0,
        });
        assert.equal(res.status, 200, j.path);
        assert.equal(res.body.toString(), mixedBody(j.path), j.path);
      }),
      inBatches(aborts, 4, (path) => abortMidBody(stack.envoy.port, path, 500, 100, 100)),
    ]);
    const s = await assertInvariants(stack.envoy.adminUrl, "w-mixed", { timeoutMs: 15000 });
    const mirroredJobs = jobs.filter((j) => j.size <= 1000);
    const count = (kind: MixedKind): number => mirroredJobs.filter((j) => j.kind === kind).length;
    assert.deepEqual(
      {
        requests: s.requests,
        mirrored: s.mirrored,
        body_too_large: s["skipped.body_too_large"],
        aborted: s["skipped.aborted"],
        failed: s["dark.failed"],
        timeout: s["dark.timeout"],
        status5xx: s["dark.status.5xx"],
        match: s["compare.match"],
        mismatchStatus: s["compare.mismatch.status"],
        mismatchBody: s["compare.mismatch.body"],
        mismatchHeaders: s["compare.mismatch.headers"],
        incomplete: s["compare.incomplete"],
      },
      {
        requests: jobs.length + aborts.length,
        mirrored: mirroredJobs.length,
        body_too_large: jobs.length - mirroredJobs.length,
        aborted: aborts.length,
        failed: count("reset"),
        timeout: count("timeout"),
        status5xx: count("error"),
        match: count("match"),
        mismatchStatus: count("error"),
        mismatchBody: count("body"),
        mismatchHeaders: count("headers"),
        incomplete: count("reset") + count("timeout"),
      },
    );
  });
});
