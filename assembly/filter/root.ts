// The root context: configuration, per-rule runtime, and the dark calls in flight on this VM.
import { RootContext, StreamContext } from "../abi/context";
import { BufferType, LogLevel, MapType } from "../abi/enums";
import { done, getBufferBytes, getHeaderMap, log, monotonicNanos, randomU64, streamBufferBytes } from "../abi/hostcalls";
import { Compare, Config } from "../darklaunch/config";
import { parseConfig } from "../darklaunch/config_parse";
import { comparePair, Outcome, PairComparison, ResponseSummary, parseStatus, statusClass } from "../darklaunch/compare";
import { hex64 } from "../darklaunch/hash";
import { Xorshift64 } from "../darklaunch/sampling";
import { MISMATCH_PARTS } from "../darklaunch/stats_names";
import { DarkCall } from "./dark_call";
import { RuleRuntime } from "./rule_runtime";
import { GUARD_BYTES, finish, initSharedKey, takeToken } from "./shared_state";
import { elapsedMs, nowMs } from "./clock";
import { DarkLaunchStream } from "./stream";

const STATUS: ArrayBuffer = String.UTF8.encode(":status");
const UPSTREAM_SERVICE_TIME: ArrayBuffer = String.UTF8.encode("x-envoy-upstream-service-time");
const MISMATCH_LOG_KEY: ArrayBuffer = String.UTF8.encode("darklaunch/mismatch_log");
// @ts-ignore: decorator
@inline const BODY_SLICE: i32 = 65536;

export class DarkLaunchRoot extends RootContext {
  config: Config | null = null;
  rules: RuleRuntime[] = [];
  needsRouteName: bool = false;
  readonly random: Xorshift64 = new Xorshift64(randomU64());
  private calls: Map<u32, DarkCall> = new Map<u32, DarkCall>();
  private shuttingDown: bool = false;

  onConfigure(size: i32): bool {
    let bytes: ArrayBuffer | null = size > 0 ? getBufferBytes(BufferType.PluginConfiguration, 0, size) : null;
    const result = parseConfig(bytes !== null ? bytes : new ArrayBuffer(0));
    const config = result.config;
    if (config === null) {
      log(LogLevel.Error, "darklaunch: invalid configuration: " + result.errors.join("; "));
      return false;
    }
    const rules = new Array<RuleRuntime>();
    for (let i = 0; i < config.rules.length; i++) {
      const runtime = new RuleRuntime(config.rules[i]);
      if (!runtime.metrics.define(config.rules[i].name)) {
        log(LogLevel.Error, "darklaunch: Envoy refused to define the stats of rule " + config.rules[i].name);
        return false;
      }
      initSharedKey(runtime.guardKey, GUARD_BYTES);
      initSharedKey(runtime.rateKey, 16);
      rules.push(runtime);
    }
    initSharedKey(MISMATCH_LOG_KEY, 16);
    this.config = config;
    this.rules = rules;
    this.needsRouteName = config.needsRouteName;
    log(LogLevel.Info, "darklaunch: configured " + rules.length.toString() + " rule(s)" + (config.enabled ? "" : " (disabled)"));
    return true;
  }

  createStreamContext(id: u32): StreamContext | null {
    return new DarkLaunchStream(id, this);
  }

  /**
   * Shut down (a new configuration replaced this one, or the VM stops): dark calls still in
   * flight belong to this root, so it stays until they have all called back; their slots, stats
   * and comparisons are settled as usual, then the host is told it may delete the root.
   */
  onDone(): bool {
    this.shuttingDown = true;
    return this.calls.size == 0;
  }

  /** Registers a call just dispatched. */
  track(call: DarkCall): void {
    this.calls.set(call.token, call);
  }

