// The root context: configuration, per-rule runtime, and the calls in flight on this VM (dark,
// noise and sample calls all answer here, keyed by their tokens).
import { RootContext, StreamContext } from "proxy-wasm-sdk-as/assembly/context";
import { BufferType, LogLevel, MapType, WasmResult } from "proxy-wasm-sdk-as/assembly/enums";
import { done, getBufferBytes, log, setTickPeriod, streamBufferBytes } from "proxy-wasm-sdk-as/assembly/hostcalls";
import { Out } from "proxy-wasm-sdk-as/assembly/out";
import { headerMapOrEmpty, propertyOrNull } from "./host_reads";
import { parseDecimal } from "proxy-wasm-sdk-as/assembly/bytes";
import { noteGarbage } from "proxy-wasm-sdk-as/assembly/memory";
import { gateRequest, matchRule, ruleExpires } from "../darklaunch/rules";
import { Skip } from "../darklaunch/skip";
import { RequestHeaderLookup } from "./request_headers";
import { HeaderMap } from "proxy-wasm-sdk-as/assembly/headers";
import { Compare, Config, Rule, Samples, StickyKeySource } from "../darklaunch/config";
import { parseConfig } from "../darklaunch/config_parse";
import { comparePair, Outcome, PairComparison, ResponseSummary, parseStatus, statusClass } from "../darklaunch/compare";
import { hex64 } from "../darklaunch/hash";
import { Xorshift64, bucketIsIn } from "../darklaunch/sampling";
import { MISMATCH_PARTS, STATS_FLUSH_PERIOD_MS } from "../darklaunch/stats_names";
import { DarkCall } from "./dark_call";
import { RuleRuntime } from "./rule_runtime";
import { SampleSender } from "./samples";
import { GUARD_BYTES, finish, inFlightNow, initSharedKey, takeToken } from "./shared_state";
import { elapsedMs, nowMs, nowNs, randomSeed, wallClockMs } from "./clock";
import { DarkLaunchStream } from "./stream";

const STATUS: ArrayBuffer = String.UTF8.encode(":status");
const ROUTE_NAME_PATH: ArrayBuffer = String.UTF8.encode("xds\0route_name");
const CONTENT_LENGTH: ArrayBuffer = String.UTF8.encode("content-length");
const UPSTREAM_SERVICE_TIME: ArrayBuffer = String.UTF8.encode("x-envoy-upstream-service-time");
const MISMATCH_LOG_KEY: ArrayBuffer = String.UTF8.encode("darklaunch/mismatch_log");
// @ts-ignore: decorator
@inline const BODY_SLICE: i32 = 65536;
/** Requests per decision on how matching and the gates read the request headers. */
// @ts-ignore: decorator
@inline const READ_WINDOW: i32 = 64;

/** How a called side ended, as the callback sees it. */
enum Ending {
  /** A response from the service. */
  Answered,
  /** No response (reset, refused, no upstream), or one Envoy made up. */
  Failed,
  /** Envoy's local 504: the call's timeout. */
  TimedOut,
}

export class DarkLaunchRoot extends RootContext {
  config: Config | null = null;
  /** `config.samples` once configured (null: no samples). */
  samplesConfig: Samples | null = null;
  rules: RuleRuntime[] = [];
  needsRouteName: bool = false;
  /**
   * Matching and the gates read the whole request header map (one host call) rather than single
   * values on demand (this.lookup). Chosen at configure time (gatesReadWholeMap()), then by what
   * the traffic does: READ_WINDOW requests at a time, the whole map when more than half of them
   * passed the gates (the copy needs the whole map: a value first and then the map is one host
   * call more), single values otherwise. A cookie-sampled rule always reads the whole map.
   */
  gatesReadWholeMap: bool = false;
  private wholeMapRequired: bool = false;
  private readsSeen: i32 = 0;
  private readsPassed: i32 = 0;
  private readonly lookup: RequestHeaderLookup = new RequestHeaderLookup();
  readonly random: Xorshift64 = new Xorshift64(randomSeed());
  /** Dark and noise calls by token (a call with a noise side is here under both tokens). */
  private calls: Map<u32, DarkCall> = new Map<u32, DarkCall>();
  private sender: SampleSender | null = null;
  /** Mirrored requests tracked and not settled yet (their calls, or their stream, still to finish). */
  private openCalls: i32 = 0;
  private shuttingDown: bool = false;
  /** proxy_done was called, or onDone returned true. */
  private doneSent: bool = false;

