// How fast the sample redactor (assembly/darklaunch/json_redact.ts, samples.redact) reads a body,
// beside the JSON comparison's digest on the same bodies in the same process (not a test). The
// filter's code compiled with the filter's options (build/json-digest.test.wasm), each body fed in
// 16 KiB chunks (reset, writes, finish):
// - redact, no paths, no cap: a bounded copy that checks the body is JSON;
// - redact, 3 paths, no cap: customers' e-mails at any depth, whole address objects, trace ids;
// - redact, 3 paths, cap 16384 (samples.max_body_bytes' default): reading stops at the cap;
// - the digest without ignore paths (what every JSON-mode pair pays anyway).
//
//   npx tsx bench/json-redact-speed.ts [--seconds 3] [--json out.json] [--no-build]
//
// Results go to bench/results/json-redact-speed-<date>.json; bench/README.md, "Sample redaction speed".
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { cpuTimeMedians, jsonBenchBodies } from "./json-bodies.ts";
import { JsonDigestModule } from "../test/support/json-digest-wasm.ts";

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const SECONDS = Number(option("--seconds") ?? 3);
const ROUNDS = 15;
const CHUNK = 16 * 1024;
const NO_CAP = 16 * 1024 * 1024;
const DEFAULT_CAP = 16384;
const PATHS = ["**.email", "data[*].customer.address", "**.trace_id"];
const ROOT = fileURLToPath(new URL("..", import.meta.url));

if (!option("--no-build")) {
  execFileSync("npm", ["run", "--silent", "build:json-test"], { cwd: ROOT, stdio: "inherit" });
}
const module = await JsonDigestModule.load();
const e = module.exports;
const set = module.compilePaths(PATHS);
if (typeof set !== "number") throw new Error(set.join("; "));
const plain = module.redactor(-1, NO_CAP);
const redacting = module.redactor(set, NO_CAP);
const capped = module.redactor(set, DEFAULT_CAP);
const digest = module.digest();

interface Row {
  body: string;
  bytes: number;
  outputBytes: number;
  redacted: boolean;
  copyMBps: number;
  redactMBps: number;
  redactUsPerKiB: number;
  cappedUs: number;
  digestMBps: number;
}
const rows: Row[] = [];

for (const { name, text } of jsonBenchBodies()) {
  const bytes = Buffer.from(text, "utf8");
  const ptr = module.place(bytes);
  const feed = (write: (p: number, n: number) => void) => {
    for (let at = 0; at < bytes.length; at += CHUNK) write(ptr + at, Math.min(CHUNK, bytes.length - at));
  };
  const redactRun = (h: number) => () => {
    e.redactorReset(h);
    feed((p, n) => e.redactorWrite(h, p, n));
    e.redactorFinish(h);
  };
  const runs = [
    redactRun(plain.handle),
    redactRun(redacting.handle),
    redactRun(capped.handle),
    () => {
      e.digestReset(digest.handle);
      feed((p, n) => e.digestWrite(digest.handle, p, n));
      if (e.digestFinish(digest.handle) !== 1) throw new Error(`${name}: invalid`);
    },
  ];
  for (const run of runs) run();
  const copy = plain.result();
  if (copy.notJson || !copy.output.equals(bytes)) throw new Error(`${name}: the copy is not the body`);
  const full = redacting.result();
  if (full.notJson || full.truncated) throw new Error(`${name}: not redacted whole`);
  const [copyUs, redactUs, cappedUs, digestUs] = cpuTimeMedians(runs, SECONDS, ROUNDS);
  const mb = (us: number) => bytes.length / us;
  const row: Row = {
    body: name,
    bytes: bytes.length,
    outputBytes: full.output.length,
    redacted: full.redacted,
    copyMBps: mb(copyUs!),
    redactMBps: mb(redactUs!),
    redactUsPerKiB: (redactUs! * 1024) / bytes.length,
    cappedUs: cappedUs!,
    digestMBps: mb(digestUs!),
  };
  rows.push(row);
  console.log(
    `${name.padEnd(20)} ${String(bytes.length).padStart(8)} B → ${String(row.outputBytes).padStart(8)} B | copy ${row.copyMBps.toFixed(0).padStart(4)} MB/s | redact ${row.redactMBps.toFixed(0).padStart(4)} MB/s (${row.redactUsPerKiB.toFixed(2)} µs/KiB) | cap 16384: ${row.cappedUs.toFixed(1).padStart(7)} µs | digest ${row.digestMBps.toFixed(0).padStart(4)} MB/s`,
  );
  e.release(ptr);
}

const date = new Date().toISOString().slice(0, 10);
const out = option("--json") ?? `${ROOT}bench/results/json-redact-speed-${date}.json`;
const commit = (() => {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
})();
writeFileSync(
  out,
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      commit,
      wasm: "build/json-digest.test.wasm",
      node: process.version,
      cpu: os.cpus()[0]?.model,
      cpus: os.cpus().length,
      load: os.loadavg(),
      chunkBytes: CHUNK,
      paths: PATHS,
      cpuSecondsPerBody: SECONDS,
      rounds: ROUNDS,
      note: "MB/s = 10^6 bytes of body text per CPU second (median of interleaved rounds); each run = reset + 16 KiB writes + finish; cappedUs: µs per body with the output cut at 16384 bytes",
      rows,
    },
    null,
    2,
  )}\n`,
);
console.log(`written ${out.replace(ROOT, "")}`);
