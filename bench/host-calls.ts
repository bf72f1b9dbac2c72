// Host calls per request, counted in the emulator for the benchmark's filter configurations:
// C (mirror 100%, compare status and body) and D (sample gate at 0%). Deterministic, so it
// measures the hot path's cost in host calls independently of machine noise.
//
//   npx tsx bench/host-calls.ts [--requests 1000] [--json]
import { ProxyWasmHost } from "../tools/lib/wasm-host.ts";

const args = process.argv.slice(2);
const REQUESTS = Number(args[args.indexOf("--requests") + 1] || 1000) || 1000;
const headers: Array<[string, string]> = [
  [":method", "GET"], [":path", "/bench"], [":authority", "bench.example"], [":scheme", "http"],
  ["user-agent", "wrk"], ["accept", "*/*"], ["x-request-id", "7f3c2a9e-0000-4000-8000-000000000000"],
  ["x-forwarded-proto", "http"],
];
const body = Buffer.alloc(1024, "A");

const CONFIGS = {
  C: { rules: [{ name: "bench", dark: { cluster: "dark" }, compare: { status: true, body: true }, limits: { max_in_flight: 4096 } }] },
  D: { rules: [{ name: "bench", dark: { cluster: "dark" }, sample: { percent: 0 } }] },
};

async function measure(config: object): Promise<{ perRequest: Record<string, number>; total: number; memoryBytes: number }> {
  const host = new ProxyWasmHost({ clusters: ["dark"] });
  await host.load();
  if (!host.configure(config)) throw new Error(host.logs.map((l) => l.message).join("\n"));
  host.hostCalls.clear();
  for (let i = 0; i < REQUESTS; i++) {
    const s = host.stream();
    s.requestHeaders(headers, true);
    s.responseHeaders([[":status", "200"], ["content-length", "1024"], ["content-type", "text/plain"]]);
    s.responseBody(body, true);
    s.end();
    for (const call of host.pendingCalls()) host.respond(call.token, { status: 200, headers: [["content-type", "text/plain"]], body });
  }
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
