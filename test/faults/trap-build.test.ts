// The trap-test build (assembly/testing/trap_entry.ts) must stand in for the filter in Envoy: it
// exports exactly what build/dark-launch.wasm exports, each function with the same signature
// (Envoy checks them when it loads a module), so an export added to the SDK's assembly/module.ts cannot miss it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../tools/lib/envoy.ts";
import { readExports } from "proxy-wasm-host";

test("the trap-test build exports what the filter exports, with the same signatures", () => {
  const filter = readExports(readFileSync(join(PROJECT_ROOT, "build", "dark-launch.wasm")));
  const trap = readExports(readFileSync(join(PROJECT_ROOT, "build", "dark-launch.trap-test.wasm")));
  const byName = (list: typeof filter) => [...list].sort((a, b) => a.name.localeCompare(b.name));
  assert.ok(
    filter.some((e) => e.name === "proxy_on_request_headers" && e.params?.join() === "i32,i32,i32" && e.results?.join() === "i32"),
    "the reader sees the filter's exports",
  );
  assert.ok(filter.length >= 18, `the filter exports the ABI (${filter.map((e) => e.name).join(", ")})`);
  assert.deepEqual(byName(trap), byName(filter));
});
