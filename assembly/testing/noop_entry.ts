// BENCHMARK-ONLY module: the project's ABI layer with no filter behind it. Every stream gets a
// context whose callbacks return Continue at once. Built as build/noop.wasm by
// `npm run build:noop`; `npm run bench -- --wasm build/noop.wasm --configs A,D` measures what any
// proxy-wasm filter costs in Envoy before doing anything (the floor under configuration D).
import { RootContext, StreamContext } from "../abi/context";
import { setRootContextFactory } from "../abi/exports";

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
} from "../abi/exports";
export { malloc } from "../abi/memory";
export { abortHandler as __darklaunch_abort } from "../abi/abort";

class NoopRoot extends RootContext {
  createStreamContext(id: u32): StreamContext | null {
    return new StreamContext(id, this);
  }
}

setRootContextFactory((id: u32): RootContext => new NoopRoot(id));
