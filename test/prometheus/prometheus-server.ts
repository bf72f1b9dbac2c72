// A real Prometheus server for tests (the Debian package `prometheus`, found on PATH): a temp
// config that scrapes given targets every second and evaluates given rule files every second,
// a temp TSDB, a free port on 127.0.0.1, the HTTP API, and a stop that always cleans up.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getText } from "../../tools/lib/envoy.js";

export interface ScrapeTarget {
  job: string;
  /** host:port */
  address: string;
  metricsPath: string;
}

export interface PrometheusOptions {
  targets: ScrapeTarget[];
  /** Absolute paths of rule files. */
  ruleFiles: string[];
  /** How long to wait for /-/ready; default 20000 ms. */
  readyTimeoutMs?: number;
}

export interface Sample {
  metric: Record<string, string>;
  value: number;
}

export interface PromAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: "pending" | "firing" | "inactive";
}

export interface PrometheusServer {
  url: string;
  /** Instant query; the result vector with numeric values (NaN stays NaN). */
  query(expr: string): Promise<Sample[]>;
  /** Active alerts (pending and firing). */
  alerts(): Promise<PromAlert[]>;
  /** Every metric name Prometheus has. */
  metricNames(): Promise<string[]>;
  logs(): string;
  /** SIGTERM, then SIGKILL after 5 s; removes the temp dir. Safe to call more than once. */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** A free TCP port on 127.0.0.1 (the OS picks it; it is released again right away). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

function renderConfig(opts: PrometheusOptions): string {
  // JSON is YAML: no YAML writer needed.
  return JSON.stringify(
    {
      global: { scrape_interval: "1s", scrape_timeout: "1s", evaluation_interval: "1s" },
      rule_files: opts.ruleFiles,
      scrape_configs: opts.targets.map((t) => ({
        job_name: t.job,
        metrics_path: t.metricsPath,
        static_configs: [{ targets: [t.address] }],
      })),
    },
    null,
    2,
  );
}

async function apiGet<T>(url: string): Promise<T> {
  const res = await getText(url, 5000);
  const body = JSON.parse(res.text) as { status: string; data: T; error?: string };
  if (res.status !== 200 || body.status !== "success") {
    throw new Error(`Prometheus API ${url}: HTTP ${res.status} ${body.error ?? res.text.slice(0, 500)}`);
  }
  return body.data;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function startPrometheus(opts: PrometheusOptions): Promise<PrometheusServer> {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", () => {
      for (const child of live) child.kill("SIGKILL");
    });
  }
  const dir = mkdtempSync(join(tmpdir(), "darklaunch-prometheus-"));
  const configPath = join(dir, "prometheus.yml");
  writeFileSync(configPath, renderConfig(opts));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    "prometheus",
    [
      `--config.file=${configPath}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=info",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  live.add(child);
  let log = "";
  child.stdout!.on("data", (c: Buffer) => (log += c.toString("utf8")));
  child.stderr!.on("data", (c: Buffer) => (log += c.toString("utf8")));
  const exited = new Promise<void>((resolveExit) => {
    child.once("exit", () => {
      live.delete(child);
      resolveExit();
    });
    child.once("error", (err) => {
      live.delete(child);
      log += `\n[harness] spawn failed: ${err.message}\n`;
      if ((err as NodeJS.ErrnoException).code === "ENOENT") {
        log += "[harness] prometheus not found on PATH: install the Debian package `prometheus`\n";
      }
      resolveExit();
    });
  });
  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        child.kill("SIGTERM");
        let timer: NodeJS.Timeout | undefined;
        const done = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 5000)))]);
        clearTimeout(timer);
        if (!done) {
          child.kill("SIGKILL");
          await exited;
        }
      }
      rmSync(dir, { recursive: true, force: true });
    })());

  const server: PrometheusServer = {
    url,
    query: async (expr) => {
      const data = await apiGet<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(
        `${url}/api/v1/query?query=${encodeURIComponent(expr)}`,
      );
      return data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    },
    alerts: async () => (await apiGet<{ alerts: PromAlert[] }>(`${url}/api/v1/alerts`)).alerts,
    metricNames: () => apiGet<string[]>(`${url}/api/v1/label/__name__/values`),
    logs: () => log,
    stop,
  };

  // Ready once /-/ready answers 200; fail fast if the process ended (bad config, no binary).
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 20000);
  let ended = false;
  void exited.then(() => (ended = true));
  while (!ended && Date.now() < deadline) {
    try {
      const res = await getText(`${url}/-/ready`, 1000);
      if (res.status === 200) return server;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  await stop();
  throw new Error(`Prometheus did not become ready (${ended ? "it exited" : "timeout"}); log:\n${log.slice(-4000)}`);
}
