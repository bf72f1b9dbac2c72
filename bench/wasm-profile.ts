// Where the filter's own Wasm time goes, per function: runs a benchmark workload through the
// emulator with V8's sampling profiler on, and reports the self time of each Wasm function in µs
// per request. The emulator's own JavaScript is left out, so the figures are the module's cost
// alone (V8 in Node compiles the Wasm as V8 in Envoy does). Deterministic workload; sampling noise
// of a few percent.
//
// Workloads (bench/lib/emulated.ts): C (mirror, compare status and body, 1 KiB bodies), D (sample
// gate 0%), E (JSON mode, 4 KiB gzip vs pretty-printed identity), N (no rule matches).
// With E it also measures, in the same process and interleaved with the filter's requests (100
// requests, then 100 JSON.parse pairs, under the same profiler), V8's JSON.parse on the same
// bodies (the primary's text once decoded, the dark one as sent), and reports both
// per KiB of JSON text: the filter's JSON code alone (json_* functions), the body work (JSON,
// the gzip decoder, the raw body hash) and all of the module's Wasm.
//
//   npx tsx bench/wasm-profile.ts [--config C] [--requests 100000] [--rounds 1] [--interval µs]
//                                 [--wasm build/dark-launch.profile.wasm] [--json out.json]
//
// Without --wasm it first builds the release target with function names kept
// (build/dark-launch.profile.wasm; names change nothing in the generated code).
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { ProxyWasmHost } from "proxy-wasm-host";
import { EMULATED, emulatedIds } from "./lib/emulated.ts";
import { JSON_BENCH_DARK_BODY, JSON_BENCH_PRIMARY_BODY } from "./lib/workload.ts";

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const [ID] = emulatedIds(option("--config"), ["C"]);
const workload = EMULATED[ID!];
const REQUESTS = Number(option("--requests") ?? (ID === "E" ? 30_000 : 100_000));
const ROUNDS = Math.max(1, Number(option("--rounds") ?? (ID === "E" ? 5 : 1)));
/** Sampling interval of V8's profiler, µs (E: coarse, so that it slows JSON.parse as little as the module). */
const INTERVAL_US = Number(option("--interval") ?? (ID === "E" ? 1000 : 50));
const ROOT = fileURLToPath(new URL("..", import.meta.url));
let wasmPath = option("--wasm");
if (wasmPath === undefined) {
  wasmPath = `${ROOT}build/dark-launch.profile.wasm`;
  execFileSync("npx", ["asc", "assembly/index.ts", "--target", "release", "--debug", "-o", wasmPath], { cwd: ROOT, stdio: "inherit" });
}

const host = new ProxyWasmHost({ wasm: wasmPath, clusters: ["dark"], countsFlushedAtTicks: true });
await host.load();
if (!host.configure(workload.config)) throw new Error(host.logs.map((l) => l.message).join("\n"));
const tick = (): void => (host as unknown as { tick?: () => void }).tick?.call(host);

for (let i = 0; i < 5000; i++) workload.request(host); // warm-up: V8 tiers the Wasm up
tick();

// ---- JSON.parse on the same bodies (E) ----
const primaryText = ID === "E" ? gunzipSync(JSON_BENCH_PRIMARY_BODY).toString("utf8") : "";
const darkText = ID === "E" ? JSON_BENCH_DARK_BODY.toString("utf8") : "";
const jsonKiB = (Buffer.byteLength(primaryText) + Buffer.byteLength(darkText)) / 1024;
let parseSink = 0;
/** µs per pair of bodies: JSON.parse of the primary's text and of the dark one, `n` times. */
function jsonParsePair(n: number): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    parseSink += (JSON.parse(primaryText) as { items: unknown[] }).items.length;
    parseSink += (JSON.parse(darkText) as { items: unknown[] }).items.length;
  }
  return Number(process.hrtime.bigint() - t0) / 1000 / n;
}
/** The same with the gzip body decoded first (what JavaScript holding the bytes as received pays). */
function gunzipParsePair(n: number): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    parseSink += (JSON.parse(gunzipSync(JSON_BENCH_PRIMARY_BODY).toString("utf8")) as { items: unknown[] }).items.length;
    parseSink += (JSON.parse(JSON_BENCH_DARK_BODY.toString("utf8")) as { items: unknown[] }).items.length;
  }
  return Number(process.hrtime.bigint() - t0) / 1000 / n;
}
if (ID === "E") {
  jsonParsePair(5000);
  gunzipParsePair(2000);
}

