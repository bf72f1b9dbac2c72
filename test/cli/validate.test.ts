// `darklaunch validate`: the filter's own validation run in Node must print exactly the problems
// that the same filter logs in a real Envoy refusing the same configuration.

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parse, stringify } from "yaml";
import { PROJECT_ROOT, renderBootstrap, startEnvoyExpectingFailure } from "../../tools/lib/envoy.js";
import { problemsOfLogLine } from "../../tools/darklaunch/src/validation.js";
import { cli, cliProcess } from "./helpers.js";

/** Bad configurations: the file the user writes, and the JSON text Envoy gets for it. */
const BAD: { file: string; text: string; json: string }[] = [
  {
    file: "several-problems.yaml",
    text: [
      "enabled: yes",
      "rules:",
      "  - name: Checkout Rule",
      "    sample: { percent: 150, by: 'query:x' }",
      "    dark: { timeout_ms: 0 }",
      "    methods: [GET, FETCH]",
      "    extra: true",
      "",
    ].join("\n"),
    json: JSON.stringify({
      enabled: "yes",
      rules: [
        { name: "Checkout Rule", sample: { percent: 150, by: "query:x" }, dark: { timeout_ms: 0 }, methods: ["GET", "FETCH"], extra: true },
      ],
    }),
  },
  {
    // Version 2 keys: the JSON comparison's body object and its path grammar.
    file: "json-mode.yaml",
    text: [
      "rules:",
      "  - name: orders",
      "    dark: { cluster: orders_v2, authority: '' }",
      "    compare:",
      "      body: { json: 'yes', decode: true, ignore: ['meta.id', 'items[x]', ''], gzip: true }",
      "  - name: bytes",
      "    dark: { cluster: orders_v2 }",
      "    compare: { body: { ignore: [updated_at] } }",
      "",
    ].join("\n"),
    json: JSON.stringify({
      rules: [
        {
          name: "orders",
          dark: { cluster: "orders_v2", authority: "" },
          compare: { body: { json: "yes", decode: true, ignore: ["meta.id", "items[x]", ""], gzip: true } },
        },
        { name: "bytes", dark: { cluster: "orders_v2" }, compare: { body: { ignore: ["updated_at"] } } },
      ],
    }),
  },
  {
    file: "raw.json",
    // A .json file goes to the filter byte for byte.
    text: '{ "rules": [], "mismatch_log_per_second": -1, "typo": 1 }\n',
    json: '{ "rules": [], "mismatch_log_per_second": -1, "typo": 1 }\n',
  },
];

const GOOD = [
  "rules:",
  "  - name: checkout",
  "    match: { path_prefix: /api/checkout }",
  "    sample: { percent: 12.5, by: header:x-user-id }",
  "    dark: { cluster: checkout_v2 }",
  "  - name: orders",
  "    dark: { cluster: orders_v2, authority: '' }",
  "    compare:",
  "      headers: [content-type]",
  "      body: { json: true, decode: true, ignore: [updated_at, 'items[*].etag', '**.trace_id', '[\"a.b\"].c'] }",
  "  - name: orders-grpc",
  "    match: { path_prefix: /shop.Orders/ }",
  "    methods: [POST]",
  "    dark: { cluster: orders_v2_grpc }",
  "    compare: { headers: [grpc-message], body: { decode: false } }",
  "",
].join("\n");

