// Shared helpers for emulator tests: request shapes, rule stats and the contract's invariants.
import assert from "node:assert/strict";
import { SKIP_REASONS, STATUS_CLASSES, MISMATCH_PARTS, ENVOY_CUSTOM_PREFIX, ruleStatName } from "../../assembly/darklaunch/stats_names.ts";
import type { Headers, ProxyWasmHost } from "../../tools/lib/wasm-host.ts";

export function get(path: string, extra: Headers = []): Headers {
  return [[":method", "GET"], [":path", path], [":authority", "shop.example"], [":scheme", "http"], ...extra];
}

export function post(path: string, extra: Headers = []): Headers {
  return [[":method", "POST"], [":path", path], [":authority", "shop.example"], [":scheme", "http"], ...extra];
}

export function ruleStat(host: ProxyWasmHost, rule: string, suffix: string): number {
  return host.stat(ENVOY_CUSTOM_PREFIX + ruleStatName(rule, suffix));
}

const sum = (host: ProxyWasmHost, rule: string, suffixes: string[]) => suffixes.reduce((a, s) => a + ruleStat(host, rule, s), 0);

/** The three invariants of contract section 3, once every call has ended. */
export function assertInvariants(host: ProxyWasmHost, rule: string, comparing = true): void {
  const requests = ruleStat(host, rule, "requests");
  const mirrored = ruleStat(host, rule, "mirrored");
  const skipped = sum(host, rule, SKIP_REASONS.map((r) => `skipped.${r}`));
  assert.equal(requests, mirrored + skipped, `${rule}: requests = mirrored + skipped`);
  const darkEnded = sum(host, rule, [...STATUS_CLASSES.map((c) => `dark.status.${c}`), "dark.failed", "dark.timeout"]);
  assert.equal(mirrored, darkEnded, `${rule}: mirrored = dark outcomes`);
  if (comparing) {
    const compared = sum(host, rule, ["compare.match", ...MISMATCH_PARTS.map((p) => `compare.mismatch.${p}`), "compare.incomplete"]);
    assert.equal(mirrored, compared, `${rule}: mirrored = compare outcomes`);
  }
  assert.equal(ruleStat(host, rule, "in_flight"), 0, `${rule}: nothing in flight`);
}