// ---- the profiled rounds ----
/** E: filter requests between two slices of JSON.parse pairs (and as many pairs per slice). */
const PARSE_SLICE = 100;
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}
const session = new Session();
session.connect();
await session.post("Profiler.enable");
await session.post("Profiler.setSamplingInterval", { interval: INTERVAL_US });

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Which part of the filter a function belongs to, by the source path asc keeps in its name. */
function category(fn: string): string {
  if (/darklaunch\/json_/.test(fn)) return "json";
  if (/darklaunch\/(inflate|crc32|adler32)/.test(fn)) return "inflate";
  if (/darklaunch\/body_(hash|view)/.test(fn)) return "body hash/view";
  if (
    /^~lib\/(rt|memory|util\/memory)|~lib\/(map|set|array|arraybuffer|staticarray)|heap\.|__alloc|__new|__collect|__free|__renew/.test(fn)
  )
    return "runtime (allocator, collector, collections)";
  if (/abi\//.test(fn)) return "ABI layer";
  if (/filter\//.test(fn)) return "glue (filter/)";
  if (/darklaunch\//.test(fn)) return "logic (darklaunch/, other)";
  return "other";
}

interface Round {
  wasmUs: number;
  wallUs: number;
  self: Map<string, number>;
  jsonParseUs: number;
  gunzipParseUs: number;
}
const rounds: Round[] = [];
for (let r = 0; r < ROUNDS; r++) {
  // E: JSON.parse on the same bodies in slices between the filter's requests (100 requests, then
  // 100 pairs), timed by the clock under the same profiler, so that both see the same phases of a
  // shared machine and the same interleaving with other work. The profiler slows JSON.parse by
  // 15% at a 50 µs interval and by 1% at 1 ms (bench/README.md, "JSON comparison speed"), so E
  // samples every 1 ms by default.
  let parseUs = 0;
  let parsePairs = 0;
  let gunzipParseUs = 0;
  let gunzipParsePairs = 0;
  await session.post("Profiler.start");
  const started = process.hrtime.bigint();
  for (let i = 0; i < REQUESTS; i++) {
    workload.request(host);
    if (i % 2000 === 1999) tick(); // the counters' flush, as Envoy's timer would run it
    if (ID === "E" && i % PARSE_SLICE === PARSE_SLICE - 1) {
      parseUs += jsonParsePair(PARSE_SLICE) * PARSE_SLICE;
      parsePairs += PARSE_SLICE;
      if (i % (4 * PARSE_SLICE) === 4 * PARSE_SLICE - 1) {
        gunzipParseUs += gunzipParsePair(PARSE_SLICE) * PARSE_SLICE;
        gunzipParsePairs += PARSE_SLICE;
      }
    }
  }
  const wallUs = Number(process.hrtime.bigint() - started) / 1000 - parseUs - gunzipParseUs;
  const { profile } = (await session.post("Profiler.stop")) as unknown as {
    profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  };
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let wasmUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const frame = nodes.get(profile.samples[i]!)!.callFrame;
    if (!frame.url.startsWith("wasm://")) continue;
    self.set(frame.functionName, (self.get(frame.functionName) ?? 0) + profile.timeDeltas[i]!);
    wasmUs += profile.timeDeltas[i]!;
  }
  rounds.push({
    wasmUs: wasmUs / REQUESTS,
    wallUs: wallUs / REQUESTS,
    self,
    jsonParseUs: parsePairs > 0 ? parseUs / parsePairs : 0,
    gunzipParseUs: gunzipParsePairs > 0 ? gunzipParseUs / gunzipParsePairs : 0,
  });
}
session.disconnect();

// The round with the median Wasm time gives the per-function table.
const mid = [...rounds].sort((a, b) => a.wasmUs - b.wasmUs)[Math.floor(rounds.length / 2)]!;
const rows = [...mid.self.entries()].sort((a, b) => b[1] - a[1]).map(([fn, us]) => ({ fn, usPerRequest: us / REQUESTS }));
const categories: Record<string, number> = {};
for (const r of rows) categories[category(r.fn)] = (categories[category(r.fn)] ?? 0) + r.usPerRequest;

const result: Record<string, unknown> = {
  config: ID,
  title: workload.title,
  requests: REQUESTS,
  rounds: ROUNDS,
  samplingIntervalUs: INTERVAL_US,
  wasm: wasmPath.replace(ROOT, ""),
  wallUsPerRequest: median(rounds.map((r) => r.wallUs)),
  wasmUsPerRequest: median(rounds.map((r) => r.wasmUs)),
  // On a shared machine other work only ever adds time: the fastest round is the steadiest figure.
  wasmUsPerRequestMin: Math.min(...rounds.map((r) => r.wasmUs)),
  wasmUsPerRequestByRound: rounds.map((r) => Math.round(r.wasmUs * 1000) / 1000),
  categories,
  functions: rows.filter((r) => r.usPerRequest >= 0.005),
};

if (ID === "E") {
  // Per round: the filter's figures from that round's profile, JSON.parse from right after it.
  const perRound = rounds.map((r) => {
    let json = 0;
    let body = 0;
    for (const [fn, us] of r.self) {
      const c = category(fn);
      if (c === "json") json += us / REQUESTS;
      if (c === "json" || c === "inflate" || c === "body hash/view") body += us / REQUESTS;
    }
    return { json, body, wasm: r.wasmUs, parse: r.jsonParseUs, gunzipParse: r.gunzipParseUs };
  });
  const perKiB = (us: number): number => Math.round((us / jsonKiB) * 1000) / 1000;
  const m = (f: (x: (typeof perRound)[number]) => number): number => median(perRound.map(f));
  result.jsonComparison = {
    bodies: {
      primaryDecodedBytes: Buffer.byteLength(primaryText),
      primaryGzipBytes: JSON_BENCH_PRIMARY_BODY.length,
      darkBytes: Buffer.byteLength(darkText),
    },
    usPerPair: {
      filterJson: m((x) => x.json),
      filterBodyWork: m((x) => x.body),
      filterWasm: m((x) => x.wasm),
      jsonParse: m((x) => x.parse),
      gunzipAndJsonParse: m((x) => x.gunzipParse),
    },
    usPerKiB: {
      filterJson: perKiB(m((x) => x.json)),
      filterBodyWork: perKiB(m((x) => x.body)),
      filterWasm: perKiB(m((x) => x.wasm)),
      jsonParse: perKiB(m((x) => x.parse)),
      gunzipAndJsonParse: perKiB(m((x) => x.gunzipParse)),
    },
    // The fastest round of each (other work on a shared machine only adds time).
    usPerKiBFastest: {
      filterJson: perKiB(Math.min(...perRound.map((x) => x.json))),
      filterBodyWork: perKiB(Math.min(...perRound.map((x) => x.body))),
      filterWasm: perKiB(Math.min(...perRound.map((x) => x.wasm))),
      jsonParse: perKiB(Math.min(...perRound.map((x) => x.parse))),
      gunzipAndJsonParse: perKiB(Math.min(...perRound.map((x) => x.gunzipParse))),
    },
    // Speed ratios (> 1: the filter is faster per byte), medians of the per-round ratios.
    speedVsJsonParse: {
      filterJson: Math.round(m((x) => x.parse / x.json) * 100) / 100,
      filterBodyWork: Math.round(m((x) => x.parse / x.body) * 100) / 100,
      filterWasm: Math.round(m((x) => x.parse / x.wasm) * 100) / 100,
      filterWasmVsGunzipAndJsonParse: Math.round(m((x) => x.gunzipParse / x.wasm) * 100) / 100,
    },
    perRound,
  };
}

const jsonPath = option("--json");
if (jsonPath) writeFileSync(jsonPath, `${JSON.stringify(result, null, 2)}\n`);
console.log(
  `${ID} (${workload.title}): ${REQUESTS} requests × ${ROUNDS} round(s); emulator + filter ${(result.wallUsPerRequest as number).toFixed(1)} µs/request, of which the filter's Wasm ${(result.wasmUsPerRequest as number).toFixed(2)} µs (median; fastest ${(result.wasmUsPerRequestMin as number).toFixed(2)}; rounds: ${rounds.map((r) => r.wasmUs.toFixed(2)).join(", ")})`,
);
for (const [c, us] of Object.entries(categories).sort((a, b) => b[1] - a[1])) console.log(`  ${us.toFixed(3).padStart(8)}  [${c}]`);
for (const r of rows.slice(0, 25)) console.log(`${r.usPerRequest.toFixed(3).padStart(8)}  ${r.fn}`);
if (result.jsonComparison) console.log(JSON.stringify(result.jsonComparison, (k, v) => (k === "perRound" ? undefined : v), 2));
if (parseSink === -1) console.log(""); // keeps the parsed values alive
