// The benchmark's floors (bench/floors/*.wat, configurations F and G of bench/run.ts), assembled
// by wabt as the bench does, under the emulated host: they load as proxy-wasm 0.2.1 modules, the
// no-op module makes no host call at all, the mirror floor one header-map read and one http call
// carrying the request's headers unchanged.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ProxyWasmHost } from "proxy-wasm-host";
import { assembleFloors } from "../../bench/lib/floors.ts";
import { get } from "./scenarios.ts";

const floors = await assembleFloors();

function oneRequest(host: ProxyWasmHost): void {
  const s = host.stream();
  assert.equal(s.requestHeaders(get("/bench", [["x-request-id", "r1"]])), 0, "Continue");
  assert.equal(s.responseHeaders([[":status", "200"]]), 0);
  assert.equal(s.responseBody("ok"), 0);
  s.end();
}

test("floor F (WAT no-op): every callback runs and does nothing", async () => {
  const host = new ProxyWasmHost({ wasm: floors.noop.wasmPath, clusters: ["dark"] });
  await host.load();
  assert.equal(host.configure({ rules: [] }), true);
  host.hostCalls.clear();
  for (let i = 0; i < 10; i++) oneRequest(host);
  assert.equal(host.hostCalls.size, 0, `host calls: ${JSON.stringify([...host.hostCalls])}`);
  assert.equal(host.calls.size, 0);
});

test("floor G (WAT mirror): the request's headers, unchanged, to the dark cluster; nothing else", async () => {
  const host = new ProxyWasmHost({ wasm: floors.mirror.wasmPath, clusters: ["dark"] });
  await host.load();
  assert.equal(host.configure({ rules: [] }), true);
  host.hostCalls.clear();
  for (let i = 0; i < 10; i++) oneRequest(host);
  assert.deepEqual(Object.fromEntries(host.hostCalls), { proxy_get_header_map_pairs: 10, proxy_http_call: 10 });
  const calls = [...host.calls.values()];
  assert.equal(calls.length, 10);
  assert.equal(calls[0]!.cluster, "dark");
  assert.equal(calls[0]!.timeoutMs, 5000);
  assert.deepEqual(calls[0]!.headers, get("/bench", [["x-request-id", "r1"]]));
  for (const call of calls) host.respond(call.token, { status: 200, body: "ignored" });
});

test("floor one-value (D's one host call on top of F): the :method value, nothing else", async () => {
  const host = new ProxyWasmHost({ wasm: floors["one-value"].wasmPath, clusters: ["dark"] });
  await host.load();
  assert.equal(host.configure({ rules: [] }), true);
  host.hostCalls.clear();
  host.mallocCallbacks = 0;
  for (let i = 0; i < 10; i++) oneRequest(host);
  assert.deepEqual(Object.fromEntries(host.hostCalls), { proxy_get_header_map_value: 10 });
  assert.equal(host.mallocCallbacks, 10, "the value handed over through malloc each time");
});
