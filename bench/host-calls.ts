// Host calls per request, counted in the emulator for the benchmark's filter configurations:
// C (mirror 100%, compare status and body) and D (sample gate at 0%). Deterministic, so it
// measures the hot path's cost in host calls independently of machine noise.
//
//   npx tsx bench/host-calls.ts [--requests 1000] [--json]
import { ProxyWasmHost } from "../tools/lib/wasm-host.ts";
import { benchFilterConfig, emulateBenchRequest } from "./lib/workload.ts";

const args = process.argv.slice(2);
const REQUESTS = Number(args[args.indexOf("--requests") + 1] || 1000) || 1000;
const CONFIGS = { C: benchFilterConfig(100), D: benchFilterConfig(0) };

async function measure(config: object): Promise<{ perRequest: Record<string, number>; total: number; memoryBytes: number }> {
  const host = new ProxyWasmHost({ clusters: ["dark"] });
  await host.load();
  if (!host.configure(config)) throw new Error(host.logs.map((l) => l.message).join("\n"));
  host.hostCalls.clear();
  for (let i = 0; i < REQUESTS; i++) emulateBenchRequest(host);
  const perRequest: Record<string, number> = {};
  let total = 0;
  for (const [name, n] of [...host.hostCalls.entries()].sort()) {
    perRequest[name] = Math.round((n / REQUESTS) * 100) / 100;
    total += n;
  }
  return { perRequest, total: Math.round((total / REQUESTS) * 100) / 100, memoryBytes: host.memoryBytes };
}

const result: Record<string, unknown> = {};
for (const [letter, config] of Object.entries(CONFIGS)) result[letter] = await measure(config);
if (args.includes("--json")) {
  console.log(JSON.stringify({ requests: REQUESTS, ...result }, null, 2));
} else {
  for (const [letter, r] of Object.entries(result) as Array<[string, { perRequest: Record<string, number>; total: number }]>) {
    console.log(`${letter}: ${r.total} host calls per request`);
    for (const [name, n] of Object.entries(r.perRequest)) console.log(`  ${name.padEnd(32)} ${n}`);
  }
}
