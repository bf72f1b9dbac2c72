// Latency histograms (contract §3): primary.latency_ms and dark.latency_ms both start when the
// request is complete and the copy leaves, so a slow upload does not make the primary look slower
// than the dark service.

import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { after, before, describe, test } from "node:test";
import { countSurelyAbove, sampleCount } from "../../tools/darklaunch/src/histogram.js";
import { readAdmin } from "../../tools/darklaunch/src/sources/admin.js";
import { prefixRule, startStack, type Stack } from "../support/stack.js";
import { assertInvariants, waitFor } from "../support/stats.js";

const UPLOAD_GAP_MS = 500;

/** A POST whose body arrives in two halves `gapMs` apart; resolves with the response status. */
function slowUpload(port: number, path: string, body: Buffer, gapMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const r = httpRequest({
      host: "127.0.0.1",
      port,
      method: "POST",
      path,
      headers: { "content-length": String(body.length), "content-type": "application/octet-stream" },
      agent: false,
    });
    r.on("error", reject);
    r.on("response", (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    const half = Math.floor(body.length / 2);
    r.write(body.subarray(0, half));
    setTimeout(() => r.end(body.subarray(half)), gapMs);
  });
}

describe("latencies start when the request is complete", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      primaryScripts: { "/up/": { body: "stored" } },
      darkScripts: { "/up/": { body: "stored" } },
      filterConfig: { rules: [prefixRule("upload", "/up/", { methods: ["POST"] })] },
      bootstrap: { statsFlushIntervalMs: 200 },
    });
  });
  after(() => stack?.stop());

  test(`a ${UPLOAD_GAP_MS} ms upload: primary and dark latencies are both small and comparable`, async () => {
    const body = Buffer.alloc(4000, 0x61);
    for (let i = 0; i < 3; i++) assert.equal(await slowUpload(stack.envoy.port, "/up/file", body, UPLOAD_GAP_MS), 200);
    const s = await assertInvariants(stack.envoy.adminUrl, "upload");
    assert.equal(s["compare.match"], 3);
    const rule = await waitFor(
      async () => (await readAdmin(stack.envoy.adminUrl)).find((r) => r.rule === "upload")!,
      (r) => sampleCount(r.histograms["primary.latency_ms"] ?? []) === 3 && sampleCount(r.histograms["dark.latency_ms"] ?? []) === 3,
      "3 samples in both latency histograms",
    );
    // Both services answer at once; measured from the headers, the primary would read ≥ 500 ms.
    const limit = UPLOAD_GAP_MS / 2;
    const primarySlow = countSurelyAbove(rule.histograms["primary.latency_ms"]!, limit);
    const darkSlow = countSurelyAbove(rule.histograms["dark.latency_ms"]!, limit);
    assert.equal(primarySlow, 0, `primary samples above ${limit} ms: the ${UPLOAD_GAP_MS} ms upload must not count`);
    assert.equal(darkSlow, 0, `dark samples above ${limit} ms`);
  });
});
