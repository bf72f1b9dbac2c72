// The two load shapes, each a bounded run of an external generator:
//   closed loop: wrk with N connections as fast as the server answers (maximum throughput);
//   open loop:   vegeta at a constant rate, whatever the latency (latency below the knee).
// Both optionally pinned to CPUs with taskset. Every child is tracked so that stopAllLoad()
// ends it on failure or Ctrl-C.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const WRK_REPORT_SCRIPT = fileURLToPath(new URL("./wrk-report.lua", import.meta.url));

const running = new Set<ChildProcess>();

/** Kills every load generator still running (SIGKILL: they hold no state worth saving). */
export function stopAllLoad(): void {
  for (const child of running) child.kill("SIGKILL");
}

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion, killing it if it is still running after `limitMs`. */
function runBounded(command: string, args: string[], cpus: string | null, limitMs: number, stdin?: string): Promise<Finished> {
  const [cmd, argv] = cpus === null ? [command, args] : ["taskset", ["-c", cpus, command, ...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: ["pipe", "pipe", "pipe"] });
    running.add(child);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
    const timer = setTimeout(() => {
      stderr += `\n[bench] ${command} still running after ${limitMs} ms: killed\n`;
      child.kill("SIGKILL");
    }, limitMs);
    child.once("error", (err) => {
      clearTimeout(timer);
      running.delete(child);
      reject(new Error(`cannot run ${command}: ${err.message}`));
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(stdin ?? "");
  });
}

export interface LatencyMs {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

// ---------------------------------------------------------------------------------------------
// Closed loop: wrk

export interface WrkOptions {
  url: string;
  connections: number;
  threads: number;
  durationS: number;
  cpus: string | null;
}

export interface WrkResult {
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  /** Connect/read/write/timeout errors plus responses with status ≥ 400. */
  errors: number;
  latencyMs: LatencyMs & { mean: number };
}

interface WrkJson {
  requests: number;
  durationUs: number;
  errors: Record<string, number>;
  latencyUs: { mean: number; p50: number; p90: number; p99: number; p999: number; max: number };
}

export async function runWrk(opts: WrkOptions): Promise<WrkResult> {
  const args = [
    `-t${opts.threads}`,
    `-c${opts.connections}`,
    `-d${opts.durationS}s`,
    "--latency",
    "--timeout",
    "5s",
    "-s",
    WRK_REPORT_SCRIPT,
    opts.url,
  ];
  const out = await runBounded("wrk", args, opts.cpus, (opts.durationS + 30) * 1000);
  const line = out.stdout.split("\n").find((l) => l.startsWith("WRK_JSON "));
  if (out.code !== 0 || line === undefined) {
    throw new Error(`wrk failed (exit ${out.code}):\n${out.stdout}\n${out.stderr}`);
  }
  const j = JSON.parse(line.slice("WRK_JSON ".length)) as WrkJson;
  const seconds = j.durationUs / 1e6;
  const us = (x: number): number => round3(x / 1000);
  return {
    requests: j.requests,
    seconds: round3(seconds),
    requestsPerSecond: Math.round(j.requests / seconds),
    errors: Object.values(j.errors).reduce((a, b) => a + b, 0),
    latencyMs: {
      mean: us(j.latencyUs.mean),
      p50: us(j.latencyUs.p50),
      p90: us(j.latencyUs.p90),
      p99: us(j.latencyUs.p99),
      p999: us(j.latencyUs.p999),
      max: us(j.latencyUs.max),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Open loop: vegeta

export interface VegetaOptions {
  vegeta: string;
  url: string;
  /** Requests per second. */
  rate: number;
  durationS: number;
  cpus: string | null;
  /** Scratch directory for the raw results (removed afterwards unless keepRaw). */
  workDir: string;
  name: string;
  keepRaw: boolean;
}

export interface VegetaResult {
  requests: number;
  /** Rate at which requests were actually sent (should equal the target rate). */
  sentPerSecond: number;
  /** Responses per second. */
  throughput: number;
  /** Requests that failed or answered other than 2xx. */
  errors: number;
  /** The first of those, for the warnings. */
  firstError: string | null;
  latencyMs: LatencyMs;
  rawFile: string | null;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export const VEGETA_WORKERS = 32;
export const VEGETA_MAX_WORKERS = 512;

/** Runs the attack, timed by `measure` (its start and stop bracket only the attack), then reads the results. */
export async function runVegeta<M>(opts: VegetaOptions, measure: { start(): void; stop(): M }): Promise<VegetaResult & { measured: M }> {
  const bin = join(opts.workDir, `${opts.name}.bin`);
  const csv = join(opts.workDir, `${opts.name}.csv`);
  measure.start();
  const attack = await runBounded(
    opts.vegeta,
    [
      "attack",
      `-rate=${opts.rate}/1s`,
      `-duration=${opts.durationS}s`,
      "-timeout=5s",
      "-max-body=0",
      "-keepalive=true",
      "-http2=false",
      `-workers=${VEGETA_WORKERS}`,
      // Past the knee vegeta adds a worker (and a connection) per late request; a bound keeps an
      // overloaded run from spiralling into thousands of connections (it then misses the rate).
      `-max-workers=${VEGETA_MAX_WORKERS}`,
      `-output=${bin}`,
    ],
    opts.cpus,
    (opts.durationS + 30) * 1000,
    `GET ${opts.url}\n`,
  );
  const measured = measure.stop();
  if (attack.code !== 0) throw new Error(`vegeta attack failed (exit ${attack.code}):\n${attack.stderr}`);
  const report = await runBounded(opts.vegeta, ["report", "-type=json", bin], opts.cpus, 60_000);
  const encode = await runBounded(opts.vegeta, ["encode", "-to=csv", `-output=${csv}`, bin], opts.cpus, 60_000);
  if (report.code !== 0 || encode.code !== 0) throw new Error(`vegeta report/encode failed:\n${report.stderr}\n${encode.stderr}`);
  const summary = JSON.parse(report.stdout) as { requests: number; rate: number; throughput: number };

  // CSV columns: timestamp, code, latency (ns), ... — the first three are never quoted.
  const lines = readFileSync(csv, "utf8").split("\n");
  const latencies = new Float64Array(lines.length);
  let n = 0;
  let errors = 0;
  let firstError: string | null = null;
  for (const line of lines) {
    if (line === "") continue;
    const c1 = line.indexOf(",");
    const c2 = line.indexOf(",", c1 + 1);
    const c3 = line.indexOf(",", c2 + 1);
    const code = Number(line.slice(c1 + 1, c2));
    if (code < 200 || code > 299) {
      errors++;
      // The error column follows bytes out and bytes in.
      firstError ??= `status ${code}: ${line.split(",").slice(5, 6).join("").slice(0, 200)}`;
    }
    latencies[n++] = Number(line.slice(c2 + 1, c3)) / 1e6;
  }
  const sorted = latencies.subarray(0, n).sort();
  rmSync(csv, { force: true });
  if (!opts.keepRaw) rmSync(bin, { force: true });
  return {
    requests: n,
    sentPerSecond: Math.round(summary.rate),
    throughput: Math.round(summary.throughput),
    errors,
    firstError,
    latencyMs: {
      p50: round3(percentile(sorted, 50)),
      p90: round3(percentile(sorted, 90)),
      p99: round3(percentile(sorted, 99)),
      p999: round3(percentile(sorted, 99.9)),
      max: round3(sorted[n - 1] ?? NaN),
    },
    rawFile: opts.keepRaw ? bin : null,
    measured,
  };
}
