// A rule's metric ids, defined once at configure time so every counter reads 0 before traffic.
// Names and slot positions both come from darklaunch/stats_names.ts. Counts are kept in the
// module's memory (per worker VM) and handed to Envoy in one increment per counter that moved at
// every tick (FLUSH_PERIOD_MS, root.ts) and when the root shuts down; after that, while the root
// waits for its last calls, every count goes to Envoy at once. Histograms are recorded per sample.
import { MetricType, WasmResult } from "proxy-wasm-sdk-as/assembly/enums";
import { defineMetric, incrementMetric, recordMetric } from "proxy-wasm-sdk-as/assembly/hostcalls";
import { Out } from "proxy-wasm-sdk-as/assembly/out";
import {
  GAUGE_SUFFIXES,
  HISTOGRAM_SUFFIXES,
  MISMATCH_PARTS,
  SKIP_REASONS,
  STATUS_CLASSES,
  counterSuffixes,
  noiseCounterSuffixes,
  ruleStatName,
} from "../darklaunch/stats_names";

// Slot positions in counterSuffixes(), derived from the table's own lists (its order:
// requests, mirrored, skips, dark classes, failed, timeout, primary classes, match, mismatch
// parts, incomplete, json_invalid, undecoded).
const REQUESTS: i32 = 0;
const MIRRORED: i32 = 1;
const SKIPPED: i32 = 2;
const DARK_STATUS: i32 = SKIPPED + SKIP_REASONS.length;
const DARK_FAILED: i32 = DARK_STATUS + STATUS_CLASSES.length;
const DARK_TIMEOUT: i32 = DARK_FAILED + 1;
const PRIMARY_STATUS: i32 = DARK_TIMEOUT + 1;
const COMPARE_MATCH: i32 = PRIMARY_STATUS + STATUS_CLASSES.length;
const COMPARE_MISMATCH: i32 = COMPARE_MATCH + 1;
const COMPARE_INCOMPLETE: i32 = COMPARE_MISMATCH + MISMATCH_PARTS.length;
const COMPARE_JSON_INVALID: i32 = COMPARE_INCOMPLETE + 1;
const COMPARE_UNDECODED: i32 = COMPARE_JSON_INVALID + 1;
const COUNTERS: i32 = COMPARE_UNDECODED + 1;
// Positions in noiseCounterSuffixes(): match, mismatch parts, incomplete.
const NOISE_MATCH: i32 = 0;
const NOISE_MISMATCH: i32 = 1;
const NOISE_INCOMPLETE: i32 = NOISE_MISMATCH + MISMATCH_PARTS.length;
const NOISE_COUNTERS: i32 = NOISE_INCOMPLETE + 1;

export class RuleMetrics {
  private counters: StaticArray<u32> = new StaticArray<u32>(COUNTERS);
  private noiseCounters: StaticArray<u32> = new StaticArray<u32>(NOISE_COUNTERS);
  /** Counts not handed to Envoy yet, per slot of `counters` / `noiseCounters`. */
  private pending: StaticArray<u64> = new StaticArray<u64>(COUNTERS);
  private noisePending: StaticArray<u64> = new StaticArray<u64>(NOISE_COUNTERS);
  /** Something is pending. */
  private dirty: bool = false;
  /** The root is shutting down: counts go to Envoy as they happen. */
  private direct: bool = false;
  /** A dark call of this rule started or ended on this VM since the gauge was last written. */
  private inFlightMoved: bool = false;
  private primaryLatency: u32 = 0;
  private darkLatency: u32 = 0;
  private inFlightGauge: u32 = 0;

  /** Defines every metric of `rule` (the noise counters only with `noise`); false if Envoy refused one. */
  define(rule: string, noise: bool = false): bool {
    const suffixes = counterSuffixes();
    assert(suffixes.length == COUNTERS, "stats table and metric slots disagree");
    const id = new Out<u32>(0);
    for (let i = 0; i < COUNTERS; i++) {
      if (defineMetric(MetricType.Counter, ruleStatName(rule, suffixes[i]), id) != WasmResult.Ok) return false;
      unchecked((this.counters[i] = id.value));
    }
    if (noise) {
      const noiseSuffixes = noiseCounterSuffixes();
      assert(noiseSuffixes.length == NOISE_COUNTERS, "noise stats table and metric slots disagree");
      for (let i = 0; i < NOISE_COUNTERS; i++) {
        if (defineMetric(MetricType.Counter, ruleStatName(rule, noiseSuffixes[i]), id) != WasmResult.Ok) return false;
        unchecked((this.noiseCounters[i] = id.value));
      }
    }
    if (defineMetric(MetricType.Histogram, ruleStatName(rule, HISTOGRAM_SUFFIXES[0]), id) != WasmResult.Ok) return false;
    this.primaryLatency = id.value;
    if (defineMetric(MetricType.Histogram, ruleStatName(rule, HISTOGRAM_SUFFIXES[1]), id) != WasmResult.Ok) return false;
    this.darkLatency = id.value;
    if (defineMetric(MetricType.Gauge, ruleStatName(rule, GAUGE_SUFFIXES[0]), id) != WasmResult.Ok) return false;
    this.inFlightGauge = id.value;
    return true;
  }

