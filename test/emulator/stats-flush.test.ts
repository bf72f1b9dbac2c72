// The filter keeps its counts in the module's memory and hands them to the metrics at its tick
// (every 250 ms) and when its root shuts down: no host call per count on the request path, and
// nothing counted is lost at a reconfiguration.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { ProxyWasmHost } from "proxy-wasm-host";
import { filterHost } from "../support/filter-host.ts";
import { ENVOY_CUSTOM_PREFIX, ruleStatName, samplesStatName } from "../../assembly/darklaunch/stats_names.ts";
import { assertInvariants, get, ruleStat } from "./scenarios.ts";

const RULE = { name: "f", dark: { cluster: "dark" }, limits: { max_in_flight: 100 } };
const name = (suffix: string): string => ENVOY_CUSTOM_PREFIX + ruleStatName("f", suffix);

async function hostWith(config: object, clusters = ["dark"]): Promise<ProxyWasmHost> {
  const host = filterHost({ clusters });
  await host.load();
  assert.equal(host.configure(config), true, host.logs.map((l) => l.message).join("\n"));
  return host;
}

/** A GET whose primary answers; the dark call stays pending. */
function mirroredRequest(host: ProxyWasmHost): void {
  const s = host.stream();
  s.requestHeaders(get("/"));
  s.responseHeaders([[":status", "200"]]);
  s.responseBody("ok");
  s.end();
}

test("emulator: counts reach the metrics at the filter's tick, one increment per counter that moved", async () => {
  const host = await hostWith({ rules: [RULE] });
  assert.equal(host.tickPeriodMs(), 250);
  host.hostCalls.clear();
  for (let i = 0; i < 10; i++) mirroredRequest(host);
  assert.equal(host.hostCalls.get("proxy_increment_metric") ?? 0, 0, "no host call per count on the request path");
  assert.equal(host.statNow(name("requests")), 0, "not handed over before a tick");
  assert.equal(host.statNow(name("in_flight")), 0);
  assert.throws(() => host.stat(name("requests")), /read before a tick/, "the emulator refuses a read that a tick has not caught up with");

  host.advanceMs(249);
  assert.equal(host.statNow(name("requests")), 0, "the timer has not fired yet");
  host.advanceMs(1); // the period has passed: the timer fires
  assert.equal(host.stat(name("requests")), 10);
  assert.equal(host.stat(name("mirrored")), 10);
  assert.equal(host.stat(name("primary.status.2xx")), 10);
  assert.equal(host.stat(name("in_flight")), 10, "the gauge is written at the tick, from the process-wide count");
  assert.equal(host.hostCalls.get("proxy_increment_metric"), 3, "requests, mirrored, primary.status.2xx: one call each");

  for (const call of host.pendingCalls()) host.respond(call.token, { status: 200, body: "ok" });
  assert.equal(host.statNow(name("compare.match")), 0);
  assert.equal(host.statNow(name("in_flight")), 10, "the gauge too waits for the tick");
  host.tick();
  assert.equal(ruleStat(host, "f", "compare.match"), 10);
  assert.equal(ruleStat(host, "f", "dark.status.2xx"), 10);
  assert.equal(ruleStat(host, "f", "in_flight"), 0);
  assertInvariants(host, "f");

  host.hostCalls.clear();
  host.tick();
  assert.equal(host.hostCalls.size, 0, "an idle tick makes no host call");
});

test("emulator: a reconfiguration hands the old root's counts over at once, also those of calls it still waits for", async () => {
  const host = await hostWith({ rules: [RULE] });
  for (let i = 0; i < 3; i++) mirroredRequest(host);
  const pending = host.pendingCalls();
  assert.equal(pending.length, 3);

  // No tick between the traffic and the new configuration: onDone of the old root flushes.
  assert.equal(host.reconfigure({ mismatch_log_per_second: 5, rules: [RULE] }), true);
  assert.equal(host.rootsPendingDone.size, 1, "the old root waits for its 3 calls");
  assert.equal(host.statNow(name("requests")), 3, "flushed at onDone, before any tick");
  assert.equal(host.statNow(name("mirrored")), 3);
  assert.equal(host.statNow(name("in_flight")), 3, "the gauge too");

  // The waiting root counts what its calls settle straight into the metrics: it gets no more ticks
  // once deleted, and nothing may wait for one.
  host.respond(pending[0]!.token, { status: 200, body: "ok" });
  assert.equal(host.statNow(name("compare.match")), 1, "counted at once while shutting down");
  assert.equal(host.statNow(name("in_flight")), 2);
  host.respond(pending[1]!.token, { status: 500, body: "no" });
  host.fail(pending[2]!.token);
  assert.equal(host.rootsPendingDone.size, 0, "the old root is done once its last call settled");
  assert.equal(host.statNow(name("compare.mismatch.status")), 1);
  assert.equal(host.statNow(name("compare.incomplete")), 1);
  assert.equal(host.statNow(name("dark.failed")), 1);
  assert.equal(host.statNow(name("in_flight")), 0);

  // The new root keeps counting into the same metrics, at its own ticks.
  mirroredRequest(host);
  host.respond(host.pendingCalls()[0]!.token, { status: 200, body: "ok" });
  host.tick();
  assert.equal(ruleStat(host, "f", "requests"), 4);
  assert.equal(ruleStat(host, "f", "compare.match"), 2);
  assertInvariants(host, "f");
});

test("emulator: the samples counters are flushed at the tick and at shutdown too", async () => {
  const config = { samples: { cluster: "collector", per_second: 1 }, rules: [RULE] };
  const host = await hostWith(config, ["dark", "collector"]);
  const sent = ENVOY_CUSTOM_PREFIX + samplesStatName("sent");
  const dropped = ENVOY_CUSTOM_PREFIX + samplesStatName("dropped");
  for (let i = 0; i < 2; i++) {
    mirroredRequest(host);
    host.respond(host.pendingCalls().find((c) => c.cluster === "dark")!.token, { status: 500, body: "mismatch" });
  }
  const samples = host.pendingCalls().filter((c) => c.cluster === "collector");
  assert.equal(samples.length, 1, "one sample within the budget");
  host.respond(samples[0]!.token, { status: 201, body: "{}" });
  assert.equal(host.statNow(sent), 0);
  assert.equal(host.statNow(dropped), 0);
  host.tick();
  assert.equal(host.stat(sent), 1);
  assert.equal(host.stat(dropped), 1);

  host.advanceMs(1000); // the budget refills
  mirroredRequest(host);
  host.respond(host.pendingCalls().find((c) => c.cluster === "dark")!.token, { status: 500, body: "mismatch" });
  const last = host.pendingCalls().find((c) => c.cluster === "collector")!;
  assert.equal(host.reconfigure({ rules: [RULE] }), true);
  assert.equal(host.rootsPendingDone.size, 1, "the old root waits for its sample call");
  host.respond(last.token, { status: 201, body: "{}" });
  assert.equal(host.statNow(sent), 2, "the answer of a shutting-down root's sample is counted at once");
  assert.equal(host.rootsPendingDone.size, 0);
});
