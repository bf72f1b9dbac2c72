// Envoy with the dark-launch filter against Envoy without it and against Envoy's native
// mirroring, on the same machine and in turn:
//   A. no filter            B. native request_mirror_policies at 100% to the dark cluster
//   C. the filter, mirroring 100% and comparing status and body
//   D. the filter with its sample gate at 0% (the cost of evaluating the gates)
//   E. the filter in JSON mode on a 4 KiB body, gzip against identity
//   F. a proxy-wasm module written in WebAssembly text whose callbacks do nothing (D's floor)
//   G. a WebAssembly-text module that only hands the request headers to proxy_http_call (C's floor)
// With E, it then measures E's JSON comparison against V8's JSON.parse on the same bodies, in the
// filter (bench/wasm-profile.ts) and alone (bench/json-pair.ts), for issue 12's JSON goal.
// Each run: a fresh Envoy under test (pinned to its own CPU when there is one to spare) in front
// of direct-response upstreams, a closed-loop wrk run (maximum throughput) and an open-loop
// vegeta run at one fixed rate for all configurations (latency below the knee).
//
//   tsx bench/run.ts                 # 5 repetitions, ~13 minutes
//   tsx bench/run.ts --quick         # smoke run, under 2 minutes; numbers too short to judge by
//   tsx bench/run.ts --help          # every option
//
// Writes bench/results/bench-<date>.json (every run, the medians, the goals) and prints a summary.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import {
  FILTER_WASM_PATH,
  PROJECT_ROOT,
  envoyBinary,
  getText,
  renderBootstrap,
  startEnvoy,
  type BootstrapOptions,
  type EnvoyProcess,
} from "../tools/lib/envoy.ts";
import { readProcessMemory } from "../tools/lib/process-memory.ts";
import { startDirectUpstreams, type DirectUpstreams } from "./lib/direct-upstream.ts";
import { VEGETA_MAX_WORKERS, VEGETA_WORKERS, runVegeta, runWrk, stopAllLoad } from "./lib/load.ts";
import {
  CONFIG_IDS,
  CONFIG_TITLES,
  computeMedians,
  evaluateGoals,
  summaryMarkdown,
  type BenchResults,
  type JsonGoalMeasurements,
  type ConfigId,
  type PhaseCores,
  type Run,
} from "./lib/results.ts";
import { ensureBenchTools, VEGETA_VERSION } from "./setup.ts";
import { assembleFloors, wabtVersion, type Floor } from "./lib/floors.ts";
import type { JsonPairResult } from "./json-pair.ts";
import { get as httpGet } from "node:http";
import {
  BENCH_PATH,
  BODY_BYTES,
  JSON_BENCH_DARK_BODY,
  JSON_BENCH_PATH,
  JSON_BENCH_PRIMARY_BODY,
  RULE,
  benchFilterConfig,
  jsonBenchFilterConfig,
  noiseBenchFilterConfig,
  samplesBenchFilterConfig,
} from "./lib/workload.ts";
import { STATS_FLUSH_PERIOD_MS } from "../assembly/darklaunch/stats_names.ts";
import { busySecondsOf, cpuSeconds, describeMachine, loadAverage1m, peakRssBytes, pinProcess, planCpus } from "./lib/system.ts";

// ---------------------------------------------------------------------------------------------
// Options

const USAGE = `usage: tsx bench/run.ts [options]
  --quick                 smoke run: 1 repetition, short phases (under 2 minutes)
  --repetitions N         repetitions of every configuration (default 5; quick 1)
  --configs A,B,C,D,E,F,G configurations to run (default all seven)
  --concurrency N         --concurrency of the Envoy under test (default 1)
  --upstream-concurrency N  workers of the upstream Envoy (default 1)
  --connections N         wrk connections (default 32)
  --wrk-threads N         wrk threads (default 1)
  --warmup-seconds S      wrk warm-up per run, not recorded (default 3; quick 1)
  --closed-seconds S      closed-loop (wrk) phase (default 15; quick 4)
  --open-seconds S        open-loop (vegeta) phase (default 15; quick 4)
  --rate N                open-loop rate, req/s, the same for all configurations (default:
                          --rate-fraction × the calibrated maximum of the slowest configuration)
  --rate-fraction F       (default 0.25)
  --no-pin                do not pin with taskset
  --no-setup              do not check/install wrk and vegeta first
  --keep-raw              keep vegeta's raw results in bench/results/raw/
  --out FILE              results file (default bench/results/bench-<date>[-quick].json)
  --wasm FILE             the module C, D and E load instead of build/dark-launch.wasm (e.g. build/noop.wasm,
                          or build/floor-one-value.wasm, assembled with F and G)`;