describe("darklaunch validate", () => {
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "darklaunch-validate-"));
    for (const bad of BAD) writeFileSync(join(dir, bad.file), bad.text);
    writeFileSync(join(dir, "good.yaml"), GOOD);
    writeFileSync(join(dir, "broken.yaml"), "rules: [ { name: a\n");
    writeFileSync(join(dir, "broken.json"), '{ "rules": [ }');
  });

  after(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  for (const bad of BAD) {
    test(`${bad.file}: the same problems as Envoy logs when it refuses the configuration`, async () => {
      const run = await cli(["validate", join(dir, bad.file)]);
      assert.equal(run.code, 1, run.stderr);
      const printed = run.stdout.trimEnd().split("\n");
      assert.ok(printed.length >= 2, `several problems expected: ${run.stdout}`);

      const envoy = await startEnvoyExpectingFailure({
        bootstrap: renderBootstrap({ primaryPort: 9, filterConfig: null, filterConfigText: bad.json, clusters: { checkout_v2: 9 } }),
      });
      assert.equal(envoy.started, false, "Envoy must refuse the configuration");
      const line = envoy.log.split("\n").find((l) => problemsOfLogLine(l) !== null);
      assert.ok(line, `no "darklaunch: invalid configuration:" line in Envoy's log:\n${envoy.log.slice(-3000)}`);
      assert.deepEqual(printed, problemsOfLogLine(line));
    });
  }

  test("the real command: problems on stdout one per line, a summary on stderr, exit code 1", async () => {
    const run = await cliProcess(["validate", join(dir, BAD[0]!.file)]);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /^rules\[0\]\.sample\.percent: must be a number from 0 to 100 \(got 150\)$/m);
    assert.match(run.stderr, /several-problems\.yaml: invalid configuration \(\d+ problems\):/);
  });

  test("a valid configuration: exit code 0", async () => {
    const run = await cli(["validate", join(dir, "good.yaml")]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(run.stdout, `${join(dir, "good.yaml")}: valid\n`);
  });

  test("--json: { file, valid, problems, shape }", async () => {
    const bad = await cli(["validate", join(dir, "raw.json"), "--json"]);
    const doc = JSON.parse(bad.stdout) as { file: string; valid: boolean; problems: string[]; shape: string };
    assert.deepEqual(Object.keys(doc), ["file", "valid", "problems", "shape"]);
    assert.equal(doc.shape, "config");
    assert.equal(doc.valid, false);
    assert.ok(
      doc.problems.some((p) => p.startsWith("typo:")),
      doc.problems.join(" | "),
    );
    const good = JSON.parse((await cli(["validate", join(dir, "good.yaml"), "--json"])).stdout) as { valid: boolean; problems: string[] };
    assert.deepEqual([good.valid, good.problems], [true, []]);
  });

  test("unreadable file, YAML or JSON syntax error, missing filter binary: exit code 2 with a clear message", async () => {
    const missing = await cli(["validate", join(dir, "missing.yaml")]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read .*missing\.yaml: ENOENT/);
    const yaml = await cli(["validate", join(dir, "broken.yaml")]);
    assert.equal(yaml.code, 2);
    assert.match(yaml.stderr, /broken\.yaml: not valid YAML: /);
    const json = await cli(["validate", join(dir, "broken.json")]);
    assert.equal(json.code, 2);
    assert.match(json.stderr, /broken\.json: not valid JSON: /);
    const noWasm = await cli(["validate", join(dir, "good.yaml"), "--wasm", join(dir, "none.wasm")]);
    assert.equal(noWasm.code, 2);
    assert.match(noWasm.stderr, /none\.wasm does not exist: run "npm run build" or pass --wasm FILE/);
    assert.equal((await cli(["validate"])).code, 2);
  });

  // The four shapes of file that hold a filter configuration, as the project ships them.
  const SHIPPED: Array<[string, RegExp]> = [
    ["envoy/ecds/dark-launch-filter.yaml", /: valid \(an ECDS file\)$/],
    ["envoy/demo/dark-launch-filter.yaml", /: valid \(an ECDS file\)$/],
    ["tools/darklaunch/examples/dark-launch.yaml", /: valid \(a dark-launch file \(render input\)\)$/],
    ["deploy/istio/dark-launch.yaml", /: valid \(a dark-launch file \(render input\)\)$/],
    ["deploy/istio/wasmplugin.yaml", /: valid \(an Istio WasmPlugin\)$/],
  ];
  for (const [file, said] of SHIPPED) {
    test(`the project's ${file}: valid, and validate says which kind of file it read`, async () => {
      const run = await cli(["validate", join(PROJECT_ROOT, file)]);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.match(run.stdout.trimEnd(), said);
    });
  }

  test("an ECDS file: each Wasm resource's configuration text is validated, problems by resource", async () => {
    const ecds = parse(readFileSync(join(PROJECT_ROOT, "envoy", "ecds", "dark-launch-filter.yaml"), "utf8")) as {
      resources: Array<{ name: string; typed_config: { config: { configuration: { value: string } } } }>;
    };
    const good = structuredClone(ecds.resources[0]!);
    const bad = structuredClone(ecds.resources[0]!);
    bad.name = "broken";
    const config = JSON.parse(bad.typed_config.config.configuration.value) as { rules: Array<Record<string, unknown>> };
    config.rules[0]!.sample = { percent: 150 };
    bad.typed_config.config.configuration.value = JSON.stringify(config);
    const path = join(dir, "two-resources.yaml");
    writeFileSync(path, stringify({ version_info: "1", resources: [good, bad] }));
    const run = await cli(["validate", path]);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.equal(run.stdout, "resources[1] broken: rules[0].sample.percent: must be a number from 0 to 100 (got 150)\n");
    writeFileSync(path, stringify({ version_info: "1", resources: [good] }));
    assert.equal((await cli(["validate", path])).code, 0);
  });

  test("WasmPlugin files: several documents, each pluginConfig validated; one without pluginConfig is invalid", async () => {
    const plugin = parse(readFileSync(join(PROJECT_ROOT, "deploy", "istio", "wasmplugin.yaml"), "utf8")) as {
      metadata: { name: string };
      spec: { pluginConfig: { rules: Array<Record<string, unknown>> } };
    };
    const second = structuredClone(plugin);
    second.metadata.name = "second";
    second.spec.pluginConfig.rules[0]!.sample = { percent: 150 };
    const third = structuredClone(plugin);
    third.metadata.name = "third";
    delete (third.spec as Partial<typeof third.spec>).pluginConfig;
    const path = join(dir, "plugins.yaml");
    writeFileSync(path, [plugin, second, third].map((d) => stringify(d)).join("---\n"));
    const run = await cli(["validate", path]);
    assert.equal(run.code, 1);
    const lines = run.stdout.trimEnd().split("\n");
    assert.equal(lines.length, 2, run.stdout);
    assert.equal(lines[0], "document 2 WasmPlugin second: rules[0].sample.percent: must be a number from 0 to 100 (got 150)");
    assert.equal(
      lines[1],
      "document 3 WasmPlugin third: spec.pluginConfig: missing or not a mapping: the WasmPlugin carries no filter configuration",
    );
  });

  test("a render input file: its filter: is validated, and its dark-launch fields are checked too", async () => {
    const doc = parse(readFileSync(join(PROJECT_ROOT, "deploy", "istio", "dark-launch.yaml"), "utf8")) as Record<string, unknown>;
    const filter = doc.filter as { rules: Array<Record<string, unknown>> };
    filter.rules[0]!.dark = { timeout_ms: 0 };
    const path = join(dir, "render-input.yaml");
    writeFileSync(path, stringify(doc));
    const run = await cli(["validate", path]);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /^rules\[0\]\.dark\.cluster: /m);
    assert.match(run.stdout, /^rules\[0\]\.dark\.timeout_ms: /m);
    doc.wasm = { url: "ftp://nope" };
    writeFileSync(path, stringify(doc));
    const fields = await cli(["validate", path]);
    assert.equal(fields.code, 1);
    assert.match(fields.stderr, /wasm\.url: must be an oci:\/\/, https:\/\/ or file:\/\/ URL/);
  });
});
