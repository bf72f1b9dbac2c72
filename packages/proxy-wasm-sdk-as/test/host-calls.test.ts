// The SDK's host-call wrappers under a proxy-wasm host: examples/host_calls.ts (built by
// `npm run build:examples` into build/host_calls.wasm) uses each one, driven by request headers,
// and these tests check what reached the host. The host is the proxy-wasm-host package, which
// follows Envoy's behaviour for each call.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Action, LogLevel, MapType, ProxyWasmHost, type Stream } from "proxy-wasm-host";

const WASM = new URL("../build/host_calls.wasm", import.meta.url).pathname;

async function host(options: { clusters?: string[]; properties?: Record<string, string> } = {}): Promise<ProxyWasmHost> {
  const h = new ProxyWasmHost({ wasm: WASM, ...options });
  await h.load();
  assert.equal(h.configure("1000"), true);
  return h;
}

function get(s: Stream, extra: [string, string][] = []): number {
  return s.requestHeaders([[":method", "GET"], [":path", "/p"], [":authority", "a"], ...extra]);
}

test("a configuration that is not a tick period is refused, with a log line", async () => {
  const h = new ProxyWasmHost({ wasm: WASM });
  await h.load();
  assert.equal(h.configure("soon"), false);
  assert.ok(h.logs.some((l) => l.level === LogLevel.Error && l.message.includes("not a tick period in ms: soon")));
});

test("headers: add, replace and remove on request and response headers", async () => {
  const h = await host();
  const s = h.stream();
  assert.equal(
    get(s, [
      ["x-replaced", "old"],
      ["x-replaced", "older"],
      ["x-remove-me", "1"],
    ]),
    Action.Continue,
  );
  assert.equal(s.header(MapType.RequestHeaders, "x-added"), "1");
  assert.deepEqual(
    s.headers(MapType.RequestHeaders).filter(([k]) => k === "x-replaced"),
    [["x-replaced", "new"]],
  );
  assert.equal(s.header(MapType.RequestHeaders, "x-remove-me"), undefined);
  s.responseHeaders([
    [":status", "200"],
    ["server", "upstream"],
    ["x-internal", "secret"],
  ]);
  assert.equal(s.header(MapType.ResponseHeaders, "x-example"), "sdk");
  assert.equal(s.header(MapType.ResponseHeaders, "server"), "example");
  assert.equal(s.header(MapType.ResponseHeaders, "x-internal"), undefined);
  s.end();
});

test("trailers: add, replace and remove on request and response trailers", async () => {
  const h = await host();
  const s = h.stream();
  get(s);
  s.requestTrailers([
    ["x-trailer-remove", "1"],
    ["x-keep", "2"],
  ]);
  assert.deepEqual(s.headers(MapType.RequestTrailers), [
    ["x-keep", "2"],
    ["x-trailer-added", "1"],
  ]);
  s.responseHeaders([[":status", "200"]]);
  s.responseTrailers([
    ["grpc-status", "0"],
    ["grpc-message", "original"],
    ["x-trailer-internal", "1"],
  ]);
  assert.deepEqual(s.headers(MapType.ResponseTrailers), [
    ["grpc-status", "0"],
    ["grpc-message", "rewritten"],
  ]);
  s.end();
});

test("bodies: get and set the request and response body; a histogram records the size", async () => {
  const h = await host();
  const s = h.stream();
  get(s, [["x-op-upper-body", "1"]]);
  assert.equal(s.requestBody("hello ", false), 1, "buffers until the end of the body");
  assert.equal(s.requestBody("hello world", true), Action.Continue);
  assert.equal(s.body(0).toString(), "HELLO WORLD");
  s.responseHeaders([[":status", "200"]]);
  s.responseBody("from upstream", true);
  assert.equal(s.body(1).toString(), "replaced");
  assert.deepEqual(h.histogram("example.body_bytes"), [11]);
  s.end();
});

test("local reply: proxy_send_local_response with status, details, headers and body", async () => {
  const h = await host();
  const s = h.stream();
  assert.equal(get(s, [["x-op-local-reply", "1"]]), Action.StopIteration);
  assert.deepEqual(s.localResponse, {
    status: 418,
    details: "example_local_reply",
    headers: [["x-local", "yes"]],
    body: Buffer.from("short and stout"),
    grpcStatus: null,
  });
  s.end();
});

test("tick: the period set at configure, on_tick at each period", async () => {
  const h = await host();
  assert.equal(h.tickPeriodMs(), 1000);
  h.advanceMs(999);
  assert.equal(h.stat("example.ticks"), 0);
  h.advanceMs(1);
  assert.equal(h.stat("example.ticks"), 1);
  h.advanceMs(2500);
  assert.equal(h.stat("example.ticks"), 2, "one tick per deadline passed, re-armed after each");
});