  private count(slot: i32): void {
    if (this.direct) {
      incrementMetric(unchecked(this.counters[slot]), 1);
      return;
    }
    unchecked((this.pending[slot] = this.pending[slot] + 1));
    this.dirty = true;
  }

  private countNoise(slot: i32): void {
    if (this.direct) {
      incrementMetric(unchecked(this.noiseCounters[slot]), 1);
      return;
    }
    unchecked((this.noisePending[slot] = this.noisePending[slot] + 1));
    this.dirty = true;
  }

  /** Hands every pending count to Envoy: one host call per counter that moved. */
  flush(): void {
    if (!this.dirty) return;
    this.dirty = false;
    flushSlots(this.pending, this.counters);
    flushSlots(this.noisePending, this.noiseCounters);
  }

  /** The root is shutting down: flushes, and from now on every count goes to Envoy at once. */
  flushAndGoDirect(): void {
    this.flush();
    this.direct = true;
  }

  requests(): void {
    this.count(REQUESTS);
  }
  mirrored(): void {
    this.count(MIRRORED);
  }
  /** `reason` is a Skip value (its position in SKIP_REASONS). */
  skipped(reason: i32): void {
    this.count(SKIPPED + reason);
  }
  /** `cls` is a status class index (0 = 2xx … 3 = 5xx). */
  darkStatus(cls: i32): void {
    this.count(DARK_STATUS + cls);
  }
  darkFailed(): void {
    this.count(DARK_FAILED);
  }
  darkTimeout(): void {
    this.count(DARK_TIMEOUT);
  }
  primaryStatus(cls: i32): void {
    this.count(PRIMARY_STATUS + cls);
  }
  compareMatch(): void {
    this.count(COMPARE_MATCH);
  }
  /** `part` is an Outcome mismatch value (0 = status, 1 = headers, 2 = body). */
  compareMismatch(part: i32): void {
    this.count(COMPARE_MISMATCH + part);
  }
  compareIncomplete(): void {
    this.count(COMPARE_INCOMPLETE);
  }
  compareJsonInvalid(): void {
    this.count(COMPARE_JSON_INVALID);
  }
  compareUndecoded(): void {
    this.count(COMPARE_UNDECODED);
  }
  noiseMatch(): void {
    this.countNoise(NOISE_MATCH);
  }
  noiseMismatch(part: i32): void {
    this.countNoise(NOISE_MISMATCH + part);
  }
  noiseIncomplete(): void {
    this.countNoise(NOISE_INCOMPLETE);
  }
  primaryLatencyMs(ms: u64): void {
    recordMetric(this.primaryLatency, ms);
  }
  darkLatencyMs(ms: u64): void {
    recordMetric(this.darkLatency, ms);
  }

  /**
   * A dark call of the rule started or ended here; `count` is the process-wide number in flight
   * it left. Shutting down, the gauge is written at once; otherwise at the next tick, with the
   * number in flight then (shared_state.inFlightNow).
   */
  inFlightChanged(count: i64): void {
    if (this.direct) this.setInFlight(count);
    else this.inFlightMoved = true;
  }

  /** Whether the gauge is due (a call started or ended since it was written); clears the mark. */
  takeInFlightMoved(): bool {
    const moved = this.inFlightMoved;
    this.inFlightMoved = false;
    return moved;
  }

  /**
   * Sets the in-flight gauge to the process-wide count. Every worker writes the number it reads
   * from shared data at its tick, so the last write after the last call started or ended is exact.
   */
  setInFlight(count: i64): void {
    recordMetric(this.inFlightGauge, <u64>max(count, 0));
  }
}

/** Increments each counter of `ids` by its pending count, and zeroes the counts. */
export function flushSlots(pending: StaticArray<u64>, ids: StaticArray<u32>): void {
  for (let i = 0; i < pending.length; i++) {
    const n = unchecked(pending[i]);
    if (n == 0) continue;
    unchecked((pending[i] = 0));
    incrementMetric(unchecked(ids[i]), <i64>n);
  }
}
