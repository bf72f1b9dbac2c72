// `darklaunch render` from the example dark-launch files: a real Envoy loads the rendered plain
// http filter and the rendered ECDS resource (tools/darklaunch/examples/dark-launch.yaml), and the
// Istio WasmPlugin (deploy/istio/dark-launch.yaml) validates against Istio's WasmPlugin CRD schema
// (as compiled in @kubernetes-models/istio), with Istio's cluster names. The OCI image and
// `--image` against a real registry: test/deploy/oci-image.test.ts.

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
import { statsValues, waitFor } from "../support/stats.js";
import { startUpstream, type Upstream } from "../support/upstream.js";
import { cli, cliProcess } from "./helpers.js";

const EXAMPLE = join(PROJECT_ROOT, "tools", "darklaunch", "examples", "dark-launch.yaml");
const ISTIO_EXAMPLE = join(PROJECT_ROOT, "deploy", "istio", "dark-launch.yaml");

type Json = Record<string, unknown>;

/** The example with the filter binary at its absolute path (Envoy here runs in another directory). */
function exampleForThisMachine(): Json {
  const doc = parse(readFileSync(EXAMPLE, "utf8")) as Json;
  (doc.wasm as Json).path = FILTER_WASM_PATH;
  return doc;
}

/** A bootstrap from the harness (no filter of its own) with `httpFilter` put before the router. */
function bootstrapWith(httpFilter: unknown, primary: Upstream, dark: Upstream, node: boolean): string {
  const b = JSON.parse(renderBootstrap({ primaryPort: primary.port, filterConfig: null, clusters: { checkout_v2: dark.port } })) as Json;
  const hcm = (((b.static_resources as Json).listeners as Json[])[0]!.filter_chains as Json[])[0]!.filters as Json[];
  ((hcm[0]!.typed_config as Json).http_filters as unknown[]).unshift(httpFilter);
  if (node) b.node = { id: "render-test", cluster: "render-test" };
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
    assert.equal(filter.name, "envoy.filters.http.wasm");
    // The trailing comment holds the bootstrap's stats_config: uncommented, it is the project's.
    const pasted = run.stdout
      .slice(run.stdout.indexOf("# stats_config:"))
      .split("\n")
      .map((l) => l.replace(/^# ?/, ""))
      .join("\n");
    const statsConfig = (parse(pasted) as Json).stats_config;
    assert.deepEqual(statsConfig, darklaunchStatsConfig());
    const bootstrap = JSON.parse(bootstrapWith(filter, primary, dark, false)) as Json;
    bootstrap.stats_config = statsConfig;
    const envoy = await startEnvoy({ bootstrap: JSON.stringify(bootstrap) });
    envoys.push(envoy);
    assert.equal((await send(envoy.url, { path: "/api/checkout/cart" })).status, 200);
    // Counted at the worker's next tick.
    const stats = await waitFor(
      () => statsValues(envoy.adminUrl),
      (s) => s.get("wasmcustom.darklaunch.checkout.requests") === 1,
      "requests = 1",
    );
    assert.equal(stats.get("wasmcustom.darklaunch.checkout.requests"), 1);
    // The example's version 2 keys (JSON mode, ignored paths) went through render unchanged, and
    // the filter in the real Envoy accepted them (it counted the request).
    const config = JSON.parse((((filter.typed_config as Json).config as Json).configuration as Json).value as string) as Json;
    const compare = (config.rules as Json[])[0]!.compare as Json;
    assert.deepEqual(compare.body, { json: true, ignore: ["updated_at", "meta.request_id", "items[*].etag"] });
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
    assert.equal((doc.resources as Json[])[0]!.name, "dark-launch");
    // The http_filters entry the rendered file's comment shows, pointing at the file.
    const subscribe = ecdsHttpFilter(deploymentFromObject(exampleForThisMachine(), input), ecdsPath);
    assert.match(run.stdout, /^# {3}config_discovery:$/m);
    const envoy = await startEnvoy({ bootstrap: bootstrapWith(subscribe, primary, dark, true) });
    envoys.push(envoy);
    assert.equal((await send(envoy.url, { path: "/api/checkout/cart" })).status, 200);
    const stats = await waitFor(
      () => statsValues(envoy.adminUrl),
      (s) => s.get("wasmcustom.darklaunch.checkout.requests") === 1,
      "requests = 1",
    );
    assert.equal(stats.get("extension_config_discovery.http_filter.dark-launch.config_reload"), 1);
    assert.equal(stats.get("wasmcustom.darklaunch.checkout.requests"), 1);

    const set = await cliProcess(["set", "checkout", "--percent", "100", "--ecds", ecdsPath]);
    assert.equal(set.code, 0, set.stderr);
    assert.match(readFileSync(ecdsPath, "utf8"), /"sample": \{ "percent": 100, "by": "header:x-user-id" \}/);
    await envoy.stop();
  });

  test("--format istio: a WasmPlugin that validates against Istio's CRD schema", async () => {
    const run = await cli(["render", ISTIO_EXAMPLE, "--format", "istio"]);
    assert.equal(run.code, 0, run.stderr);
    const manifest = parse(run.stdout) as Json;
    const plugin = new WasmPlugin(manifest as ConstructorParameters<typeof WasmPlugin>[0]);
    plugin.validate();
    const spec = manifest.spec as Json;
    const example = parse(readFileSync(ISTIO_EXAMPLE, "utf8")) as Json;
    // The filter's configuration, with the dark cluster as Istio names it.
    const expected = structuredClone(example.filter) as Json;
    ((expected.rules as Json[])[0]!.dark as Json).cluster = "outbound|8080||checkout-v2.shop.svc.cluster.local";
    assert.deepEqual(spec.pluginConfig, expected);
    // What the committed example WasmPlugin shows is what render writes (but for the pinned image).
    const committed = parse(readFileSync(join(PROJECT_ROOT, "deploy", "istio", "wasmplugin.yaml"), "utf8")) as Json;
    new WasmPlugin(committed as ConstructorParameters<typeof WasmPlugin>[0]).validate();
    const { url: _u, sha256: _s, imagePullPolicy: _p, ...committedRest } = committed.spec as Json;
    const { url: _u2, ...renderedRest } = spec;
    assert.deepEqual(committedRest, renderedRest);
    assert.deepEqual(committed.metadata, manifest.metadata);
    assert.equal(manifest.apiVersion, "extensions.istio.io/v1alpha1");
    assert.equal(manifest.kind, "WasmPlugin");
    assert.deepEqual(manifest.metadata, { name: "dark-launch", namespace: "shop" });
    assert.equal(spec.url, "oci://registry.example/shop/dark-launch:0.1.0");
    assert.equal(spec.failStrategy, "FAIL_OPEN");
    assert.equal(spec.phase, "UNSPECIFIED_PHASE");
    assert.equal(spec.pluginName, "dark_launch");
    assert.deepEqual(spec.selector, { matchLabels: { app: "checkout" } });
    // The schema is really checked: the same manifest with a wrong field fails it.
    for (const [field, value] of [
      ["phase", "BEFORE_ROUTER"],
      ["failStrategy", "OPEN"],
      ["sha256", "not-a-digest"],
      ["pluginConfig", "{}"],
    ] as const) {
      const broken = structuredClone(manifest);
      (broken.spec as Json)[field] = value;
      assert.throws(
        () => new WasmPlugin(broken as ConstructorParameters<typeof WasmPlugin>[0]).validate(),
        new RegExp(`spec/${field}`),
        field,
      );
    }
  });

  test("each phase and a sha256 are carried into the WasmPlugin", async () => {
    for (const phase of ["AUTHN", "AUTHZ", "STATS"]) {
      const doc = parse(readFileSync(ISTIO_EXAMPLE, "utf8")) as Json;
      (doc.istio as Json).phase = phase;
      (doc.wasm as Json).sha256 = "a".repeat(64);
      const path = join(dir, `phase-${phase}.yaml`);
      writeFileSync(path, stringify(doc));
      const run = await cli(["render", path, "--format", "istio"]);
      assert.equal(run.code, 0, run.stderr);
      const manifest = parse(run.stdout) as Json;
      new WasmPlugin(manifest as ConstructorParameters<typeof WasmPlugin>[0]).validate();
      assert.equal((manifest.spec as Json).phase, phase);
      assert.equal((manifest.spec as Json).sha256, "a".repeat(64));
    }
  });

  test("--format istio: host:port clusters become Istio's names; other names are refused, by path", async () => {
    const doc = parse(readFileSync(ISTIO_EXAMPLE, "utf8")) as Json;
    const rule = ((doc.filter as Json).rules as Json[])[0]!;
    const cases: Array<[string, string]> = [
      ["checkout-v2:8080", "outbound|8080||checkout-v2.shop.svc.cluster.local"],
      ["checkout-v2.payments:9000", "outbound|9000||checkout-v2.payments"],
      ["checkout-v2.shop.svc.cluster.local:80", "outbound|80||checkout-v2.shop.svc.cluster.local"],
      ["outbound|8080|v2|checkout.shop.svc.cluster.local", "outbound|8080|v2|checkout.shop.svc.cluster.local"],
    ];
    for (const [given, want] of cases) {
      (rule.dark as Json).cluster = given;
      const path = join(dir, "istio-cluster.yaml");
      writeFileSync(path, stringify(doc));
      const run = await cli(["render", path, "--format", "istio"]);
      assert.equal(run.code, 0, run.stderr);
      const spec = (parse(run.stdout) as Json).spec as Json;
      assert.equal((((spec.pluginConfig as Json).rules as Json[])[0]!.dark as Json).cluster, want, given);
    }
    // Refused: a plain Envoy cluster name, a port out of range, a short name without a namespace.
    const second = structuredClone(rule);
    second.name = "second";
    (second.dark as Json).cluster = "checkout-v2:70000";
    ((doc.filter as Json).rules as Json[]).push(second);
    (rule.dark as Json).cluster = "checkout_v2";
    const path = join(dir, "istio-bad-cluster.yaml");
    writeFileSync(path, stringify(doc));
    const run = await cli(["render", path, "--format", "istio"]);
    assert.equal(run.code, 1);
    assert.equal(run.stdout, "");
    assert.match(run.stderr, /filter\.rules\[0\]\.dark\.cluster: "checkout_v2" is not a cluster an Istio sidecar has: write host:port/);
    assert.match(run.stderr, /filter\.rules\[1\]\.dark\.cluster: "checkout-v2:70000": port 70000 is not 1\.\.65535/);
    delete doc.istio;
    (rule.dark as Json).cluster = "checkout-v2:8080";
    ((doc.filter as Json).rules as Json[]).pop();
    writeFileSync(path, stringify(doc));
    const noNamespace = await cli(["render", path, "--format", "istio"]);
    assert.equal(noNamespace.code, 1);
    assert.match(noNamespace.stderr, /"checkout-v2:8080": a short host name needs istio\.namespace/);
    // For a plain Envoy the same name is taken as it is: there it is the Envoy cluster's own name.
    doc.wasm = { path: "build/dark-launch.wasm" };
    writeFileSync(path, stringify(doc));
    const envoy = await cli(["render", path, "--format", "envoy"]);
    assert.equal(envoy.code, 0, envoy.stderr);
    assert.match(envoy.stdout, /"cluster": "checkout-v2:8080"/);
  });

  test("a filter configuration the filter refuses is not rendered (exit 1, the filter's problems)", async () => {
    const doc = parse(readFileSync(ISTIO_EXAMPLE, "utf8")) as Json;
    ((doc.filter as Json).rules as Json[])[0]!.sample = { percent: 250 };
    const path = join(dir, "refused.yaml");
    writeFileSync(path, stringify(doc));
    const run = await cli(["render", path, "--format", "istio"]);
    assert.equal(run.code, 1);
    assert.equal(run.stdout, "");
    assert.match(run.stderr, /^ {2}rules\[0\]\.sample\.percent: must be a number from 0 to 100 \(got 250\)$/m);
  });

  test("bad dark-launch fields are listed (exit 1); unreadable input is exit 2", async () => {
    const doc = exampleForThisMachine();
    doc.istio = { phase: "EARLY" };
    (doc.wasm as Json).url = "ftp://x/y";
    doc.extra = 1;
    const path = join(dir, "bad-fields.yaml");
    writeFileSync(path, stringify(doc));
    const run = await cli(["render", path]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /extra: unknown key/);
    assert.match(run.stderr, /wasm\.url: must be an oci:\/\/, https:\/\/ or file:\/\/ URL \(got "ftp:\/\/x\/y"\)/);
    assert.match(run.stderr, /istio\.phase: must be one of AUTHN, AUTHZ, STATS, UNSPECIFIED_PHASE \(got "EARLY"\)/);

    const noUrl = parse(readFileSync(ISTIO_EXAMPLE, "utf8")) as Json;
    delete noUrl.wasm;
    writeFileSync(join(dir, "no-url.yaml"), stringify(noUrl));
    const istio = await cli(["render", join(dir, "no-url.yaml"), "--format", "istio"]);
    assert.equal(istio.code, 1);
    assert.match(istio.stderr, /--format istio needs --image REF or wasm\.url/);
    assert.equal((await cli(["render", input, "--format", "envoy", "--image", "r.example/x:1"])).code, 2, "--image is for istio");

    assert.equal((await cli(["render", join(dir, "missing.yaml")])).code, 2);
    assert.equal((await cli(["render", input, "--format", "helm"])).code, 2);
  });
});
