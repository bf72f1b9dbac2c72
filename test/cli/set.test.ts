// `darklaunch set` on ECDS files without Envoy (the Envoy side is test/cli/ecds.test.ts): how the
// file is replaced, YAML and JSON files, several resources, dry runs and usage errors.

import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import { parse } from "yaml";
import { cli } from "./helpers.js";
import { exampleEcdsText } from "./ecds-stack.js";

type Json = Record<string, unknown>;

function wasmResource(name: string, rules: string[]): Json {
  return {
    "@type": "type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig",
    name,
    typed_config: {
      "@type": "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
      config: {
        root_id: "dark_launch",
        configuration: {
          "@type": "type.googleapis.com/google.protobuf.StringValue",
          value: JSON.stringify({ rules: rules.map((r) => ({ name: r, dark: { cluster: "dark" } })) }),
        },
      },
    },
  };
}

/** The filter configuration of resource `index` in an ECDS file's text. */
function configOf(text: string, index = 0): Json {
  const doc = parse(text) as { resources: { typed_config: { config: { configuration: { value: string } } } }[] };
  return JSON.parse(doc.resources[index]!.typed_config.config.configuration.value) as Json;
}

describe("darklaunch set (files)", () => {
  let dir: string;
  let yamlPath: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "darklaunch-set-"));
  });

  beforeEach(() => {
    yamlPath = join(dir, "filter.yaml");
    writeFileSync(yamlPath, exampleEcdsText());
  });

  after(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  test("the file is replaced by a rename (new inode), permissions kept, no temporary file left", async () => {
    chmodSync(yamlPath, 0o640);
    const inode = statSync(yamlPath).ino;
    const run = await cli(["set", "checkout", "--percent", "20", "--ecds", yamlPath]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, `${yamlPath}: checkout.sample.percent: 5 → 20 (resource "dark_launch", version 1 → 2; validated)\n`);
    assert.notEqual(statSync(yamlPath).ino, inode);
    assert.equal(statSync(yamlPath).mode & 0o777, 0o640);
    assert.deepEqual(readdirSync(dir), ["filter.yaml"]);
    const rule = (configOf(readFileSync(yamlPath, "utf8")).rules as Json[])[0]!;
    assert.deepEqual(rule.sample, { percent: 20, by: "header:x-user-id" });
  });

  test("only the edited values change in the file; its comments stay", async () => {
    const before = readFileSync(yamlPath, "utf8");
    assert.equal((await cli(["set", "checkout", "--disable", "--ecds", yamlPath])).code, 0);
    assert.equal((await cli(["set", "--all", "--disable", "--ecds", yamlPath])).code, 0);
    const expected = before
      .replace('version_info: "1"', 'version_info: "3"')
      // A new switch goes first in the configuration, and right after the rule's name.
      .replace('\n              "enabled": true,', '\n              "enabled": false,')
      .replace('"name": "checkout",\n', '"name": "checkout",\n                  "enabled": false,\n');
    assert.notEqual(expected, before);
    assert.equal(readFileSync(yamlPath, "utf8"), expected);
  });

  test("nothing to change: exit 0 and the file untouched", async () => {
    const inode = statSync(yamlPath).ino;
    const run = await cli(["set", "--all", "--enable", "--ecds", yamlPath]);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /nothing to change/);
    assert.equal(statSync(yamlPath).ino, inode);
  });

  test("--dry-run prints the new file and writes nothing", async () => {
    const before = readFileSync(yamlPath, "utf8");
    const run = await cli(["set", "checkout", "--percent", "7.5", "--dry-run", "--ecds", yamlPath]);
    assert.equal(run.code, 0);
    assert.equal(readFileSync(yamlPath, "utf8"), before);
    assert.deepEqual((configOf(run.stdout).rules as Json[])[0]!.sample, { percent: 7.5, by: "header:x-user-id" });
    assert.match(run.stderr, /dry run, .* not written: checkout\.sample\.percent: 5 → 7\.5/);
  });

  test("a JSON ECDS file stays JSON; several resources need --resource when a rule is in more than one", async () => {
    const path = join(dir, "filters.json");
    writeFileSync(path, JSON.stringify({ resources: [wasmResource("a", ["shared", "only_a"]), wasmResource("b", ["shared"])] }));
    const ambiguous = await cli(["set", "shared", "--disable", "--ecds", path]);
    assert.equal(ambiguous.code, 2);
    assert.match(ambiguous.stderr, /rule "shared" is in several resources \(a, b\): choose one with --resource NAME/);
    assert.equal((await cli(["set", "shared", "--disable", "--resource", "b", "--ecds", path])).code, 0);
    assert.equal((await cli(["set", "only_a", "--percent", "50", "--ecds", path])).code, 0);
    const doc = JSON.parse(readFileSync(path, "utf8")) as Json;
    assert.equal(doc.version_info, "2");
    const text = JSON.stringify(doc);
    assert.deepEqual((configOf(text, 1).rules as Json[])[0], { name: "shared", dark: { cluster: "dark" }, enabled: false });
    assert.deepEqual((configOf(text, 0).rules as Json[])[1], { name: "only_a", dark: { cluster: "dark" }, sample: { percent: 50 } });
    assert.equal((configOf(text, 0).rules as Json[])[0]!.enabled, undefined);
  });

  test("usage errors: exit 2, nothing written", async () => {
    const before = readFileSync(yamlPath, "utf8");
    const cases: [string[], RegExp][] = [
      [["set", "checkout"], /set needs --percent N, --enable or --disable/],
      [["set", "checkout", "--enable", "--disable"], /--enable and --disable exclude each other/],
      [["set", "--all", "--percent", "5"], /--all only switches every rule on or off/],
      [["set", "checkout", "--all", "--disable"], /either a RULE or --all/],
      [["set", "checkout", "--percent", "five"], /--percent must be a number \(got "five"\)/],
      [["set", "--disable"], /set takes one RULE \(or --all\)/],
    ];
    for (const [argv, message] of cases) {
      const run = await cli([...argv, "--ecds", yamlPath]);
      assert.equal(run.code, 2, argv.join(" "));
      assert.match(run.stderr, message);
    }
    assert.equal(readFileSync(yamlPath, "utf8"), before);
    const missing = await cli(["set", "checkout", "--disable", "--ecds", join(dir, "missing.yaml")]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read the ECDS file .*missing\.yaml: ENOENT/);
  });
});

