// The functions the host calls (proxy-wasm ABI 0.2.1), dispatched by context id to the
// RootContext / StreamContext objects of the filter.
//
// A stream gets an object only when its root wants one: at creation (createStreamContext) or at
// its request headers (RootContext.streamRequestHeaders). Until then it is only an id, and a
// stream the root leaves alone costs no allocation at all. Which root such a stream belongs to:
// while one root exists, that one; streams created while several exist are recorded (a stream
// created before the others came belongs to the oldest: Envoy retires a root only once its
// streams are gone, and a stream's request headers follow its creation at once).
import { RootContext, RootContextFactory, StreamContext, callers } from "./context";
import { FilterDataStatus, FilterHeadersStatus, FilterTrailersStatus } from "./enums";
import { setEffectiveContext } from "./hostcalls";
import { collectGarbageIfDue, noteGarbage } from "./memory";

const roots = new Map<u32, RootContext>();
/** Root ids in creation order (the first is the oldest root not deleted). */
const rootOrder = new Array<u32>();
const streams = new Map<u32, StreamContext>();
/** The root of each stream without an object that was created while several roots existed. */
const streamRoots = new Map<u32, u32>();
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
    if (factory !== null && !roots.has(contextId)) {
      roots.set(contextId, factory(contextId));
      rootOrder.push(contextId);
    }
    return;
  }
  if (!roots.has(parentId)) return;
  const stream = roots.get(parentId).createStreamContext(contextId);
  if (stream !== null) {
    streams.set(contextId, stream);
    noteGarbage();
  } else if (roots.size > 1) {
    streamRoots.set(contextId, parentId);
  }
}

/** The root of a stream that has no object, or null. */
function rootOfStream(contextId: u32): RootContext | null {
  if (streamRoots.has(contextId)) {
    const parent = streamRoots.get(contextId);
    return roots.has(parent) ? roots.get(parent) : null;
  }
  if (rootOrder.length == 0) return null;
  const oldest = unchecked(rootOrder[0]);
  return roots.has(oldest) ? roots.get(oldest) : null;
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
  noteGarbage();
  collectGarbageIfDue();
  if (callers.size > 0 && callers.has(token)) {
    const caller = callers.get(token);
    callers.delete(token);
    if (streams.has(caller.id) && streams.get(caller.id) === caller) {
      // The host calls of the stream's handler act on the stream, not on the root.
      setEffectiveContext(caller.id);
      caller.onHttpCallResponse(token, <i32>numHeaders, <i32>bodySize, <i32>numTrailers);
      return;
    }
  }
  if (roots.has(rootId)) roots.get(rootId).onHttpCallResponse(token, <i32>numHeaders, <i32>bodySize, <i32>numTrailers);
}

export function proxy_on_queue_ready(rootId: u32, queueId: u32): void {
  collectGarbageIfDue();
  if (roots.has(rootId)) roots.get(rootId).onQueueReady(queueId);
}

export function proxy_on_request_headers(contextId: u32, numHeaders: u32, endOfStream: u32): u32 {
  if (streams.has(contextId)) return streams.get(contextId).onRequestHeaders(<i32>numHeaders, endOfStream != 0);
  collectGarbageIfDue();
  const root = rootOfStream(contextId);
  if (root === null) return FilterHeadersStatus.Continue;
  const stream = root.streamRequestHeaders(contextId, <i32>numHeaders, endOfStream != 0);
  if (stream !== null) {
    streams.set(contextId, stream);
    noteGarbage();
  }
  return FilterHeadersStatus.Continue;
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
  } else if (roots.has(contextId)) {
    const root = roots.get(contextId);
    roots.delete(contextId);
    const at = rootOrder.indexOf(contextId);
    if (at >= 0) rootOrder.splice(at, 1);
    // The host cancels a deleted root's calls: no answer will come for its streams' calls.
    if (callers.size > 0) {
      const tokens = callers.keys();
      for (let i = 0; i < tokens.length; i++) {
        const token = unchecked(tokens[i]);
        if (callers.get(token).root === root) callers.delete(token);
      }
    }
  } else if (streamRoots.size > 0 && streamRoots.has(contextId)) {
    streamRoots.delete(contextId);
  }
}
