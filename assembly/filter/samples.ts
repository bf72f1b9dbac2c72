// Sending mismatch samples (contract §2.7): the process-wide budget (a token bucket in shared
// data, `per_second` for all rules of all workers), the POST to the collector cluster, and its
// counters `darklaunch.samples.sent|dropped|failed`. Sending never delays or fails anything: the
// call is fire-and-forget, its answer only counted.
import { MetricType, WasmResult } from "proxy-wasm-sdk-as/assembly/enums";
import { defineMetric, httpCall, incrementMetric } from "proxy-wasm-sdk-as/assembly/hostcalls";
import { Out } from "proxy-wasm-sdk-as/assembly/out";
import { headerMapOrEmpty } from "./host_reads";
import { flushSlots } from "./metrics";
import { HeaderMapWriter } from "proxy-wasm-sdk-as/assembly/headers";
import { MapType } from "proxy-wasm-sdk-as/assembly/enums";
import { Samples } from "../darklaunch/config";
import { parseStatus } from "../darklaunch/compare";
import { SampleRequest, sampleDocument } from "../darklaunch/sample_document";
import { SAMPLES_COUNTERS, samplesStatName } from "../darklaunch/stats_names";
import { DarkCall } from "./dark_call";
import { initSharedKey, takeToken } from "./shared_state";
import { nowMs, wallClockMs } from "./clock";

const RATE_KEY: ArrayBuffer = String.UTF8.encode("darklaunch/samples/rate");
const METHOD: ArrayBuffer = String.UTF8.encode(":method");
const POST: ArrayBuffer = String.UTF8.encode("POST");
const PATH: ArrayBuffer = String.UTF8.encode(":path");
const SAMPLES_PATH: ArrayBuffer = String.UTF8.encode("/v1/samples");
const AUTHORITY: ArrayBuffer = String.UTF8.encode(":authority");
const CONTENT_TYPE: ArrayBuffer = String.UTF8.encode("content-type");
const JSON_TYPE: ArrayBuffer = String.UTF8.encode("application/json");
const STATUS: ArrayBuffer = String.UTF8.encode(":status");
/** How long a sample may take to be acknowledged before it counts as failed. */
// @ts-ignore: decorator
@inline const SAMPLE_TIMEOUT_MS: u32 = 5000;

// Positions in SAMPLES_COUNTERS.
const SENT: i32 = 0;
const DROPPED: i32 = 1;
const FAILED: i32 = 2;

export class SampleSender {
  private counters: StaticArray<u32> = new StaticArray<u32>(SAMPLES_COUNTERS.length);
  /** Counts not handed to Envoy yet (they go at the root's tick, as the rules' counters do). */
  private unflushed: StaticArray<u64> = new StaticArray<u64>(SAMPLES_COUNTERS.length);
  /** The root is shutting down: counts go to Envoy at once. */
  private direct: bool = false;
  /** Sample calls awaiting their answer. */
  private calls: Set<u32> = new Set<u32>();
  private readonly headers: ArrayBuffer;

  constructor(readonly samples: Samples) {
    const w = new HeaderMapWriter(4);
    w.addBuffers(METHOD, POST);
    w.addBuffers(PATH, SAMPLES_PATH);
    w.addBuffers(AUTHORITY, samples.clusterBytes);
    w.addBuffers(CONTENT_TYPE, JSON_TYPE);
    this.headers = w.encode();
  }

  /** Defines the counters (at 0 from now on) and the budget's shared key; false if Envoy refused one. */
  define(): bool {
    assert(SAMPLES_COUNTERS.length == 3, "samples stats table and slots disagree");
    const id = new Out<u32>(0);
    for (let i = 0; i < SAMPLES_COUNTERS.length; i++) {
      if (defineMetric(MetricType.Counter, samplesStatName(SAMPLES_COUNTERS[i]), id) != WasmResult.Ok) return false;
      unchecked((this.counters[i] = id.value));
    }
    initSharedKey(RATE_KEY, 16);
    return true;
  }

  get pending(): i32 {
    return this.calls.size;
  }

  owns(token: u32): bool {
    return this.calls.has(token);
  }

  private count(slot: i32): void {
    if (this.direct) incrementMetric(unchecked(this.counters[slot]), 1);
    else unchecked((this.unflushed[slot] = this.unflushed[slot] + 1));
  }

  /** Hands the pending counts to Envoy. */
  flush(): void {
    flushSlots(this.unflushed, this.counters);
  }

  /** The root is shutting down: flushes, and from now on every count goes to Envoy at once. */
  flushAndGoDirect(): void {
    this.flush();
    this.direct = true;
  }

  /** The call's pair is to be sampled and every side has finished: within the budget, POST it. */
  send(call: DarkCall): void {
    const samples = this.samples;
    if (!takeToken(RATE_KEY, samples.perSecond, nowMs())) {
      this.count(DROPPED);
      return;
    }
    const request = new SampleRequest(call.runtime.rule.name, wallClockMs(), call.requestId, call.method!, call.path!);
    const noise = call.noise;
    const document = sampleDocument(samples, request, call.primary, call.dark, call.darkResult!, noise, noise !== null ? call.noiseResult : null);
    const token = new Out<u32>(0);
    if (httpCall(samples.clusterBytes, this.headers, document, SAMPLE_TIMEOUT_MS, token) != WasmResult.Ok) {
      this.count(FAILED);
      return;
    }
    this.calls.add(token.value);
  }

  /** The collector answered (or the call failed): 2xx is sent, anything else failed. */
  answered(token: u32, numHeaders: i32): void {
    this.calls.delete(token);
    if (numHeaders == 0) {
      this.count(FAILED);
      return;
    }
    const headers = headerMapOrEmpty(MapType.HttpCallResponseHeaders);
    const s = headers.indexOf(STATUS);
    const status = s >= 0 ? parseStatus(headers.valuePtr(s), headers.valueLen(s)) : -1;
    this.count(status >= 200 && status < 300 ? SENT : FAILED);
  }
}
