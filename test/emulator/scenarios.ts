// Shared helpers for emulator tests: request shapes, rule stats and the contract's invariants.
import assert from "node:assert/strict";
import { ENVOY_CUSTOM_PREFIX, ruleStatName } from "../../assembly/darklaunch/stats_names.ts";
import { brokenInvariants } from "../../tools/lib/invariants.ts";
import type { Headers, ProxyWasmHost } from "proxy-wasm-host";

export function get(path: string, extra: Headers = []): Headers {
  return [[":method", "GET"], [":path", path], [":authority", "shop.example"], [":scheme", "http"], ...extra];
}

export function post(path: string, extra: Headers = []): Headers {
  return [[":method", "POST"], [":path", path], [":authority", "shop.example"], [":scheme", "http"], ...extra];
}

export function ruleStat(host: ProxyWasmHost, rule: string, suffix: string): number {
  return host.stat(ENVOY_CUSTOM_PREFIX + ruleStatName(rule, suffix));
}

/** The invariants of contract section 3 (the fourth with `noise`), once every call has ended, and nothing in flight. */
export function assertInvariants(host: ProxyWasmHost, rule: string, comparing = true, noise = false): void {
  assert.deepEqual(
    brokenInvariants((suffix) => ruleStat(host, rule, suffix), comparing, noise),
    [],
    `${rule}: invariants`,
  );
  assert.equal(ruleStat(host, rule, "in_flight"), 0, `${rule}: nothing in flight`);
}