interface Options {
  quick: boolean;
  repetitions: number;
  configs: ConfigId[];
  concurrency: number;
  upstreamConcurrency: number;
  connections: number;
  wrkThreads: number;
  warmupSeconds: number;
  closedSeconds: number;
  openSeconds: number;
  rate: number | null;
  rateFraction: number;
  pin: boolean;
  setup: boolean;
  keepRaw: boolean;
  out: string | null;
  /** Another filter module for C and D (e.g. build/noop.wasm), or null for build/dark-launch.wasm. */
  wasm: string | null;
}

function parseOptions(argv: string[]): Options {
  const flags = new Set(["--quick", "--no-pin", "--no-setup", "--keep-raw", "--help"]);
  const values = new Map<string, string>();
  const seen = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (flags.has(a)) {
      seen.add(a);
    } else if (a.startsWith("--") && i + 1 < argv.length) {
      values.set(a, argv[++i]!);
    } else {
      throw new Error(`unknown or incomplete argument ${JSON.stringify(a)}\n${USAGE}`);
    }
  }
  if (seen.has("--help")) {
    console.log(USAGE);
    process.exit(0);
  }
  const known = [
    "--repetitions",
    "--configs",
    "--concurrency",
    "--upstream-concurrency",
    "--connections",
    "--wrk-threads",
    "--warmup-seconds",
    "--closed-seconds",
    "--open-seconds",
    "--rate",
    "--rate-fraction",
    "--out",
    "--wasm",
  ];
  for (const k of values.keys()) if (!known.includes(k)) throw new Error(`unknown option ${k}\n${USAGE}`);
  const quick = seen.has("--quick");
  const num = (name: string, fallback: number, min: number): number => {
    const v = values.get(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) throw new Error(`${name} must be a number ≥ ${min} (got ${v})`);
    return n;
  };
  const configs = (values.get("--configs") ?? CONFIG_IDS.join(",")).split(",").map((c) => c.trim().toUpperCase());
  for (const c of configs) if (!(CONFIG_IDS as readonly string[]).includes(c)) throw new Error(`--configs: unknown configuration ${c}`);
  return {
    quick,
    repetitions: Math.floor(num("--repetitions", quick ? 1 : 5, 1)),
    configs: configs as ConfigId[],
    concurrency: Math.floor(num("--concurrency", 1, 1)),
    upstreamConcurrency: Math.floor(num("--upstream-concurrency", 1, 1)),
    connections: Math.floor(num("--connections", 32, 1)),
    wrkThreads: Math.floor(num("--wrk-threads", 1, 1)),
    warmupSeconds: num("--warmup-seconds", quick ? 1 : 3, 0),
    closedSeconds: Math.floor(num("--closed-seconds", quick ? 4 : 15, 1)),
    openSeconds: Math.floor(num("--open-seconds", quick ? 4 : 15, 1)),
    rate: values.has("--rate") ? Math.floor(num("--rate", 0, 1)) : null,
    rateFraction: num("--rate-fraction", 0.25, 0.01),
    pin: !seen.has("--no-pin"),
    setup: !seen.has("--no-setup"),
    keepRaw: seen.has("--keep-raw"),
    out: values.get("--out") ?? null,
    wasm: values.get("--wasm") ?? null,
  };
}

// ---------------------------------------------------------------------------------------------
// The configurations

/** The WebAssembly-text floors, assembled at start (bench/lib/floors.ts). */
let floors: Record<"noop" | "mirror" | "one-value", Floor> | null = null;

