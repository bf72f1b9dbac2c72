// Bench E's pair of bodies through the filter's JSON comparison alone, beside V8's JSON.parse on
// the same text, CPU-timed in interleaved rounds with no profiler running: the second measurement
// of issue 12's JSON goal (the first is bench/wasm-profile.ts --config E, inside the filter).
//
// The comparison is build/json-digest.test.wasm (the filter's JSON code compiled with the
// filter's options, assembly/testing/json_entry.ts) with bench E's rule: the three ignored paths,
// the primary's body once decoded and the dark one as sent (pretty-printed), one digest per side
// reused from pair to pair as the filter's rule reuses them, each body in one write (as the
// emulator and Envoy hand a 4 KiB body over), then finished and compared.
// JSON.parse reads the same two texts as JavaScript strings.
//
//   npx tsx bench/json-pair.ts [--seconds 6] [--json out.json] [--no-build] [--wasm another build of it]
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { JsonDigestModule } from "../test/support/json-digest-wasm.ts";
import { cpuTimeMedians } from "./json-bodies.ts";
import { JSON_BENCH_DARK_BODY, JSON_BENCH_IGNORE, JSON_BENCH_PRIMARY_BODY } from "./lib/workload.ts";

/** What one measurement found: µs of CPU per pair of bodies (medians of the rounds). */
export interface JsonPairResult {
  bodies: { primaryDecodedBytes: number; darkBytes: number; leavesPerBody: number };
  rounds: number;
  cpuSeconds: number;
  usPerPair: { compare: number; jsonParse: number };
  usPerKiB: { compare: number; jsonParse: number };
  /** > 1: the comparison reads a byte faster than JSON.parse. */
  speedVsJsonParse: number;
}

const ROUNDS = 15;

export async function measureJsonPair(seconds: number, wasm?: string): Promise<JsonPairResult> {
  const module = await JsonDigestModule.load(wasm);
  const e = module.exports;
  const primary = gunzipSync(JSON_BENCH_PRIMARY_BODY);
  const dark = JSON_BENCH_DARK_BODY;
  const set = module.compilePaths(JSON_BENCH_IGNORE);
  if (typeof set !== "number") throw new Error(`ignore paths refused: ${set.join("; ")}`);
  const primaryPtr = module.place(primary);
  const darkPtr = module.place(dark);
  const a = module.digest(set);
  const b = module.digest(set);
  const comparePair = (): void => {
    e.digestReset(a.handle);
    e.digestWrite(a.handle, primaryPtr, primary.length);
    e.digestReset(b.handle);
    e.digestWrite(b.handle, darkPtr, dark.length);
    if (e.digestFinish(a.handle) !== 1 || e.digestFinish(b.handle) !== 1) throw new Error("bench E's bodies read as invalid JSON");
    if (e.digestsEqual(a.handle, b.handle) !== 1) throw new Error("bench E's bodies compared unequal");
  };
  const primaryText = primary.toString("utf8");
  const darkText = dark.toString("utf8");
  let sink = 0;
  const parsePair = (): void => {
    sink += (JSON.parse(primaryText) as { items: unknown[] }).items.length;
    sink += (JSON.parse(darkText) as { items: unknown[] }).items.length;
  };
  comparePair();
  const leaves = a.leaves;
  const [compareUs, parseUs] = cpuTimeMedians([comparePair, parsePair], seconds, ROUNDS) as [number, number];
  if (sink === 0) throw new Error("unreachable");
  const kib = (primary.length + dark.length) / 1024;
  const r3 = (x: number): number => Math.round(x * 1000) / 1000;
  return {
    bodies: { primaryDecodedBytes: primary.length, darkBytes: dark.length, leavesPerBody: leaves },
    rounds: ROUNDS,
    cpuSeconds: seconds,
    usPerPair: { compare: r3(compareUs), jsonParse: r3(parseUs) },
    usPerKiB: { compare: r3(compareUs / kib), jsonParse: r3(parseUs / kib) },
    speedVsJsonParse: Math.round((parseUs / compareUs) * 100) / 100,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const option = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  if (!args.includes("--no-build") && option("--wasm") === undefined) {
    execFileSync("npm", ["run", "--silent", "build:json-test"], { cwd: fileURLToPath(new URL("..", import.meta.url)), stdio: "inherit" });
  }
  const result = await measureJsonPair(Number(option("--seconds") ?? 6), option("--wasm"));
  console.log(
    `bench E's pair (${result.bodies.primaryDecodedBytes} + ${result.bodies.darkBytes} bytes, ${result.bodies.leavesPerBody} leaves each): ` +
      `JSON comparison ${result.usPerPair.compare} µs (${result.usPerKiB.compare} µs/KiB), ` +
      `JSON.parse ${result.usPerPair.jsonParse} µs (${result.usPerKiB.jsonParse} µs/KiB): speed ratio ${result.speedVsJsonParse}`,
  );
  const out = option("--json");
  if (out) writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
}
