// The `stats_config` the project's Envoy configs carry for the filter (contract section 3): the
// `stats_tags` that turn name parts into Prometheus labels, and the latency buckets of the
// filter's histograms. One definition for `render`, the test bootstraps (tools/lib/envoy.ts) and
// the check of the hand-written envoy/*.yaml (test/envoy/examples.test.ts).
//
// How Envoy applies a tag: its regex is matched against the full stat name (with `wasmcustom.`);
// the first capture group is cut out of the name and the second becomes the tag's value. Every
// tag sees the original name, so each regex must capture only its own part; their order only
// sets the order Envoy prints the labels in (checked with Envoy 1.40: reversed, the names are
// the same and `part` comes before `rule`):
//   wasmcustom.darklaunch.checkout.skipped.sampled_out
//     rule    cuts "checkout."     → darklaunch_skipped{rule="checkout",reason="sampled_out"}
//     reason  cuts ".sampled_out"
// The process-wide `darklaunch.samples.*` counters have no rule: the rule regex only matches
// names that go on with a rule's own stats, so they stay `darklaunch_samples_sent` etc.

import { ENVOY_CUSTOM_PREFIX, HISTOGRAM_SUFFIXES, RULE_NAME_CHARS, STATS_ROOT } from "../../../assembly/darklaunch/stats_names.js";

const ROOT = `${ENVOY_CUSTOM_PREFIX + STATS_ROOT}.`.replace(/\./g, "\\.");
const RULE_NAME = `[${RULE_NAME_CHARS}]+`;
/** What follows a rule's name in each of its stats (first segments of the suffixes). */
const RULE_STAT_STARTS = "requests|mirrored|skipped\\.|dark\\.|primary\\.|compare\\.|noise\\.|in_flight";

export interface StatsTag {
  tag_name: string;
  regex: string;
}

/** The stats tags of contract section 3, in the order the configs list them. */
export const STATS_TAGS: readonly StatsTag[] = [
  { tag_name: "rule", regex: `^${ROOT}((${RULE_NAME})\\.)(?:${RULE_STAT_STARTS})` },
  { tag_name: "reason", regex: `^${ROOT}${RULE_NAME}\\.skipped(\\.([a-z_]+))$` },
  { tag_name: "class", regex: `^${ROOT}${RULE_NAME}\\.(?:dark|primary)\\.status(\\.([1-5]xx))$` },
  { tag_name: "part", regex: `^${ROOT}${RULE_NAME}\\.(?:compare|noise)\\.mismatch(\\.([a-z_]+))$` },
];

/**
 * Latency bucket bounds (ms) of the filter's two histograms. The filter records whole
 * milliseconds: every millisecond up to 10 ms, then steps of at most 10% up to 1 s (the latency
 * check's default limit is 1.1 × the primary's p95, and judging from buckets needs bounds at
 * least that close: docs/cli.md "Latency from histograms"), then coarser up to a minute.
 */
export const LATENCY_BUCKETS_MS: readonly number[] = ((): number[] => {
  const out: number[] = [];
  for (let ms = 1; ms <= 10; ms++) out.push(ms);
  // Two significant digits, each at most 1.1 × the one before.
  let b = 10;
  while (b < 1000) {
    const magnitude = 10 ** Math.floor(Math.log10(b * 1.1));
    let next = Math.floor((b * 1.1) / (magnitude / 10)) * (magnitude / 10);
    if (next <= b) next = b + magnitude / 10;
    b = Math.round(next);
    out.push(Math.min(b, 1000));
  }
  out.push(1250, 1500, 2000, 2500, 3000, 4000, 5000, 7500, 10000, 15000, 20000, 30000, 60000);
  return out;
})();

/** The `stats_config.histogram_bucket_settings` entry for the filter's latency histograms. */
export function latencyBucketSettings(): { match: { safe_regex: { regex: string } }; buckets: number[] } {
  const names = HISTOGRAM_SUFFIXES.map((s) => s.replace(/\./g, "\\.")).join("|");
  return { match: { safe_regex: { regex: `^${ROOT}${RULE_NAME}\\.(?:${names})$` } }, buckets: [...LATENCY_BUCKETS_MS] };
}

/** The whole `stats_config` block for an Envoy bootstrap. */
export function darklaunchStatsConfig(): { stats_tags: StatsTag[]; histogram_bucket_settings: ReturnType<typeof latencyBucketSettings>[] } {
  return { stats_tags: STATS_TAGS.map((t) => ({ ...t })), histogram_bucket_settings: [latencyBucketSettings()] };
}

/**
 * What Envoy makes of a rule's stat with these tags: the name at `/stats/prometheus` and its
 * labels. Done as Envoy does it: each tag's regex against the full name, its first group cut
 * out, its second the value; then `wasmcustom.` dropped and the dots turned into underscores.
 */
export function prometheusSeries(rule: string, suffix: string): { name: string; labels: Record<string, string> } {
  const full = `${ENVOY_CUSTOM_PREFIX + STATS_ROOT}.${rule}.${suffix}`;
  const cuts: [number, number][] = [];
  const labels: Record<string, string> = {};
  for (const tag of STATS_TAGS) {
    const m = new RegExp(tag.regex, "d").exec(full);
    if (m === null || m.indices === undefined || m[2] === undefined) continue;
    labels[tag.tag_name] = m[2];
    cuts.push(m.indices[1]!);
  }
  cuts.sort((a, b) => b[0] - a[0]);
  let name = full;
  for (const [from, to] of cuts) name = name.slice(0, from) + name.slice(to);
  name = name.slice(ENVOY_CUSTOM_PREFIX.length).replace(/[^a-zA-Z0-9_]/g, "_");
  return { name, labels };
}
