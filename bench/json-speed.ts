// How fast the filter's JSON comparison reads a body, beside V8's own JSON.parse on the same text
// in the same process (not a test). For each body: the Wasm digest (build/json-digest.test.wasm,
// the filter's code compiled with the filter's options) fed in 16 KiB chunks as Envoy hands them
// over, then finished; JSON.parse of the text as a JS string; and JSON.parse of the bytes through
// TextDecoder, which is what a JS filter holding a Buffer would pay.
//
//   npx tsx bench/json-speed.ts [--seconds 4.5] [--sketch-trials 20000] [--json out.json] [--dump DIR] [--no-build]
//
// Then how often the naming tables decode, n changed leaves at a time (docs/json-comparison.md).
//
// Results go to bench/results/json-speed-<date>.json; bench/README.md, "JSON comparison speed".
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { Rng } from "../test/emulator/random.ts";
import { cpuTimeMedians, jsonBenchBodies } from "./json-bodies.ts";
import { type Digest, JsonDigestModule } from "../test/support/json-digest-wasm.ts";

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const SECONDS = Number(option("--seconds") ?? 4.5);
const ROUNDS = 15;
const CHUNK = 16 * 1024;
const timeAll = (fns: Array<() => void>): number[] => cpuTimeMedians(fns, SECONDS, ROUNDS);
const ROOT = fileURLToPath(new URL("..", import.meta.url));

const bodies = jsonBenchBodies();

// --dump DIR writes the bodies there, to look at or to profile with.
const dumpDir = option("--dump");
if (dumpDir) for (const { name, text } of bodies) writeFileSync(`${dumpDir}/${name}.json`, text);

if (!option("--no-build")) {
  execFileSync("npm", ["run", "--silent", "build:json-test"], { cwd: ROOT, stdio: "inherit" });
}
const module = await JsonDigestModule.load();
const e = module.exports;

interface Row {
  body: string;
  bytes: number;
  leaves: number;
  wasmDigest: { mbPerS: number; usPerKiB: number };
  jsonParseString: { mbPerS: number; usPerKiB: number };
  jsonParseBuffer: { mbPerS: number; usPerKiB: number };
  digestVsParseString: number;
}
const rows: Row[] = [];
const rate = (bytes: number, us: number) => ({ mbPerS: bytes / us, usPerKiB: (us * 1024) / bytes });

for (const { name, text } of bodies) {
  const bytes = Buffer.from(text, "utf8");
  // The body sits in Wasm memory once, as the filter's chunks would; only the digest is timed.
  const ptr = module.place(bytes);
  const digest: Digest = module.digest();
  const h = digest.handle;
  const runDigest = (): void => {
    e.digestReset(h);
    for (let at = 0; at < bytes.length; at += CHUNK) e.digestWrite(h, ptr + at, Math.min(CHUNK, bytes.length - at));
    if (e.digestFinish(h) !== 1) throw new Error(`${name}: the digest found the body invalid`);
  };
  runDigest();
  const leaves = digest.leaves;
  let sink = 0;
  const decoder = new TextDecoder();
  const [digestUs, parseUs, parseBufferUs] = timeAll([
    runDigest,
    () => {
      sink += (JSON.parse(text) as object) ? 1 : 0;
    },
    () => {
      sink += (JSON.parse(decoder.decode(bytes)) as object) ? 1 : 0;
    },
  ]) as [number, number, number];
  if (sink === 0) throw new Error("unreachable");
  e.release(ptr);
  digest.drop();
  const row: Row = {
    body: name,
    bytes: bytes.length,
    leaves,
    wasmDigest: rate(bytes.length, digestUs),
    jsonParseString: rate(bytes.length, parseUs),
    jsonParseBuffer: rate(bytes.length, parseBufferUs),
    digestVsParseString: parseUs / digestUs,
  };
  rows.push(row);
  console.log(
    `${name.padEnd(20)} ${String(bytes.length).padStart(8)} B ${String(leaves).padStart(7)} leaves | ` +
      `digest ${row.wasmDigest.mbPerS.toFixed(0).padStart(5)} MB/s ${row.wasmDigest.usPerKiB.toFixed(2).padStart(6)} µs/KiB | ` +
      `JSON.parse ${row.jsonParseString.mbPerS.toFixed(0).padStart(5)} MB/s | ` +
      `decode+parse ${row.jsonParseBuffer.mbPerS.toFixed(0).padStart(5)} MB/s | digest/parse speed ${row.digestVsParseString.toFixed(2)}`,
  );
}

