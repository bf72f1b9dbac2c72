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
import { jsonBody, Rng, textBody } from "../test/support/inflate-inputs.ts";
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
  /** Output megabytes (10^6 bytes) per second, at the median. */
  megabytesPerSecond: number;
  microsecondsPerKiB: number;
  /** The same from the fastest batch: the least disturbed by other work on the machine. */
  fastestMegabytesPerSecond: number;
  fastestMicrosecondsPerKiB: number;
  /** Every batch's time per decode, microseconds. */
  batches: number[];
}

interface Case {
  name: string;
  bodyBytes: number;
  gzipBytes: number;
  wasm: Side;
  nodeGunzip: Side;
  /** Wasm time / gunzipSync time, medians. */
  wasmToNodeRatio: number;
  /** The median of the per-pair ratios (each Wasm batch against the gunzipSync batch right after it). */
  wasmToNodePairedRatio: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** How many calls of `run` take about BATCH_MS, after a warm-up (the JIT's tiers, first allocations). */
function calibrate(run: () => void): number {
  for (let i = 0; i < 20; i++) run();
  let perBatch = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < perBatch; i++) run();
    const ms = performance.now() - t0;
    if (ms >= BATCH_MS / 2) return Math.max(1, Math.round((perBatch * BATCH_MS) / ms));
    perBatch *= 2;
  }
}

/** One batch: the time per call, µs. */
function batch(run: () => void, perBatch: number): number {
  const t0 = performance.now();
  for (let i = 0; i < perBatch; i++) run();
  return ((performance.now() - t0) * 1000) / perBatch;
}

function side(batches: number[], outputBytes: number): Side {
  const us = median(batches);
  const fastest = Math.min(...batches);
  return {
    microsecondsPerDecode: round(us, 2),
    megabytesPerSecond: round(outputBytes / us, 1),
    microsecondsPerKiB: round(us / (outputBytes / 1024), 3),
    fastestMegabytesPerSecond: round(outputBytes / fastest, 1),
    fastestMicrosecondsPerKiB: round(fastest / (outputBytes / 1024), 3),
    batches: batches.map((x) => round(x, 2)),
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

const inflater = await WasmInflater.load();
const bodies: Array<[string, Buffer]> = [
  ["json-4KiB", jsonBody(new Rng(4), 4 * 1024)],
  ["json-64KiB", jsonBody(new Rng(64), 64 * 1024)],
  ["text-1MiB", textBody(new Rng(1024), 1024 * 1024)],
];
const machine = describeMachine(); // its load average is the one at the start
const cases: Case[] = [];
for (const [name, body] of bodies) {
  const gzip = zlib.gzipSync(body, { level: 6 });
  // The figures only count if the decoder is right on these very inputs.
  const check = inflater.decode(Coding.Gzip, gzip, { chunks: [CHUNK] });
  if (!check.ok || !check.output.equals(body)) throw new Error(`${name}: the Wasm decoder got it wrong (${check.reason})`);
  const runWasm = (): void => {
    inflater.decode(Coding.Gzip, gzip, { chunks: [CHUNK], keep: false });
  };
  const runNode = (): void => {
    zlib.gunzipSync(gzip);
  };
  // Batches alternate, so that load from other processes falls on both sides alike.
  const perWasm = calibrate(runWasm);
  const perNode = calibrate(runNode);
  const wasmBatches: number[] = [];
  const nodeBatches: number[] = [];
  for (let b = 0; b < BATCHES; b++) {
    wasmBatches.push(batch(runWasm, perWasm));
    nodeBatches.push(batch(runNode, perNode));
  }
  const wasm = side(wasmBatches, body.length);
  const nodeGunzip = side(nodeBatches, body.length);
  cases.push({
    name,
    bodyBytes: body.length,
    gzipBytes: gzip.length,
    wasm,
    nodeGunzip,
    wasmToNodeRatio: round(wasm.microsecondsPerDecode / nodeGunzip.microsecondsPerDecode, 2),
    wasmToNodePairedRatio: round(median(wasmBatches.map((w, i) => w / nodeBatches[i]!)), 2),
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
  method: `Wasm: 16 KiB chunks, output counted not copied; gunzipSync: whole body. ${BATCHES} batches of about ${BATCH_MS} ms each side after warm-up, Wasm and gunzipSync alternating; medians, and the fastest batch.`,
  machine: { ...machine, loadAverageAtEnd: [loadAverage1m()] },
  versions: { node: process.version, zlib: process.versions.zlib },
  cases,
};

const pad = (x: number | string, n: number): string => String(x).padStart(n);
console.log(`load average (1 min) at start ${machine.loadAverageAtStart[0]}, at end ${loadAverage1m()}`);
console.log("body         gzip B | wasm MB/s  µs/KiB  fastest MB/s | gunzipSync MB/s  µs/KiB  fastest MB/s | wasm/node time (paired)");
for (const c of cases) {
  const w = c.wasm;
  const n = c.nodeGunzip;
  console.log(
    `${c.name.padEnd(12)} ${pad(c.gzipBytes, 6)} | ${pad(w.megabytesPerSecond, 9)} ${pad(w.microsecondsPerKiB.toFixed(3), 7)} ${pad(w.fastestMegabytesPerSecond, 13)} | ` +
      `${pad(n.megabytesPerSecond, 15)} ${pad(n.microsecondsPerKiB.toFixed(3), 7)} ${pad(n.fastestMegabytesPerSecond, 13)} | ${c.wasmToNodeRatio} (${c.wasmToNodePairedRatio})`,
  );
}
if (WRITE) {
  const dir = fileURLToPath(new URL("./results/", import.meta.url));
  mkdirSync(dir, { recursive: true });
  const file = `${dir}inflate-speed-${date}.json`;
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`written: bench/results/inflate-speed-${date}.json`);
}
