// The results file: its shape, the medians over repetitions, the ratios against A and B, the
// goals of issue 5, and the tables printed by bench/run.ts and written into bench/README.md.
import type { VegetaResult, WrkResult } from "./load.ts";
import type { MachineInfo } from "./system.ts";

export const CONFIG_IDS = ["A", "B", "C", "D", "E", "F", "G", "H", "I"] as const;
export type ConfigId = (typeof CONFIG_IDS)[number];

export const CONFIG_TITLES: Record<ConfigId, string> = {
  A: "no filter",
  B: "native request_mirror_policies 100%",
  C: "filter: mirror 100% + compare status, body",
  D: "filter: sample gate 0%",
  E: "filter: mirror 100% + compare JSON (4 KiB, gzip vs identity, 3 ignored paths)",
  F: "floor: WebAssembly-text module, every callback empty",
  G: "floor: WebAssembly-text module, request headers to proxy_http_call",
  H: "filter: C + a noise cluster (a second copy, compared too)",
  I: "filter: C + samples (every pair sampled, budget 1000/s)",
};

/** CPU use during a phase, in cores (CPU seconds per wall second; 1.0 = one CPU busy). */
export interface PhaseCores {
  /** The Envoy under test. Below ~0.9 × its --concurrency in the closed loop: it was not the bottleneck. */
  envoyCpuCores: number;
  /** The upstream Envoy (close to its worker count: the upstream is a bottleneck). */
  upstreamCpuCores: number;
  /**
   * Busy time of the Envoy's pinned CPUs not spent by the Envoy: other processes (or the kernel
   * for them) competing with it. Near 0 on a quiet machine; NaN when unpinned.
   */
  foreignCpuCores: number;
  /** Busy time of the load CPUs (generator, upstream, anything else); NaN when unpinned. */
  loadCpuCores: number;
}

export interface ClosedLoopRun extends WrkResult, PhaseCores {
  /** CPU seconds (user + system) of the Envoy under test per 10,000 requests. */
  cpuSecondsPer10k: number;
}

export interface OpenLoopRun extends VegetaResult, PhaseCores {
  cpuSecondsPer10k: number;
}

export interface Run {
  repetition: number;
  config: ConfigId;
  startedAt: string;
  closed: ClosedLoopRun;
  open: OpenLoopRun;
  /** VmHWM of the Envoy under test at the end of the run. */
  peakRssMiB: number;
  /** Linear memory of the Wasm VMs in it (C, D). */
  wasmMemoryMiB: number;
  /** Counters read from the admin endpoint after the run (upstream requests, the filter's stats). */
  stats: Record<string, number>;
  /** Dark requests per primary request, from the cluster counters (expected: A, D 0; B, C 1). */
  mirroredPerRequest: number;
  /** Problems that make this run doubtful (errors, a missed rate, an unexpected mirror share). */
  warnings: string[];
}

export interface Medians {
  closedRps: number;
  closedP50: number;
  closedP99: number;
  closedP999: number;
  openP50: number;
  openP90: number;
  openP99: number;
  openP999: number;
  cpuPer10kClosed: number;
  cpuPer10kOpen: number;
  envoyCpuCoresClosed: number;
  foreignCpuCoresClosed: number;
  peakRssMiB: number;
  /** (max − min) / median of closedRps over the repetitions: how noisy the machine was. */
  closedRpsSpread: number;
}

export interface Goal {
  name: string;
  target: string;
  measured: string;
  ratio: number;
  pass: boolean;
  /**
   * Throughput goals only: the same ratio from CPU seconds per request (closed loop), i.e. the
   * throughput ratio of an Envoy that is CPU-bound. It stays meaningful when the Envoy under test
   * was not the bottleneck (load generator saturated, other processes on its CPU).
   */
  cpuCostRatio?: number;
}