  onHttpCallResponse(token: u32, numHeaders: i32, bodySize: i32, numTrailers: i32): void {
    if (!this.calls.has(token)) return;
    const call = this.calls.get(token);
    const runtime = call.runtime;
    const metrics = runtime.metrics;
    const compare = runtime.rule.compare;
    const endNs = monotonicNanos();

    let failed = true;
    if (numHeaders == 0) {
      metrics.darkFailed();
    } else {
      const headers = getHeaderMap(MapType.HttpCallResponseHeaders);
      if (headers.indexOf(UPSTREAM_SERVICE_TIME) < 0) {
        // A local reply of Envoy's async client: nothing came from the dark service.
        const s = headers.indexOf(STATUS);
        if (s >= 0 && parseStatus(headers.valuePtr(s), headers.valueLen(s)) == 504) metrics.darkTimeout();
        else metrics.darkFailed();
      } else {
        const dark = call.dark;
        dark.takeHeaders(compare, headers);
        if (numTrailers > 0 && dark.wantsTrailers()) dark.takeTrailers(compare, getHeaderMap(MapType.HttpCallResponseTrailers));
        dark.settleStatus();
        if (dark.status < 0) {
          metrics.darkFailed();
        } else {
          const cls = statusClass(dark.status);
          metrics.darkStatus(cls);
          failed = cls == 3;
          readDarkBody(dark, compare, bodySize);
        }
      }
    }
    metrics.darkLatencyMs(elapsedMs(call.startNs, endNs));
    const endMs = <i64>(endNs / 1_000_000);
    metrics.inFlight(finish(runtime.guardKey, call.inFlightBucket, endMs, failed, runtime.rule.breaker));
    call.darkFinished = true;
    // The stream may be gone without ever finishing its side (the host deleted it during a
    // shutdown): the dark side is the last word then.
    if (this.shuttingDown) call.primaryFinished = true;
    this.settle(call);
    if (this.shuttingDown && this.calls.size == 0) done();
  }

  /** Once both sides are finished: compares, counts, logs a sampled mismatch, forgets the call. */
  settle(call: DarkCall): void {
    if (!call.settled) return;
    this.calls.delete(call.token);
    const compare = call.runtime.rule.compare;
    if (!compare.any) return;
    const metrics = call.runtime.metrics;
    if (!call.primary.complete || !call.primary.fromUpstream || !call.dark.complete) {
      metrics.compareIncomplete();
      return;
    }
    const result = comparePair(compare, call.primary, call.dark);
    if (result.jsonInvalid) metrics.compareJsonInvalid();
    for (let i = 0; i < result.undecoded; i++) metrics.compareUndecoded();
    if (result.outcome == Outcome.Match) {
      metrics.compareMatch();
      return;
    }
    metrics.compareMismatch(result.outcome);
    this.logMismatch(call, result);
  }

  private logMismatch(call: DarkCall, result: PairComparison): void {
    const config = this.config;
    if (config === null || config.mismatchLogPerSecond <= 0) return;
    if (!takeToken(MISMATCH_LOG_KEY, config.mismatchLogPerSecond, nowMs())) return;
    log(
      LogLevel.Info,
      "darklaunch: mismatch rule=" + call.runtime.rule.name +
        " part=" + MISMATCH_PARTS[<i32>result.outcome] +
        " x-request-id=" + printableOrDash(call.requestId) +
        " primary_status=" + call.primary.status.toString() +
        " dark_status=" + call.dark.status.toString() +
        grpcStatuses(call.primary, call.dark) +
        " primary_body_hash=" + hex64(call.primary.body.hash) +
        " dark_body_hash=" + hex64(call.dark.body.hash) +
        namedPaths(result),
    );
  }
}

function readDarkBody(dark: ResponseSummary, compare: Compare, bodySize: i32): void {
  if (compare.body && bodySize > 0) {
    const read = streamBufferBytes(BufferType.HttpCallResponseBody, 0, bodySize, BODY_SLICE, dark.body);
    if (read != bodySize) return; // body not fully readable: the pair stays incomplete
  }
  dark.body.finish();
  dark.complete = true;
}

/** ` paths=a.b,items[3].c` for a JSON body mismatch (`paths=-` when none could be named), else "". */
function namedPaths(result: PairComparison): string {
  if (result.outcome != Outcome.MismatchBody || !result.jsonCompared) return "";
  return " paths=" + (result.paths.length > 0 ? result.paths.join(",") : "-");
}

/** ` primary_grpc_status=… dark_grpc_status=…` when either side is gRPC ("-" for none), else "". */
function grpcStatuses(primary: ResponseSummary, dark: ResponseSummary): string {
  if (!primary.grpc && !dark.grpc) return "";
  return " primary_grpc_status=" + codeOrDash(primary.grpcStatus) + " dark_grpc_status=" + codeOrDash(dark.grpcStatus);
}

function codeOrDash(code: i32): string {
  return code >= 0 ? code.toString() : "-";
}

/** The request id for a log line: printable ASCII only, else "-". */
function printableOrDash(id: ArrayBuffer | null): string {
  if (id === null || id.byteLength == 0) return "-";
  const p = changetype<usize>(id);
  for (let i = 0; i < id.byteLength; i++) {
    const c = load<u8>(p + i);
    if (c <= 0x20 || c >= 0x7f) return "-";
  }
  return String.UTF8.decode(id);
}
