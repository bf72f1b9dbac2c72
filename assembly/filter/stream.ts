// One HTTP stream whose request passed the gates on its headers (the root decides that, and a
// stream it leaves alone never gets this object): collects the body for the copy, dispatches the
// copy once the request is complete, and summarises the primary response for the comparison.
// Every path returns Continue: the primary is never held, changed or failed.
import { StreamContext } from "proxy-wasm-sdk-as/assembly/context";
import { BufferType, FilterDataStatus, FilterHeadersStatus, FilterTrailersStatus, LogLevel, MapType, WasmResult } from "proxy-wasm-sdk-as/assembly/enums";
import { httpCall, log, streamBufferBytes } from "proxy-wasm-sdk-as/assembly/hostcalls";
import { Out } from "proxy-wasm-sdk-as/assembly/out";
import { headerMapOrEmpty, propertyOrNull } from "./host_reads";
import { Samples } from "../darklaunch/config";
import { HeaderMap, equalsBytes } from "proxy-wasm-sdk-as/assembly/headers";
import { BoundedBytes } from "proxy-wasm-sdk-as/assembly/bytes";
import { ResponseSummary, statusClass } from "../darklaunch/compare";
import { darkCopyHeaders } from "../darklaunch/copy";
import { pathWithoutQuery } from "../darklaunch/sample_document";
import { Skip } from "../darklaunch/skip";
import { DarkCall } from "./dark_call";
import { DarkLaunchRoot } from "./root";
import { RuleRuntime } from "./rule_runtime";
import { Refusal, admit, finish, inFlightBucket } from "./shared_state";
import { elapsedMs, nowNs } from "./clock";

const REQUEST_ID: ArrayBuffer = String.UTF8.encode("x-request-id");
const METHOD: ArrayBuffer = String.UTF8.encode(":method");
const PATH: ArrayBuffer = String.UTF8.encode(":path");
const CODE_DETAILS_PATH: ArrayBuffer = String.UTF8.encode("response\0code_details");
const VIA_UPSTREAM: ArrayBuffer = String.UTF8.encode("via_upstream");
// @ts-ignore: decorator
@inline const MAX_LOGGED_REQUEST_ID: i32 = 128;
/** Where httpCall writes a call's token (read at once). */
const TOKEN = new Out<u32>(0);
// @ts-ignore: decorator
@inline const DISPATCH_ERROR_LOG_INTERVAL_MS: i64 = 10000;

enum Phase {
  /** Skipped after its headers (body too large, aborted, a limit): nothing more to do. */
  Ignored,
  /** Passed the gates; waiting for the rest of the request. */
  Collecting,
  /** The copy was sent. */
  Mirrored,
}

export class DarkLaunchStream extends StreamContext {
  private phase: Phase = Phase.Collecting;
  private requestHeaders: HeaderMap | null;
  private body: BoundedBytes | null = null;
  private primary: ResponseSummary | null;
  private primaryEndNs: u64 = 0;
  private primaryCounted: bool = false;
  private call: DarkCall | null = null;

  /**
   * A request that passed the gates on its headers (root.streamRequestHeaders): its body is
   * collected and the copy sent once it is complete. `declaredBodyLength`: its content-length, or -1.
   */
  constructor(
    id: u32,
    readonly darkRoot: DarkLaunchRoot,
    private runtime: RuleRuntime,
    headers: HeaderMap,
    private declaredBodyLength: i32,
    samples: Samples | null,
  ) {
    super(id, darkRoot);
    this.requestHeaders = headers;
    this.primary = new ResponseSummary(runtime.rule.compare, samples);
  }

  onRequestBody(bodySize: i32, endOfStream: bool): FilterDataStatus {
    if (this.phase != Phase.Collecting) return FilterDataStatus.Continue;
    const runtime = this.runtime;
    if (bodySize > 0) {
      let body = this.body;
      if (body === null) {
        // Sized once from content-length when there is one: no doubling, no copies.
        const expected = this.declaredBodyLength > 0 ? this.declaredBodyLength : bodySize;
        body = new BoundedBytes(runtime.rule.dark.maxBodyBytes, min(expected, runtime.rule.dark.maxBodyBytes));
        this.body = body;
      }
      if (<i64>body.length + <i64>bodySize > <i64>body.cap) {
        this.skip(Skip.BodyTooLarge);
        return FilterDataStatus.Continue;
      }
      streamBufferBytes(BufferType.HttpRequestBody, 0, bodySize, bodySize, body);
    }
    if (endOfStream) this.dispatch(nowNs());
    return FilterDataStatus.Continue;
  }