// ---- with ignore paths: the matcher's cost ----
// The 64 KiB orders page again, with no ignore paths, with a typical list, and with 64 paths
// (most of them, or all, starting with **: every level then has live positions to step).
const ignoreSets: Record<string, string[]> = {
  none: [],
  "4 paths (1 with **)": ["meta.request_id", "data[*].trace_id", "data[*].items[*].etag", "**.updated_at"],
  "64 paths (8 with **)": [...Array.from({ length: 56 }, (_, i) => `field_${i}.x`), ...Array.from({ length: 8 }, (_, i) => `**.deep_${i}`)],
  "64 paths (all **)": Array.from({ length: 64 }, (_, i) => `**.k${i}`),
};
const ignoreRows: Array<{ ignore: string; leaves: number; mbPerS: number; usPerKiB: number }> = [];
{
  const text = bodies.find((b) => b.name === "orders-64KiB")!.text;
  const bytes = Buffer.from(text, "utf8");
  const ptr = module.place(bytes);
  const digests = Object.values(ignoreSets).map((paths) => module.digest(paths.length ? (module.compilePaths(paths) as number) : -1));
  const runs = digests.map((d) => () => {
    e.digestReset(d.handle);
    for (let at = 0; at < bytes.length; at += CHUNK) e.digestWrite(d.handle, ptr + at, Math.min(CHUNK, bytes.length - at));
    if (e.digestFinish(d.handle) !== 1) throw new Error("orders-64KiB: invalid");
  });
  for (const run of runs) run();
  const us = timeAll(runs);
  Object.keys(ignoreSets).forEach((name, k) => {
    ignoreRows.push({ ignore: name, leaves: digests[k]!.leaves, ...rate(bytes.length, us[k]!) });
    console.log(
      `orders-64KiB ignoring ${name.padEnd(22)} ${String(digests[k]!.leaves).padStart(5)} leaves | digest ${rate(bytes.length, us[k]!).mbPerS.toFixed(0).padStart(4)} MB/s`,
    );
  });
  e.release(ptr);
}

// ---- naming: how often the leaf tables decode ----
// A page of 120 leaves; n of them changed (each change: one entry per side in the leaf table).
// "exact": every differing path recovered; "named": at least min(n, 5) true paths named.
const SKETCH_TRIALS = Number(option("--sketch-trials") ?? 20_000);
const sketchRows: Array<{ changedLeaves: number; trials: number; notExact: number; fewerNamed: number }> = [];
{
  const a = module.digest();
  const b = module.digest();
  const rng = new Rng(77);
  const page = (values: number[]) => `{"items":[${values.map((v, i) => `{"id":${i},"price":${v},"tag":"t${i % 7}"}`).join(",")}]}`;
  for (const n of [1, 2, 3, 5, 8, 10, 15, 20, 30]) {
    let notExact = 0;
    let fewerNamed = 0;
    for (let t = 0; t < SKETCH_TRIALS; t++) {
      const base = Array.from({ length: 40 }, () => rng.int(0, 1_000_000));
      const changed = base.slice();
      const picked = new Set<number>();
      while (picked.size < n) picked.add(rng.int(0, 39));
      for (const i of picked) changed[i] = base[i]! + 1;
      a.reset();
      b.reset();
      a.writeAll(Buffer.from(page(base)));
      b.writeAll(Buffer.from(page(changed)));
      const d = module.differences(a, b, 5);
      const want = new Set([...picked].map((i) => `items[${i}].price`));
      if (!d.exact) notExact++;
      if (d.paths.filter((p) => want.has(p)).length < Math.min(n, 5)) fewerNamed++;
      if (t % 256 === 255) e.collect(); // naming allocates; the filter collects in its callbacks
    }
    sketchRows.push({ changedLeaves: n, trials: SKETCH_TRIALS, notExact, fewerNamed });
    console.log(
      `naming, ${String(n).padStart(2)} changed leaves: not every path recovered ${notExact} / ${SKETCH_TRIALS}, fewer than min(n, 5) true paths named ${fewerNamed} / ${SKETCH_TRIALS}`,
    );
  }
}

const date = new Date().toISOString().slice(0, 10);
const out = option("--json") ?? `${ROOT}bench/results/json-speed-${date}.json`;
const commit = (() => {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
})();
const result = {
  date: new Date().toISOString(),
  commit,
  wasm: "build/json-digest.test.wasm",
  node: process.version,
  v8: process.versions.v8,
  cpu: os.cpus()[0]?.model,
  cpus: os.cpus().length,
  load: os.loadavg(),
  chunkBytes: CHUNK,
  cpuSecondsPerBody: SECONDS,
  rounds: ROUNDS,
  note: "MB/s = 10^6 bytes of body text per CPU second (median of interleaved rounds); digest = reset + 16 KiB writes + finish; digestVsParseString > 1: the digest is faster",
  rows,
  ignore: ignoreRows,
  naming: { leafCells: 96, hashesPerEntry: 3, rows: sketchRows },
};
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
console.log(`written ${out.replace(ROOT, "")}`);