test("shared data: get with its CAS, set with it; a stale CAS is refused", async () => {
  const h = await host();
  const a = h.stream();
  const b = h.stream();
  get(a, [["x-op-shared", "k"]]);
  get(b, [["x-op-shared", "k"]]);
  a.requestBody("first", true);
  b.requestBody("second", true);
  a.responseHeaders([[":status", "200"]]);
  b.responseHeaders([[":status", "200"]]);
  assert.equal(a.header(MapType.ResponseHeaders, "x-shared-set"), "ok");
  // b read the key before it existed (NotFound, so CAS 0: unconditional): its write goes through too.
  assert.equal(b.header(MapType.ResponseHeaders, "x-shared-set"), "ok");
  assert.equal(h.shared.get("k")?.value.toString(), "second");
  const c = h.stream();
  const d = h.stream();
  get(c, [["x-op-shared", "k"]]);
  get(d, [["x-op-shared", "k"]]);
  c.requestBody("third", true);
  d.requestBody("fourth", true);
  c.responseHeaders([[":status", "200"]]);
  d.responseHeaders([[":status", "200"]]);
  assert.equal(c.header(MapType.ResponseHeaders, "x-shared-set"), "ok");
  assert.equal(d.header(MapType.ResponseHeaders, "x-shared-set"), "cas-mismatch", "d read the version c replaced");
  assert.equal(h.shared.get("k")?.value.toString(), "third");
  for (const s of [a, b, c, d]) s.end();
});

test("shared queues: register at configure, resolve and enqueue from a stream, on_queue_ready dequeues", async () => {
  const h = await host();
  const queue = h.sharedQueue("example.queue");
  assert.ok(queue, "registered at configure");
  const s = h.stream();
  get(s, [["x-op-enqueue", "item-1"]]);
  assert.equal(h.shared.get("example.last_item")?.value.toString(), "item-1");
  assert.deepEqual(queue.items, [], "dequeued");
  assert.equal(h.enqueue("example.queue", "item-2"), true, "from another VM");
  assert.equal(h.shared.get("example.last_item")?.value.toString(), "item-2");
  assert.ok(h.logs.some((l) => l.message === "example: dequeued item-2"));
  s.end();
});

test("http calls: the answer goes to the stream that made the call, which resumes its request", async () => {
  const h = await host({ clusters: ["lookup"] });
  const s1 = h.stream();
  const s2 = h.stream();
  assert.equal(get(s1, [["x-op-call", "lookup"]]), Action.StopIteration);
  assert.equal(get(s2, [["x-op-call", "lookup"]]), Action.StopIteration);
  const [c1, c2] = h.pendingCalls();
  assert.equal(c1!.contextId, s1.id);
  assert.deepEqual(c1!.headers, [
    [":method", "GET"],
    [":path", "/lookup"],
    [":authority", "lookup"],
  ]);
  h.respond(c2!.token, { status: 201, body: "two" });
  assert.equal(s2.requestPaused, false);
  assert.equal(s2.header(MapType.RequestHeaders, "x-call-status"), "201");
  assert.equal(s2.header(MapType.RequestHeaders, "x-call-body"), "two");
  assert.equal(s1.requestPaused, true, "s1's call is not answered yet");
  h.fail(c1!.token);
  assert.equal(s1.localResponse?.status, 503);
  assert.equal(s1.localResponse?.body.toString(), "call failed: 11", "BrokenConnection from proxy_get_status");
  s1.end();
  s2.end();
});

test("http calls: a refused call (unknown cluster) is a result, not a callback; an answer after the stream goes to the root", async () => {
  const h = await host({ clusters: ["lookup"] });
  const s = h.stream();
  assert.equal(get(s, [["x-op-call", "nowhere"]]), Action.Continue);
  assert.equal(s.header(MapType.RequestHeaders, "x-call-status"), "refused");
  s.end();
  const t = h.stream();
  get(t, [["x-op-call", "lookup"]]);
  t.end();
  h.respond(h.pendingCalls()[0]!.token, { status: 200 });
  assert.ok(h.logs.some((l) => l.level === LogLevel.Warn && l.message.includes("answered after its stream ended")));
});

test("metrics: counter, gauge and histogram defined, incremented, recorded and read back", async () => {
  const h = await host();
  const s1 = h.stream();
  get(s1);
  const s2 = h.stream();
  get(s2);
  assert.equal(h.stat("example.requests"), 2);
  assert.equal(h.stat("example.in_flight"), 2);
  s1.responseHeaders([[":status", "200"]]);
  assert.equal(s1.header(MapType.ResponseHeaders, "x-requests"), "2", "proxy_get_metric");
  s1.end();
  assert.equal(h.stat("example.in_flight"), 1, "a gauge goes down");
  s2.end();
  assert.equal(h.stat("example.in_flight"), 0);
});

test("logging and properties: a log line per request; a property read, and its absence", async () => {
  const h = await host({ properties: { "example.tenant": "acme" } });
  const s = h.stream();
  get(s);
  assert.ok(h.logs.some((l) => l.level === LogLevel.Info && l.message === "example: request /p"));
  assert.equal(s.header(MapType.RequestHeaders, "x-tenant"), "acme");
  s.end();
  const bare = await host();
  const t = bare.stream();
  get(t);
  assert.equal(t.header(MapType.RequestHeaders, "x-tenant"), "(none)", "NotFound: the wrapper left the holder alone");
  t.end();
});