  onRequestTrailers(numTrailers: i32): FilterTrailersStatus {
    if (this.phase == Phase.Collecting) this.dispatch(nowNs());
    return FilterTrailersStatus.Continue;
  }

  onResponseHeaders(numHeaders: i32, endOfStream: bool): FilterHeadersStatus {
    const primary = this.primary;
    if (primary === null || this.phase == Phase.Ignored) return FilterHeadersStatus.Continue;
    const compare = this.runtime.rule.compare;
    primary.takeHeaders(compare, headerMapOrEmpty(MapType.ResponseHeaders));
    if (compare.any) primary.fromUpstream = answeredByUpstream();
    this.countPrimaryStatus();
    if (endOfStream) this.primaryComplete();
    return FilterHeadersStatus.Continue;
  }

  onResponseBody(bodySize: i32, endOfStream: bool): FilterDataStatus {
    const primary = this.primary;
    if (primary === null || this.phase == Phase.Ignored) return FilterDataStatus.Continue;
    if (bodySize > 0 && (this.runtime.rule.compare.body || primary.capture !== null)) {
      streamBufferBytes(BufferType.HttpResponseBody, 0, bodySize, bodySize, primary.body);
    }
    if (endOfStream) this.primaryComplete();
    return FilterDataStatus.Continue;
  }

  onResponseTrailers(numTrailers: i32): FilterTrailersStatus {
    const primary = this.primary;
    if (primary === null || this.phase == Phase.Ignored) return FilterTrailersStatus.Continue;
    if (numTrailers > 0 && primary.readsTrailers) primary.takeTrailers(this.runtime.rule.compare, headerMapOrEmpty(MapType.ResponseTrailers));
    this.primaryComplete();
    return FilterTrailersStatus.Continue;
  }

  onLog(): void {
    this.finish();
  }

  onDone(): void {
    this.finish();
  }

  /** The stream is over: an unfinished request was aborted; an unfinished primary never completes. */
  private finish(): void {
    if (this.phase == Phase.Collecting) {
      this.skip(Skip.Aborted);
    } else if (this.phase == Phase.Mirrored) {
      const call = this.call!;
      if (!call.primaryFinished) {
        // A gRPC response cut short never gets its grpc-status: it counts as 500.
        this.primary!.settleStatus();
        this.countPrimaryStatus();
        call.primaryFinished = true;
        this.darkRoot.settle(call);
      }
    }
  }

  private skip(reason: Skip): void {
    this.runtime.metrics.skipped(reason);
    this.phase = Phase.Ignored;
    this.requestHeaders = null;
    this.body = null;
    // No dark call was made (every skip comes before one): the primary's digest and decoder go back.
    const primary = this.primary;
    if (primary !== null) primary.body.release();
    this.primary = null;
  }

  /** Counts the primary's status class once, for a mirrored request, as soon as it is final. */
  private countPrimaryStatus(): void {
    const primary = this.primary!;
    if (this.primaryCounted || this.phase != Phase.Mirrored || !primary.statusFinal) return;
    this.primaryCounted = true;
    this.runtime.metrics.primaryStatus(statusClass(primary.status));
  }

  private primaryComplete(): void {
    const primary = this.primary!;
    if (primary.complete) return;
    primary.complete = true;
    primary.settleStatus();
    primary.body.finish();
    this.primaryEndNs = nowNs();
    this.countPrimaryStatus();
    if (this.phase == Phase.Mirrored) this.primaryFinishedMirrored();
  }

  private primaryFinishedMirrored(): void {
    const call = this.call!;
    // From the moment the copy left (the request complete), like the dark side's latency.
    this.runtime.metrics.primaryLatencyMs(elapsedMs(call.startNs, this.primaryEndNs));
    call.primaryFinished = true;
    this.darkRoot.settle(call);
  }