describe("darklaunch set --wasmplugin and --audit", () => {
  let dir: string;
  let pluginPath: string;
  const PLUGIN = `# The shop's dark launch (kept by GitOps).
apiVersion: v1
kind: ConfigMap
metadata: { name: unrelated }
data: { a: b }
---
apiVersion: extensions.istio.io/v1alpha1
kind: WasmPlugin
metadata:
  name: dark-launch
  namespace: shop
spec:
  url: oci://registry.example/shop/dark-launch:0.1.0
  pluginName: dark_launch
  failStrategy: FAIL_OPEN
  pluginConfig:
    rules:
      - name: checkout # the new checkout service
        match: { path_prefix: /api/checkout }
        sample:
          percent: 5 # start small
          by: header:x-user-id
        dark: { cluster: "outbound|8080||checkout-v2.shop.svc.cluster.local" }
      - name: search
        dark: { cluster: "outbound|8080||search-v2.shop.svc.cluster.local" }
`;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "darklaunch-set-plugin-"));
  });
  beforeEach(() => {
    pluginPath = join(dir, "wasmplugin.yaml");
    writeFileSync(pluginPath, PLUGIN);
  });
  after(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  test("only the changed values move in the WasmPlugin; comments, layout and the other documents stay", async () => {
    const run = await cli(["set", "checkout", "--percent", "25", "--wasmplugin", pluginPath]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, `${pluginPath}: checkout.sample.percent: 5 → 25 (resource "dark-launch"; validated)\n`);
    assert.match(run.stderr, /apply the WasmPlugin for it to take effect/);
    assert.equal(readFileSync(pluginPath, "utf8"), PLUGIN.replace("percent: 5 # start small", "percent: 25 # start small"));
    const off = await cli(["set", "search", "--disable", "--wasmplugin", pluginPath]);
    assert.equal(off.code, 0, off.stderr);
    // A new switch goes right after the rule's name.
    assert.equal(
      readFileSync(pluginPath, "utf8"),
      PLUGIN.replace("percent: 5 # start small", "percent: 25 # start small").replace(
        "      - name: search\n",
        "      - name: search\n        enabled: false\n",
      ),
    );
  });

  test("the filter validates the result: an invalid change is refused and the file left as it was", async () => {
    const run = await cli(["set", "checkout", "--percent", "150", "--wasmplugin", pluginPath]);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /rules\[0\]\.sample\.percent: must be a number from 0 to 100 \(got 150\)/);
    assert.equal(readFileSync(pluginPath, "utf8"), PLUGIN);
  });

  test("--audit appends one JSON line per change, with the contract's fields", async () => {
    const audit = join(dir, "audit.jsonl");
    rmSync(audit, { force: true });
    assert.equal((await cli(["set", "checkout", "--percent", "10", "--disable", "--wasmplugin", pluginPath, "--audit", audit])).code, 0);
    assert.equal((await cli(["set", "--all", "--disable", "--wasmplugin", pluginPath, "--audit", audit])).code, 0);
    // Nothing to change: nothing appended.
    assert.equal((await cli(["set", "--all", "--disable", "--wasmplugin", pluginPath, "--audit", audit])).code, 0);
    const lines = readFileSync(audit, "utf8")
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(
      lines.map((l) => [l.rule, l.action, l.from, l.to, l.verdict, l.command, l.file]),
      [
        ["checkout", "disable", null, false, null, "set", pluginPath],
        ["checkout", "percent", 5, 10, null, "set", pluginPath],
        [null, "disable", null, false, null, "set", pluginPath],
      ],
    );
    for (const l of lines) {
      assert.deepEqual(Object.keys(l).sort(), ["action", "command", "file", "from", "reasons", "rule", "time", "to", "verdict"]);
      assert.ok(!Number.isNaN(Date.parse(String(l.time))));
    }
    // The top-level switch went first in pluginConfig.
    assert.match(readFileSync(pluginPath, "utf8"), / {2}pluginConfig:\n {4}enabled: false\n {4}rules:/);
  });

  test("no WasmPlugin in the file, or --ecds with --wasmplugin: clear errors (exit 2)", async () => {
    const other = join(dir, "other.yaml");
    writeFileSync(other, "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\n");
    const none = await cli(["set", "checkout", "--disable", "--wasmplugin", other]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no WasmPlugin \(kind: WasmPlugin\) in the file/);
    const both = await cli(["set", "checkout", "--disable", "--wasmplugin", pluginPath, "--ecds", pluginPath]);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--ecds and --wasmplugin exclude each other/);
  });
});
