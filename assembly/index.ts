// The dark-launch filter module (root_id "dark_launch"): the ABI exports and the filter's root.
import { RootContext } from "./abi/context";
import { setRootContextFactory } from "./abi/exports";
import { DarkLaunchRoot } from "./filter/root";

export {
  proxy_abi_version_0_2_1,
  proxy_on_context_create,
  proxy_on_vm_start,
  proxy_on_configure,
  proxy_on_tick,
  proxy_on_http_call_response,
  proxy_on_request_headers,
  proxy_on_request_body,
  proxy_on_request_trailers,
  proxy_on_response_headers,
  proxy_on_response_body,
  proxy_on_response_trailers,
  proxy_on_log,
  proxy_on_done,
  proxy_on_delete,
} from "./abi/exports";
export { malloc } from "./abi/memory";
// Keeps the abort replacement (asconfig "use": abort=...) in the compilation.
export { abortHandler as __darklaunch_abort } from "./abi/abort";

setRootContextFactory((id: u32): RootContext => new DarkLaunchRoot(id));