  /** The request is complete (at `startNs`): the remaining gates, then the copy. */
  dispatch(startNs: u64): void {
    const runtime = this.runtime;
    const rule = runtime.rule;
    const limits = rule.limits;
    const startMs = <i64>(startNs / 1_000_000);
    const bucket = inFlightBucket(startMs);
    const inFlight = admit(runtime.guardKey, limits.maxInFlight, bucket, startMs, runtime.rateKey, limits.maxPerSecond);
    if (inFlight < 0) {
      this.skip(inFlight == Refusal.InFlightLimit ? Skip.InFlightLimit : inFlight == Refusal.RateLimited ? Skip.RateLimited : Skip.BreakerOpen);
      return;
    }
    const headers = this.requestHeaders!;
    const body = this.body;
    const bodyBytes: ArrayBuffer | null = body !== null && body.length > 0 ? body.toArrayBuffer() : null;
    const copyHeaders = darkCopyHeaders(rule, runtime.nameBytes, headers, bodyBytes !== null ? bodyBytes.byteLength : 0);
    const darkResult = httpCall(rule.dark.clusterBytes, copyHeaders, bodyBytes, <u32>rule.dark.timeoutMs, TOKEN);
    if (darkResult != WasmResult.Ok) {
      finish(runtime.guardKey, bucket, startMs, false, null);
      this.logDispatchFailure(runtime, "dark", rule.dark.cluster, darkResult, startMs);
      this.skip(Skip.DispatchFailed);
      return;
    }
    runtime.metrics.mirrored();
    runtime.metrics.inFlightChanged(inFlight);
    const samples = this.darkRoot.samplesConfig;
    const call = new DarkCall(TOKEN.value, runtime, this.primary!, startNs, bucket, requestIdOf(headers), samples);
    if (samples !== null) this.keepRequestForSample(call, headers);
    const noiseCluster = rule.compare.noiseClusterBytes;
    if (noiseCluster !== null) {
      // The same copy, the same timeout; it rides on the dark call's limits slot.
      const noiseResult = httpCall(noiseCluster, copyHeaders, bodyBytes, <u32>rule.dark.timeoutMs, TOKEN);
      if (noiseResult == WasmResult.Ok) {
        call.noiseToken = TOKEN.value;
        call.hasNoiseCall = true;
        call.noiseFinished = false;
      } else {
        this.logDispatchFailure(runtime, "noise", rule.compare.noiseCluster!, noiseResult, startMs);
      }
    }
    this.call = call;
    this.darkRoot.track(call);
    this.phase = Phase.Mirrored;
    this.requestHeaders = null;
    this.body = null;
    // The primary may have answered before the request was complete.
    this.countPrimaryStatus();
    if (this.primary!.complete) this.primaryFinishedMirrored();
  }

  /** What a sample says of the request: its method and its path without the query string. */
  private keepRequestForSample(call: DarkCall, headers: HeaderMap): void {
    const m = headers.indexOf(METHOD);
    const p = headers.indexOf(PATH);
    call.method = m >= 0 ? copyOf(headers.valuePtr(m), headers.valueLen(m)) : new ArrayBuffer(0);
    call.path = p >= 0 ? pathWithoutQuery(headers.valuePtr(p), headers.valueLen(p)) : new ArrayBuffer(0);
  }

  /** An error line when Envoy refuses a call (unknown cluster...), at most once per rule every 10 s per worker. */
  private logDispatchFailure(runtime: RuleRuntime, kind: string, cluster: string, result: WasmResult, nowMs: i64): void {
    if (runtime.lastDispatchErrorLogMs >= 0 && nowMs - runtime.lastDispatchErrorLogMs < DISPATCH_ERROR_LOG_INTERVAL_MS) return;
    runtime.lastDispatchErrorLogMs = nowMs;
    log(LogLevel.Error, "darklaunch: " + kind + " call to cluster \"" + cluster + "\" refused by Envoy (rule " + runtime.rule.name + "): " + wasmResultName(result));
  }
}

/**
 * Whether the response being sent came from the upstream service (Envoy's code details
 * "via_upstream"), not from Envoy itself (an upstream reset, refusal or timeout turned into a
 * local reply). Unknown details count as from the upstream.
 */
function answeredByUpstream(): bool {
  const details = propertyOrNull(CODE_DETAILS_PATH);
  if (details === null || details.byteLength == 0) return true;
  return equalsBytes(changetype<usize>(details), details.byteLength, changetype<usize>(VIA_UPSTREAM), VIA_UPSTREAM.byteLength);
}

function requestIdOf(headers: HeaderMap): ArrayBuffer | null {
  const i = headers.indexOf(REQUEST_ID);
  if (i < 0) return null;
  return copyOf(headers.valuePtr(i), min(headers.valueLen(i), MAX_LOGGED_REQUEST_ID));
}

function copyOf(ptr: usize, len: i32): ArrayBuffer {
  const out = new ArrayBuffer(len);
  memory.copy(changetype<usize>(out), ptr, len);
  return out;
}

function wasmResultName(result: WasmResult): string {
  switch (result) {
    case WasmResult.BadArgument: return "BadArgument";
    case WasmResult.NotFound: return "NotFound";
    case WasmResult.InternalFailure: return "InternalFailure";
    case WasmResult.Unimplemented: return "Unimplemented";
    default: return "WasmResult " + result.toString();
  }
}
