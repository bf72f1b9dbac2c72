// The harness itself, against a real Envoy WITHOUT the filter: proxying, native mirroring,
// per-route names, raw capture, process clean-up, and a start that is expected to fail.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { getText, renderBootstrap, startEnvoy, startEnvoyExpectingFailure } from "../../tools/lib/envoy.js";
import { rawStatus, send, sendRaw } from "../support/client.js";
import { startStack, type Stack } from "../support/stack.js";
import { statsValues } from "../support/stats.js";
import { DARK_MARKER_HEADER, headerValues } from "../support/upstream.js";

describe("harness: Envoy without the filter", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      filterConfig: null,
      bootstrap: { mirrorPolicies: [{ cluster: "dark" }], extraRoutes: [{ name: "other_route", prefix: "/other", cluster: "dark" }] },
    });
  });
  after(() => stack?.stop());

  test("proxies a GET to the primary and answers with the primary's body", async () => {
    const res = await send(stack.envoy.url, { path: "/h/get?x=1" });
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), "primary: GET /h/get?x=1 (0 bytes)");
    assert.equal(stack.primary.requestsTo("/h/get").length, 1);
  });

  test("native request_mirror_policies copy reaches the dark upstream with a -shadow authority", async () => {
    await send(stack.envoy.url, { path: "/h/mirror", headers: [["host", "shop.example:8080"]] });
    const [copy] = await stack.dark.waitForRequests("/h/mirror", 1);
    assert.deepEqual(headerValues(copy!.rawHeaders, "host"), ["shop.example-shadow:8080"]);
  });

  test("the dark marker never reaches the client (raw bytes)", async () => {
    const raw = await sendRaw(stack.envoy.port, "GET /h/raw HTTP/1.1\r\nhost: a\r\nconnection: close\r\n\r\n");
    assert.equal(rawStatus(raw), 200);
    await stack.dark.waitForRequests("/h/raw", 1);
    assert.ok(!raw.toString("latin1").includes(stack.dark.marker!));
    assert.ok(!raw.toString("latin1").toLowerCase().includes(DARK_MARKER_HEADER));
  });

  test("an extra route sends its prefix to its own cluster; everything else goes to primary", async () => {
    const other = await send(stack.envoy.url, { path: "/other/x" });
    assert.equal(other.status, 200);
    assert.equal(other.body.toString(), stack.dark.marker, "served by the dark upstream");
    const rest = await send(stack.envoy.url, { path: "/elsewhere" });
    assert.equal(rest.body.toString(), "primary: GET /elsewhere (0 bytes)");
  });

  test("no filter stats exist without the filter", async () => {
    const stats = await statsValues(stack.envoy.adminUrl);
    assert.deepEqual(
      [...stats.keys()].filter((k) => k.startsWith("wasmcustom.")),
      [],
    );
  });
});

test("stop() ends Envoy with SIGTERM and the admin port stops answering", async (t) => {
  const envoy = await startEnvoy({ bootstrap: renderBootstrap({ primaryPort: 9, filterConfig: null }) });
  t.after(() => envoy.stop());
  assert.equal((await getText(`${envoy.adminUrl}/ready`)).status, 200);
  await envoy.stop();
  assert.throws(() => process.kill(envoy.pid, 0), /ESRCH/);
  await assert.rejects(getText(`${envoy.adminUrl}/ready`, 1000));
});

test("a bootstrap Envoy rejects is reported as a failed start with its exit code and log", async () => {
  const bad = renderBootstrap({ primaryPort: 9, filterConfig: null }).replace('"STATIC"', '"NO_SUCH_TYPE"');
  const result = await startEnvoyExpectingFailure({ bootstrap: bad });
  assert.equal(result.started, false);
  assert.notEqual(result.exitCode, 0);
  assert.match(result.log, /NO_SUCH_TYPE/);
});
