import { test } from "node:test";
import assert from "node:assert/strict";
import { filterHost } from "../support/filter-host.ts";

test("emulator: a GET is mirrored, compared and counted", async () => {
  const host = filterHost();
  await host.load();
  assert.equal(host.configure({ rules: [{ name: "r", dark: { cluster: "dark" } }] }), true);
  const s = host.stream();
  s.requestHeaders([
    [":method", "GET"],
    [":path", "/a"],
    [":authority", "shop:80"],
    ["x-request-id", "abc"],
  ]);
  assert.equal(host.pendingCalls().length, 1);
  const call = host.pendingCalls()[0];
  assert.deepEqual(
    call.headers.find(([k]) => k === ":authority"),
    [":authority", "shop-shadow:80"],
  );
  s.responseHeaders([[":status", "200"]]);
  s.responseBody("hello");
  s.end();
  host.respond(call.token, { status: 200, body: "hello" });
  host.tick(); // the filter hands its counts to the metrics at its ticks
  assert.equal(host.stat("wasmcustom.darklaunch.r.requests"), 1);
  assert.equal(host.stat("wasmcustom.darklaunch.r.mirrored"), 1);
  assert.equal(host.stat("wasmcustom.darklaunch.r.compare.match"), 1);
  assert.equal(host.stat("wasmcustom.darklaunch.r.in_flight"), 0);
});
