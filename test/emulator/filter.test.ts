// The compiled filter under the emulated host: each gate, the copy, the comparison outcomes.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { ProxyWasmHost } from "proxy-wasm-host";
import { filterHost } from "../support/filter-host.ts";
import { assertInvariants, get, post, ruleStat } from "./scenarios.ts";

async function hostWith(config: object, clusters = ["dark"]): Promise<ProxyWasmHost> {
  const host = filterHost({ clusters });
  await host.load();
  assert.equal(host.configure(config), true, host.logs.map((l) => l.message).join("\n"));
  return host;
}

function primaryAnswers(s: ReturnType<ProxyWasmHost["stream"]>, status = 200, body = "ok"): void {
  s.responseHeaders([
    [":status", String(status)],
    ["content-type", "text/plain"],
  ]);
  s.responseBody(body);
  s.end();
}

test("emulator: invalid configuration is refused with path-named problems", async () => {
  const host = filterHost();
  await host.load();
  assert.equal(host.configure({ rules: [{ name: "a", sample: { percent: 150 }, dark: { cluster: "d" } }] }), false);
  const line = host.logs.find((l) => l.message.startsWith("darklaunch: invalid configuration:"));
  assert.ok(line, "an invalid-configuration log line");
  assert.match(line.message, /rules\[0\]\.sample\.percent: must be a number from 0 to 100 \(got 150\)/);
});

test("emulator: counters exist at 0 right after configuration", async () => {
  const host = await hostWith({ rules: [{ name: "a", dark: { cluster: "dark" } }] });
  assert.equal(host.tickPeriodMs(), 250, "the filter asks for its flush period");
  host.tick();
  assert.equal(ruleStat(host, "a", "requests"), 0);
  assert.equal(ruleStat(host, "a", "skipped.dispatch_failed"), 0);
  assert.equal(ruleStat(host, "a", "compare.mismatch.body"), 0);
});

test("emulator: unmatched requests are counted nowhere", async () => {
  const host = await hostWith({ rules: [{ name: "a", match: { path_prefix: "/api" }, dark: { cluster: "dark" } }] });
  const s = host.stream();
  s.requestHeaders(get("/other"));
  primaryAnswers(s);
  host.tick();
  assert.equal(ruleStat(host, "a", "requests"), 0);
  assert.equal(host.pendingCalls().length, 0);
});

test("emulator: each early gate counts its own skip reason", async () => {
  const host = await hostWith({
    rules: [
      { name: "off", enabled: false, match: { path_prefix: "/off" }, dark: { cluster: "dark" } },
      { name: "meth", match: { path_prefix: "/meth" }, dark: { cluster: "dark" } },
      { name: "zero", match: { path_prefix: "/zero" }, sample: { percent: 0 }, dark: { cluster: "dark" } },
    ],
  });
  for (const [path, headers] of [
    ["/off", get("/off")],
    ["/meth", post("/meth")],
    ["/zero", get("/zero")],
  ] as const) {
    const s = host.stream();
    s.requestHeaders(headers);
    primaryAnswers(s);
    void path;
  }
  host.tick();
  assert.equal(ruleStat(host, "off", "skipped.disabled"), 1);
  assert.equal(ruleStat(host, "meth", "skipped.method"), 1);
  assert.equal(ruleStat(host, "zero", "skipped.sampled_out"), 1);
  assert.equal(host.pendingCalls().length, 0);
  for (const r of ["off", "meth", "zero"]) assertInvariants(host, r);
});

test("emulator: a POST body up to the limit is copied once complete; one byte over is not", async () => {
  const host = await hostWith({ rules: [{ name: "p", methods: ["POST"], dark: { cluster: "dark", max_body_bytes: 10 } }] });
  const ok = host.stream();
  ok.requestHeaders(post("/x"), false);
  ok.requestBody("01234", false);
  assert.equal(host.pendingCalls().length, 0, "not sent before the request is complete");
  ok.requestBody("56789", true);
  const [call] = host.pendingCalls();
  assert.equal(call.body.toString(), "0123456789");
  assert.deepEqual(
    call.headers.find(([k]) => k === "content-length"),
    ["content-length", "10"],
  );
  primaryAnswers(ok);
  host.respond(call.token, { status: 200, body: "ok", headers: [["content-type", "text/plain"]] });

  const big = host.stream();
  big.requestHeaders(post("/x"), false);
  big.requestBody("0123456789", false);
  big.requestBody("X", true);
  primaryAnswers(big);
  host.tick();
  assert.equal(ruleStat(host, "p", "skipped.body_too_large"), 1);
  assert.equal(ruleStat(host, "p", "compare.match"), 1);
  assertInvariants(host, "p");
});