/** What each configuration adds to the bootstrap; the dark cluster is always defined. */
function configurationExtras(
  id: ConfigId,
  wasm: string | null = null,
): Pick<BootstrapOptions, "filterConfig" | "mirrorPolicies" | "wasmPath"> {
  switch (id) {
    case "A":
      return { filterConfig: null };
    case "B":
      return { filterConfig: null, mirrorPolicies: [{ cluster: "dark", percent: 100 }] };
    case "C":
      return { filterConfig: benchFilterConfig(100), ...(wasm ? { wasmPath: wasm } : {}) };
    case "D":
      return { filterConfig: benchFilterConfig(0), ...(wasm ? { wasmPath: wasm } : {}) };
    case "E":
      return { filterConfig: jsonBenchFilterConfig(), ...(wasm ? { wasmPath: wasm } : {}) };
    // The floors get D's and C's configuration text (they never read it), so the bootstraps differ
    // only in the module.
    case "F":
      return { filterConfig: benchFilterConfig(0), wasmPath: relative(PROJECT_ROOT, floors!.noop.wasmPath) };
    case "G":
      return { filterConfig: benchFilterConfig(100), wasmPath: relative(PROJECT_ROOT, floors!.mirror.wasmPath) };
    case "H":
      return { filterConfig: noiseBenchFilterConfig(), ...(wasm ? { wasmPath: wasm } : {}) };
    case "I":
      return { filterConfig: samplesBenchFilterConfig(), ...(wasm ? { wasmPath: wasm } : {}) };
  }
}

/** The module path resolved against the project (the results file keeps it relative). */
function absoluteWasm<T extends { wasmPath?: string }>(extras: T): T {
  return extras.wasmPath === undefined ? extras : { ...extras, wasmPath: resolve(PROJECT_ROOT, extras.wasmPath) };
}

/** GET `url` on a fresh connection: the status and the number of body bytes (binary bodies too). */
function getBytes(url: string): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = httpGet(url, { agent: false }, (res) => {
      let bytes = 0;
      res.on("data", (c: Buffer) => (bytes += c.length));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, bytes }));
      res.on("error", reject);
    });
    req.setTimeout(5000, () => req.destroy(new Error(`no answer from ${url}`)));
    req.on("error", reject);
  });
}

/** The path the load generators request: E has its own JSON answers. */
function pathOf(id: ConfigId): string {
  return id === "E" ? JSON_BENCH_PATH : BENCH_PATH;
}

/** What the probe must get back: E's gzip JSON, else the 1 KiB body. */
function expectedProbeBytes(id: ConfigId): number {
  return id === "E" ? JSON_BENCH_PRIMARY_BODY.length : BODY_BYTES;
}

// ---------------------------------------------------------------------------------------------
// Processes and cleanup

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const envoys = new Set<EnvoyProcess | DirectUpstreams>();
const scratchDirs = new Set<string>();
/** Set by Ctrl-C / SIGTERM: nothing new is started any more. */
let interrupted = false;

/** Processes being started: stopEverything waits for them, so a Ctrl-C during a start still stops them. */
const starting = new Set<Promise<unknown>>();

/** Registers a process as soon as it has started (before the caller resumes). */
function tracked<T extends EnvoyProcess | DirectUpstreams>(start: Promise<T>): Promise<T> {
  const p = start.then((proc) => {
    envoys.add(proc);
    return proc;
  });
  const settled = p.catch(() => undefined).finally(() => starting.delete(settled));
  starting.add(settled);
  return p;
}

async function stopEverything(): Promise<void> {
  stopAllLoad();
  await Promise.all([...starting]);
  await Promise.all([...envoys].map((e) => e.stop().catch(() => undefined)));
  envoys.clear();
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
  scratchDirs.clear();
}

function installSignalHandlers(): void {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      interrupted = true;
      console.error(`\nbench: ${signal}: stopping every process started…`);
      void stopEverything().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
    });
  }
}

function checkInterrupted(): void {
  if (interrupted) throw new Error("interrupted");
}

