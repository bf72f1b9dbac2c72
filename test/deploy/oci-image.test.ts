// The filter as an OCI image for Istio, against a real registry (crane registry serve): `image
// --push` builds and pushes it, crane pulls it back, and what comes back is what Istio's image
// fetcher takes (the compat variant: one tar+gzip layer with plugin.wasm) holding the .wasm byte
// for byte; `render --format istio --image` pins exactly the digest the registry has.

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { after, before, describe, test } from "node:test";
import { WasmPlugin } from "@kubernetes-models/istio/extensions.istio.io/v1alpha1/WasmPlugin";
import { parse } from "yaml";
import { FILTER_WASM_PATH, PROJECT_ROOT } from "../../tools/lib/envoy.js";
import {
  buildWasmImage,
  OCI_LAYER_TYPE,
  sha256Digest,
  tarEntries,
  wasmFromCompatImage,
  WASM_VARIANT_ANNOTATION,
} from "../../tools/darklaunch/src/oci-image.js";
import { cli, cliProcess } from "../cli/helpers.js";
import { craneBytes, startRegistry, type Registry } from "./registry.js";

const ISTIO_EXAMPLE = join(PROJECT_ROOT, "deploy", "istio", "dark-launch.yaml");
type Json = Record<string, unknown>;

describe("darklaunch image: push to a real registry, pull back", () => {
  let registry: Registry;
  let dir: string;
  let tagRef: string;
  let pushedDigest: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "darklaunch-image-"));
    registry = await startRegistry();
    tagRef = `${registry.host}/shop/dark-launch:0.1.0`;
  });

  after(async () => {
    await registry?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  test("image --push builds the OCI layout and pushes it; it prints the digest the registry has", async () => {
    const run = await cliProcess(["image", "--push", tagRef, "--out", join(dir, "layout")], { timeoutMs: 60_000 });
    assert.equal(run.code, 0, run.stderr);
    const printed = /image digest\s+(sha256:[0-9a-f]{64})/.exec(run.stdout)?.[1];
    assert.ok(printed, run.stdout);
    pushedDigest = craneBytes(["digest", tagRef]).toString("utf8").trim();
    assert.equal(pushedDigest, printed, "the registry's digest for the tag is the one image printed");
    assert.match(run.stdout, new RegExp(`pushed ${registry.host}/shop/dark-launch@${printed}`));
  });

  test("pulled back: a compat-variant Wasm image whose plugin.wasm is build/dark-launch.wasm byte for byte", () => {
    const manifest = craneBytes(["manifest", tagRef]);
    assert.equal(sha256Digest(manifest), pushedDigest, "the manifest's bytes hash to the image digest");
    const doc = JSON.parse(manifest.toString("utf8")) as { layers: Array<{ mediaType: string; digest: string }>; annotations: Json };
    assert.equal(doc.annotations[WASM_VARIANT_ANNOTATION], "compat");
    assert.equal(doc.layers.length, 1);
    assert.equal(doc.layers[0]!.mediaType, OCI_LAYER_TYPE);
    const repository = `${registry.host}/shop/dark-launch`;
    const wasm = wasmFromCompatImage(manifest, (digest) => craneBytes(["blob", `${repository}@${digest}`]));
    assert.ok(wasm.equals(readFileSync(FILTER_WASM_PATH)), "plugin.wasm in the pulled layer is the built filter");
    // The layer holds exactly the two files of the specification, readable by a plain tar reader.
    const layer = craneBytes(["blob", `${repository}@${doc.layers[0]!.digest}`]);
    const files = tarEntries(gunzipSync(layer));
    assert.deepEqual([...files.keys()], ["plugin.wasm", "runtime-config.json"]);
    assert.deepEqual(JSON.parse(files.get("runtime-config.json")!.toString("utf8")), {
      type: "envoy_proxy",
      abiVersions: ["v0.2.1"],
      config: { root_ids: ["dark_launch"] },
    });
  });

  test("the image is reproducible: the same .wasm gives the same digest", () => {
    const wasm = readFileSync(FILTER_WASM_PATH);
    const again = buildWasmImage(wasm, { rootId: "dark_launch", version: "0.1.0" });
    assert.equal(again.manifestDigest, pushedDigest);
    const other = buildWasmImage(Buffer.concat([wasm, Buffer.from([0])]), { rootId: "dark_launch", version: "0.1.0" });
    assert.notEqual(other.manifestDigest, pushedDigest, "and another module another digest");
  });

  test("render --format istio --image TAG: the WasmPlugin pins the registry's digest, valid for the CRD schema", async () => {
    for (const image of [tagRef, `oci://${tagRef}`, `${registry.host}/shop/dark-launch@${pushedDigest}`]) {
      const run = await cli(["render", ISTIO_EXAMPLE, "--format", "istio", "--image", image]);
      assert.equal(run.code, 0, run.stderr);
      const manifest = parse(run.stdout) as Json;
      new WasmPlugin(manifest as ConstructorParameters<typeof WasmPlugin>[0]).validate();
      const spec = manifest.spec as Json;
      const hex = pushedDigest.slice("sha256:".length);
      assert.equal(spec.url, `oci://${registry.host}/shop/dark-launch@${pushedDigest}`, image);
      assert.equal(spec.sha256, hex, image);
      assert.equal(spec.imagePullPolicy, "IfNotPresent");
      const dark = ((spec.pluginConfig as Json).rules as Json[])[0]!.dark as Json;
      assert.equal(dark.cluster, "outbound|8080||checkout-v2.shop.svc.cluster.local");
    }
  });

  test("render --image of a tag the registry does not have: exit 2 with crane's reason", async () => {
    const run = await cli(["render", ISTIO_EXAMPLE, "--format", "istio", "--image", `${registry.host}/shop/dark-launch:missing`]);
    assert.equal(run.code, 2);
    assert.equal(run.stdout, "");
    assert.match(run.stderr, /crane digest .*:missing failed: .*(MANIFEST_UNKNOWN|not found|404)/i);
  });
});
