// Root contexts across a reconfiguration and a shutdown, as Envoy 1.40 runs them: a stream stays
// with the root it was created under (its calls answer there, its pair is counted there), the old
// root is shut down only once its last stream has ended, and a root that had to wait calls
// proxy_done once nothing of it is left, whichever side settled last. The same stream-across-a-
// reconfiguration scenario runs against the real Envoy in test/faults/reconfigure.test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { ProxyWasmHost, Stream } from "proxy-wasm-host";
import { filterHost } from "../support/filter-host.ts";
import { ENVOY_CUSTOM_PREFIX, samplesStatName } from "../../assembly/darklaunch/stats_names.ts";
import { assertInvariants, get, post, ruleStat } from "./scenarios.ts";

async function hostWith(config: object, clusters = ["dark"]): Promise<ProxyWasmHost> {
  const host = filterHost({ clusters });
  await host.load();
  assert.equal(host.configure(config), true, host.logs.map((l) => l.message).join("\n"));
  return host;
}

function rule(name: string, extra: object = {}): object {
  return {
    name,
    match: { path_prefix: "/api" },
    methods: ["GET", "POST"],
    dark: { cluster: "dark" },
    limits: { max_in_flight: 2 },
    ...extra,
  };
}

function primaryAnswers(s: Stream, body = "same"): void {
  s.responseHeaders([
    [":status", "200"],
    ["content-type", "text/plain"],
  ]);
  s.responseBody(body);
}

const retiring = (host: ProxyWasmHost): string[] =>
  host.logs.map((l) => l.message).filter((m) => m.startsWith("darklaunch: configuration retir"));

test("emulator: a stream open across a reconfiguration stays with its root; the old root is shut down after its last stream and done after its last call", async () => {
  const host = await hostWith({ rules: [rule("before")] });
  const oldRoot = host.currentRootId;

  // Under the old configuration: a GET mirrored at once, and a POST whose body comes later.
  const early = host.stream();
  early.requestHeaders(get("/api/early"));
  const open = host.stream();
  open.requestHeaders(post("/api/open", [["content-length", "4"]]), false);
  assert.equal(host.pendingCalls().length, 1, "the GET is mirrored; the POST waits for its body");

  assert.equal(host.reconfigure({ rules: [rule("after")] }), true);
  const newRoot = host.currentRootId;
  assert.notEqual(newRoot, oldRoot);
  assert.equal(host.rootPhase(oldRoot), "replaced", "its streams hold the old root: no proxy_on_done yet");
  assert.deepEqual(retiring(host), []);

  // The rest of the open stream arrives under the new configuration: it still belongs to the old root.
  open.requestBody("body", true);
  const [earlyCall, openCall] = host.pendingCalls();
  assert.equal(openCall!.contextId, open.id, "the POST's copy was made by its stream");
  assert.equal(openCall!.rootId, oldRoot, "and answers to the stream's root, not to the newest one");
  assert.equal(earlyCall!.rootId, oldRoot);
  assert.equal(openCall!.headers.find(([k]) => k === "x-dark-launch")?.[1], "before", "the old rule made the copy");

  primaryAnswers(early);
  early.end();
  assert.equal(host.rootPhase(oldRoot), "replaced", "one of its streams is still open");
  host.respond(earlyCall!.token, { status: 200, body: "same" });

  primaryAnswers(open);
  open.end();
  assert.equal(host.rootPhase(oldRoot), "pendingDone", "its last stream ended: proxy_on_done, with the POST's call in flight");
  assert.deepEqual(retiring(host), ["darklaunch: configuration retiring: waiting for 1 mirrored request(s) and 0 sample(s)"]);

  // The dark answer arrives after the reconfiguration and after the stream: the old root settles it.
  host.respond(openCall!.token, { status: 200, body: "same" });
  assert.equal(host.rootPhase(oldRoot), "deleted", "proxy_done after its last call");
  assert.equal(retiring(host).at(-1), "darklaunch: configuration retired after its last call");
  assert.deepEqual(host.cancelledCalls(), [], "no call was left behind");
  assert.deepEqual(host.pendingCalls(), []);

  host.tick();
  for (const [suffix, value] of [
    ["requests", 2],
    ["mirrored", 2],
    ["dark.status.2xx", 2],
    ["primary.status.2xx", 2],
    ["compare.match", 2],
    ["in_flight", 0],
  ] as const) {
    assert.equal(ruleStat(host, "before", suffix), value, `before: ${suffix}`);
  }
  for (const suffix of ["requests", "mirrored", "dark.status.2xx", "compare.match"])
    assert.equal(ruleStat(host, "after", suffix), 0, `after: ${suffix}`);
  assertInvariants(host, "before");

  // The slots came back: the new configuration mirrors up to its limit of 2 at once.
  const next = [host.stream(), host.stream()];
  for (const s of next) s.requestHeaders(get("/api/next"));
  assert.deepEqual(
    host.pendingCalls().map((c) => c.rootId),
    [newRoot, newRoot],
  );
  for (const s of next) {
    primaryAnswers(s);
    s.end();
  }
  for (const call of host.pendingCalls()) host.respond(call.token, { status: 200, body: "same" });
  host.tick();
  assert.equal(ruleStat(host, "after", "mirrored"), 2);
  assert.equal(ruleStat(host, "after", "skipped.in_flight_limit"), 0, "no slot is held by the old root's calls");
  assertInvariants(host, "after");
  assert.equal(host.rootPhase(newRoot), "active");
});

