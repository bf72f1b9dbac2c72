// Soak: at least 1,000,000 requests through Envoy with the filter mirroring 100% and comparing
// status and body, sampling Envoy's resident memory and the Wasm VMs' linear memory as it goes.
// Memory must stay flat after warm-up: growth under 10% between the 20% and the 100% marks.
//
//   npm run soak                      # 1,000,000 requests
//   npm run soak -- --requests 200000 # shorter
//   npm run soak -- --v2              # contract version 2 on the hot path: JSON mode on the bench's
//                                     # 4 KiB gzip/pretty bodies, a noise cluster, every pair sampled
//                                     # (1000/s budget, one redacted path) to a collector that answers 200
//
// Writes bench/results/soak-<date>.json and prints a table. Exit code 1 if memory grew.
import { Agent, request } from "node:http";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT, envoyBinary, renderBootstrap, startEnvoy } from "../tools/lib/envoy.ts";
import { readProcessMemory } from "../tools/lib/process-memory.ts";
import { startDirectUpstreams } from "./lib/direct-upstream.ts";
import { JSON_BENCH_DARK_BODY, JSON_BENCH_IGNORE, JSON_BENCH_PATH, JSON_BENCH_PRIMARY_BODY } from "./lib/workload.ts";

/** The filter configuration: version 1's compare (bytes), or version 2's features all at once. */
function soakFilterConfig(): object {
  if (!V2) {
    return {
      mismatch_log_per_second: 1,
      rules: [
        {
          name: "soak",
          methods: ["GET", "POST"],
          dark: { cluster: "dark" },
          compare: { status: true, body: true },
          limits: { max_in_flight: 1024 },
        },
      ],
    };
  }
  return {
    mismatch_log_per_second: 1,
    samples: { cluster: "collector", per_second: 1000, match_percent: 100, redact: ["customer.address"] },
    rules: [
      {
        name: "soak",
        methods: ["GET", "POST"],
        dark: { cluster: "dark" },
        compare: { status: true, headers: ["content-type"], body: { json: true, ignore: JSON_BENCH_IGNORE }, noise_cluster: "noise" },
        limits: { max_in_flight: 1024 },
      },
    ],
  };
}