test("emulator: a request that ends before it is complete counts as aborted", async () => {
  const host = await hostWith({ rules: [{ name: "p", methods: ["POST"], dark: { cluster: "dark" } }] });
  const s = host.stream();
  s.requestHeaders(post("/x"), false);
  s.requestBody("part", false);
  s.end();
  host.tick();
  assert.equal(ruleStat(host, "p", "skipped.aborted"), 1);
  assertInvariants(host, "p");
});

test("emulator: an unknown dark cluster counts dispatch_failed and logs the cluster", async () => {
  const host = await hostWith({ rules: [{ name: "u", dark: { cluster: "nope" } }] }, ["dark"]);
  const s = host.stream();
  s.requestHeaders(get("/"));
  primaryAnswers(s);
  host.tick();
  assert.equal(ruleStat(host, "u", "skipped.dispatch_failed"), 1);
  assert.ok(host.logs.some((l) => l.level === 4 && l.message.includes('"nope"')));
  assertInvariants(host, "u");
});

test("emulator: in-flight limit, then rate limit, then breaker", async () => {
  const host = await hostWith({
    rules: [
      { name: "inf", match: { path_prefix: "/inf" }, dark: { cluster: "dark" }, limits: { max_in_flight: 2 } },
      { name: "rate", match: { path_prefix: "/rate" }, dark: { cluster: "dark" }, limits: { max_per_second: 3 } },
      {
        name: "brk",
        match: { path_prefix: "/brk" },
        dark: { cluster: "dark" },
        breaker: { min_calls: 4, failure_ratio: 0.5, window_ms: 10000, open_ms: 1000 },
      },
    ],
  });
  for (let i = 0; i < 5; i++) host.stream().requestHeaders(get("/inf"));
  host.tick();
  assert.equal(ruleStat(host, "inf", "mirrored"), 2);
  assert.equal(ruleStat(host, "inf", "skipped.in_flight_limit"), 3);
  assert.equal(ruleStat(host, "inf", "in_flight"), 2);
  for (const c of host.pendingCalls()) host.respond(c.token, { status: 200 });

  for (let i = 0; i < 5; i++) host.stream().requestHeaders(get("/rate"));
  host.tick();
  assert.equal(ruleStat(host, "rate", "mirrored"), 3);
  assert.equal(ruleStat(host, "rate", "skipped.rate_limited"), 2);
  host.advanceMs(1000);
  host.stream().requestHeaders(get("/rate"));
  host.tick();
  assert.equal(ruleStat(host, "rate", "mirrored"), 4, "tokens refill after a second");
  for (const c of host.pendingCalls()) host.respond(c.token, { status: 200 });

  for (let i = 0; i < 4; i++) {
    host.stream().requestHeaders(get("/brk"));
    host.respond(host.pendingCalls()[0].token, { status: 503 });
  }
  host.stream().requestHeaders(get("/brk"));
  host.tick();
  assert.equal(ruleStat(host, "brk", "skipped.breaker_open"), 1);
  host.advanceMs(1001);
  host.stream().requestHeaders(get("/brk"));
  host.tick();
  assert.equal(ruleStat(host, "brk", "mirrored"), 5, "calls go through again after open_ms");
  host.respond(host.pendingCalls()[0].token, { status: 200 });
});