test("emulator: an old root without streams or calls is done at the reconfiguration itself", async () => {
  const host = await hostWith({ rules: [rule("a")] });
  const oldRoot = host.currentRootId;
  const s = host.stream();
  s.requestHeaders(get("/api/x"));
  primaryAnswers(s);
  s.end();
  host.respond(host.pendingCalls()[0]!.token, { status: 200, body: "same" });
  assert.equal(host.reconfigure({ rules: [rule("b")] }), true);
  assert.equal(host.rootPhase(oldRoot), "deleted");
  assert.deepEqual(retiring(host), ["darklaunch: configuration retired"]);
});

test("emulator: a reconfiguration with the same configuration changes nothing, as in Envoy", async () => {
  const config = { rules: [rule("a")] };
  const host = await hostWith(config);
  const root = host.currentRootId;
  const logged = host.logs.length;
  assert.equal(host.reconfigure(config), true);
  assert.equal(host.currentRootId, root, "no new root");
  assert.equal(host.rootPhase(root), "active");
  assert.equal(host.logs.length, logged, "no callback ran");
});

test("emulator: a refused reconfiguration leaves the old root in service and its streams with it", async () => {
  const host = await hostWith({ rules: [rule("a")] });
  const oldRoot = host.currentRootId;
  const s = host.stream();
  s.requestHeaders(post("/api/x"), false);
  assert.equal(host.reconfigure({ rules: [{ name: "BAD NAME", dark: { cluster: "dark" } }] }), false);
  assert.equal(host.currentRootId, oldRoot);
  assert.equal(host.rootPhase(oldRoot), "active");
  s.requestBody("x", true);
  assert.equal(host.pendingCalls()[0]!.rootId, oldRoot);
});

test("emulator: shut down with a stream open after its dark answer, the root is done when the stream side settles last", async () => {
  // VM shutdown (proxy-wasm's startShutdown) does not wait for streams: the root must.
  const host = await hostWith({ rules: [rule("s")] });
  const root = host.currentRootId;
  const s = host.stream();
  s.requestHeaders(get("/api/x"));
  host.respond(host.pendingCalls()[0]!.token, { status: 200, body: "same" });
  host.shutdown();
  assert.equal(host.rootPhase(root), "pendingDone", "the pair still waits for the primary");
  assert.deepEqual(retiring(host), ["darklaunch: configuration retiring: waiting for 1 mirrored request(s) and 0 sample(s)"]);
  primaryAnswers(s);
  s.end();
  assert.equal(host.rootPhase(root), "deleted", "proxy_done from the stream's own callback");
  assert.equal(host.statNow(`${ENVOY_CUSTOM_PREFIX}darklaunch.s.compare.match`), 1, "the pair was counted at once");
});

test("emulator: shut down with a stream open, a sample POST started from the stream side keeps the root until its answer", async () => {
  const host = await hostWith({ samples: { cluster: "collector", per_second: 1 }, rules: [rule("s")] }, ["dark", "collector"]);
  const root = host.currentRootId;
  const sent = ENVOY_CUSTOM_PREFIX + samplesStatName("sent");
  const dropped = ENVOY_CUSTOM_PREFIX + samplesStatName("dropped");
  const streams = [host.stream(), host.stream()];
  for (const s of streams) s.requestHeaders(get("/api/x"));
  for (const call of host.pendingCalls()) host.respond(call.token, { status: 200, body: "dark differs" });
  host.shutdown();
  assert.equal(host.rootPhase(root), "pendingDone");

  // The first stream ends: its pair mismatches, and the sample's POST starts in the stream's callback.
  primaryAnswers(streams[0]!);
  streams[0]!.end();
  const sample = host.pendingCalls().find((c) => c.cluster === "collector");
  assert.ok(sample, "a sample POST");
  assert.equal(sample.contextId, streams[0]!.id);
  assert.equal(sample.rootId, root, "its answer goes to the shutting-down root");
  // The second ends: over the budget of 1 a second, its sample is dropped; the POST still holds the root.
  primaryAnswers(streams[1]!);
  streams[1]!.end();
  assert.equal(host.statNow(dropped), 1);
  assert.equal(host.rootPhase(root), "pendingDone", "the sample POST is still in flight");

  host.respond(sample.token, { status: 201, body: "{}" });
  assert.equal(host.statNow(sent), 1);
  assert.equal(host.rootPhase(root), "deleted");
  assert.deepEqual(host.cancelledCalls(), []);
});

test("emulator: shut down with a stream open, a sample dropped at the stream's end lets the root go at once", async () => {
  const host = await hostWith({ samples: { cluster: "collector", per_second: 1 }, rules: [rule("s")] }, ["dark", "collector"]);
  const root = host.currentRootId;
  // One mismatching pair takes the second's budget.
  const first = host.stream();
  first.requestHeaders(get("/api/1"));
  host.respond(host.pendingCalls()[0]!.token, { status: 200, body: "dark differs" });
  primaryAnswers(first);
  first.end();
  const sample = host.pendingCalls().find((c) => c.cluster === "collector")!;
  host.respond(sample.token, { status: 201, body: "{}" });

  const s = host.stream();
  s.requestHeaders(get("/api/2"));
  host.respond(host.pendingCalls()[0]!.token, { status: 200, body: "dark differs" });
  host.shutdown();
  assert.equal(host.rootPhase(root), "pendingDone");
  primaryAnswers(s);
  s.end();
  assert.equal(host.statNow(ENVOY_CUSTOM_PREFIX + samplesStatName("dropped")), 1, "over the budget");
  assert.equal(host.rootPhase(root), "deleted", "nothing left: proxy_done at the stream's end");
});