export interface BenchResults {
  schema: 1;
  date: string;
  quick: boolean;
  argv: string[];
  options: {
    repetitions: number;
    concurrency: number;
    upstreamConcurrency: number;
    connections: number;
    wrkThreads: number;
    warmupSeconds: number;
    closedSeconds: number;
    openSeconds: number;
    rate: number;
    rateSource: string;
    /** Closed-loop maximum of each configuration from a short run before the repetitions. */
    calibration: Partial<Record<ConfigId, number>>;
    bodyBytes: number;
    pinning: { envoyCpus: string; loadCpus: string } | null;
    pinningNote: string;
    order: string;
  };
  machine: MachineInfo & { loadAverageAtEnd: number[] };
  versions: Record<string, string>;
  commands: Record<string, string>;
  configurations: Record<string, { title: string; bootstrapExtras: unknown }>;
  runs: Run[];
  medians: Partial<Record<ConfigId, Medians>>;
  /** Issue 12's JSON goal, measured after the Envoy runs when E is among the configurations. */
  json?: JsonGoalMeasurements;
  goals: Goal[];
}

/**
 * The JSON comparison against V8's JSON.parse on bench E's two bodies, measured twice: inside the
 * filter (bench/wasm-profile.ts --config E: the self time of the filter's JSON functions, with
 * JSON.parse timed in slices between the requests under the same profiler), and alone
 * (bench/json-pair.ts: the same code, CPU-timed in interleaved rounds, no profiler).
 */
export interface JsonGoalMeasurements {
  inFilter: { rounds: number; requestsPerRound: number; filterJsonUsPerPair: number; jsonParseUsPerPair: number; speedVsJsonParse: number };
  alone: { rounds: number; compareUsPerPair: number; jsonParseUsPerPair: number; speedVsJsonParse: number };
}

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const r3 = (x: number): number => Math.round(x * 1000) / 1000;

export function computeMedians(runs: Run[]): Partial<Record<ConfigId, Medians>> {
  const out: Partial<Record<ConfigId, Medians>> = {};
  for (const id of CONFIG_IDS) {
    const rs = runs.filter((r) => r.config === id);
    if (rs.length === 0) continue;
    const m = (f: (r: Run) => number): number => r3(median(rs.map(f)));
    const rps = rs.map((r) => r.closed.requestsPerSecond);
    const closedRps = Math.round(median(rps));
    out[id] = {
      closedRps,
      closedP50: m((r) => r.closed.latencyMs.p50),
      closedP99: m((r) => r.closed.latencyMs.p99),
      closedP999: m((r) => r.closed.latencyMs.p999),
      openP50: m((r) => r.open.latencyMs.p50),
      openP90: m((r) => r.open.latencyMs.p90),
      openP99: m((r) => r.open.latencyMs.p99),
      openP999: m((r) => r.open.latencyMs.p999),
      cpuPer10kClosed: m((r) => r.closed.cpuSecondsPer10k),
      cpuPer10kOpen: m((r) => r.open.cpuSecondsPer10k),
      envoyCpuCoresClosed: m((r) => r.closed.envoyCpuCores),
      foreignCpuCoresClosed: m((r) => r.closed.foreignCpuCores),
      peakRssMiB: Math.round(median(rs.map((r) => r.peakRssMiB)) * 10) / 10,
      closedRpsSpread: r3((Math.max(...rps) - Math.min(...rps)) / closedRps),
    };
  }
  return out;
}

/**
 * The goals, from the medians: issue 12's against the WebAssembly-text floors (D vs F, C vs G),
 * then issue 5's against Envoy without a filter and with native mirroring. Throughput is the
 * closed-loop (wrk) requests/s; p99 is the open-loop (fixed rate) p99, the latency a client sees
 * below the knee.
 */