test("emulator: requests the breaker or the in-flight limit turns away spend no rate tokens", async () => {
  const host = await hostWith({
    rules: [
      {
        name: "b",
        dark: { cluster: "dark" },
        limits: { max_per_second: 2, max_in_flight: 1 },
        breaker: { min_calls: 1, failure_ratio: 0.5, window_ms: 10000, open_ms: 1000 },
      },
    ],
  });
  // A dark call in flight: the next requests meet the in-flight limit.
  host.stream().requestHeaders(get("/"));
  const [first] = host.pendingCalls();
  for (let i = 0; i < 3; i++) host.stream().requestHeaders(get("/"));
  host.tick();
  assert.equal(ruleStat(host, "b", "skipped.in_flight_limit"), 3);
  host.respond(first!.token, { status: 503 }); // opens the breaker (min_calls 1)
  host.advanceMs(999); // the bucket is full again (2 tokens); the breaker is open for 1 more ms
  for (let i = 0; i < 5; i++) host.stream().requestHeaders(get("/"));
  host.tick();
  assert.equal(ruleStat(host, "b", "skipped.breaker_open"), 5, "the breaker, not the rate limit, turned them away");
  assert.equal(ruleStat(host, "b", "skipped.rate_limited"), 0);
  host.advanceMs(1);
  // Breaker closed: both tokens are still there.
  host.stream().requestHeaders(get("/"));
  host.respond(host.pendingCalls()[0]!.token, { status: 200 });
  host.stream().requestHeaders(get("/"));
  host.respond(host.pendingCalls()[0]!.token, { status: 200 });
  host.stream().requestHeaders(get("/"));
  host.tick();
  assert.equal(ruleStat(host, "b", "mirrored"), 3);
  assert.equal(ruleStat(host, "b", "skipped.rate_limited"), 1, "the third request within the second");
  assertInvariants(host, "b", false); // the primaries never answer here: nothing to compare
});

test("emulator: comparison outcomes and classification of dark endings", async () => {
  const host = await hostWith({ rules: [{ name: "c", dark: { cluster: "dark" }, compare: { headers: ["content-type"] } }] });
  const run = (darkStatus: number, darkType: string, darkBody: string, end?: "fail" | "timeout" | "local503") => {
    const s = host.stream();
    s.requestHeaders(get("/"));
    const [call] = host.pendingCalls();
    s.responseHeaders([
      [":status", "200"],
      ["content-type", "text/plain"],
    ]);
    s.responseBody("same");
    s.end();
    if (end === "fail") host.fail(call.token);
    else if (end === "timeout") host.timeout(call.token);
    else if (end === "local503") host.respond(call.token, { status: 503, fromUpstream: false, body: "upstream connect error" });
    else host.respond(call.token, { status: darkStatus, headers: [["content-type", darkType]], body: darkBody });
  };
  run(200, "text/plain", "same");
  run(500, "text/plain", "same");
  run(200, "application/json", "same");
  run(200, "text/plain", "different");
  run(0, "", "", "fail");
  run(0, "", "", "timeout");
  run(0, "", "", "local503");
  host.tick();
  assert.equal(ruleStat(host, "c", "compare.match"), 1);
  assert.equal(ruleStat(host, "c", "compare.mismatch.status"), 1);
  assert.equal(ruleStat(host, "c", "compare.mismatch.headers"), 1);
  assert.equal(ruleStat(host, "c", "compare.mismatch.body"), 1);
  assert.equal(ruleStat(host, "c", "compare.incomplete"), 3);
  assert.equal(ruleStat(host, "c", "dark.failed"), 2);
  assert.equal(ruleStat(host, "c", "dark.timeout"), 1);
  assert.equal(ruleStat(host, "c", "dark.status.5xx"), 1);
  assert.equal(ruleStat(host, "c", "primary.status.2xx"), 7);
  assertInvariants(host, "c");
  const mismatch = host.logs.filter((l) => l.message.startsWith("darklaunch: mismatch"));
  assert.equal(mismatch.length, 1, "one line per second at the default mismatch_log_per_second");
  assert.match(
    mismatch[0].message,
    /rule=c part=status x-request-id=- primary_status=200 dark_status=500 primary_body_hash=[0-9a-f]{16} dark_body_hash=[0-9a-f]{16}$/,
  );
});

test("emulator: the dark side answering before the primary still pairs up", async () => {
  const host = await hostWith({ rules: [{ name: "o", dark: { cluster: "dark" } }] });
  const s = host.stream();
  s.requestHeaders(get("/"));
  host.respond(host.pendingCalls()[0].token, { status: 200, body: "x" });
  s.responseHeaders([[":status", "200"]]);
  s.responseBody("x");
  s.end();
  host.tick();
  assert.equal(ruleStat(host, "o", "compare.match"), 1);
  assert.equal(host.histogram("wasmcustom.darklaunch.o.primary.latency_ms").length, 1);
  assertInvariants(host, "o");
});

