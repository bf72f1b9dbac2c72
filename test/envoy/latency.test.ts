// Latency histograms (contract §3): primary.latency_ms and dark.latency_ms both start when the
// request is complete and the copy leaves, so a slow upload does not make the primary look slower
// than the dark service.

import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { after, before, describe, test } from "node:test";
import { readStats } from "../../tools/darklaunch/src/admin.js";
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
      async () => (await readStats(stack.envoy.adminUrl)).rules.find((r) => r.rule === "upload")!,
      (r) => r.histograms["primary.latency_ms"]!.samples === 3 && r.histograms["dark.latency_ms"]!.samples === 3,
      "3 samples in both latency histograms",
    );
    const primaryP99 = rule.histograms["primary.latency_ms"]!.cumulative.p99!;
    const darkP99 = rule.histograms["dark.latency_ms"]!.cumulative.p99!;
    // Both services answer at once; measured from the headers, the primary would read ≥ 500 ms.
    assert.ok(primaryP99 < UPLOAD_GAP_MS / 2, `primary p99 ${primaryP99} ms should not include the ${UPLOAD_GAP_MS} ms upload`);
    assert.ok(darkP99 < UPLOAD_GAP_MS / 2, `dark p99 ${darkP99} ms`);
  });
});
