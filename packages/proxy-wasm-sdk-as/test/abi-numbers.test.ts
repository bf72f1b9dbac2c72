// The ABI's numbers are written twice on purpose: in the SDK (assembly/enums.ts, AssemblyScript
// enums) and in proxy-wasm-host (src/abi.ts, which stands alone so that the test kit depends on
// no SDK). This test holds the two tables to each other, name for name and number for number.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as host from "proxy-wasm-host";
import * as sdk from "../assembly/enums.ts";

/** A TypeScript enum's members (without the reverse number → name entries) as a plain object. */
function members(e: Record<string, string | number>): Record<string, number> {
  return Object.fromEntries(Object.entries(e).filter((entry): entry is [string, number] => typeof entry[1] === "number"));
}

const TABLES: [string, Record<string, number>, Record<string, string | number>][] = [
  ["WasmResult", host.WasmResult, sdk.WasmResult],
  ["BufferType", host.BufferType, sdk.BufferType],
  ["MapType", host.MapType, sdk.MapType],
  ["StreamType", host.StreamType, sdk.StreamType],
  ["MetricType", host.MetricType, sdk.MetricType],
  ["LogLevel", host.LogLevel, sdk.LogLevel],
];

for (const [name, hostTable, sdkTable] of TABLES) {
  test(`${name}: the host's numbers are the SDK's`, () => {
    assert.deepEqual({ ...hostTable }, members(sdkTable));
  });
}

test("Action (the host) is what the stream callbacks return (the SDK)", () => {
  for (const status of [sdk.FilterHeadersStatus, sdk.FilterTrailersStatus]) {
    assert.deepEqual({ ...host.Action }, members(status));
  }
  assert.equal(host.Action.StopIteration, sdk.FilterDataStatus.StopIterationAndBuffer);
});