test("emulator: a primary reset after mirroring makes the pair incomplete", async () => {
  const host = await hostWith({ rules: [{ name: "r", dark: { cluster: "dark" } }] });
  const s = host.stream();
  s.requestHeaders(get("/"));
  s.responseHeaders([[":status", "200"]]);
  s.end(); // reset before the body ended
  host.respond(host.pendingCalls()[0].token, { status: 200, body: "x" });
  host.tick();
  assert.equal(ruleStat(host, "r", "compare.incomplete"), 1);
  assertInvariants(host, "r");
});

test("emulator: a primary answer Envoy made itself (upstream reset) leaves the pair incomplete", async () => {
  const host = await hostWith({ rules: [{ name: "l", dark: { cluster: "dark" } }] });
  host.properties["response.code_details"] = "upstream_reset_before_response_started{connection_termination}";
  const s = host.stream();
  s.requestHeaders(get("/"));
  primaryAnswers(s, 503, "upstream connect error");
  host.respond(host.pendingCalls()[0].token, { status: 200, body: "x" });
  host.properties["response.code_details"] = "via_upstream";
  const t = host.stream();
  t.requestHeaders(get("/"));
  primaryAnswers(t, 200, "x");
  host.respond(host.pendingCalls()[0].token, { status: 200, body: "x" });
  host.tick();
  assert.equal(ruleStat(host, "l", "compare.incomplete"), 1);
  assert.equal(ruleStat(host, "l", "compare.match"), 1);
  assert.equal(ruleStat(host, "l", "primary.status.5xx"), 1, "the user-visible status is still counted");
  assertInvariants(host, "l");
});

test("emulator: a new configuration while dark calls are in flight: the old root stays until they call back, nothing leaks", async () => {
  const host = await hostWith({ rules: [{ name: "e", dark: { cluster: "dark" }, limits: { max_in_flight: 2 } }] });
  for (let i = 0; i < 2; i++) {
    const s = host.stream();
    s.requestHeaders(get("/"));
    primaryAnswers(s);
  }
  host.tick();
  assert.equal(ruleStat(host, "e", "in_flight"), 2);
  assert.equal(
    host.reconfigure({ mismatch_log_per_second: 2, rules: [{ name: "e", dark: { cluster: "dark" }, limits: { max_in_flight: 2 } }] }),
    true,
  );
  assert.equal(host.rootsPendingDone.size, 1, "the old root waits for its calls");
  const blocked = host.stream();
  blocked.requestHeaders(get("/"));
  primaryAnswers(blocked);
  host.tick();
  assert.equal(ruleStat(host, "e", "skipped.in_flight_limit"), 1, "the old root's calls still hold their slots");
  for (const call of host.pendingCalls()) host.respond(call.token, { status: 200, body: "ok" });
  assert.equal(host.rootsPendingDone.size, 0, "the old root called proxy_done after its last call");
  assert.equal(host.deletedRoots.size, 1);
  host.tick();
  assert.equal(ruleStat(host, "e", "in_flight"), 0);
  const after = host.stream();
  after.requestHeaders(get("/"));
  primaryAnswers(after);
  host.respond(host.pendingCalls()[0]!.token, { status: 200, body: "ok" });
  host.tick();
  assert.equal(ruleStat(host, "e", "mirrored"), 3, "slots were given back: mirroring goes on");
  assertInvariants(host, "e");
});

test("emulator: in-flight slots whose calls never call back expire with their time bucket", async () => {
  const host = await hostWith({ rules: [{ name: "x", dark: { cluster: "dark" }, limits: { max_in_flight: 1 } }] });
  const s = host.stream();
  s.requestHeaders(get("/"));
  primaryAnswers(s);
  host.pendingCalls()[0]!.done = true; // the call is lost: its callback never comes (VM gone)
  const blocked = host.stream();
  blocked.requestHeaders(get("/"));
  primaryAnswers(blocked);
  host.tick();
  assert.equal(ruleStat(host, "x", "skipped.in_flight_limit"), 1);
  host.advanceMs(65_000); // past the 64 s window (8 buckets of 8 s)
  const later = host.stream();
  later.requestHeaders(get("/"));
  primaryAnswers(later);
  host.tick();
  assert.equal(ruleStat(host, "x", "mirrored"), 2, "the lost slot no longer counts");
});
