// Envoy fetching the filter over HTTP (`vm_config.code.remote`, checked against its sha256): the
// example deploy/envoy-remote/envoy.yaml in the real Envoy, its module served by a Node server on a
// free port. With the module's sha256 the filter loads and mirrors; with a wrong one Envoy refuses
// the module, says so in its log and its stats, and (fail_open) serves traffic unfiltered.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parse } from "yaml";
import { FILTER_WASM_PATH, PROJECT_ROOT, startEnvoy, type EnvoyProcess } from "../../tools/lib/envoy.js";
import { send } from "../support/client.js";
import { statsValues, waitFor } from "../support/stats.js";
import { startUpstream, type Upstream } from "../support/upstream.js";

const EXAMPLE = join(PROJECT_ROOT, "deploy", "envoy-remote", "envoy.yaml");
const MODULE_PATH = "/dark-launch.wasm";

type Json = Record<string, unknown>;

interface RemoteCode {
  http_uri: { uri: string; cluster: string };
  sha256: string;
}

/** The example's remote code source (there is exactly one). */
function remoteCodeOf(bootstrap: Json): RemoteCode {
  const found: RemoteCode[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node !== null && typeof node === "object") {
      const record = node as Json;
      if (record.remote !== undefined && (record.remote as Json).http_uri !== undefined) found.push(record.remote as RemoteCode);
      Object.values(record).forEach(walk);
    }
  };
  walk(bootstrap);
  assert.equal(found.length, 1, "one vm_config.code.remote in the example");
  return found[0]!;
}

/** The example on free loopback ports, its clusters pointing at the test's servers. */
function exampleBootstrap(ports: Record<string, number>, sha256: string): string {
  const bootstrap = parse(readFileSync(EXAMPLE, "utf8")) as Json;
  const admin = bootstrap.admin as { address: { socket_address: { port_value: number } } };
  admin.address.socket_address.port_value = 0;
  const resources = bootstrap.static_resources as { listeners: Json[]; clusters: Json[] };
  for (const listener of resources.listeners)
    (listener.address as { socket_address: { port_value: number } }).socket_address.port_value = 0;
  for (const cluster of resources.clusters) {
    const port = ports[cluster.name as string];
    assert.ok(port !== undefined, `the test serves cluster ${String(cluster.name)}`);
    const endpoint = ((cluster.load_assignment as Json).endpoints as Json[])[0]!;
    (
      (endpoint.lb_endpoints as Json[])[0]!.endpoint as { address: { socket_address: { port_value: number } } }
    ).address.socket_address.port_value = port;
  }
  const remote = remoteCodeOf(bootstrap);
  const uri = new URL(remote.http_uri.uri);
  uri.port = String(ports[remote.http_uri.cluster]);
  remote.http_uri.uri = uri.toString();
  remote.sha256 = sha256;
  return JSON.stringify(bootstrap);
}

describe("deploy/envoy-remote/envoy.yaml: the filter fetched over HTTP", () => {
  const wasm = readFileSync(FILTER_WASM_PATH);
  const rightSha256 = createHash("sha256").update(wasm).digest("hex");
  let wasmServer: Upstream;
  let primary: Upstream;
  let dark: Upstream;
  const envoys: EnvoyProcess[] = [];

  before(async () => {
    wasmServer = await startUpstream({
      name: "wasm-server",
      scripts: { [MODULE_PATH]: { headers: { "content-type": "application/wasm" }, body: wasm } },
    });
    primary = await startUpstream({ name: "primary" });
    dark = await startUpstream({ name: "dark", marker: true });
  });

  after(async () => {
    for (const envoy of envoys) await envoy.stop();
    await wasmServer?.close();
    await primary?.close();
    await dark?.close();
  });

  const ports = (): Record<string, number> => ({ checkout: primary.port, checkout_v2: dark.port, wasm_server: wasmServer.port });

  test("the example's shape: remote code with http_uri on a cluster of its own, a sha256, retries", () => {
    const remote = remoteCodeOf(parse(readFileSync(EXAMPLE, "utf8")) as Json);
    assert.equal(remote.http_uri.cluster, "wasm_server");
    assert.ok(remote.http_uri.uri.endsWith(MODULE_PATH));
    assert.match(remote.sha256, /^[0-9a-f]{64}$/, "a quoted 64-digit hex string");
  });

  test("the right sha256: Envoy fetches the module once, the filter loads and mirrors", async () => {
    const before = wasmServer.requestsTo(MODULE_PATH).length;
    const envoy = await startEnvoy({ bootstrap: exampleBootstrap(ports(), rightSha256) });
    envoys.push(envoy);
    assert.equal(wasmServer.requestsTo(MODULE_PATH).length - before, 1, "fetched once, before the listener started");
    const res = await send(envoy.url, { path: "/api/checkout/cart" });
    assert.equal(res.status, 200);
    await dark.waitForRequests("/api/checkout/cart", 1);
    // The counters reach Envoy at the worker's next tick.
    const stats = await waitFor(
      () => statsValues(envoy.adminUrl),
      (s) => s.get("wasmcustom.darklaunch.checkout.mirrored") === 1,
      "mirrored = 1",
    );
    assert.equal(stats.get("wasmcustom.darklaunch.checkout.requests"), 1);
    assert.equal(stats.get("wasmcustom.darklaunch.checkout.mirrored"), 1);
    assert.equal(stats.get("wasm.remote_load_fetch_successes"), 1);
    assert.equal(stats.get("wasm.remote_load_fetch_failures"), 0);
    await envoy.stop();
  });

  test("a wrong sha256: Envoy refuses the module, logs it and counts it; traffic passes unfiltered", async () => {
    const wrong = createHash("sha256").update("not the module").digest("hex");
    const before = wasmServer.requestsTo(MODULE_PATH).length;
    const darkBefore = dark.requests.length;
    const envoy = await startEnvoy({ bootstrap: exampleBootstrap(ports(), wrong) });
    envoys.push(envoy);
    // What the operator sees: the retries exhausted, then the plugin that failed to load.
    await envoy.waitForLog(/Retry limit exceeded for fetching data from remote data source/);
    await envoy.waitForLog(/\[critical\]\[wasm\].*Plugin dark_launch failed to load/);
    assert.equal(wasmServer.requestsTo(MODULE_PATH).length - before, 4, "fetched 1 + num_retries (3) times");
    const stats = await statsValues(envoy.adminUrl);
    assert.equal(stats.get("wasm.remote_load_fetch_failures"), 1);
    assert.equal(stats.get("wasm.remote_load_fetch_successes"), 0);
    // fail_open: requests are served by the primary, the filter is not there to mirror them.
    const res = await send(envoy.url, { path: "/api/checkout/cart" });
    assert.equal(res.status, 200);
    assert.equal(stats.get("wasmcustom.darklaunch.checkout.requests"), undefined, "no filter stats: the module never loaded");
    assert.equal(dark.requests.length, darkBefore, "nothing mirrored");
    await envoy.stop();
  });
});