const args = process.argv.slice(2);
const arg = (name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const TOTAL = arg("requests", 1_000_000);
const V2 = args.includes("--v2");
const CONNECTIONS = arg("connections", 32);
const SAMPLES = 20;
/** The filter's counters kept in the results, read once the run is over. */
const COUNTED = [
  "soak.mirrored",
  "soak.compare.match",
  "soak.compare.mismatch.body",
  "soak.compare.json_invalid",
  "soak.compare.undecoded",
  "soak.noise.match",
  "soak.noise.mismatch.body",
  "soak.noise.incomplete",
  "samples.sent",
  "samples.dropped",
  "samples.failed",
];
const counted: Record<string, number> = {};

interface Sample {
  requests: number;
  seconds: number;
  envoyRssMiB: number;
  wasmMemoryMiB: number;
  wasmVms: number;
  wasmResidentMiB: number;
  mirrored: number;
  inFlight: number;
}

const mib = (b: number) => Math.round((b / 1024 / 1024) * 100) / 100;

async function statValue(adminUrl: string, name: string): Promise<number> {
  const res = await fetch(`${adminUrl}/stats?filter=${encodeURIComponent(`^${name.replace(/\./g, "\\.")}$`)}`);
  const m = /: (\d+)/.exec(await res.text());
  return m ? Number(m[1]) : NaN;
}

function send(agent: Agent, port: number, i: number): Promise<void> {
  const post = i % 10 < 3;
  const body = post ? Buffer.from(`{"order":${i},"items":[1,2,3]}`) : undefined;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        agent,
        method: post ? "POST" : "GET",
        path: `${V2 ? JSON_BENCH_PATH : ""}/soak/${i % 1000}?q=${i}`,
        headers: { "x-request-id": `soak-${i}`, ...(body ? { "content-type": "application/json", "content-length": body.length } : {}) },
      },
      (res) => {
        res.resume();
        res.on("end", () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode} for request ${i}`))));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

async function main(): Promise<void> {
  console.log(`soak: ${TOTAL} requests, ${CONNECTIONS} connections, Envoy ${envoyBinary()}`);
  // With --v2 the primary listener answers JSON under JSON_BENCH_PATH (the copies, which carry
  // x-dark-launch, get the dark body); the noise and collector clusters point at it too.
  const upstreams = await startDirectUpstreams(["primary", "dark"], 1024, 1, {
    prefix: JSON_BENCH_PATH,
    primary: { body: JSON_BENCH_PRIMARY_BODY, headers: { "content-type": "application/json", "content-encoding": "gzip" } },
    dark: { body: JSON_BENCH_DARK_BODY, headers: { "content-type": "application/json" } },
  });
  const front = await startEnvoy({
    bootstrap: renderBootstrap({
      primaryPort: upstreams.ports.primary!,
      clusters: V2
        ? { dark: upstreams.ports.primary!, noise: upstreams.ports.primary!, collector: upstreams.ports.primary! }
        : { dark: upstreams.ports.dark! },
      filterConfig: soakFilterConfig(),
    }),
    concurrency: 2,
    logLevel: "warn",
  });
  const stopAll = async () => {
    await front.stop().catch(() => undefined);
    await upstreams.stop().catch(() => undefined);
  };
  process.once("SIGINT", () => void stopAll().then(() => process.exit(130)));
  const samples: Sample[] = [];
  const started = performance.now();
  try {
    const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
    let next = 0;
    let done = 0;
    let nextSampleAt = TOTAL / SAMPLES;
    const takeSample = async () => {
      const mem = readProcessMemory(front.pid);
      samples.push({
        requests: done,
        seconds: Math.round((performance.now() - started) / 100) / 10,
        envoyRssMiB: mib(mem.rssBytes),
        wasmMemoryMiB: mib(mem.wasmMemoryBytes.reduce((a, b) => a + b, 0)),
        wasmVms: mem.wasmMemoryBytes.length,
        wasmResidentMiB: mib(mem.wasmResidentBytes),
        mirrored: await statValue(front.adminUrl, "wasmcustom.darklaunch.soak.mirrored"),
        inFlight: await statValue(front.adminUrl, "wasmcustom.darklaunch.soak.in_flight"),
      });
      const s = samples[samples.length - 1]!;
      console.log(
        `${String(s.requests).padStart(8)} req ${String(s.seconds).padStart(6)} s  envoy rss ${s.envoyRssMiB} MiB  wasm ${s.wasmMemoryMiB} MiB in ${s.wasmVms} VMs (resident ${s.wasmResidentMiB})  mirrored ${s.mirrored}`,
      );
    };
    await takeSample();
    const worker = async () => {
      while (next < TOTAL) {
        const i = next++;
        await send(agent, front.port, i);
        done++;
        if (done >= nextSampleAt) {
          nextSampleAt += TOTAL / SAMPLES;
          await takeSample();
        }
      }
    };
    await Promise.all(Array.from({ length: CONNECTIONS }, worker));
    agent.destroy();
    await new Promise((r) => setTimeout(r, 2000)); // dark calls finish
    if (samples[samples.length - 1]!.requests < TOTAL) await takeSample();
    for (const name of COUNTED) counted[name] = await statValue(front.adminUrl, `wasmcustom.darklaunch.${name}`);
  } finally {
    await stopAll();
  }

  const at = (fraction: number) => samples.find((s) => s.requests >= TOTAL * fraction - 1)!;
  const warm = at(0.2);
  const end = samples[samples.length - 1]!;
  const growth = (a: number, b: number) => Math.round(((b - a) / a) * 10000) / 100;
  const result = {
    date: new Date().toISOString(),
    envoy: envoyBinary().split("/").slice(-4).join("/"),
    requests: TOTAL,
    profile: V2 ? "v2: JSON mode (4 KiB gzip vs pretty), noise cluster, every pair sampled (1000/s), one redacted path" : "v1: bytes",
    filterConfig: soakFilterConfig(),
    connections: CONNECTIONS,
    seconds: end.seconds,
    requestsPerSecond: Math.round(TOTAL / end.seconds),
    counters: counted,
    growthPercent20to100: {
      envoyRss: growth(warm.envoyRssMiB, end.envoyRssMiB),
      wasmMemory: growth(warm.wasmMemoryMiB, end.wasmMemoryMiB),
    },
    samples,
  };
  const ok = result.growthPercent20to100.envoyRss < 10 && result.growthPercent20to100.wasmMemory < 10;
  mkdirSync(join(PROJECT_ROOT, "bench", "results"), { recursive: true });
  const file = join(PROJECT_ROOT, "bench", "results", `soak-${V2 ? "v2-" : ""}${result.date.slice(0, 10)}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(
    `\nenvoy rss ${warm.envoyRssMiB} → ${end.envoyRssMiB} MiB (${result.growthPercent20to100.envoyRss}%), wasm ${warm.wasmMemoryMiB} → ${end.wasmMemoryMiB} MiB (${result.growthPercent20to100.wasmMemory}%) between the 20% and 100% marks`,
  );
  console.log(
    `counters: ${Object.entries(counted)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}`,
  );
  console.log(`${ok ? "FLAT" : "GREW"}: results in ${file}`);
  process.exitCode = ok ? 0 : 1;
}

await main();