  onConfigure(size: i32): bool {
    // No configuration (or none the host gives) parses as empty, which names what is missing.
    const bytes = new Out<ArrayBuffer>(new ArrayBuffer(0));
    if (size > 0) getBufferBytes(BufferType.PluginConfiguration, 0, size, bytes);
    const result = parseConfig(bytes.value);
    const config = result.config;
    if (config === null) {
      log(LogLevel.Error, "darklaunch: invalid configuration: " + result.errors.join("; "));
      return false;
    }
    const rules = new Array<RuleRuntime>();
    for (let i = 0; i < config.rules.length; i++) {
      const rule = config.rules[i];
      const runtime = new RuleRuntime(rule);
      if (!runtime.metrics.define(rule.name, rule.compare.noiseCluster !== null)) {
        log(LogLevel.Error, "darklaunch: Envoy refused to define the stats of rule " + rule.name);
        return false;
      }
      initSharedKey(runtime.guardKey, GUARD_BYTES);
      initSharedKey(runtime.rateKey, 16);
      rules.push(runtime);
    }
    initSharedKey(MISMATCH_LOG_KEY, 16);
    const samples = config.samples;
    if (samples !== null) {
      const sender = new SampleSender(samples);
      if (!sender.define()) {
        log(LogLevel.Error, "darklaunch: Envoy refused to define the samples stats");
        return false;
      }
      this.sender = sender;
    }
    this.config = config;
    // per_second 0 turns sampling off: nothing is kept for a sample (the counters stay at 0).
    this.samplesConfig = samples !== null && samples.perSecond > 0 ? samples : null;
    this.rules = rules;
    this.needsRouteName = config.needsRouteName;
    this.gatesReadWholeMap = gatesReadWholeMap(config);
    this.wholeMapRequired = needsEveryHeaderValue(config);
    // Counts go to Envoy at this VM's ticks (stats_names.ts: STATS_FLUSH_PERIOD_MS; docs/stats.md).
    setTickPeriod(<u32>STATS_FLUSH_PERIOD_MS);
    log(LogLevel.Info, "darklaunch: configured " + rules.length.toString() + " rule(s)" + (config.enabled ? "" : " (disabled)"));
    return true;
  }

  /**
   * A stream's request headers: the rule it belongs to and the gates on its headers. Only a
   * request that passes them gets a DarkLaunchStream (to collect its body, send the copy, follow
   * the primary's answer); every other stream stays a bare id, and nothing is allocated for it.
   */
  streamRequestHeaders(id: u32, numHeaders: i32, endOfStream: bool): StreamContext | null {
    const config = this.config;
    if (config === null) return null;
    const routeName = this.needsRouteName ? propertyOrNull(ROUTE_NAME_PATH) : null;
    if (routeName !== null) noteGarbage();
    let index: i32;
    let skip: Skip;
    let headers: HeaderMap | null = null;
    if (this.gatesReadWholeMap) {
      const map = headerMapOrEmpty(MapType.RequestHeaders);
      headers = map;
      noteGarbage();
      index = matchRule<HeaderMap>(config, map, routeName);
      skip = index < 0 ? Skip.None : this.gate<HeaderMap>(config, unchecked(this.rules[index]).rule, map);
    } else {
      const lookup = this.lookup;
      index = matchRule<RequestHeaderLookup>(config, lookup, routeName);
      skip = index < 0 ? Skip.None : this.gate<RequestHeaderLookup>(config, unchecked(this.rules[index]).rule, lookup);
      lookup.release();
    }
    this.noteRead(index >= 0 && skip == Skip.None);
    if (index < 0) return null;
    const runtime = unchecked(this.rules[index]);
    const rule = runtime.rule;
    runtime.metrics.requests();
    if (skip != Skip.None) {
      runtime.metrics.skipped(skip);
      return null;
    }
    // Through the gates: the copy needs every header.
    if (headers === null) headers = headerMapOrEmpty(MapType.RequestHeaders);
    const cl = headers.indexOf(CONTENT_LENGTH);
    // A content-length that is not a plain decimal (at most 18 digits) counts as absent.
    const declared = cl >= 0 ? parseDecimal(headers.valuePtr(cl), headers.valueLen(cl), 18) : -1;
    if (declared > <i64>rule.dark.maxBodyBytes) {
      runtime.metrics.skipped(Skip.BodyTooLarge);
      return null;
    }
    const stream = new DarkLaunchStream(id, this, runtime, headers, <i32>declared, config.samples);
    if (endOfStream) stream.dispatch(nowNs());
    return stream;
  }

