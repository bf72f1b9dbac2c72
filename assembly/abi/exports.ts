// The functions the host calls (proxy-wasm ABI 0.2.1), dispatched by context id to the
// RootContext / StreamContext objects of the filter.
import { RootContext, RootContextFactory, StreamContext } from "./context";
import { FilterDataStatus, FilterHeadersStatus, FilterTrailersStatus } from "./enums";
import { collectGarbageIfDue } from "./memory";

const roots = new Map<u32, RootContext>();
const streams = new Map<u32, StreamContext>();
let rootFactory: RootContextFactory | null = null;

/** The filter's entry point registers how its root context is made. */
export function setRootContextFactory(factory: RootContextFactory): void {
  rootFactory = factory;
}

export function proxy_abi_version_0_2_1(): void {}

export function proxy_on_context_create(contextId: u32, parentId: u32): void {
  collectGarbageIfDue();
  if (parentId == 0) {
    const factory = rootFactory;
    if (factory !== null && !roots.has(contextId)) roots.set(contextId, factory(contextId));
    return;
  }
  if (!roots.has(parentId)) return;
  const stream = roots.get(parentId).createStreamContext(contextId);
  if (stream !== null) streams.set(contextId, stream);
}

export function proxy_on_vm_start(rootId: u32, vmConfigurationSize: u32): u32 {
  return roots.has(rootId) && roots.get(rootId).onVmStart(<i32>vmConfigurationSize) ? 1 : 0;
}

export function proxy_on_configure(rootId: u32, pluginConfigurationSize: u32): u32 {
  collectGarbageIfDue(true);
  return roots.has(rootId) && roots.get(rootId).onConfigure(<i32>pluginConfigurationSize) ? 1 : 0;
}

export function proxy_on_tick(rootId: u32): void {
  if (roots.has(rootId)) roots.get(rootId).onTick();
}

export function proxy_on_http_call_response(rootId: u32, token: u32, numHeaders: u32, bodySize: u32, numTrailers: u32): void {
  collectGarbageIfDue();
  if (roots.has(rootId)) roots.get(rootId).onHttpCallResponse(token, <i32>numHeaders, <i32>bodySize, <i32>numTrailers);
}

export function proxy_on_request_headers(contextId: u32, numHeaders: u32, endOfStream: u32): u32 {
  if (!streams.has(contextId)) return FilterHeadersStatus.Continue;
  return streams.get(contextId).onRequestHeaders(<i32>numHeaders, endOfStream != 0);
}

export function proxy_on_request_body(contextId: u32, bodySize: u32, endOfStream: u32): u32 {
  if (!streams.has(contextId)) return FilterDataStatus.Continue;
  return streams.get(contextId).onRequestBody(<i32>bodySize, endOfStream != 0);
}

export function proxy_on_request_trailers(contextId: u32, numTrailers: u32): u32 {
  if (!streams.has(contextId)) return FilterTrailersStatus.Continue;
  return streams.get(contextId).onRequestTrailers(<i32>numTrailers);
}

export function proxy_on_response_headers(contextId: u32, numHeaders: u32, endOfStream: u32): u32 {
  if (!streams.has(contextId)) return FilterHeadersStatus.Continue;
  return streams.get(contextId).onResponseHeaders(<i32>numHeaders, endOfStream != 0);
}

export function proxy_on_response_body(contextId: u32, bodySize: u32, endOfStream: u32): u32 {
  if (!streams.has(contextId)) return FilterDataStatus.Continue;
  return streams.get(contextId).onResponseBody(<i32>bodySize, endOfStream != 0);
}

export function proxy_on_response_trailers(contextId: u32, numTrailers: u32): u32 {
  if (!streams.has(contextId)) return FilterTrailersStatus.Continue;
  return streams.get(contextId).onResponseTrailers(<i32>numTrailers);
}

export function proxy_on_log(contextId: u32): void {
  if (streams.has(contextId)) streams.get(contextId).onLog();
}

/** Returns 1: the context is done at once (nothing here needs a deferred shutdown). */
export function proxy_on_done(contextId: u32): u32 {
  if (streams.has(contextId)) {
    streams.get(contextId).onDone();
  } else if (roots.has(contextId)) {
    return roots.get(contextId).onDone() ? 1 : 0;
  }
  return 1;
}

export function proxy_on_delete(contextId: u32): void {
  if (streams.has(contextId)) {
    streams.delete(contextId);
  } else {
    roots.delete(contextId);
  }
}
