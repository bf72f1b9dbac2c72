// The noise floor (contract §2.6) and mismatch samples (§2.7) in the real Envoy, with a real
// collector process (`darklaunch collect` on a temporary database file): the noise copy's counters,
// samples stored for mismatches only with the differing JSON paths, and a collector that is down,
// slow or failing changing nothing for the primary while every sample is accounted for.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { freePort, send } from "../support/client.js";
import { prefixRule, startStack, type Stack } from "../support/stack.js";
import { startUpstream, type Upstream } from "../support/upstream.js";
import { assertInvariants, nonZero, statsValues, waitFor } from "../support/stats.js";
import { startCollector, tempDir, type RunningCollector } from "../collector/collector-process.js";
import { getJson } from "../collector/post.js";

const JSON_TYPE = { "content-type": "application/json" };
/** One version's answer: its own timestamp every time (noise), `price` as the version has it. */
const answer = (price: number) => () => ({
  body: JSON.stringify({ id: 7, price, generated_at: randomUUID() }),
  headers: { ...JSON_TYPE, "x-secret-header": "s3cret" },
});

const SAMPLES = "wasmcustom.darklaunch.samples.";

describe("noise floor and samples with a real collector", () => {
  let stack: Stack;
  let noise: Upstream;
  let slow: Upstream;
  let collector: RunningCollector;
  const cleanups: (() => Promise<unknown>)[] = [];

  before(async (t) => {
    const ctx = { after: (fn: () => void | Promise<void>) => cleanups.push(async () => fn()) };
    collector = await startCollector(ctx, join(tempDir(ctx), "samples.db"));
    noise = await startUpstream({ name: "noise", scripts: { "/": answer(10) } });
    cleanups.push(() => noise.close());
    slow = await startUpstream({ name: "slow-collector", scripts: { "/": { status: 500, body: "database unavailable" } } });
    cleanups.push(() => slow.close());
    const collectorPort = Number(new URL(collector.url).port);
    stack = await startStack({
      primaryScripts: { "/p/": answer(10), "/same/": { body: '{"a":1}', headers: JSON_TYPE } },
      darkScripts: { "/p/": answer(12), "/same/": { body: '{"a":1}', headers: JSON_TYPE } },
      clusters: { noise: noise.port, collector: collectorPort },
      filterConfig: {
        samples: { cluster: "collector", per_second: 100, headers: ["content-type"] },
        rules: [
          prefixRule("priced", "/p/", { compare: { noise_cluster: "noise", body: { json: true } } }),
          prefixRule("same", "/same/", { compare: { body: { json: true } } }),
        ],
      },
    });
    cleanups.push(() => stack.stop());
    void t;
  });

  after(async () => {
    while (cleanups.length > 0) await cleanups.pop()!().catch(() => undefined);
  });

  test("noise.* counts the primary–noise pairs; a sample per mismatch arrives, with the dark and the noise paths", async () => {
    for (let i = 0; i < 5; i++)
      assert.equal((await send(stack.envoy.url, { path: `/p/item?n=${i}`, headers: [["x-request-id", `req-${i}`]] })).status, 200);
    for (let i = 0; i < 4; i++) assert.equal((await send(stack.envoy.url, { path: "/same/x" })).status, 200);
    const priced = await assertInvariants(stack.envoy.adminUrl, "priced");
    assert.deepEqual(nonZero(priced), {
      requests: 5,
      mirrored: 5,
      "dark.status.2xx": 5,
      "primary.status.2xx": 5,
      "compare.mismatch.body": 5,
      "noise.mismatch.body": 5,
    });
    await assertInvariants(stack.envoy.adminUrl, "same");
    const stats = await waitFor(
      () => statsValues(stack.envoy.adminUrl),
      (s) => s.get(`${SAMPLES}sent`) === 5,
      "5 samples sent",
    );
    assert.equal(stats.get(`${SAMPLES}failed`), 0);
    assert.equal(stats.get(`${SAMPLES}dropped`), 0);

    const listing = await getJson(`${collector.url}/api/samples?rule=priced&limit=10`);
    assert.equal(listing.status, 200);
    const items = listing.body.samples as { id: number }[];
    assert.equal(items.length, 5);
    const one = await getJson(`${collector.url}/api/samples/${items[0]!.id}`);
    // biome-ignore lint/suspicious/noExplicitAny: a stored sample document, asserted on field by field
    const doc = one.body.doc as Record<string, any>;
    assert.equal(doc.rule, "priced");
    assert.equal(doc.part, "body");
    assert.deepEqual(doc.paths, ["generated_at", "price"]);
    assert.equal(doc.noise.part, "body");
    assert.deepEqual(doc.noise.paths, ["generated_at"]);
    assert.equal(doc.path, "/p/item", "no query string");
    assert.match(doc.x_request_id, /^req-\d$/);
    assert.deepEqual(Object.keys(doc.dark.headers), ["content-type"], "only allow-listed headers");
    assert.equal(JSON.parse(doc.dark.body).price, 12);
    const rules = (await getJson(`${collector.url}/api/diff`)).body.rules as { rule: string }[];
    assert.deepEqual(
      rules.map((r) => r.rule),
      ["priced"],
      "matching pairs are not sampled",
    );
  });
});

describe("a collector that is down, failing or slow changes nothing for the primary", () => {
  for (const kind of ["down", "failing", "slow"] as const) {
    test(`collector ${kind}: the primary answers as usual, every sample counts in samples.failed`, async (t) => {
      const cleanups: (() => Promise<unknown>)[] = [];
      t.after(async () => {
        while (cleanups.length > 0) await cleanups.pop()!().catch(() => undefined);
      });
      let port: number;
      if (kind === "down") {
        port = await freePort();
      } else {
        const up = await startUpstream({
          name: "collector",
          scripts: { "/": kind === "failing" ? { status: 500, body: "no" } : { delayMs: 7000, status: 201 } },
        });
        cleanups.push(() => up.close());
        port = up.port;
      }
      const stack = await startStack({
        primaryScripts: { "/p/": { body: "primary", headers: JSON_TYPE } },
        darkScripts: { "/p/": { body: "dark", headers: JSON_TYPE } },
        clusters: { collector: port },
        filterConfig: { samples: { cluster: "collector", per_second: 100 }, rules: [prefixRule("p", "/p/")] },
      });
      cleanups.push(() => stack.stop());
      for (let i = 0; i < 3; i++) {
        const res = await send(stack.envoy.url, { path: "/p/x" });
        assert.equal(res.status, 200);
        assert.equal(res.body.toString(), "primary");
        assert.ok(res.elapsedMs < 2000, `the primary took ${res.elapsedMs} ms`);
      }
      await assertInvariants(stack.envoy.adminUrl, "p");
      // A slow collector's sample fails after the sample timeout (5 s).
      const stats = await waitFor(
        () => statsValues(stack.envoy.adminUrl),
        (s) => s.get(`${SAMPLES}failed`) === 3,
        "3 samples failed",
        15000,
      );
      assert.equal(stats.get(`${SAMPLES}sent`), 0);
    });
  }
});
