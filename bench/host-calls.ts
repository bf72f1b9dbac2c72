// Host calls per request, counted in the emulator for the benchmark's filter configurations:
// C (mirror 100%, compare status and body), D (sample gate at 0%), E (JSON mode, 4 KiB gzip vs
// identity) and N (no rule matches). Deterministic, so it measures the hot path's cost in host
// calls independently of machine noise. Counters and the in-flight gauge reach Envoy on the
// filter's tick, not per request: the ticks are reported apart, per period.
//
//   npx tsx bench/host-calls.ts [--requests 1000] [--configs C,D,E,N] [--wasm FILE] [--json]
import { ProxyWasmHost } from "proxy-wasm-host";
import { FILTER_WASM_PATH } from "../tools/lib/envoy.ts";
import { EMULATED, type EmulatedId, emulatedIds } from "./lib/emulated.ts";

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const REQUESTS = Number(option("--requests") ?? 1000) || 1000;
const IDS = emulatedIds(option("--configs"), ["C", "D", "E", "N"]);

interface Measured {
  title: string;
  /** Host calls per request by import name (malloc call-backs into the module not included). */
  perRequest: Record<string, number>;
  total: number;
  /** Calls back into the module's malloc per request (every host call that returns data makes one). */
  mallocCallbacks: number;
  /** Host calls of one tick after the requests (the counters' flush), by import name. */
  tick: Record<string, number>;
  memoryBytes: number;
}

function rounded(counts: Map<string, number>, divisor: number): { byName: Record<string, number>; total: number } {
  const byName: Record<string, number> = {};
  let total = 0;
  for (const [name, n] of [...counts.entries()].sort()) {
    byName[name] = Math.round((n / divisor) * 100) / 100;
    total += n;
  }
  return { byName, total: Math.round((total / divisor) * 100) / 100 };
}

async function measure(id: EmulatedId): Promise<Measured> {
  const w = EMULATED[id];
  const wasmPath = option("--wasm");
  const host = new ProxyWasmHost({ wasm: wasmPath ?? FILTER_WASM_PATH, clusters: ["dark"], countsFlushedAtTicks: true });
  await host.load();
  if (!host.configure(w.config)) throw new Error(host.logs.map((l) => l.message).join("\n"));
  const tick = (host as unknown as { tick?: () => void }).tick;
  // Warm-up: the filter adapts how it reads request headers to the traffic (64 requests at a time).
  for (let i = 0; i < 200; i++) w.request(host);
  tick?.call(host);
  host.hostCalls.clear();
  host.mallocCallbacks = 0;
  for (let i = 0; i < REQUESTS; i++) w.request(host);
  const requests = rounded(host.hostCalls, REQUESTS);
  const mallocs = Math.round((host.mallocCallbacks / REQUESTS) * 100) / 100;
  host.hostCalls.clear();
  tick?.call(host);
  const ticked = rounded(host.hostCalls, 1);
  return {
    title: w.title,
    perRequest: requests.byName,
    total: requests.total,
    mallocCallbacks: mallocs,
    tick: ticked.byName,
    memoryBytes: host.memoryBytes,
  };
}

const result: Record<string, Measured> = {};
for (const id of IDS) result[id] = await measure(id);
if (args.includes("--json")) {
  console.log(JSON.stringify({ requests: REQUESTS, ...result }, null, 2));
} else {
  for (const [id, r] of Object.entries(result)) {
    console.log(`${id} (${r.title}): ${r.total} host calls per request (and ${r.mallocCallbacks} calls back into malloc)`);
    for (const [name, n] of Object.entries(r.perRequest)) console.log(`  ${name.padEnd(36)} ${n}`);
    const tickCalls = Object.values(r.tick).reduce((a, b) => a + b, 0);
    if (tickCalls > 0)
      console.log(
        `  one tick after ${REQUESTS} requests: ${tickCalls} host calls (${Object.entries(r.tick)
          .map(([k, v]) => `${k} ${v}`)
          .join(", ")})`,
      );
  }
}