  /** One request looked at (`passed`: through the gates, so the whole map is needed): adapts how the next are read. */
  private noteRead(passed: bool): void {
    const seen = this.readsSeen + 1;
    const through = this.readsPassed + (passed ? 1 : 0);
    if (seen < READ_WINDOW) {
      this.readsSeen = seen;
      this.readsPassed = through;
      return;
    }
    this.gatesReadWholeMap = this.wholeMapRequired || through * 2 > seen;
    this.readsSeen = 0;
    this.readsPassed = 0;
  }

  private gate<H>(config: Config, rule: Rule, headers: H): Skip {
    return gateRequest<H>(config, rule, headers, this.random, ruleExpires(rule) ? wallClockMs() : 0);
  }

  /**
   * Shut down: Envoy calls this once the plugin is released (a new configuration replaced this
   * one and the last stream created under it has ended, or the VM stops). Calls still in flight
   * belong to this root, so it stays until they have all called back and every pair is settled
   * (slots, stats, comparisons, samples), then tells the host it may delete it (settleDone).
   */
  onDone(): bool {
    this.shuttingDown = true;
    // Nothing counted here may be lost with this root: everything pending goes now, and what its
    // last calls and streams count from here on goes to Envoy at once.
    this.flushStats();
    const rules = this.rules;
    for (let i = 0; i < rules.length; i++) unchecked(rules[i]).metrics.flushAndGoDirect();
    const sender = this.sender;
    if (sender !== null) sender.flushAndGoDirect();
    if (this.idle) {
      this.doneSent = true;
      log(LogLevel.Info, "darklaunch: configuration retired");
      return true;
    }
    log(
      LogLevel.Info,
      "darklaunch: configuration retiring: waiting for " + this.openCalls.toString() + " mirrored request(s) and " +
        (sender !== null ? sender.pending : 0).toString() + " sample(s)",
    );
    return false;
  }

  /**
   * A root whose onDone returned false calls proxy_done once nothing of it is left, whichever
   * side settled last: a dark or noise answer, a sample's answer, or a stream that finished (its
   * pair settled from the stream side, a sample dropped or refused); a sample POST started there
   * keeps it until that answer.
   */
  private settleDone(): void {
    if (!this.shuttingDown || this.doneSent || !this.idle) return;
    this.doneSent = true;
    log(LogLevel.Info, "darklaunch: configuration retired after its last call");
    done();
  }

  onTick(): void {
    this.flushStats();
  }

  /** Hands the counts of this VM to Envoy, and writes the in-flight gauge of the rules whose calls moved. */
  private flushStats(): void {
    const rules = this.rules;
    let now: i64 = -1;
    for (let i = 0; i < rules.length; i++) {
      const runtime = unchecked(rules[i]);
      const metrics = runtime.metrics;
      metrics.flush();
      if (metrics.takeInFlightMoved()) {
        if (now < 0) now = nowMs();
        metrics.setInFlight(inFlightNow(runtime.guardKey, now));
      }
    }
    const sender = this.sender;
    if (sender !== null) sender.flush();
  }

