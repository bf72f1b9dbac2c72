// Context objects the host drives. A filter subclasses RootContext (one per plugin configuration
// per VM) and StreamContext (one per HTTP stream) and overrides only the callbacks it needs.
import { FilterDataStatus, FilterHeadersStatus, FilterTrailersStatus, WasmResult } from "./enums";
import { httpCall } from "./hostcalls";
import { Out } from "./out";

/**
 * Calls started with StreamContext.httpCall, by token: their answers go to that stream while it
 * lives (exports.ts). The root's own calls, calls started with hostcalls.httpCall, and answers
 * that outlive their stream go to the root context's onHttpCallResponse.
 */
export const callers = new Map<u32, StreamContext>();

export class RootContext {
  constructor(readonly id: u32) {}

  /** Once per VM, before any configuration. false fails the VM. */
  onVmStart(vmConfigurationSize: i32): bool {
    return true;
  }

  /** On every (re)configuration, on the main thread and on each worker. false rejects it. */
  onConfigure(pluginConfigurationSize: i32): bool {
    return true;
  }

  /**
   * A stream of this plugin starts: a context to follow all of it, or null to decide at its
   * request headers (streamRequestHeaders) without allocating anything before.
   */
  createStreamContext(id: u32): StreamContext | null {
    return null;
  }

  /**
   * The request headers of a stream that has no context (createStreamContext gave null): the
   * root handles them, and returns a context to follow the rest of the stream (it gets every
   * later callback, not these headers), or null to leave the stream alone (no later callback
   * reaches the filter). The stream always continues.
   */
  streamRequestHeaders(id: u32, numHeaders: i32, endOfStream: bool): StreamContext | null {
    return null;
  }

  /**
   * The answer to an http call of this root context: one it started, one started with
   * hostcalls.httpCall from any of its streams, or one whose stream (StreamContext.httpCall) has
   * gone (numHeaders 0: the call failed; hostcalls.getStatus says why).
   */
  onHttpCallResponse(token: u32, numHeaders: i32, bodySize: i32, numTrailers: i32): void {}

  /** An item was enqueued on shared queue `queueId`, which this root registered. */
  onQueueReady(queueId: u32): void {}

  /** Every tick period (hostcalls.setTickPeriod), on the thread of this root's VM. */
  onTick(): void {}

  /**
   * The plugin is being shut down (e.g. replaced by a new configuration). true: done now;
   * false: not yet — the context keeps receiving its callbacks (http call responses) until it
   * calls hostcalls.done().
   */
  onDone(): bool {
    return true;
  }
}

export class StreamContext {
  constructor(readonly id: u32, readonly root: RootContext) {}

  onRequestHeaders(numHeaders: i32, endOfStream: bool): FilterHeadersStatus {
    return FilterHeadersStatus.Continue;
  }

  onRequestBody(bodySize: i32, endOfStream: bool): FilterDataStatus {
    return FilterDataStatus.Continue;
  }

  onRequestTrailers(numTrailers: i32): FilterTrailersStatus {
    return FilterTrailersStatus.Continue;
  }

  onResponseHeaders(numHeaders: i32, endOfStream: bool): FilterHeadersStatus {
    return FilterHeadersStatus.Continue;
  }

  onResponseBody(bodySize: i32, endOfStream: bool): FilterDataStatus {
    return FilterDataStatus.Continue;
  }

  onResponseTrailers(numTrailers: i32): FilterTrailersStatus {
    return FilterTrailersStatus.Continue;
  }

  /** The stream is finished (access-log time); called before onDone. */
  onLog(): void {}

  /** The stream is gone; its context is deleted right after. */
  onDone(): void {}

  /**
   * The answer to a call this stream started with httpCall() (numHeaders 0: the call failed),
   * with this stream as the effective context: host calls act on it (continueStream,
   * sendLocalResponse, its headers). Called only while the stream lives.
   */
  onHttpCallResponse(token: u32, numHeaders: i32, bodySize: i32, numTrailers: i32): void {}

  /**
   * Starts an http call (hostcalls.httpCall) whose answer comes to this stream's
   * onHttpCallResponse; its token goes to `token`. If the stream has gone by then, the answer
   * goes to the root context's onHttpCallResponse.
   */
  httpCall(cluster: ArrayBuffer, headers: ArrayBuffer, body: ArrayBuffer | null, timeoutMs: u32, token: Out<u32>): WasmResult {
    const r = httpCall(cluster, headers, body, timeoutMs, token);
    if (r == WasmResult.Ok) callers.set(token.value, this);
    return r;
  }
}

/** Makes the root context for a new root context id. */
export type RootContextFactory = (id: u32) => RootContext;