export function evaluateGoals(m: Partial<Record<ConfigId, Medians>>, json?: JsonGoalMeasurements): Goal[] {
  const goals: Goal[] = [];
  if (json) {
    const f = json.inFilter;
    goals.push({
      name: "E's JSON compare vs JSON.parse, in the filter (issue 12)",
      target: "≥ 1.00 (speed per byte)",
      measured: `${f.filterJsonUsPerPair.toFixed(1)} vs ${f.jsonParseUsPerPair.toFixed(1)} µs per pair of bodies (profile, ${f.rounds} rounds)`,
      ratio: f.speedVsJsonParse,
      pass: f.speedVsJsonParse >= 1,
    });
    const a = json.alone;
    goals.push({
      name: "E's JSON compare vs JSON.parse, alone (issue 12)",
      target: "≥ 1.00 (speed per byte)",
      measured: `${a.compareUsPerPair.toFixed(1)} vs ${a.jsonParseUsPerPair.toFixed(1)} µs of CPU per pair of bodies (${a.rounds} rounds)`,
      ratio: a.speedVsJsonParse,
      pass: a.speedVsJsonParse >= 1,
    });
  }
  const { A, B, C, D, F, G } = m;
  if (D && F) {
    const tput = D.closedRps / F.closedRps;
    goals.push({
      name: "D vs F throughput (issue 12)",
      target: "≥ 0.98",
      measured: `${D.closedRps} / ${F.closedRps} req/s = ${tput.toFixed(3)}`,
      ratio: r3(tput),
      pass: tput >= 0.98,
      cpuCostRatio: r3(F.cpuPer10kClosed / D.cpuPer10kClosed),
    });
  }
  if (C && G) {
    const tput = C.closedRps / G.closedRps;
    goals.push({
      name: "C vs G throughput (issue 12)",
      target: "≥ 0.95",
      measured: `${C.closedRps} / ${G.closedRps} req/s = ${tput.toFixed(3)}`,
      ratio: r3(tput),
      pass: tput >= 0.95,
      cpuCostRatio: r3(G.cpuPer10kClosed / C.cpuPer10kClosed),
    });
  }
  if (A && D) {
    const tput = D.closedRps / A.closedRps;
    goals.push({
      name: "D vs A throughput",
      target: "≥ 0.95",
      measured: `${D.closedRps} / ${A.closedRps} req/s = ${tput.toFixed(3)}`,
      ratio: r3(tput),
      pass: tput >= 0.95,
      cpuCostRatio: r3(A.cpuPer10kClosed / D.cpuPer10kClosed),
    });
    const extra = D.openP99 - A.openP99;
    goals.push({
      name: "D vs A p99 (open loop)",
      target: "≤ A + 0.100 ms",
      measured: `${D.openP99.toFixed(3)} vs ${A.openP99.toFixed(3)} ms (${extra >= 0 ? "+" : ""}${extra.toFixed(3)} ms)`,
      ratio: r3(D.openP99 / A.openP99),
      pass: extra <= 0.1 + 1e-9,
    });
  }
  if (B && C) {
    const tput = C.closedRps / B.closedRps;
    goals.push({
      name: "C vs B throughput",
      target: "≥ 0.90",
      measured: `${C.closedRps} / ${B.closedRps} req/s = ${tput.toFixed(3)}`,
      ratio: r3(tput),
      pass: tput >= 0.9,
      cpuCostRatio: r3(B.cpuPer10kClosed / C.cpuPer10kClosed),
    });
    const p99 = C.openP99 / B.openP99;
    goals.push({
      name: "C vs B p99 (open loop)",
      target: "≤ 1.2 × B",
      measured: `${C.openP99.toFixed(3)} vs ${B.openP99.toFixed(3)} ms = ${p99.toFixed(3)} × B`,
      ratio: r3(p99),
      pass: p99 <= 1.2,
    });
  }
  return goals;
}

// ---------------------------------------------------------------------------------------------
// Tables (Markdown, readable as plain text too)

const fmt = (x: number | undefined, digits = 3): string => (x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(digits));
const ratio = (x: number, base: number | undefined): string => (base === undefined ? "–" : (x / base).toFixed(3));

function table(head: string[], rows: string[][]): string {
  const align = head.map((_, i) => (i === 0 ? "---" : "---:"));
  return [head, align, ...rows].map((cells) => `| ${cells.join(" | ")} |`).join("\n");
}

