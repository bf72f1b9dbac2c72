// TEST-ONLY module: the dark-launch filter, plus a trap on demand (request header
// `x-test-trap`). Built as build/dark-launch.trap-test.wasm by `npm run build:trap-test`;
// used to prove that the shipped failure_policy keeps user traffic flowing when the VM crashes.
// Never deploy it.
//
// The trap sits in front of the exported callback rather than in a subclass of the filter's
// contexts: AssemblyScript 0.27 dispatches a method overridden at two levels of subclassing to
// the middle class, so a subclass of DarkLaunchRoot would silently not trap.
import { setRootContextFactory, proxy_on_request_headers as filterOnRequestHeaders } from "../abi/exports";
import { RootContext } from "../abi/context";
import { MapType, WasmResult } from "../abi/enums";
import { getHeaderValue } from "../abi/hostcalls";
import { Out } from "../abi/out";
import { DarkLaunchRoot } from "../filter/root";

export {
  proxy_abi_version_0_2_1,
  proxy_on_context_create,
  proxy_on_vm_start,
  proxy_on_configure,
  proxy_on_tick,
  proxy_on_http_call_response,
  proxy_on_request_body,
  proxy_on_request_trailers,
  proxy_on_response_headers,
  proxy_on_response_body,
  proxy_on_response_trailers,
  proxy_on_log,
  proxy_on_done,
  proxy_on_delete,
} from "../abi/exports";
export { malloc } from "../abi/memory";
export { abortHandler as __darklaunch_abort } from "../abi/abort";

const TRAP_HEADER: ArrayBuffer = String.UTF8.encode("x-test-trap");
const VALUE = new Out<ArrayBuffer>(new ArrayBuffer(0));

export function proxy_on_request_headers(contextId: u32, numHeaders: u32, endOfStream: u32): u32 {
  if (getHeaderValue(MapType.RequestHeaders, TRAP_HEADER, VALUE) == WasmResult.Ok) unreachable();
  return filterOnRequestHeaders(contextId, numHeaders, endOfStream);
}

setRootContextFactory((id: u32): RootContext => new DarkLaunchRoot(id));