  /** No mirrored request is unsettled and no sample awaits its answer. */
  private get idle(): bool {
    const sender = this.sender;
    return this.openCalls == 0 && (sender === null || sender.pending == 0);
  }

  /** Registers a call just dispatched (and its noise call). */
  track(call: DarkCall): void {
    this.openCalls++;
    this.calls.set(call.token, call);
    if (call.hasNoiseCall) this.calls.set(call.noiseToken, call);
  }

  onHttpCallResponse(token: u32, numHeaders: i32, bodySize: i32, numTrailers: i32): void {
    const sender = this.sender;
    if (sender !== null && sender.owns(token)) {
      sender.answered(token, numHeaders);
    } else if (this.calls.has(token)) {
      const call = this.calls.get(token);
      this.calls.delete(token);
      if (call.hasNoiseCall && token == call.noiseToken) this.noiseAnswered(call, numHeaders, bodySize, numTrailers);
      else this.darkAnswered(call, numHeaders, bodySize, numTrailers);
    } else {
      return;
    }
    this.settleDone();
  }

  private darkAnswered(call: DarkCall, numHeaders: i32, bodySize: i32, numTrailers: i32): void {
    const runtime = call.runtime;
    const metrics = runtime.metrics;
    const endNs = nowNs();
    const ending = readCalledSide(call.dark, runtime.rule.compare, numHeaders, bodySize, numTrailers);
    let failed = true;
    if (ending == Ending.TimedOut) {
      metrics.darkTimeout();
    } else if (ending == Ending.Failed) {
      metrics.darkFailed();
    } else {
      const cls = statusClass(call.dark.status);
      metrics.darkStatus(cls);
      failed = cls == 3;
    }
    metrics.darkLatencyMs(elapsedMs(call.startNs, endNs));
    const endMs = <i64>(endNs / 1_000_000);
    metrics.inFlightChanged(finish(runtime.guardKey, call.inFlightBucket, endMs, failed, runtime.rule.breaker));
    call.darkFinished = true;
    this.settle(call);
  }

  /** The noise side only ever makes its own pair complete or not: no breaker, no dark stats. */
  private noiseAnswered(call: DarkCall, numHeaders: i32, bodySize: i32, numTrailers: i32): void {
    readCalledSide(call.noise!, call.runtime.rule.compare, numHeaders, bodySize, numTrailers);
    call.noiseFinished = true;
    this.settle(call);
  }

  /**
   * Called when any side finishes: counts each pair once both its sides are finished; once
   * every side is, sends the pair's sample if one was wanted, and forgets the call.
   */
  settle(call: DarkCall): void {
    const compare = call.runtime.rule.compare;
    if (!call.darkSettled && call.darkPairReady) {
      call.darkSettled = true;
      this.settleDarkPair(call, compare);
    }
    if (!call.noiseSettled && call.noisePairReady) {
      call.noiseSettled = true;
      this.settleNoisePair(call, compare);
    }
    if (!call.done || call.closed) return;
    call.closed = true;
    this.openCalls--;
    if (call.sampleWanted) this.sender!.send(call);
    call.releaseBodies();
    this.settleDone();
  }

  private settleDarkPair(call: DarkCall, compare: Compare): void {
    if (!compare.any) return;
    const metrics = call.runtime.metrics;
    if (!bothComplete(call.primary, call.dark)) {
      metrics.compareIncomplete();
      this.dropSample(call);
      return;
    }
    const result = comparePair(compare, call.primary, call.dark);
    if (result.jsonInvalid) metrics.compareJsonInvalid();
    for (let i = 0; i < result.undecoded; i++) metrics.compareUndecoded();
    if (result.outcome == Outcome.Match) {
      metrics.compareMatch();
    } else {
      metrics.compareMismatch(result.outcome);
      this.logMismatch(call, result);
    }
    call.darkResult = result;
    const samples = this.samplesConfig;
    if (samples !== null && (result.outcome != Outcome.Match || bucketIsIn(this.random.nextBucket(), samples.matchThreshold))) {
      call.sampleWanted = true;
    } else {
      this.dropSample(call);
    }
  }