async function counters(adminUrl: string): Promise<Record<string, number>> {
  const filter = encodeURIComponent("^(cluster\\.(primary|dark)\\.upstream_rq_total|wasmcustom\\.darklaunch\\.)");
  const res = await getText(`${adminUrl}/stats?filter=${filter}`);
  const out: Record<string, number> = {};
  for (const line of res.text.split("\n")) {
    const m = /^(\S+): (\d+)$/.exec(line.trim());
    if (m && (Number(m[2]) !== 0 || m[1]!.startsWith("cluster."))) out[m[1]!] = Number(m[2]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// One run

interface Context {
  opts: Options;
  upstreams: DirectUpstreams;
  envoyCpus: string | null;
  loadCpus: string | null;
  vegeta: string;
  rawDir: string;
  keepRawDir: string;
}

async function startUnderTest(ctx: Context, id: ConfigId): Promise<EnvoyProcess> {
  checkInterrupted();
  const port = ctx.upstreams.ports.primary!;
  const envoy = await tracked(
    startEnvoy({
      // The dark cluster points at the same direct-response listener as the primary, so that the
      // dark response equals the primary one and C counts matches (the common case).
      // The noise (H) and collector (I) clusters point there too: every answer is a 200.
      bootstrap: renderBootstrap({
        primaryPort: port,
        clusters: { dark: port, noise: port, collector: port },
        ...absoluteWasm(configurationExtras(id, ctx.opts.wasm)),
      }),
      concurrency: ctx.opts.concurrency,
      logLevel: "warn",
    }),
  );
  checkInterrupted();
  if (ctx.envoyCpus !== null) pinProcess(envoy.pid, ctx.envoyCpus);
  const probe = await getBytes(envoy.url + pathOf(id));
  if (probe.status !== 200 || probe.bytes !== expectedProbeBytes(id)) {
    await stopUnderTest(envoy);
    throw new Error(`configuration ${id}: probe answered ${probe.status} with ${probe.bytes} bytes`);
  }
  return envoy;
}

async function stopUnderTest(envoy: EnvoyProcess): Promise<void> {
  await envoy.stop();
  envoys.delete(envoy);
}

/**
 * CPU use during one phase: the Envoy under test and the upstream (from /proc/<pid>/stat), and the
 * busy time of the Envoy's pinned CPUs and of the load CPUs (from /proc/stat).
 */
class CpuMeter {
  private envoy0 = 0;
  private upstream0 = 0;
  private envoyCpusBusy0 = 0;
  private loadCpusBusy0 = 0;
  private t0 = 0;

  constructor(
    private readonly envoyPid: number,
    private readonly upstreamPid: number,
    private readonly envoyCpus: string | null,
    private readonly loadCpus: string | null,
  ) {}

  start(): void {
    this.envoy0 = cpuSeconds(this.envoyPid);
    this.upstream0 = cpuSeconds(this.upstreamPid);
    this.envoyCpusBusy0 = this.envoyCpus === null ? 0 : busySecondsOf(this.envoyCpus);
    this.loadCpusBusy0 = this.loadCpus === null ? 0 : busySecondsOf(this.loadCpus);
    this.t0 = performance.now();
  }

  stop(): { envoySeconds: number; cores: PhaseCores } {
    const wall = (performance.now() - this.t0) / 1000;
    const envoy = cpuSeconds(this.envoyPid) - this.envoy0;
    const upstream = cpuSeconds(this.upstreamPid) - this.upstream0;
    const cores = (seconds: number): number => Math.round((seconds / wall) * 100) / 100;
    return {
      envoySeconds: envoy,
      cores: {
        envoyCpuCores: cores(envoy),
        upstreamCpuCores: cores(upstream),
        // Work on the Envoy's own CPUs that is not the Envoy's: other processes competing for them.
        foreignCpuCores: this.envoyCpus === null ? NaN : cores(Math.max(0, busySecondsOf(this.envoyCpus) - this.envoyCpusBusy0 - envoy)),
        loadCpuCores: this.loadCpus === null ? NaN : cores(busySecondsOf(this.loadCpus) - this.loadCpusBusy0),
      },
    };
  }
}

const perTenK = (cpu: number, requests: number): number => Math.round((cpu / requests) * 1e4 * 1000) / 1000;

async function measure(ctx: Context, id: ConfigId, repetition: number, rate: number): Promise<Run> {
  const { opts } = ctx;
  const startedAt = new Date().toISOString();
  const envoy = await startUnderTest(ctx, id);
  try {
    const url = envoy.url + pathOf(id);
    const wrkBase = { url, connections: opts.connections, threads: opts.wrkThreads, cpus: ctx.loadCpus };
    if (opts.warmupSeconds > 0) await runWrk({ ...wrkBase, durationS: Math.max(1, Math.round(opts.warmupSeconds)) });

    const meter = new CpuMeter(envoy.pid, ctx.upstreams.envoy.pid, ctx.envoyCpus, ctx.loadCpus);
    meter.start();
    const wrk = await runWrk({ ...wrkBase, durationS: opts.closedSeconds });
    const closedCpu = meter.stop();
    const closed = { ...wrk, cpuSecondsPer10k: perTenK(closedCpu.envoySeconds, wrk.requests), ...closedCpu.cores };

    await sleep(500); // dark calls of the closed loop finish
    const vegeta = await runVegeta(
      {
        vegeta: ctx.vegeta,
        url,
        rate,
        durationS: opts.openSeconds,
        cpus: ctx.loadCpus,
        workDir: opts.keepRaw ? ctx.keepRawDir : ctx.rawDir,
        name: `${startedAt.replace(/[:.]/g, "-")}-${id}-${repetition}`,
        keepRaw: opts.keepRaw,
      },
      meter,
    );
    const { measured: openCpu, ...openResult } = vegeta;
    const open = { ...openResult, cpuSecondsPer10k: perTenK(openCpu.envoySeconds, vegeta.requests), ...openCpu.cores };

    // The last dark calls finish, and the filter's workers hand their counts to Envoy (every
    // STATS_FLUSH_PERIOD_MS), before the counters are read.
    await sleep(1000 + 2 * STATS_FLUSH_PERIOD_MS);
    const stats = await counters(envoy.adminUrl);
    const memory = readProcessMemory(envoy.pid);
    const primary = stats["cluster.primary.upstream_rq_total"] ?? 0;
    const dark = stats["cluster.dark.upstream_rq_total"] ?? 0;
    const mirroredPerRequest = primary === 0 ? 0 : Math.round((dark / primary) * 10000) / 10000;

    const warnings: string[] = [];
    if (wrk.errors > 0) warnings.push(`wrk: ${wrk.errors} errors`);
    if (vegeta.errors > 0) warnings.push(`vegeta: ${vegeta.errors} errors (first: ${vegeta.firstError})`);
    if (vegeta.throughput < rate * 0.97) warnings.push(`open loop answered ${vegeta.throughput} req/s of ${rate}: past the knee`);
    const expectMirror = id === "B" || id === "C" || id === "E" || id === "G" || id === "H" || id === "I";
    if (expectMirror ? mirroredPerRequest < 0.999 : mirroredPerRequest > 0) {
      warnings.push(`mirrored ${mirroredPerRequest} dark requests per request (expected ${expectMirror ? 1 : 0})`);
    }
    if ((id === "C" || id === "E" || id === "H" || id === "I") && (stats[`wasmcustom.darklaunch.${RULE}.compare.match`] ?? 0) === 0)
      warnings.push("no compare.match counted");
    if (id === "H" && (stats[`wasmcustom.darklaunch.${RULE}.noise.match`] ?? 0) === 0) warnings.push("no noise.match counted");
    if (id === "I" && (stats["wasmcustom.darklaunch.samples.sent"] ?? 0) === 0) warnings.push("no sample sent");
    if (id === "E" && (stats[`wasmcustom.darklaunch.${RULE}.compare.mismatch.body`] ?? 0) > 0)
      warnings.push("JSON bodies counted as different");
    const foreign = Math.max(closed.foreignCpuCores, open.foreignCpuCores);
    const loadCpuCount = ctx.loadCpus === null ? 0 : ctx.loadCpus.split(",").length;
    if (closed.envoyCpuCores < 0.85 * opts.concurrency) {
      warnings.push(
        `Envoy under test only ${closed.envoyCpuCores} cores busy in the closed loop: not the bottleneck` +
          (ctx.loadCpus === null
            ? ""
            : ` (load CPUs ${closed.loadCpuCores}/${loadCpuCount} busy, others on its CPU ${closed.foreignCpuCores})`),
      );
    }
    if (open.loadCpuCores > 0.9 * loadCpuCount) {
      warnings.push(`load CPUs ${open.loadCpuCores}/${loadCpuCount} busy in the open loop: latencies include the generator's queueing`);
    }
    if (foreign > 0.1) warnings.push(`other processes took up to ${foreign} cores of the Envoy's CPUs (noisy run)`);
    if (closed.upstreamCpuCores > 0.9 * opts.upstreamConcurrency)
      warnings.push(`upstream busy (${closed.upstreamCpuCores} cores): it may be the bottleneck`);

    return {
      repetition,
      config: id,
      startedAt,
      closed,
      open,
      peakRssMiB: Math.round((peakRssBytes(envoy.pid) / 1024 / 1024) * 10) / 10,
      wasmMemoryMiB: Math.round((memory.wasmMemoryBytes.reduce((a, b) => a + b, 0) / 1024 / 1024) * 10) / 10,
      stats,
      mirroredPerRequest,
      warnings,
    };
  } finally {
    await stopUnderTest(envoy);
  }
}

/** A configuration's maximum throughput from a short closed-loop run. */
async function calibrate(ctx: Context, id: ConfigId): Promise<number> {
  const envoy = await startUnderTest(ctx, id);
  try {
    const base = { url: envoy.url + pathOf(id), connections: ctx.opts.connections, threads: ctx.opts.wrkThreads, cpus: ctx.loadCpus };
    await runWrk({ ...base, durationS: 1 });
    const r = await runWrk({ ...base, durationS: ctx.opts.quick ? 2 : 5 });
    return r.requestsPerSecond;
  } finally {
    await stopUnderTest(envoy);
  }
}

// ---------------------------------------------------------------------------------------------

function versions(vegeta: string): Record<string, string> {
  const envoyOut = execFileSync(envoyBinary(), ["--version"], { encoding: "utf8" });
  const wrkOut = execFileSync("sh", ["-c", "wrk --version 2>&1 || true"], { encoding: "utf8" });
  let vegetaVersion = VEGETA_VERSION;
  try {
    const m = /\tmod\t\S+\t(\S+)/.exec(execFileSync("go", ["version", "-m", vegeta], { encoding: "utf8" }));
    if (m) vegetaVersion = m[1]!;
  } catch {
    // Without Go, the pinned version is what bench/setup.ts installs.
  }
  // Which filter build and which source were measured (others may rebuild between runs).
  const wasm = readFileSync(FILTER_WASM_PATH);
  let git = "unknown";
  try {
    const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: PROJECT_ROOT, encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "assembly"], { cwd: PROJECT_ROOT, encoding: "utf8" }).trim() !== "";
    git = `${head}${dirty ? " (assembly/ modified)" : ""}`;
  } catch {
    // Not a git checkout.
  }
  const floorVersions: Record<string, string> = {};
  if (floors !== null) {
    for (const f of Object.values(floors))
      floorVersions[relative(PROJECT_ROOT, f.wasmPath)] = `from ${f.source} sha256:${f.sha256} (${f.bytes} bytes)`;
    floorVersions.wabt = wabtVersion();
  }
  return {
    ...floorVersions,
    filter: `${relative(PROJECT_ROOT, FILTER_WASM_PATH)} sha256:${createHash("sha256").update(wasm).digest("hex").slice(0, 16)} (${wasm.length} bytes)`,
    commit: git,
    envoy: /version: \S+?\/([^/\s]+)\//.exec(envoyOut)?.[1] ?? envoyOut.trim(),
    node: process.version,
    wrk: /^wrk (\S+)/.exec(wrkOut)?.[1] ?? "unknown",
    vegeta: vegetaVersion,
  };
}

function orderFor(configs: ConfigId[], repetition: number): ConfigId[] {
  // Rotate per repetition (ABCD, BCDA, CDAB, …): slow drift of the machine spreads over all.
  const k = (repetition - 1) % configs.length;
  return [...configs.slice(k), ...configs.slice(0, k)];
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const tools = opts.setup ? ensureBenchTools() : { wrk: "wrk", vegeta: join(PROJECT_ROOT, "bench", ".bin", "vegeta") };
  if (!existsSync(FILTER_WASM_PATH)) throw new Error(`${relative(PROJECT_ROOT, FILTER_WASM_PATH)} is missing: run npm run build first`);
  if (opts.configs.includes("F") || opts.configs.includes("G")) floors = await assembleFloors();
  const versionInfo = versions(tools.vegeta);
  installSignalHandlers();

  const machine = describeMachine();
  if (machine.loadAverageAtStart[0]! > 0.5) {
    console.warn(`bench: warning: load average ${machine.loadAverageAtStart[0]} — other work on this machine makes the numbers noisy`);
  }
  const { plan, why } = planCpus(opts.concurrency, opts.pin);
  if (plan === null) console.warn(`bench: ${why}`);
  else {
    console.log(`bench: Envoy under test on CPU ${plan.envoyCpus}; load generators, upstreams and this script on CPU ${plan.loadCpus}`);
    pinProcess(process.pid, plan.loadCpus);
  }

  const keepRawDir = join(PROJECT_ROOT, "bench", "results", "raw");
  if (opts.keepRaw) mkdirSync(keepRawDir, { recursive: true });
  const rawDir = mkdtempSync(join(tmpdir(), "darklaunch-bench-"));
  scratchDirs.add(rawDir);
  const runs: Run[] = [];
  let rate: number;
  let rateSource: string;
  const calibration: Partial<Record<ConfigId, number>> = {};
  const order: string[] = [];
  try {
    const upstreams = await tracked(
      startDirectUpstreams(["primary"], BODY_BYTES, opts.upstreamConcurrency, {
        prefix: JSON_BENCH_PATH,
        primary: { body: JSON_BENCH_PRIMARY_BODY, headers: { "content-type": "application/json", "content-encoding": "gzip" } },
        dark: { body: JSON_BENCH_DARK_BODY, headers: { "content-type": "application/json" } },
      }),
    );
    checkInterrupted();
    if (plan !== null) pinProcess(upstreams.envoy.pid, plan.loadCpus);
    const ctx: Context = {
      opts,
      upstreams,
      envoyCpus: plan?.envoyCpus ?? null,
      loadCpus: plan?.loadCpus ?? null,
      vegeta: tools.vegeta,
      rawDir,
      keepRawDir,
    };
    if (opts.rate !== null) {
      rate = opts.rate;
      rateSource = "--rate";
    } else {
      // One rate for all, below the knee of each: a fraction of the slowest one's maximum. A
      // quarter, not a half: at half of C's maximum this 2-vCPU VM already queued (B and C had
      // open-loop p90s of 15-60 ms at 4000 req/s, p99 1.6-1.7 ms at 2000; bench/README.md).
      for (const id of opts.configs) calibration[id] = await calibrate(ctx, id);
      const [slowest, max] = Object.entries(calibration).sort((a, b) => a[1] - b[1])[0]!;
      rate = Math.max(100, Math.round((max * opts.rateFraction) / 100) * 100);
      rateSource = `${opts.rateFraction} × the slowest configuration's calibrated maximum (${slowest}: ${max} req/s)`;
      console.log(`bench: calibration (closed loop, req/s): ${JSON.stringify(calibration)}`);
    }
    console.log(`bench: open-loop rate ${rate} req/s (${rateSource})`);
    for (let rep = 1; rep <= opts.repetitions; rep++) {
      const configs = orderFor(opts.configs, rep);
      order.push(configs.join(""));
      for (const id of configs) {
        let run: Run;
        try {
          run = await measure(ctx, id, rep, rate);
        } catch (err) {
          checkInterrupted();
          // One retry: a port taken by someone else or a slow start must not waste a long run.
          console.warn(`bench: rep ${rep} ${id} failed, retrying once: ${(err as Error).message.split("\n")[0]}`);
          run = await measure(ctx, id, rep, rate);
          run.warnings.push(`retried after: ${(err as Error).message.split("\n")[0]}`);
        }
        runs.push(run);
        console.log(
          `rep ${rep} ${id} (${CONFIG_TITLES[id]}): closed ${run.closed.requestsPerSecond} req/s p99 ${run.closed.latencyMs.p99} ms, ` +
            `open p50 ${run.open.latencyMs.p50} p99 ${run.open.latencyMs.p99} p99.9 ${run.open.latencyMs.p999} ms, ` +
            `cpu ${run.closed.cpuSecondsPer10k}/${run.open.cpuSecondsPer10k} s/10k, rss ${run.peakRssMiB} MiB` +
            (run.warnings.length > 0 ? `  [${run.warnings.join("; ")}]` : ""),
        );
      }
    }
  } finally {
    await stopEverything();
  }

  const medians = computeMedians(runs);
  const json = opts.configs.includes("E") ? measureJsonGoal(opts.quick) : undefined;
  const date = new Date().toISOString();
  const results: BenchResults = {
    schema: 1,
    date,
    quick: opts.quick,
    argv: ["tsx", "bench/run.ts", ...process.argv.slice(2)],
    options: {
      repetitions: opts.repetitions,
      concurrency: opts.concurrency,
      upstreamConcurrency: opts.upstreamConcurrency,
      connections: opts.connections,
      wrkThreads: opts.wrkThreads,
      warmupSeconds: opts.warmupSeconds,
      closedSeconds: opts.closedSeconds,
      openSeconds: opts.openSeconds,
      rate,
      rateSource,
      calibration,
      bodyBytes: BODY_BYTES,
      pinning: plan,
      pinningNote: why,
      order: order.join(" "),
    },
    machine: { ...machine, loadAverageAtEnd: [loadAverage1m()] },
    versions: versionInfo,
    commands: {
      closed: `wrk -t${opts.wrkThreads} -c${opts.connections} -d${opts.closedSeconds}s --latency -s bench/lib/wrk-report.lua <url>`,
      open: `vegeta attack -rate=${rate}/1s -duration=${opts.openSeconds}s -keepalive=true -max-body=0 -workers=${VEGETA_WORKERS} -max-workers=${VEGETA_MAX_WORKERS}`,
    },
    configurations: Object.fromEntries(
      opts.configs.map((id) => [id, { title: CONFIG_TITLES[id], bootstrapExtras: configurationExtras(id, opts.wasm) }]),
    ),
    runs,
    medians,
    ...(json ? { json } : {}),
    goals: evaluateGoals(medians, json),
  };
  const outFile =
    opts.out ?? join(PROJECT_ROOT, "bench", "results", `bench-${date.slice(0, 16).replace(":", "")}${opts.quick ? "-quick" : ""}.json`);
  mkdirSync(join(outFile, ".."), { recursive: true });
  writeFileSync(outFile, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\n${summaryMarkdown(results)}\n\nbench: results in ${relative(process.cwd(), outFile)}`);
}

/**
 * Issue 12's JSON goal on bench E's bodies, each measurement in a process of its own after the
 * Envoy runs: inside the filter (the Wasm profile) and alone (bench/json-pair.ts).
 */
function measureJsonGoal(quick: boolean): JsonGoalMeasurements {
  const dir = mkdtempSync(join(tmpdir(), "darklaunch-bench-json-"));
  try {
    const rounds = quick ? 1 : 5;
    const requests = quick ? 5000 : 20000;
    console.log(
      `bench: JSON comparison vs JSON.parse on E's bodies (in the filter: ${rounds} profiled round(s) of ${requests} requests; alone: bench/json-pair.ts)`,
    );
    const tsx = (script: string, args: string[]): void => {
      execFileSync(process.execPath, ["--import", "tsx", script, ...args], { cwd: PROJECT_ROOT, stdio: "inherit" });
    };
    const profileFile = join(dir, "profile.json");
    tsx("bench/wasm-profile.ts", ["--config", "E", "--rounds", String(rounds), "--requests", String(requests), "--json", profileFile]);
    const profile = JSON.parse(readFileSync(profileFile, "utf8")) as {
      jsonComparison: { usPerPair: { filterJson: number; jsonParse: number }; speedVsJsonParse: { filterJson: number } };
    };
    const aloneFile = join(dir, "alone.json");
    tsx("bench/json-pair.ts", ["--seconds", quick ? "2" : "6", "--json", aloneFile]); // builds its module first
    const alone = JSON.parse(readFileSync(aloneFile, "utf8")) as JsonPairResult;
    const c = profile.jsonComparison;
    return {
      inFilter: {
        rounds,
        requestsPerRound: requests,
        filterJsonUsPerPair: Math.round(c.usPerPair.filterJson * 100) / 100,
        jsonParseUsPerPair: Math.round(c.usPerPair.jsonParse * 100) / 100,
        speedVsJsonParse: c.speedVsJsonParse.filterJson,
      },
      alone: {
        rounds: alone.rounds,
        compareUsPerPair: alone.usPerPair.compare,
        jsonParseUsPerPair: alone.usPerPair.jsonParse,
        speedVsJsonParse: alone.speedVsJsonParse,
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch(async (err: unknown) => {
  if (interrupted) return; // the signal handler is stopping everything and exits
  await stopEverything();
  console.error(`bench: error: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
