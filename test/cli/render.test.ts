// `darklaunch render` from the example dark-launch file: a real Envoy loads the rendered plain
// http filter and the rendered ECDS resource, and the Istio WasmPlugin validates against Istio's
// WasmPlugin CRD schema (as compiled in @kubernetes-models/istio).

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { WasmPlugin } from "@kubernetes-models/istio/extensions.istio.io/v1alpha1/WasmPlugin";
import { parse, stringify } from "yaml";
import { FILTER_WASM_PATH, PROJECT_ROOT, renderBootstrap, startEnvoy, type EnvoyProcess } from "../../tools/lib/envoy.js";
import { deploymentFromObject } from "../../tools/darklaunch/src/deployment.js";
import { ecdsHttpFilter } from "../../tools/darklaunch/src/render.js";
import { darklaunchStatsConfig } from "../../tools/darklaunch/src/stats-config.js";
import { send } from "../support/client.js";
import { statsValues } from "../support/stats.js";
import { startUpstream, type Upstream } from "../support/upstream.js";
import { cli, cliProcess } from "./helpers.js";

const EXAMPLE = join(PROJECT_ROOT, "tools", "darklaunch", "examples", "dark-launch.yaml");

type Json = Record<string, unknown>;

/** The example with the filter binary at its absolute path (Envoy here runs in another directory). */
function exampleForThisMachine(): Json {
  const doc = parse(readFileSync(EXAMPLE, "utf8")) as Json;
  (doc["wasm"] as Json)["path"] = FILTER_WASM_PATH;
  return doc;
}

/** A bootstrap from the harness (no filter of its own) with `httpFilter` put before the router. */
function bootstrapWith(httpFilter: unknown, primary: Upstream, dark: Upstream, node: boolean): string {
  const b = JSON.parse(renderBootstrap({ primaryPort: primary.port, filterConfig: null, clusters: { checkout_v2: dark.port } })) as Json;
  const hcm = (((b["static_resources"] as Json)["listeners"] as Json[])[0]!["filter_chains"] as Json[])[0]!["filters"] as Json[];
  ((hcm[0]!["typed_config"] as Json)["http_filters"] as unknown[]).unshift(httpFilter);
  if (node) b["node"] = { id: "render-test", cluster: "render-test" };
  return JSON.stringify(b, null, 2);
}

