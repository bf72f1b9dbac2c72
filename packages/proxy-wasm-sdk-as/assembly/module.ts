// Everything a proxy-wasm module built on this SDK exports to the host. An entry file re-exports
// it (`export * from "proxy-wasm-sdk-as/assembly/module"`) and registers its root context factory.
// (Do not put `exportRuntime` in an asconfig, even as false: asc then exports its runtime.)
export {
  proxy_abi_version_0_2_1,
  proxy_on_context_create,
  proxy_on_vm_start,
  proxy_on_configure,
  proxy_on_tick,
  proxy_on_http_call_response,
  proxy_on_queue_ready,
  proxy_on_request_headers,
  proxy_on_request_body,
  proxy_on_request_trailers,
  proxy_on_response_headers,
  proxy_on_response_body,
  proxy_on_response_trailers,
  proxy_on_log,
  proxy_on_done,
  proxy_on_delete,
} from "./exports";
export { malloc } from "./memory";
// Keeps the abort replacement (asconfig "use": abort=...) in the compilation.
export { abortHandler as __proxy_wasm_abort } from "./abort";
