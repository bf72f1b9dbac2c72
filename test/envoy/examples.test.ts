// The example Envoy configs (envoy/*.yaml) against the real Envoy: each validates, loads the
// filter the way the contract says (fail-open, root_id dark_launch, V8, build/dark-launch.wasm),
// and its embedded filter configuration is accepted: every rule's counters exist at 0 and
// /stats/prometheus carries the rule as the `rule` label (and the reason, class and part labels:
// each example's stats_config is the project's one, tools/darklaunch/src/stats-config.ts).
// Envoy starts from a temporary copy whose ports are 0 (the OS picks) and addresses loopback.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parse as parseYaml } from "yaml";
import { GAUGE_SUFFIXES, counterSuffixes } from "../../assembly/darklaunch/stats_names.js";
import { startEnvoyFromFile, type EnvoyFromFile } from "../../demo/envoy.js";
import { envoyBinary, getText, PROJECT_ROOT } from "../../tools/lib/envoy.js";
import { darklaunchStatsConfig } from "../../tools/darklaunch/src/stats-config.js";
import { statName, statsValues } from "../support/stats.js";

const EXAMPLES = readdirSync(join(PROJECT_ROOT, "envoy"))
  .filter((file) => file.endsWith(".yaml"))
  .sort();

/** The example with every port 0 and every address on loopback. */
function onFreeLoopbackPorts(yaml: string): string {
  return yaml.replace(/port_value:\s*\d+/g, "port_value: 0").replace(/address:\s*0\.0\.0\.0\b/g, "address: 127.0.0.1");
}

interface WasmFilterConfig {
  name?: string;
  root_id?: string;
  failure_policy?: string;
  fail_open?: boolean;
  vm_config?: { runtime?: string; code?: { local?: { filename?: string } } };
  configuration?: { "@type"?: string; value?: string };
}

/** Every `envoy.filters.http.wasm` filter's `config` in an admin /config_dump. */
const WASM_TYPE = "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm";

function wasmFilterConfigs(node: unknown, found: WasmFilterConfig[] = []): WasmFilterConfig[] {
  if (Array.isArray(node)) {
    for (const item of node) wasmFilterConfigs(item, found);
  } else if (node !== null && typeof node === "object") {
    const record = node as Record<string, unknown>;
    const typed = record.typed_config as { "@type"?: string; config?: WasmFilterConfig } | undefined;
    // Inline (`name: envoy.filters.http.wasm`) or delivered by ECDS (a TypedExtensionConfig in
    // the dump's EcdsConfigDump, named after its http_filters entry).
    const isWasm = record.name === "envoy.filters.http.wasm" || typed?.["@type"] === WASM_TYPE;
    if (isWasm && typed?.config !== undefined) found.push(typed.config);
    for (const value of Object.values(record)) wasmFilterConfigs(value, found);
  }
  return found;
}

test("there are example configs in envoy/", () => {
  assert.ok(EXAMPLES.includes("dark-launch.yaml"), `envoy/ holds ${EXAMPLES.join(", ")}`);
  assert.ok(EXAMPLES.includes("demo.yaml"), `envoy/ holds ${EXAMPLES.join(", ")}`);
});

for (const file of EXAMPLES) {
  describe(`envoy/${file}`, () => {
    const relativePath = join("envoy", file);
    let workDir = "";
    let envoy: EnvoyFromFile | undefined;

    before(async () => {
      workDir = mkdtempSync(join(tmpdir(), "darklaunch-example-"));
      const copy = join(workDir, file);
      writeFileSync(copy, onFreeLoopbackPorts(readFileSync(join(PROJECT_ROOT, relativePath), "utf8")));
      envoy = await startEnvoyFromFile({ projectRoot: PROJECT_ROOT, configPath: copy, concurrency: 2 });
    });
    after(async () => {
      await envoy?.stop();
      if (workDir !== "") rmSync(workDir, { recursive: true, force: true });
    });

    test("envoy --mode validate accepts it, run from the project root", () => {
      const result = spawnSync(envoyBinary(), ["--mode", "validate", "-c", relativePath], {
        cwd: PROJECT_ROOT,
        encoding: "utf8",
      });
      const output = `${result.stdout}\n${result.stderr}`;
      assert.equal(result.status, 0, output.slice(-4000));
      assert.match(output, /configuration '.*' OK/);
    });

    test("its stats_config is the project's: the stats tags and the latency buckets", () => {
      const doc = parseYaml(readFileSync(join(PROJECT_ROOT, relativePath), "utf8")) as { stats_config?: unknown };
      assert.deepEqual(doc.stats_config, darklaunchStatsConfig());
    });

    test("loads the filter fail-open, root_id dark_launch, V8, from build/dark-launch.wasm", async () => {
      const dump: unknown = JSON.parse((await getText(`${envoy!.adminUrl}/config_dump`)).text);
      const filters = wasmFilterConfigs(dump);
      assert.ok(filters.length > 0, "no envoy.filters.http.wasm filter in the config");
      for (const config of filters) {
        assert.equal(config.root_id, "dark_launch");
        assert.equal(config.fail_open, true, "fail_open: true (see test/faults/failure-policy.test.ts)");
        assert.equal(config.failure_policy, undefined);
        assert.equal(config.vm_config?.runtime, "envoy.wasm.runtime.v8");
        assert.equal(config.vm_config?.code?.local?.filename, "build/dark-launch.wasm");
        assert.equal(config.configuration?.["@type"], "type.googleapis.com/google.protobuf.StringValue");
      }
    });

    test("the filter accepts the embedded configuration: every rule's stats exist at 0, labelled by rule", async () => {
      const dump: unknown = JSON.parse((await getText(`${envoy!.adminUrl}/config_dump`)).text);
      const ruleNames = wasmFilterConfigs(dump).flatMap((config) => {
        const parsed = JSON.parse(config.configuration?.value ?? "{}") as { rules?: Array<{ name: string }> };
        return (parsed.rules ?? []).map((rule) => rule.name);
      });
      assert.ok(ruleNames.length > 0, "the embedded configuration has no rules");

      const values = await statsValues(envoy!.adminUrl);
      const missing: string[] = [];
      const nonZero: string[] = [];
      for (const rule of ruleNames) {
        for (const suffix of [...counterSuffixes(), ...GAUGE_SUFFIXES]) {
          const value = values.get(statName(rule, suffix));
          if (value === undefined) missing.push(statName(rule, suffix));
          else if (value !== 0) nonZero.push(`${statName(rule, suffix)} = ${value}`);
        }
      }
      assert.deepEqual(missing, [], "stats missing at /stats (configuration refused, or not the filter?)");
      assert.deepEqual(nonZero, [], "no traffic was sent, yet");

      const prometheus = (await getText(`${envoy!.adminUrl}/stats/prometheus`)).text;
      for (const rule of ruleNames) {
        assert.match(prometheus, new RegExp(`^darklaunch_requests\\{rule="${rule}"\\} 0$`, "m"));
        assert.match(prometheus, new RegExp(`^darklaunch_skipped\\{rule="${rule}",reason="sampled_out"\\} 0$`, "m"));
        assert.match(prometheus, new RegExp(`^darklaunch_dark_latency_ms_bucket\\{rule="${rule}",le="46"\\} 0$`, "m"));
      }
    });
  });
}