export function mediansTable(res: BenchResults): string {
  const { A, B, F, G } = res.medians;
  const rows: string[][] = [];
  for (const id of CONFIG_IDS) {
    const m = res.medians[id];
    if (!m) continue;
    rows.push([
      `${id}. ${CONFIG_TITLES[id]}`,
      String(m.closedRps),
      ratio(m.closedRps, A?.closedRps),
      ratio(m.closedRps, B?.closedRps),
      ratio(m.closedRps, F?.closedRps),
      ratio(m.closedRps, G?.closedRps),
      `${fmt(m.closedP50)} / ${fmt(m.closedP99)}`,
      fmt(m.openP50),
      fmt(m.openP90),
      fmt(m.openP99),
      fmt(m.openP999),
      `${fmt(m.cpuPer10kClosed, 2)} / ${fmt(m.cpuPer10kOpen, 2)}`,
      `${fmt(m.envoyCpuCoresClosed, 2)} / ${fmt(m.foreignCpuCoresClosed, 2)}`,
      fmt(m.peakRssMiB, 1),
    ]);
  }
  return table(
    [
      "configuration",
      "req/s (closed)",
      "× A",
      "× B",
      "× F",
      "× G",
      "closed p50 / p99 ms",
      `open p50 ms`,
      "p90",
      "p99",
      "p99.9",
      "CPU s / 10k req (closed / open)",
      "cores: Envoy / others on its CPU (closed)",
      "peak RSS MiB",
    ],
    rows,
  );
}

export function goalsTable(res: BenchResults): string {
  return table(
    ["goal", "target", "measured (medians)", "ratio", "result", "ratio from CPU s / req"],
    res.goals.map((g) => [g.name, g.target, g.measured, g.ratio.toFixed(3), g.pass ? "PASS" : "MISS", fmt(g.cpuCostRatio)]),
  );
}

export function setupLines(res: BenchResults): string {
  const o = res.options;
  const mach = res.machine;
  const lines = [
    `- date: ${res.date}${res.quick ? " (--quick smoke run: too short to judge by)" : ""}; command: \`${res.argv.join(" ")}\``,
    `- machine: ${mach.cpuModel}, ${mach.cpusOnline} CPUs online (allowed: ${mach.cpusAllowed}), ${mach.memoryGiB} GiB RAM, Linux ${mach.kernel}; load average ${mach.loadAverageAtStart.join(" ")} at start, ${mach.loadAverageAtEnd.join(" ")} at end`,
    `- versions: ${Object.entries(res.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}`,
    `- Envoy under test: --concurrency ${o.concurrency}; ${o.pinning ? `pinned to CPU ${o.pinning.envoyCpus}, load generators and upstreams on CPU ${o.pinning.loadCpus}` : `not pinned (${o.pinningNote})`}; upstream: one Envoy (direct_response, ${o.bodyBytes}-byte bodies, --concurrency ${o.upstreamConcurrency}) serving both the primary and the dark cluster`,
    `- ${o.repetitions} repetition(s), order ${o.order}; each run: fresh Envoy, ${o.warmupSeconds} s wrk warm-up, then closed loop \`${res.commands.closed}\` (${o.closedSeconds} s), then open loop \`${res.commands.open}\` (${o.openSeconds} s at ${o.rate} req/s, ${o.rateSource}${
      Object.keys(o.calibration).length > 0
        ? `; calibration req/s: ${Object.entries(o.calibration)
            .map(([k, v]) => `${k} ${v}`)
            .join(", ")}`
        : ""
    })`,
  ];
  const warnings = res.runs.flatMap((r) => r.warnings.map((w) => `${r.config}#${r.repetition}: ${w}`));
  if (warnings.length > 0) lines.push(`- warnings (${warnings.length}):`, ...warnings.map((w) => `  - ${w}`));
  return lines.join("\n");
}

/** The whole summary: setup lines, the medians table and the goals table. */
export function summaryMarkdown(res: BenchResults): string {
  return [
    setupLines(res),
    "",
    "Medians over the repetitions. Latencies in ms; closed loop = wrk at maximum throughput, open loop = vegeta at the fixed rate.",
    "",
    mediansTable(res),
    "",
    "Goals of issue 12 (against the WebAssembly-text floors F and G) and of issue 5. Last column: the throughput ratio implied by the Envoy's CPU seconds per request",
    "(what a CPU-bound Envoy would show), for runs where the Envoy under test was not the bottleneck.",
    "",
    goalsTable(res),
  ].join("\n");
}
