// What the filter reads of a request before it knows it wants it: single header values on demand
// (proxy_get_header_map_value) for rules that look at a few names, the whole map (one call) when
// most requests will be copied anyway or a cookie decides; and which root a stream without a
// context object belongs to while two configurations live side by side.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { ProxyWasmHost, Headers } from "proxy-wasm-host";
import { filterHost } from "../support/filter-host.ts";
import { stickyIn } from "../support/sampling.ts";
import { assertInvariants, get, post, ruleStat } from "./scenarios.ts";

async function hostWith(config: object): Promise<ProxyWasmHost> {
  const host = filterHost({ clusters: ["dark"] });
  await host.load();
  assert.equal(host.configure(config), true, host.logs.map((l) => l.message).join("\n"));
  return host;
}

/** Host calls of one request (headers, primary answer, end; the dark call answered), by name. */
function callsOf(host: ProxyWasmHost, headers: Headers): Map<string, number> {
  host.hostCalls.clear();
  const s = host.stream();
  s.requestHeaders(headers);
  s.responseHeaders([[":status", "200"]]);
  s.responseBody("ok");
  s.end();
  for (const call of host.pendingCalls()) host.respond(call.token, { status: 200, body: "ok" });
  return new Map(host.hostCalls);
}

test("emulator: a request no rule wants costs the values its rules look at, and nothing else", async () => {
  const host = await hostWith({
    rules: [
      { name: "api", match: { path_prefix: "/api", headers: [{ name: "x-tenant", exact: "t1" }] }, dark: { cluster: "dark" } },
      { name: "shop", match: { path_prefix: "/shop" }, dark: { cluster: "dark" } },
    ],
  });
  const calls = callsOf(host, get("/static/logo.png", [["x-tenant", "t1"]]));
  // `:path` is fetched once for both rules; x-tenant is never asked for: the path failed first.
  assert.deepEqual(Object.fromEntries(calls), { proxy_get_header_map_value: 1 });
  host.tick();
  assert.equal(ruleStat(host, "api", "requests") + ruleStat(host, "shop", "requests"), 0);
});

test("emulator: a request turned away by the gates costs one value (its method) and is counted", async () => {
  const host = await hostWith({ rules: [{ name: "g", sample: { percent: 0 }, dark: { cluster: "dark" } }] });
  assert.deepEqual(Object.fromEntries(callsOf(host, get("/x"))), { proxy_get_header_map_value: 1 });
  assert.deepEqual(Object.fromEntries(callsOf(host, post("/x"))), { proxy_get_header_map_value: 1 });
  host.tick();
  assert.equal(ruleStat(host, "g", "skipped.sampled_out"), 1);
  assert.equal(ruleStat(host, "g", "skipped.method"), 1, "the method gate still comes first");
  assertInvariants(host, "g");
});

test("emulator: a rule that copies everything it sees reads the whole map once; a path rule learns it from the traffic", async () => {
  const all = await hostWith({ rules: [{ name: "all", dark: { cluster: "dark" } }] });
  const first = callsOf(all, get("/a"));
  assert.equal(first.get("proxy_get_header_map_value") ?? 0, 0);
  assert.equal(first.get("proxy_get_header_map_pairs"), 3, "the request's map (gates and copy), the primary's and the dark response's");

  const api = await hostWith({ rules: [{ name: "api", match: { path_prefix: "/api" }, dark: { cluster: "dark" } }] });
  const early = callsOf(api, get("/api/1"));
  assert.equal(early.get("proxy_get_header_map_value"), 2, ":path and :method, one at a time");
  for (let i = 0; i < 64; i++) callsOf(api, get(`/api/${i}`)); // every one of them is copied
  const later = callsOf(api, get("/api/x"));
  assert.equal(later.get("proxy_get_header_map_value") ?? 0, 0, "after 64 requests that all passed: the whole map at once");
  for (let i = 0; i < 64; i++) callsOf(api, get(`/static/${i}`)); // none of them is wanted
  const back = callsOf(api, get("/static/y"));
  assert.deepEqual(Object.fromEntries(back), { proxy_get_header_map_value: 1 }, "and back to single values");
  api.tick();
  assert.equal(ruleStat(api, "api", "mirrored"), 66);
  assertInvariants(api, "api");
});

test("emulator: a cookie-sampled rule reads the whole map, so every cookie header counts", async () => {
  const host = await hostWith({
    rules: [{ name: "c", match: { path_prefix: "/c" }, sample: { percent: 50, by: "cookie:uid" }, dark: { cluster: "dark" } }],
  });
  for (let i = 0; i < 70; i++) {
    const calls = callsOf(host, get(`/other/${i}`));
    assert.equal(calls.get("proxy_get_header_map_value") ?? 0, 0, "never single values");
  }
  // The key in the second of two cookie headers: a key sampled in is mirrored, one sampled out is not.
  const keys = Array.from({ length: 40 }, (_, i) => `k${i}`);
  const inKey = keys.find((k) => stickyIn(k, 50))!;
  const outKey = keys.find((k) => !stickyIn(k, 50))!;
  callsOf(
    host,
    get("/c/1", [
      ["cookie", "theme=dark"],
      ["cookie", `uid=${inKey}`],
    ]),
  );
  callsOf(
    host,
    get("/c/2", [
      ["cookie", "theme=dark"],
      ["cookie", `uid=${outKey}`],
    ]),
  );
  host.tick();
  assert.equal(ruleStat(host, "c", "mirrored"), 1, `${inKey} is in, ${outKey} is out`);
  assert.equal(ruleStat(host, "c", "skipped.sampled_out"), 1);
  assertInvariants(host, "c");
});

test("emulator: a stream created before a new configuration belongs to the old root, one created after to the new", async () => {
  const host = await hostWith({ rules: [{ name: "old", dark: { cluster: "dark" } }] });
  const oldRoot = host.currentRootId;
  const busy = host.stream();
  busy.requestHeaders(get("/busy"));
  const early = host.stream(); // created under the old root; its headers come later
  assert.equal(host.reconfigure({ rules: [{ name: "new", dark: { cluster: "dark" } }] }), true);
  assert.equal(host.rootPhase(oldRoot), "replaced", "its open streams keep the old root");
  const late = host.stream();
  early.requestHeaders(get("/early"));
  late.requestHeaders(get("/late"));
  for (const s of [busy, early, late]) {
    s.responseHeaders([[":status", "200"]]);
    s.responseBody("ok");
    s.end();
  }
  const byPath = new Map(host.pendingCalls().map((c) => [c.headers.find(([k]) => k === ":path")![1], c]));
  assert.deepEqual([...byPath.keys()].sort(), ["/busy", "/early", "/late"]);
  assert.equal(byPath.get("/early")!.headers.find(([k]) => k === "x-dark-launch")?.[1], "old");
  assert.equal(byPath.get("/late")!.headers.find(([k]) => k === "x-dark-launch")?.[1], "new");
  assert.equal(host.rootPhase(oldRoot), "pendingDone", "its streams ended with two of its calls in flight");
  for (const call of host.pendingCalls()) host.respond(call.token, { status: 200, body: "ok" });
  assert.equal(host.rootPhase(oldRoot), "deleted");
  host.tick();
  assert.equal(ruleStat(host, "old", "mirrored"), 2);
  assert.equal(ruleStat(host, "new", "mirrored"), 1);
});
