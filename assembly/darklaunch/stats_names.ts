// The one table of stats names (contract section 3). Written in the subset of TypeScript that is
// also AssemblyScript, so the filter and the Node tooling (CLI, tests) import this same file.
// Envoy shows every name with the prefix `wasmcustom.`; `/stats/prometheus` strips it.

export const ENVOY_CUSTOM_PREFIX: string = "wasmcustom.";

/**
 * How often each worker VM hands its counts (and the in-flight gauge) to Envoy, in ms: the
 * counters and the gauge lag the traffic by at most about this much (histograms do not lag).
 */
export const STATS_FLUSH_PERIOD_MS = 250;
export const STATS_ROOT: string = "darklaunch";

// A rule's name is part of each of its stats (and the Prometheus label `rule`), so its pattern
// lives here: the filter refuses other names, the CLI's thresholds and the stats tags use the same.
/** The characters of a rule name, as a regular-expression character class body. */
export const RULE_NAME_CHARS: string = "a-z0-9_-";
export const RULE_NAME_MAX_CHARS = 48;
/** `^[a-z0-9_-]{1,48}$` */
export const RULE_NAME_PATTERN: string = "^[" + RULE_NAME_CHARS + "]{1," + RULE_NAME_MAX_CHARS.toString() + "}$";

/** Whether `name` matches RULE_NAME_PATTERN (spelt out: AssemblyScript has no regular expressions). */
export function isRuleName(name: string): boolean {
  const n = name.length;
  if (n < 1 || n > RULE_NAME_MAX_CHARS) return false;
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    const ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c == 0x5f || c == 0x2d; // a-z 0-9 _ -
    if (!ok) return false;
  }
  return true;
}

/** Skip reasons, in the order the filter checks them (the Skip enum of skip.ts follows it). */
export const SKIP_REASONS: string[] = [
  "disabled",
  "expired",
  "method",
  "sampled_out",
  "body_too_large",
  "in_flight_limit",
  "rate_limited",
  "breaker_open",
  "aborted",
  "dispatch_failed",
];

export const STATUS_CLASSES: string[] = ["2xx", "3xx", "4xx", "5xx"];

/** Comparison parts, in the order a mismatch is attributed. */
export const MISMATCH_PARTS: string[] = ["status", "headers", "body"];

/** Every counter of a rule, as the suffix after `darklaunch.<rule>.` (noise counters apart). */
export function counterSuffixes(): string[] {
  const out: string[] = ["requests", "mirrored"];
  for (let i = 0; i < SKIP_REASONS.length; i++) out.push("skipped." + SKIP_REASONS[i]);
  for (let i = 0; i < STATUS_CLASSES.length; i++) out.push("dark.status." + STATUS_CLASSES[i]);
  out.push("dark.failed");
  out.push("dark.timeout");
  for (let i = 0; i < STATUS_CLASSES.length; i++) out.push("primary.status." + STATUS_CLASSES[i]);
  out.push("compare.match");
  for (let i = 0; i < MISMATCH_PARTS.length; i++) out.push("compare.mismatch." + MISMATCH_PARTS[i]);
  out.push("compare.incomplete");
  out.push("compare.json_invalid");
  out.push("compare.undecoded");
  return out;
}

/** The counters of a rule with `compare.noise_cluster` (contract §2.6), after `darklaunch.<rule>.`. */
export function noiseCounterSuffixes(): string[] {
  const out: string[] = ["noise.match"];
  for (let i = 0; i < MISMATCH_PARTS.length; i++) out.push("noise.mismatch." + MISMATCH_PARTS[i]);
  out.push("noise.incomplete");
  return out;
}

/** Process-wide counters of mismatch samples (contract §2.7), after `darklaunch.samples.`. */
export const SAMPLES_COUNTERS: string[] = ["sent", "dropped", "failed"];

export const HISTOGRAM_SUFFIXES: string[] = ["primary.latency_ms", "dark.latency_ms"];
export const GAUGE_SUFFIXES: string[] = ["in_flight"];

/** A rule's stat as defined by the filter (without Envoy's `wasmcustom.`). */
export function ruleStatName(rule: string, suffix: string): string {
  return STATS_ROOT + "." + rule + "." + suffix;
}

/** A process-wide samples counter as defined by the filter (without Envoy's `wasmcustom.`). */
export function samplesStatName(counter: string): string {
  return STATS_ROOT + ".samples." + counter;
}
