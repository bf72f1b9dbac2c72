// Decode speed of the filter's content decoder (assembly/darklaunch/inflate.ts, compiled alone as
// build/inflate-test.wasm) against Node's zlib.gunzipSync (native zlib) on the same gzip bodies:
// a 4 KiB JSON document, a 64 KiB one, and 1 MiB of text, gzip level 6 (zlib's default, what
// most servers send). The Wasm decoder gets the body in 16 KiB chunks, as Envoy hands bodies
// over, and writes its output to a sink that only counts it; gunzipSync gets it whole and
// returns one buffer. Not a test: it asserts nothing about time.
//
//   npm run build:inflate-test && npx tsx bench/inflate-speed.ts [--batches 7] [--no-write]
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";
import { jsonBody, SeededRandom, textBody } from "../test/support/inflate-inputs.ts";
import { Coding, WasmInflater } from "../test/support/inflate-wasm.ts";
import { describeMachine, loadAverage1m } from "./lib/system.ts";

const args = process.argv.slice(2);
const BATCHES = Number(args[args.indexOf("--batches") + 1] || 7) || 7;
const WRITE = !args.includes("--no-write");
/** Each timed batch runs at least this long. */
const BATCH_MS = 250;
const CHUNK = 16 * 1024;

interface Side {
  /** Median over the batches of the time per decode, microseconds. */
  microsecondsPerDecode: number;
  /** Output megabytes (10^6 bytes) per second. */
  megabytesPerSecond: number;
  microsecondsPerKiB: number;
  /** Every batch's time per decode, microseconds. */
  batches: number[];
}

interface Case {
  name: string;
  bodyBytes: number;
  gzipBytes: number;
  wasm: Side;
  nodeGunzip: Side;
  /** Wasm time / gunzipSync time. */
  wasmToNodeRatio: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Times `run` in batches of at least BATCH_MS; the median batch's time per call, µs. */
function time(run: () => void, outputBytes: number): Side {
  for (let i = 0; i < 20; i++) run(); // warm-up: the JIT's tiers, the decoder's first allocation
  let perBatch = 1;
  for (let t0 = performance.now(); performance.now() - t0 < BATCH_MS / 4; perBatch *= 2) {
    for (let i = 0; i < perBatch; i++) run();
  }
  const batches: number[] = [];
  for (let b = 0; b < BATCHES; b++) {
    const t0 = performance.now();
    let n = 0;
    do {
      for (let i = 0; i < perBatch; i++) run();
      n += perBatch;
    } while (performance.now() - t0 < BATCH_MS);
    batches.push(((performance.now() - t0) * 1000) / n);
  }
  const us = median(batches);
  return {
    microsecondsPerDecode: round(us, 2),
    megabytesPerSecond: round(outputBytes / us, 1),
    microsecondsPerKiB: round(us / (outputBytes / 1024), 3),
    batches: batches.map((x) => round(x, 2)),
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

const inflater = await WasmInflater.load();
const bodies: Array<[string, Buffer]> = [
  ["json-4KiB", jsonBody(new SeededRandom(4), 4 * 1024)],
  ["json-64KiB", jsonBody(new SeededRandom(64), 64 * 1024)],
  ["text-1MiB", textBody(new SeededRandom(1024), 1024 * 1024)],
];
const loadAtStart = loadAverage1m();
const cases: Case[] = [];
for (const [name, body] of bodies) {
  const gzip = zlib.gzipSync(body, { level: 6 });
  // The figures only count if the decoder is right on these very inputs.
  const check = inflater.decode(Coding.Gzip, gzip, { chunks: [CHUNK] });
  if (!check.ok || !check.output.equals(body)) throw new Error(`${name}: the Wasm decoder got it wrong (${check.reason})`);
  const wasm = time(() => {
    inflater.decode(Coding.Gzip, gzip, { chunks: [CHUNK], keep: false });
  }, body.length);
  const nodeGunzip = time(() => {
    zlib.gunzipSync(gzip);
  }, body.length);
  cases.push({
    name,
    bodyBytes: body.length,
    gzipBytes: gzip.length,
    wasm,
    nodeGunzip,
    wasmToNodeRatio: round(wasm.microsecondsPerDecode / nodeGunzip.microsecondsPerDecode, 2),
  });
}

const root = fileURLToPath(new URL("..", import.meta.url));
let commit = "unknown";
try {
  commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" }).trim();
} catch {
  // not a git checkout: the results say so
}
const date = new Date().toISOString().slice(0, 10);
const results = {
  schema: "darklaunch-bench-inflate-speed/1",
  date,
  commit,
  purpose:
    "decode throughput of build/inflate-test.wasm (the filter's gzip/deflate decoder) vs Node zlib.gunzipSync on the same gzip -6 bodies; MB = 10^6 bytes of output",
  command: `npx tsx bench/inflate-speed.ts --batches ${BATCHES}`,
  method: `Wasm: 16 KiB chunks, output counted not copied; gunzipSync: whole body. Median of ${BATCHES} batches of >= ${BATCH_MS} ms after warm-up.`,
  machine: { ...describeMachine(), loadAverageAtEnd: [loadAverage1m()] },
  versions: { node: process.version, zlib: process.versions.zlib },
  loadAverage1mAtStart: loadAtStart,
  cases,
};

console.log("body         gzip B   wasm MB/s  µs/KiB   gunzipSync MB/s  µs/KiB   wasm/node time");
for (const c of cases) {
  console.log(
    `${c.name.padEnd(12)} ${String(c.gzipBytes).padStart(7)}  ${String(c.wasm.megabytesPerSecond).padStart(9)}  ${c.wasm.microsecondsPerKiB
      .toFixed(3)
      .padStart(6)}   ${String(c.nodeGunzip.megabytesPerSecond).padStart(15)}  ${c.nodeGunzip.microsecondsPerKiB.toFixed(3).padStart(6)}   ${c.wasmToNodeRatio}`,
  );
}
if (WRITE) {
  const dir = fileURLToPath(new URL("./results/", import.meta.url));
  mkdirSync(dir, { recursive: true });
  const file = `${dir}inflate-speed-${date}.json`;
  writeFileSync(file, JSON.stringify(results, null, 2) + "\n");
  console.log(`written: bench/results/inflate-speed-${date}.json`);
}
