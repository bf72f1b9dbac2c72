// TEST-ONLY module: the dark-launch filter, plus a trap on demand (request header
// `x-test-trap`). Built as build/dark-launch.trap-test.wasm by `npm run build:trap-test`;
// used to prove that the shipped failure_policy keeps user traffic flowing when the VM crashes.
// Never deploy it.
//
// It exports everything the filter's entry does (the same `export *` of proxy-wasm-sdk-as/assembly/module), and
// replaces one export with a function of its own: a local export takes precedence over a star
// export of the same name. test/faults/trap-build.test.ts checks that the two builds export the
// same names with the same signatures.
import { setRootContextFactory, proxy_on_request_headers as filterOnRequestHeaders } from "proxy-wasm-sdk-as/assembly/exports";
import { RootContext } from "proxy-wasm-sdk-as/assembly/context";
import { MapType, WasmResult } from "proxy-wasm-sdk-as/assembly/enums";
import { getHeaderValue } from "proxy-wasm-sdk-as/assembly/hostcalls";
import { Out } from "proxy-wasm-sdk-as/assembly/out";
import { DarkLaunchRoot } from "../filter/root";

export * from "proxy-wasm-sdk-as/assembly/module";

const TRAP_HEADER: ArrayBuffer = String.UTF8.encode("x-test-trap");
const VALUE = new Out<ArrayBuffer>(new ArrayBuffer(0));

export function proxy_on_request_headers(contextId: u32, numHeaders: u32, endOfStream: u32): u32 {
  if (getHeaderValue(MapType.RequestHeaders, TRAP_HEADER, VALUE) == WasmResult.Ok) unreachable();
  return filterOnRequestHeaders(contextId, numHeaders, endOfStream);
}

setRootContextFactory((id: u32): RootContext => new DarkLaunchRoot(id));
