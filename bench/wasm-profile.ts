// Where the filter's own Wasm time goes, per function: runs C's workload (mirror 100%, compare
// status and body, 1 KiB bodies on both sides) through the emulator with V8's sampling profiler
// on, and reports the self time of each Wasm function in µs per request. The emulator's own
// JavaScript is left out, so the figures are the module's cost alone (V8 in Node compiles the
// Wasm as V8 in Envoy does). Deterministic workload; sampling noise of a few percent.
//
//   npx tsx bench/wasm-profile.ts [--requests 100000] [--wasm build/dark-launch.profile.wasm] [--json out.json]
//
// Without --wasm it first builds the release target with function names kept
// (build/dark-launch.profile.wasm; names change nothing in the generated code).
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { fileURLToPath } from "node:url";
import { ProxyWasmHost } from "../tools/lib/wasm-host.ts";
import { benchFilterConfig, emulateBenchRequest } from "./lib/workload.ts";

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const REQUESTS = Number(option("--requests") ?? 100_000);
const ROOT = fileURLToPath(new URL("..", import.meta.url));
let wasmPath = option("--wasm");
if (wasmPath === undefined) {
  wasmPath = `${ROOT}build/dark-launch.profile.wasm`;
  execFileSync("npx", ["asc", "assembly/index.ts", "--target", "release", "--debug", "-o", wasmPath], { cwd: ROOT, stdio: "inherit" });
}

const host = new ProxyWasmHost({ clusters: ["dark"], wasmPath });
await host.load();
if (!host.configure(benchFilterConfig(100))) throw new Error(host.logs.map((l) => l.message).join("\n"));

for (let i = 0; i < 5000; i++) emulateBenchRequest(host); // warm-up: V8 tiers the Wasm up

interface ProfileNode { id: number; callFrame: { functionName: string; url: string } }
const session = new Session();
session.connect();
await session.post("Profiler.enable");
await session.post("Profiler.setSamplingInterval", { interval: 50 });
await session.post("Profiler.start");
const started = process.hrtime.bigint();
for (let i = 0; i < REQUESTS; i++) emulateBenchRequest(host);
const wallUs = Number(process.hrtime.bigint() - started) / 1000;
const { profile } = (await session.post("Profiler.stop")) as unknown as {
  profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
};
session.disconnect();

const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map<string, number>();
let wasmUs = 0;
for (let i = 0; i < profile.samples.length; i++) {
  const frame = nodes.get(profile.samples[i]!)!.callFrame;
  if (!frame.url.startsWith("wasm://")) continue;
  selfUs.set(frame.functionName, (selfUs.get(frame.functionName) ?? 0) + profile.timeDeltas[i]!);
  wasmUs += profile.timeDeltas[i]!;
}
const rows = [...selfUs.entries()].sort((a, b) => b[1] - a[1]).map(([fn, us]) => ({ fn, usPerRequest: us / REQUESTS }));
const result = {
  requests: REQUESTS,
  wasm: wasmPath.replace(ROOT, ""),
  wallUsPerRequest: wallUs / REQUESTS,
  wasmUsPerRequest: wasmUs / REQUESTS,
  functions: rows.filter((r) => r.usPerRequest >= 0.005),
};
const jsonPath = option("--json");
if (jsonPath) writeFileSync(jsonPath, JSON.stringify(result, null, 2) + "\n");
console.log(`${REQUESTS} requests; emulator + filter ${result.wallUsPerRequest.toFixed(1)} µs/request, of which the filter's Wasm ${result.wasmUsPerRequest.toFixed(2)} µs`);
for (const r of rows.slice(0, 25)) console.log(`${r.usPerRequest.toFixed(3).padStart(8)}  ${r.fn}`);
