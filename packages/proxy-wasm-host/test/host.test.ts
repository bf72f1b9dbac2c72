// proxy-wasm-host against a module of its own (wat-filter.ts): loading, configuration, streams,
// header maps, http calls, ticks, metrics, logs, shared data and queues, and the root lifecycle.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Action, LogLevel, MapType, ProxyWasmHost } from "../src/index.ts";
import { assemble, WAT_FILTER } from "./wat-filter.ts";

const wasm = await assemble(WAT_FILTER);

async function configured(config = "hello", options: { clusters?: string[] } = {}): Promise<ProxyWasmHost> {
  const host = new ProxyWasmHost({ wasm, ...options });
  await host.load();
  assert.equal(host.configure(config), true);
  return host;
}

test("load refuses what Envoy refuses: no ABI version export, a callback with another signature", async () => {
  const noVersion = await assemble(`(module (memory (export "memory") 1) (func (export "malloc") (param i32) (result i32) (i32.const 0)))`);
  await assert.rejects(new ProxyWasmHost({ wasm: noVersion }).load(), /no export proxy_abi_version_0_2_1/);
  const badSignature = await assemble(`(module (memory (export "memory") 1)
    (func (export "proxy_abi_version_0_2_1")) (func (export "malloc") (param i32) (result i32) (i32.const 0))
    (func (export "proxy_on_tick") (param i32 i32)))`);
  await assert.rejects(new ProxyWasmHost({ wasm: badSignature }).load(), /bad function signature of proxy_on_tick: \(i32, i32\) -> \(\)/);
});

test("configure: the module reads its configuration; a refusal is false", async () => {
  const host = await configured("hello");
  assert.deepEqual(host.logs.at(-1), { level: LogLevel.Info, message: "hello" });
  const refusing = new ProxyWasmHost({ wasm });
  await refusing.load();
  assert.equal(refusing.configure("no"), false);
});

test("streams: header maps as the module left them, pauses and their continuation by an http call's answer", async () => {
  const host = await configured("c", { clusters: ["up"] });
  const s = host.stream();
  assert.equal(
    s.requestHeaders([
      [":path", "/"],
      ["x-echo", "abc"],
      ["x-call", "1"],
    ]),
    Action.StopIteration,
  );
  assert.equal(s.header(MapType.RequestHeaders, "x-seen"), "abc");
  assert.equal(host.shared.get("echo")?.value.toString(), "abc");
  assert.equal(s.requestPaused, true);
  const [call] = host.pendingCalls();
  assert.deepEqual(
    { cluster: call!.cluster, contextId: call!.contextId, timeoutMs: call!.timeoutMs },
    { cluster: "up", contextId: s.id, timeoutMs: 500 },
  );
  host.respond(call!.token, { status: 200, body: "ok" });
  assert.equal(s.requestPaused, false);
  assert.equal(s.continued.request, 1);
  s.responseHeaders([
    [":status", "200"],
    ["server", "envoy"],
  ]);
  assert.deepEqual(s.headers(MapType.ResponseHeaders), [
    [":status", "200"],
    ["server", "wat"],
  ]);
  s.end();
  assert.throws(() => s.requestBody("late"), /has ended/);
  assert.equal(host.hostCalls.get("proxy_http_call"), 1);
});

test("http calls: to an unknown cluster refused (no call recorded); a failed call is answered with no headers", async () => {
  const host = await configured("c", { clusters: [] });
  const s = host.stream();
  assert.equal(s.requestHeaders([["x-call", "1"]]), Action.Continue, "refused: the module goes on");
  assert.deepEqual(host.pendingCalls(), []);
  const up = await configured("c", { clusters: ["up"] });
  const t = up.stream();
  t.requestHeaders([["x-call", "1"]]);
  up.fail(up.pendingCalls()[0]!.token);
  assert.equal(t.requestPaused, false);
  assert.throws(() => up.fail(1), /no pending call 1/);
});

test("ticks and metrics: the period the module asked for, the counter it increments", async () => {
  const host = await configured();
  assert.equal(host.tickPeriodMs(), 100);
  host.advanceMs(99);
  assert.equal(host.stat("wasmcustom.ticks"), 0);
  host.advanceMs(1);
  assert.equal(host.stat("ticks"), 1);
  assert.equal(host.tick(), 1);
  assert.deepEqual(host.allStats(), { "wasmcustom.ticks": 2 });
});

test("shared queues: enqueued from outside, the registering root is told and dequeues", async () => {
  const host = await configured();
  assert.equal(host.enqueue("q", "item"), true);
  assert.deepEqual(host.logs.at(-1), { level: LogLevel.Info, message: "item" });
  assert.deepEqual(host.sharedQueue("q")?.items, []);
  assert.equal(host.enqueue("nope", "x"), false);
});

test("lifecycle: a replaced root is shut down after its last stream; a root that waits is deleted once it calls proxy_done", async () => {
  const host = await configured("wait");
  const first = host.currentRootId;
  const s = host.stream();
  s.requestHeaders([]);
  assert.equal(host.reconfigure("second"), true);
  assert.notEqual(host.currentRootId, first);
  assert.equal(host.rootPhase(first), "replaced", "its stream holds it");
  s.end();
  assert.equal(host.rootPhase(first), "pendingDone", "proxy_on_done returned 0");
  host.tick();
  assert.equal(host.rootPhase(first), "deleted", "it called proxy_done at its tick");
  assert.equal(host.reconfigure("second"), true);
  assert.equal(host.rootPhase(host.currentRootId), "active", "the same configuration again reloads nothing");
  assert.equal(host.reconfigure("no"), false);
  assert.equal(host.rootPhase(host.currentRootId), "active", "a refused update keeps the old root");
});

test("a module instantiated by the caller (a test runner): imports(), attach(), and actFor() for code called outside a callback", async () => {
  const host = new ProxyWasmHost({ wasm });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(wasm), host.imports());
  host.attach(instance);
  assert.equal(host.configure("own"), true);
  const s = host.stream();
  s.requestHeaders([[":path", "/"]]);
  // As a runner calling the module's code directly: host calls act for the context given.
  host.actFor(s.id);
  (instance.exports.proxy_on_request_headers as (a: number, b: number, c: number) => number)(s.id, 0, 0);
  host.actFor(null);
  assert.equal(s.header(MapType.RequestHeaders, "x-seen"), undefined, "no x-echo: nothing copied");
  s.maps.get(MapType.RequestHeaders)!.push(["x-echo", "direct"]);
  host.actFor(s.id);
  (instance.exports.proxy_on_request_headers as (a: number, b: number, c: number) => number)(s.id, 0, 0);
  host.actFor(null);
  assert.equal(s.header(MapType.RequestHeaders, "x-seen"), "direct");
  assert.throws(() => host.actFor(999), /no context 999/);
});
