// The benchmark's filter configuration and request, in one place: bench/run.ts loads the
// configuration into the real Envoy, bench/host-calls.ts and bench/wasm-profile.ts drive the same
// configuration and an equivalent request through the emulator.
import type { ProxyWasmHost } from "../../tools/lib/wasm-host.ts";

export const BODY_BYTES = 1024;
export const BENCH_PATH = "/bench";
export const RULE = "bench";

/**
 * The filter configuration of C (`percent` 100: mirror and compare status and body) and D
 * (`percent` 0: only the gates). Limits high enough that no mirror is skipped for in-flight or
 * rate reasons at the benchmark's loads.
 */
export function benchFilterConfig(percent: number): { rules: object[] } {
  return {
    rules: [{
      name: RULE,
      dark: { cluster: "dark", timeout_ms: 5000 },
      compare: { status: true, body: true },
      limits: { max_in_flight: 4096 },
      sample: { percent },
    }],
  };
}

const REQUEST_HEADERS: Array<[string, string]> = [
  [":method", "GET"], [":path", BENCH_PATH], [":authority", "bench.example"], [":scheme", "http"],
  ["user-agent", "wrk"], ["accept", "*/*"], ["x-request-id", "7f3c2a9e-0000-4000-8000-000000000000"],
  ["x-forwarded-proto", "http"],
];
const BODY = Buffer.alloc(BODY_BYTES, "A");

/** One benchmark request through the emulator: both sides answer 200 with the same 1 KiB body. */
export function emulateBenchRequest(host: ProxyWasmHost): void {
  const s = host.stream();
  s.requestHeaders(REQUEST_HEADERS, true);
  s.responseHeaders([[":status", "200"], ["content-length", String(BODY_BYTES)], ["content-type", "text/plain"]]);
  s.responseBody(BODY, true);
  s.end();
  for (const call of host.pendingCalls()) host.respond(call.token, { status: 200, headers: [["content-type", "text/plain"]], body: BODY });
}
