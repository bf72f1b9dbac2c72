// The functions a proxy-wasm 0.2.1 module exports for the host to call, with the signatures the
// host calls them with. Envoy refuses to load a module whose export has another signature ("Bad
// function signature"), and one without the ABI version export or an allocator; so does load().
import { readExports, type ExportEntry, type ValType } from "./wasm-exports.ts";

type Signature = readonly [params: readonly ValType[], results: readonly ValType[]];

const I = "i32";
const CALLBACKS: Record<string, Signature> = {
  proxy_abi_version_0_2_1: [[], []],
  _initialize: [[], []],
  _start: [[], []],
  malloc: [[I], [I]],
  proxy_on_memory_allocate: [[I], [I]],
  proxy_on_context_create: [[I, I], []],
  proxy_on_vm_start: [[I, I], [I]],
  proxy_on_configure: [[I, I], [I]],
  proxy_on_tick: [[I], []],
  proxy_on_http_call_response: [[I, I, I, I, I], []],
  proxy_on_queue_ready: [[I, I], []],
  proxy_on_request_headers: [[I, I, I], [I]],
  proxy_on_request_body: [[I, I, I], [I]],
  proxy_on_request_trailers: [[I, I], [I]],
  proxy_on_response_headers: [[I, I, I], [I]],
  proxy_on_response_body: [[I, I, I], [I]],
  proxy_on_response_trailers: [[I, I], [I]],
  proxy_on_log: [[I], []],
  proxy_on_done: [[I], [I]],
  proxy_on_delete: [[I], []],
};

function sameSignature(entry: ExportEntry, [params, results]: Signature): boolean {
  return entry.params?.join() === params.join() && entry.results?.join() === results.join();
}

/** What keeps the module in `bytes` from loading as a proxy-wasm 0.2.1 module (none: it loads). */
export function abiProblems(bytes: Uint8Array): string[] {
  const exports = readExports(bytes);
  const problems: string[] = [];
  const names = new Set(exports.map((e) => e.name));
  if (!names.has("proxy_abi_version_0_2_1")) problems.push("no export proxy_abi_version_0_2_1 (the module is not for ABI 0.2.1)");
  if (!names.has("malloc") && !names.has("proxy_on_memory_allocate"))
    problems.push("no export malloc or proxy_on_memory_allocate (the host cannot hand values over)");
  if (!names.has("memory")) problems.push("no exported memory");
  for (const entry of exports) {
    const expected = CALLBACKS[entry.name];
    if (expected === undefined || entry.kind !== "func") continue;
    if (!sameSignature(entry, expected)) {
      problems.push(
        `bad function signature of ${entry.name}: (${entry.params?.join(", ")}) -> (${entry.results?.join(", ")}), expected (${expected[0].join(", ")}) -> (${expected[1].join(", ")})`,
      );
    }
  }
  return problems;
}
