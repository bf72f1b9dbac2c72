// The benchmark's filter configuration and request, in one place: bench/run.ts loads the
// configuration into the real Envoy, bench/host-calls.ts and bench/wasm-profile.ts drive the same
// configuration and an equivalent request through the emulator.
import { gzipSync } from "node:zlib";
import type { ProxyWasmHost } from "proxy-wasm-host";

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
    rules: [
      {
        name: RULE,
        dark: { cluster: "dark", timeout_ms: 5000 },
        compare: { status: true, body: true },
        limits: { max_in_flight: 4096 },
        sample: { percent },
      },
    ],
  };
}

/** H: C with a noise cluster (a second copy of every request, compared with the primary too). */
export function noiseBenchFilterConfig(): { rules: object[] } {
  const [rule] = benchFilterConfig(100).rules as [{ compare: object }];
  return { rules: [{ ...rule, compare: { ...rule.compare, noise_cluster: "noise" } }] };
}

/**
 * I: C with mismatch samples at the highest budget, every matching pair picked as a baseline
 * (`match_percent: 100`): every pair keeps its bodies until it is settled, and 1000 samples a
 * second are built and POSTed (the rest counted as dropped). The worst the samples can cost.
 */
export function samplesBenchFilterConfig(): { samples: object; rules: object[] } {
  return { samples: { cluster: "collector", per_second: 1000, match_percent: 100, max_body_bytes: 16384 }, ...benchFilterConfig(100) };
}

/**
 * A rule set that no benchmark request matches (`path_prefix` elsewhere): what the filter costs a
 * request that no rule is about. Measured in the emulator only (bench/host-calls.ts,
 * bench/wasm-profile.ts: "N").
 */
export function unmatchedFilterConfig(): { rules: object[] } {
  return {
    rules: [
      {
        name: RULE,
        match: { path_prefix: "/elsewhere" },
        dark: { cluster: "dark", timeout_ms: 5000 },
        compare: { status: true, body: true },
      },
    ],
  };
}

const REQUEST_HEADERS: Array<[string, string]> = [
  [":method", "GET"],
  [":path", BENCH_PATH],
  [":authority", "bench.example"],
  [":scheme", "http"],
  ["user-agent", "wrk"],
  ["accept", "*/*"],
  ["x-request-id", "7f3c2a9e-0000-4000-8000-000000000000"],
  ["x-forwarded-proto", "http"],
];
const BODY = Buffer.alloc(BODY_BYTES, "A");

/** One benchmark request through the emulator: both sides answer 200 with the same 1 KiB body. */
export function emulateBenchRequest(host: ProxyWasmHost): void {
  const s = host.stream();
  s.requestHeaders(REQUEST_HEADERS, true);
  s.responseHeaders([
    [":status", "200"],
    ["content-length", String(BODY_BYTES)],
    ["content-type", "text/plain"],
  ]);
  s.responseBody(BODY, true);
  s.end();
  for (const call of host.pendingCalls()) host.respond(call.token, { status: 200, headers: [["content-type", "text/plain"]], body: BODY });
}

// ---- E: JSON mode on a realistic body, gzip-encoded on the primary side ----

export const JSON_BENCH_PATH = "/bench-json";

/**
 * A realistic API answer of about 4 KiB: an order with nested customer, address and 12 line
 * items, ids and timestamps that differ between instances (ignored by the rule), deterministic.
 */
export function jsonBenchDocument(instance: "primary" | "dark"): unknown {
  const items = Array.from({ length: 12 }, (_, i) => ({
    sku: `SKU-${1000 + i}`,
    name: `Item number ${i} with a descriptive name`,
    quantity: 1 + (i % 3),
    unit_price: { amount: 1999 + i * 250, currency: "EUR" },
    tags: ["catalog", i % 2 === 0 ? "even" : "odd", "warehouse-3"],
    etag: `"${instance}-${i}"`,
  }));
  return {
    id: "ord_8f14e45fceea167a",
    status: "paid",
    created_at: "2026-11-30T10:15:00Z",
    updated_at: instance === "primary" ? "2026-12-01T09:00:00.123Z" : "2026-12-01T09:00:00.456Z",
    customer: {
      id: 4711,
      name: "Ada Example",
      email_verified: true,
      address: { street: "Main St 1", city: "Berlin", zip: "10115", country: "DE" },
    },
    items,
    totals: { subtotal: 52374, tax: 9951.06, shipping: 0, grand_total: 62325.06 },
    meta: { request_id: `${instance}-7f3c2a9e`, version: 3, region: "eu-central-1", flags: { beta: false, priority: null } },
  };
}

/** The primary's body (compact JSON, gzip) and the dark one (pretty-printed, identity). */
export const JSON_BENCH_PRIMARY_BODY: Buffer = gzipSync(JSON.stringify(jsonBenchDocument("primary")), { level: 6 });
export const JSON_BENCH_DARK_BODY: Buffer = Buffer.from(JSON.stringify(jsonBenchDocument("dark"), null, 2));
export const JSON_BENCH_IGNORE = ["updated_at", "meta.request_id", "items[*].etag"];

/** E: every request to JSON_BENCH_PATH mirrored and compared as JSON (the bodies are equal once decoded and ignored). */
export function jsonBenchFilterConfig(): { rules: object[] } {
  return {
    rules: [
      {
        name: RULE,
        match: { path_prefix: JSON_BENCH_PATH },
        dark: { cluster: "dark", timeout_ms: 5000 },
        compare: { status: true, headers: ["content-type"], body: { json: true, ignore: JSON_BENCH_IGNORE } },
        limits: { max_in_flight: 4096 },
      },
    ],
  };
}

const JSON_REQUEST_HEADERS: Array<[string, string]> = REQUEST_HEADERS.map(([k, v]) => [k, k === ":path" ? JSON_BENCH_PATH : v]);

/** One E request through the emulator: primary gzip JSON, dark pretty-printed identity JSON. */
export function emulateJsonBenchRequest(host: ProxyWasmHost): void {
  const s = host.stream();
  s.requestHeaders(JSON_REQUEST_HEADERS, true);
  s.responseHeaders([
    [":status", "200"],
    ["content-length", String(JSON_BENCH_PRIMARY_BODY.length)],
    ["content-type", "application/json"],
    ["content-encoding", "gzip"],
  ]);
  s.responseBody(JSON_BENCH_PRIMARY_BODY, true);
  s.end();
  for (const call of host.pendingCalls())
    host.respond(call.token, { status: 200, headers: [["content-type", "application/json"]], body: JSON_BENCH_DARK_BODY });
}
