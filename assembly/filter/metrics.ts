// A rule's metric ids, defined once at configure time so every counter reads 0 before traffic.
// Names come from darklaunch/stats_names.ts; the hot path only increments cached ids.
import { MetricType } from "../abi/enums";
import { defineMetric, incrementMetric, recordMetric } from "../abi/hostcalls";
import { HISTOGRAM_SUFFIXES, GAUGE_SUFFIXES, counterSuffixes, ruleStatName } from "../darklaunch/stats_names";

// Positions in counterSuffixes(): requests, mirrored, 9 skips, 4 dark classes, failed, timeout,
// 4 primary classes, match, 3 mismatch parts, incomplete.
// @ts-ignore: decorator
@inline const REQUESTS: i32 = 0;
// @ts-ignore: decorator
@inline const MIRRORED: i32 = 1;
// @ts-ignore: decorator
@inline const SKIPPED: i32 = 2;
// @ts-ignore: decorator
@inline const DARK_STATUS: i32 = 11;
// @ts-ignore: decorator
@inline const DARK_FAILED: i32 = 15;
// @ts-ignore: decorator
@inline const DARK_TIMEOUT: i32 = 16;
// @ts-ignore: decorator
@inline const PRIMARY_STATUS: i32 = 17;
// @ts-ignore: decorator
@inline const COMPARE_MATCH: i32 = 21;
// @ts-ignore: decorator
@inline const COMPARE_MISMATCH: i32 = 22;
// @ts-ignore: decorator
@inline const COMPARE_INCOMPLETE: i32 = 25;
// @ts-ignore: decorator
@inline const COUNTERS: i32 = 26;

export class RuleMetrics {
  private counters: StaticArray<u32> = new StaticArray<u32>(COUNTERS);
  private primaryLatency: u32 = 0;
  private darkLatency: u32 = 0;
  private inFlightGauge: u32 = 0;

  /** Defines every metric of `rule`; false if Envoy refused one. */
  define(rule: string): bool {
    const suffixes = counterSuffixes();
    assert(suffixes.length == COUNTERS, "stats table and metric slots disagree");
    for (let i = 0; i < COUNTERS; i++) {
      const id = defineMetric(MetricType.Counter, ruleStatName(rule, suffixes[i]));
      if (id < 0) return false;
      unchecked((this.counters[i] = <u32>id));
    }
    const p = defineMetric(MetricType.Histogram, ruleStatName(rule, HISTOGRAM_SUFFIXES[0]));
    const d = defineMetric(MetricType.Histogram, ruleStatName(rule, HISTOGRAM_SUFFIXES[1]));
    const g = defineMetric(MetricType.Gauge, ruleStatName(rule, GAUGE_SUFFIXES[0]));
    if (p < 0 || d < 0 || g < 0) return false;
    this.primaryLatency = <u32>p;
    this.darkLatency = <u32>d;
    this.inFlightGauge = <u32>g;
    return true;
  }

  private count(slot: i32): void {
    incrementMetric(unchecked(this.counters[slot]), 1);
  }

  requests(): void {
    this.count(REQUESTS);
  }
  mirrored(): void {
    this.count(MIRRORED);
  }
  /** `reason` is a Skip value (0..8). */
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
  primaryLatencyMs(ms: u64): void {
    recordMetric(this.primaryLatency, ms);
  }
  darkLatencyMs(ms: u64): void {
    recordMetric(this.darkLatency, ms);
  }
  /** Sets the in-flight gauge to the process-wide count (every worker writes the same number). */
  inFlight(count: i64): void {
    recordMetric(this.inFlightGauge, <u64>max(count, 0));
  }
}