  private settleNoisePair(call: DarkCall, compare: Compare): void {
    const metrics = call.runtime.metrics;
    const noise = call.noise!;
    if (!bothComplete(call.primary, noise)) {
      metrics.noiseIncomplete();
      return;
    }
    const result = comparePair(compare, call.primary, noise);
    if (result.outcome == Outcome.Match) metrics.noiseMatch();
    else metrics.noiseMismatch(result.outcome);
    call.noiseResult = result;
  }

  /** The pair will not be sampled: what was kept for a sample goes at once. */
  private dropSample(call: DarkCall): void {
    call.sampleWanted = false;
    call.primary.dropCapture();
    call.dark.dropCapture();
    const noise = call.noise;
    if (noise !== null) noise.dropCapture();
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

/**
 * Whether matching and the gates should read the whole request header map: when some rule takes
 * every request that reaches it without looking at a header but the method (no path or header
 * condition, enabled, at 100%), most requests will need the whole map for the copy anyway, and one
 * host call beats a value and then the map; and when a rule samples by a cookie, whose every
 * `cookie` header counts. Otherwise single values are fetched as rules ask for them.
 */
function gatesReadWholeMap(config: Config): bool {
  if (needsEveryHeaderValue(config)) return true;
  for (let i = 0; i < config.rules.length; i++) {
    const rule = unchecked(config.rules[i]);
    const m = rule.match;
    if (config.enabled && rule.enabled && m.pathPrefixBytes === null && m.headers.length == 0 && rule.sample.threshold >= 10000) return true;
  }
  return false;
}

/** Whether a rule samples by a cookie: every `cookie` header counts, which single values do not show. */
function needsEveryHeaderValue(config: Config): bool {
  for (let i = 0; i < config.rules.length; i++) {
    if (unchecked(config.rules[i]).sample.by == StickyKeySource.Cookie) return true;
  }
  return false;
}

/** Both sides answered in full, and the primary's answer came from its service. */
function bothComplete(primary: ResponseSummary, other: ResponseSummary): bool {
  return primary.complete && primary.fromUpstream && other.complete;
}

/**
 * Reads a called side (dark or noise) in its http-call callback: headers, trailers where they
 * matter, the body; marks it complete when all of it was read. Envoy's async client turns
 * refusals, resets and timeouts into local replies: they lack x-envoy-upstream-service-time.
 */
function readCalledSide(side: ResponseSummary, compare: Compare, numHeaders: i32, bodySize: i32, numTrailers: i32): Ending {
  if (numHeaders == 0) return Ending.Failed;
  const headers = headerMapOrEmpty(MapType.HttpCallResponseHeaders);
  if (headers.indexOf(UPSTREAM_SERVICE_TIME) < 0) return localReplyEnding(headers);
  side.takeHeaders(compare, headers);
  if (numTrailers > 0 && side.readsTrailers) side.takeTrailers(compare, headerMapOrEmpty(MapType.HttpCallResponseTrailers));
  side.settleStatus();
  if (side.status < 0) return Ending.Failed;
  if ((compare.body || side.capture !== null) && bodySize > 0) {
    // A body not fully readable leaves the pair incomplete.
    if (streamBufferBytes(BufferType.HttpCallResponseBody, 0, bodySize, BODY_SLICE, side.body) != WasmResult.Ok) return Ending.Answered;
  }
  side.body.finish();
  side.complete = true;
  return Ending.Answered;
}

function localReplyEnding(headers: HeaderMap): Ending {
  const s = headers.indexOf(STATUS);
  return s >= 0 && parseStatus(headers.valuePtr(s), headers.valueLen(s)) == 504 ? Ending.TimedOut : Ending.Failed;
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
