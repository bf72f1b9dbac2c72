// Time-boxed rules under the emulated host: the compiled filter reads Envoy's wall clock
// (proxy_get_current_time_nanoseconds) and, from the rule's expires_at on, counts its requests as
// skipped.expired and mirrors nothing; a rule without expires_at never reads the wall clock.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { ProxyWasmHost } from "proxy-wasm-host";
import { filterHost } from "../support/filter-host.ts";
import { assertInvariants, get, post, ruleStat } from "./scenarios.ts";

function request(host: ProxyWasmHost, headers: Array<[string, string]>): void {
  const s = host.stream();
  s.requestHeaders(headers);
  s.responseHeaders([
    [":status", "200"],
    ["content-type", "text/plain"],
  ]);
  s.responseBody("ok");
  s.end();
  for (const call of host.pendingCalls()) host.respond(call.token, { status: 200, headers: [["content-type", "text/plain"]], body: "ok" });
}

test("emulator: a rule mirrors until its expires_at, then counts skipped.expired", async () => {
  const host = filterHost();
  await host.load();
  // The host's wall clock starts at 2026-01-01T00:00:00Z; the rule ends a minute later.
  assert.equal(new Date(host.wallClockMs).toISOString(), "2026-01-01T00:00:00.000Z");
  assert.equal(host.configure({ rules: [{ name: "boxed", expires_at: "2026-01-01T00:01:00Z", dark: { cluster: "dark" } }] }), true);
  request(host, get("/a"));
  host.tick();
  assert.equal(ruleStat(host, "boxed", "mirrored"), 1);
  host.advanceMs(59_999);
  request(host, get("/b"));
  host.tick();
  assert.equal(ruleStat(host, "boxed", "mirrored"), 2);
  host.advanceMs(1);
  request(host, get("/c"));
  request(host, post("/d")); // expired comes before method in the gate order
  host.tick();
  assert.equal(ruleStat(host, "boxed", "mirrored"), 2);
  assert.equal(ruleStat(host, "boxed", "skipped.expired"), 2);
  assert.equal(ruleStat(host, "boxed", "skipped.method"), 0);
  assert.equal(ruleStat(host, "boxed", "requests"), 4);
  assertInvariants(host, "boxed");
});

test("emulator: expires_at in the past at configure time: nothing is ever mirrored", async () => {
  const host = filterHost();
  await host.load();
  assert.equal(host.configure({ rules: [{ name: "old", expires_at: "2025-06-30T23:59:59+02:00", dark: { cluster: "dark" } }] }), true);
  for (let i = 0; i < 5; i++) request(host, get(`/x/${i}`));
  host.tick();
  assert.equal(ruleStat(host, "old", "skipped.expired"), 5);
  assert.equal(ruleStat(host, "old", "mirrored"), 0);
  assert.equal(host.calls.size, 0);
});

test("emulator: only rules with expires_at read the wall clock, once per request", async () => {
  const host = filterHost();
  await host.load();
  host.configure({
    rules: [
      { name: "plain", match: { path_prefix: "/p" }, dark: { cluster: "dark" } },
      { name: "boxed", match: { path_prefix: "/b" }, expires_at: "2030-01-01T00:00:00Z", dark: { cluster: "dark" } },
    ],
  });
  const before = host.hostCalls.get("proxy_get_current_time_nanoseconds") ?? 0;
  request(host, get("/p/1"));
  assert.equal(host.hostCalls.get("proxy_get_current_time_nanoseconds") ?? 0, before);
  request(host, get("/b/1"));
  assert.equal(host.hostCalls.get("proxy_get_current_time_nanoseconds") ?? 0, before + 1);
});

test("emulator: an expires_at that is not RFC 3339 is refused with its path", async () => {
  const host = filterHost();
  await host.load();
  assert.equal(host.configure({ rules: [{ name: "a", expires_at: "next friday", dark: { cluster: "dark" } }] }), false);
  assert.ok(
    host.logs.some(
      (l) =>
        l.message ===
        'darklaunch: invalid configuration: rules[0].expires_at: must be an RFC 3339 time such as "2026-12-31T00:00:00Z" (got "next friday")',
    ),
    host.logs.map((l) => l.message).join("\n"),
  );
});