describe("darklaunch render", () => {
  let dir: string;
  let input: string;
  let primary: Upstream;
  let dark: Upstream;
  const envoys: EnvoyProcess[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "darklaunch-render-"));
    input = join(dir, "dark-launch.yaml");
    writeFileSync(input, stringify(exampleForThisMachine()));
    primary = await startUpstream({ name: "primary" });
    dark = await startUpstream({ name: "dark", marker: true });
  });

  after(async () => {
    for (const e of envoys.reverse()) await e.stop();
    await dark?.close();
    await primary?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  test("--format envoy: a real Envoy loads the http filter and runs the rule; the stats_config to paste is the shipped one", async () => {
    const run = await cli(["render", input, "--format", "envoy"]);
    assert.equal(run.code, 0, run.stderr);
    const filter = parse(run.stdout) as Json;
    assert.equal(filter["name"], "envoy.filters.http.wasm");
    // The trailing comment holds the bootstrap's stats_config: uncommented, it is the project's.
    const pasted = run.stdout
      .slice(run.stdout.indexOf("# stats_config:"))
      .split("\n")
      .map((l) => l.replace(/^# ?/, ""))
      .join("\n");
    const statsConfig = (parse(pasted) as Json)["stats_config"];
    assert.deepEqual(statsConfig, darklaunchStatsConfig());
    const bootstrap = JSON.parse(bootstrapWith(filter, primary, dark, false)) as Json;
    bootstrap["stats_config"] = statsConfig;
    const envoy = await startEnvoy({ bootstrap: JSON.stringify(bootstrap) });
    envoys.push(envoy);
    assert.equal((await send(envoy.url, { path: "/api/checkout/cart" })).status, 200);
    const stats = await statsValues(envoy.adminUrl);
    assert.equal(stats.get("wasmcustom.darklaunch.checkout.requests"), 1);
    const prometheus = (await fetch(`${envoy.adminUrl}/stats/prometheus`)).text();
    assert.match(await prometheus, /^darklaunch_skipped\{rule="checkout",reason="method"\} 0$/m);
    await envoy.stop();
  });

  test("--format ecds: a real Envoy subscribed to the rendered file loads it; set edits it", async () => {
    const run = await cli(["render", input, "--format", "ecds"]);
    assert.equal(run.code, 0, run.stderr);
    const ecdsPath = join(dir, "rendered-ecds.yaml");
    writeFileSync(ecdsPath, run.stdout);
    const doc = parse(run.stdout) as Json;
    assert.equal(((doc["resources"] as Json[])[0]!)["name"], "dark-launch");
    // The http_filters entry the rendered file's comment shows, pointing at the file.
    const subscribe = ecdsHttpFilter(deploymentFromObject(exampleForThisMachine(), input), ecdsPath);
    assert.match(run.stdout, /^# {3}config_discovery:$/m);
    const envoy = await startEnvoy({ bootstrap: bootstrapWith(subscribe, primary, dark, true) });
    envoys.push(envoy);
    assert.equal((await send(envoy.url, { path: "/api/checkout/cart" })).status, 200);
    const stats = await statsValues(envoy.adminUrl);
    assert.equal(stats.get("extension_config_discovery.http_filter.dark-launch.config_reload"), 1);
    assert.equal(stats.get("wasmcustom.darklaunch.checkout.requests"), 1);

    const set = await cliProcess(["set", "checkout", "--percent", "100", "--ecds", ecdsPath]);
    assert.equal(set.code, 0, set.stderr);
    assert.match(readFileSync(ecdsPath, "utf8"), /"sample": \{ "percent": 100, "by": "header:x-user-id" \}/);
    await envoy.stop();
  });

  test("--format istio: a WasmPlugin that validates against Istio's CRD schema", async () => {
    const run = await cli(["render", input, "--format", "istio"]);
    assert.equal(run.code, 0, run.stderr);
    const manifest = parse(run.stdout) as Json;
    const plugin = new WasmPlugin(manifest as ConstructorParameters<typeof WasmPlugin>[0]);
    plugin.validate();
    const spec = manifest["spec"] as Json;
    const example = parse(readFileSync(EXAMPLE, "utf8")) as Json;
    assert.deepEqual(spec["pluginConfig"], example["filter"]);
    assert.equal(manifest["apiVersion"], "extensions.istio.io/v1alpha1");
    assert.equal(manifest["kind"], "WasmPlugin");
    assert.deepEqual(manifest["metadata"], { name: "dark-launch", namespace: "shop" });
    assert.equal(spec["url"], "oci://registry.example/shop/dark-launch:0.1.0");
    assert.equal(spec["failStrategy"], "FAIL_OPEN");
    assert.equal(spec["phase"], "UNSPECIFIED_PHASE");
    assert.equal(spec["pluginName"], "dark_launch");
    assert.deepEqual(spec["selector"], { matchLabels: { app: "checkout" } });
    // The schema is really checked: the same manifest with a wrong field fails it.
    for (const [field, value] of [["phase", "BEFORE_ROUTER"], ["failStrategy", "OPEN"], ["sha256", "not-a-digest"], ["pluginConfig", "{}"]] as const) {
      const broken = structuredClone(manifest);
      (broken["spec"] as Json)[field] = value;
      assert.throws(() => new WasmPlugin(broken as ConstructorParameters<typeof WasmPlugin>[0]).validate(), new RegExp(`spec/${field}`), field);
    }
  });

  test("each phase and a sha256 are carried into the WasmPlugin", async () => {
    for (const phase of ["AUTHN", "AUTHZ", "STATS"]) {
      const doc = exampleForThisMachine();
      (doc["istio"] as Json)["phase"] = phase;
      (doc["wasm"] as Json)["sha256"] = "a".repeat(64);
      const path = join(dir, `phase-${phase}.yaml`);
      writeFileSync(path, stringify(doc));
      const run = await cli(["render", path, "--format", "istio"]);
      assert.equal(run.code, 0, run.stderr);
      const manifest = parse(run.stdout) as Json;
      new WasmPlugin(manifest as ConstructorParameters<typeof WasmPlugin>[0]).validate();
      assert.equal((manifest["spec"] as Json)["phase"], phase);
      assert.equal((manifest["spec"] as Json)["sha256"], "a".repeat(64));
    }
  });

  test("a filter configuration the filter refuses is not rendered (exit 1, the filter's problems)", async () => {
    const doc = exampleForThisMachine();
    ((doc["filter"] as Json)["rules"] as Json[])[0]!["sample"] = { percent: 250 };
    const path = join(dir, "refused.yaml");
    writeFileSync(path, stringify(doc));
    const run = await cli(["render", path, "--format", "istio"]);
    assert.equal(run.code, 1);
    assert.equal(run.stdout, "");
    assert.match(run.stderr, /^ {2}rules\[0\]\.sample\.percent: must be a number from 0 to 100 \(got 250\)$/m);
  });

  test("bad dark-launch fields are listed (exit 1); unreadable input is exit 2", async () => {
    const doc = exampleForThisMachine();
    (doc["istio"] as Json)["phase"] = "EARLY";
    (doc["wasm"] as Json)["url"] = "ftp://x/y";
    doc["extra"] = 1;
    const path = join(dir, "bad-fields.yaml");
    writeFileSync(path, stringify(doc));
    const run = await cli(["render", path]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /extra: unknown key/);
    assert.match(run.stderr, /wasm\.url: must be an oci:\/\/, https:\/\/ or file:\/\/ URL \(got "ftp:\/\/x\/y"\)/);
    assert.match(run.stderr, /istio\.phase: must be one of AUTHN, AUTHZ, STATS, UNSPECIFIED_PHASE \(got "EARLY"\)/);

    const noUrl = exampleForThisMachine();
    delete (noUrl["wasm"] as Json)["url"];
    writeFileSync(join(dir, "no-url.yaml"), stringify(noUrl));
    const istio = await cli(["render", join(dir, "no-url.yaml"), "--format", "istio"]);
    assert.equal(istio.code, 1);
    assert.match(istio.stderr, /--format istio needs wasm\.url/);

    assert.equal((await cli(["render", join(dir, "missing.yaml")])).code, 2);
    assert.equal((await cli(["render", input, "--format", "helm"])).code, 2);
  });
});
