// gRPC through the filter (contract §2.5), with a real gRPC library on both ends: a @grpc/grpc-js
// client calls Envoy over h2c, Envoy routes to a grpc-js primary, and the filter copies each call
// to a grpc-js dark service. The status that counts is the one grpc-status maps to, read from the
// trailers or from a trailers-only response; the copy keeps `te: trailers`.

import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { renderBootstrap, startEnvoy, type EnvoyProcess } from "../../tools/lib/envoy.js";
import { ECHO_PATH, echoClient, startGrpcUpstream, type GrpcAnswer, type GrpcUpstream } from "../support/grpc-upstream.js";
import { assertInvariants, nonZero, settledRuleStats, waitForRuleStats, type RuleStats } from "../support/stats.js";

const RULE = "echo";
const BREAKER_RULE = "echo-breaker";

describe("gRPC through the filter (grpc-js client and servers over h2c)", () => {
  let primary: GrpcUpstream;
  let dark: GrpcUpstream;
  let envoy: EnvoyProcess;
  let client: ReturnType<typeof echoClient>;
  const cleanups: (() => Promise<void> | void)[] = [];

  before(async () => {
    try {
      primary = await startGrpcUpstream();
      cleanups.push(() => primary.close());
      dark = await startGrpcUpstream();
      cleanups.push(() => dark.close());
      envoy = await startEnvoy({
        bootstrap: renderBootstrap({
          primaryPort: primary.port,
          clusters: { dark: dark.port },
          http2Clusters: ["primary", "dark"],
          filterConfig: {
            mismatch_log_per_second: 100,
            rules: [
              {
                name: RULE,
                // The header gate splits the calls between the two rules of this file.
                match: { path_prefix: ECHO_PATH, headers: [{ name: "x-breaker", absent: true }] },
                methods: ["POST"],
                dark: { cluster: "dark" },
                compare: { headers: ["grpc-message"] },
              },
              {
                name: BREAKER_RULE,
                match: { path_prefix: ECHO_PATH, headers: [{ name: "x-breaker", present: true }] },
                methods: ["POST"],
                dark: { cluster: "dark" },
                breaker: { min_calls: 4, failure_ratio: 0.5, window_ms: 60000, open_ms: 60000 },
              },
            ],
          },
        }),
      });
      cleanups.push(() => envoy.stop());
      client = echoClient(envoy.port);
      cleanups.push(() => client.close());
    } catch (err) {
      while (cleanups.length > 0) await cleanups.pop()!();
      throw err;
    }
  });

  after(async () => {
    while (cleanups.length > 0) await cleanups.pop()!();
  });

  let base: RuleStats;
  beforeEach(async () => {
    primary.answer = { kind: "ok" };
    dark.answer = { kind: "ok" };
    base = await settledRuleStats(envoy.adminUrl, RULE);
  });

  /** Counters of RULE moved since the test began. */
  async function moved(): Promise<RuleStats> {
    const now = await assertInvariants(envoy.adminUrl, RULE);
    const out: RuleStats = {};
    for (const [k, v] of Object.entries(now)) out[k] = v - (base[k] ?? 0);
    return nonZero(out);
  }

  async function callOnce(primaryAnswer: GrpcAnswer, darkAnswer: GrpcAnswer): Promise<{ code: grpc.status; details: string }> {
    primary.answer = primaryAnswer;
    dark.answer = darkAnswer;
    const darkCallsBefore = dark.calls.length;
    const res = await client.call(Buffer.from("ping"));
    // The copy is sent once the request is complete; wait until the dark service got it.
    const deadline = Date.now() + 5000;
    while (dark.calls.length === darkCallsBefore && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return res;
  }

  test("OK vs OK: compare.match, both 2xx; the dark service sees te: trailers", async () => {
    const res = await callOnce({ kind: "ok" }, { kind: "ok" });
    assert.equal(res.code, grpc.status.OK);
    const m = await moved();
    assert.deepEqual(m, { requests: 1, mirrored: 1, "dark.status.2xx": 1, "primary.status.2xx": 1, "compare.match": 1 });
    const copy = dark.wireHeaders.at(-1)!;
    assert.equal(copy.te, "trailers");
    assert.equal(copy["x-dark-launch"], RULE);
    assert.equal(copy["content-type"], "application/grpc");
    assert.equal(copy[":path"], ECHO_PATH);
  });

  test("OK vs INTERNAL in the trailers (HTTP 200): mismatch.status and dark.status.5xx; the log line shows both grpc-status values", async () => {
    const res = await callOnce({ kind: "ok" }, { kind: "error-in-trailers", code: grpc.status.INTERNAL, message: "boom" });
    assert.equal(res.code, grpc.status.OK, "the client gets the primary's answer");
    const m = await moved();
    assert.deepEqual(m, { requests: 1, mirrored: 1, "dark.status.5xx": 1, "primary.status.2xx": 1, "compare.mismatch.status": 1 });
    const line = await envoy.waitForLog(/darklaunch: mismatch rule=echo part=status .*dark_grpc_status=13/);
    assert.match(line, / primary_status=200 dark_status=500 primary_grpc_status=0 dark_grpc_status=13 /);
  });

  test("trailers-only errors: NOT_FOUND counts as 4xx, the pair as mismatch.status", async () => {
    await callOnce({ kind: "ok" }, { kind: "trailers-only", code: grpc.status.NOT_FOUND, message: "no such thing" });
    const m = await moved();
    assert.deepEqual(m, { requests: 1, mirrored: 1, "dark.status.4xx": 1, "primary.status.2xx": 1, "compare.mismatch.status": 1 });
  });

  test("a primary error counts in primary.status by its mapped class; the same error on both sides matches", async () => {
    const res = await callOnce(
      { kind: "trailers-only", code: grpc.status.UNAVAILABLE, message: "down" },
      { kind: "trailers-only", code: grpc.status.UNAVAILABLE, message: "down" },
    );
    assert.equal(res.code, grpc.status.UNAVAILABLE);
    const m = await moved();
    assert.deepEqual(m, { requests: 1, mirrored: 1, "dark.status.5xx": 1, "primary.status.5xx": 1, "compare.match": 1 });
  });

  test("codes that map to the same HTTP status still differ (INVALID_ARGUMENT 3 vs OUT_OF_RANGE 11)", async () => {
    await callOnce(
      { kind: "error-in-trailers", code: grpc.status.INVALID_ARGUMENT, message: "bad" },
      { kind: "error-in-trailers", code: grpc.status.OUT_OF_RANGE, message: "bad" },
    );
    const m = await moved();
    assert.deepEqual(m, { requests: 1, mirrored: 1, "dark.status.4xx": 1, "primary.status.4xx": 1, "compare.mismatch.status": 1 });
  });

  test("grpc-message is compared through compare.headers (found in the trailers)", async () => {
    await callOnce(
      { kind: "error-in-trailers", code: grpc.status.INTERNAL, message: "same words" },
      { kind: "error-in-trailers", code: grpc.status.INTERNAL, message: "same words" },
    );
    await callOnce(
      { kind: "error-in-trailers", code: grpc.status.INTERNAL, message: "primary words" },
      { kind: "error-in-trailers", code: grpc.status.INTERNAL, message: "dark words" },
    );
    const m = await moved();
    assert.deepEqual(m, {
      requests: 2,
      mirrored: 2,
      "dark.status.5xx": 2,
      "primary.status.5xx": 2,
      "compare.match": 1,
      "compare.mismatch.headers": 1,
    });
  });

  test("UNAVAILABLE on every call opens the breaker (5xx by mapping) while the primary keeps answering OK", async () => {
    primary.answer = { kind: "ok" };
    dark.answer = { kind: "trailers-only", code: grpc.status.UNAVAILABLE, message: "dark down" };
    const withHeader = (): Promise<grpc.status> =>
      new Promise((resolve) => {
        const Client = grpc.makeGenericClientConstructor(
          {
            Call: {
              path: ECHO_PATH,
              requestStream: false,
              responseStream: false,
              requestSerialize: (b: Buffer) => b,
              requestDeserialize: (b: Buffer) => b,
              responseSerialize: (b: Buffer) => b,
              responseDeserialize: (b: Buffer) => b,
            },
          },
          "Echo",
        );
        const c = new Client(`127.0.0.1:${envoy.port}`, grpc.credentials.createInsecure());
        const md = new grpc.Metadata();
        md.set("x-breaker", "1");
        (c as unknown as { Call: (req: Buffer, md: grpc.Metadata, cb: (err: grpc.ServiceError | null) => void) => void }).Call(
          Buffer.from("x"),
          md,
          (err) => {
            c.close();
            resolve(err ? err.code : grpc.status.OK);
          },
        );
      });
    // One at a time, so each outcome is recorded before the next call is admitted.
    for (let i = 0; i < 4; i++) {
      assert.equal(await withHeader(), grpc.status.OK);
      await waitForRuleStats(envoy.adminUrl, BREAKER_RULE, (s) => s["dark.status.5xx"] === i + 1, `dark 5xx ${i + 1}`);
    }
    for (let i = 0; i < 6; i++) assert.equal(await withHeader(), grpc.status.OK);
    const s = await assertInvariants(envoy.adminUrl, BREAKER_RULE);
    assert.equal(s["dark.status.5xx"], 4, JSON.stringify(nonZero(s)));
    assert.equal(s["skipped.breaker_open"], 6, JSON.stringify(nonZero(s)));
    assert.equal(s["primary.status.2xx"], 4);
  });
});
