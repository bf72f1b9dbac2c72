// What the stored samples say, per rule: which parts and JSON paths differ, how often on the dark
// side and on the noise side, which of them Diffy's rule calls real, and the compare.body.ignore
// list they suggest. The collector's API (/api/diff), `darklaunch diff` and `darklaunch noise`
// all use this one computation.
//
// Diffy's rule (twitter-archive/diffy and opendiffy/diffy, analysis/JoinedDifferences.scala,
// DifferencesFilterFactory and JoinedField; defaults in DiffyServiceModule.scala): a field is a
// real difference when
//   raw > noise  and  relative > 20  and  absolute > 0.03, where
//   relative = |raw − noise| / (raw + noise) × 100   and   absolute = |raw − noise| / total × 100,
// raw and noise are the numbers of requests in which the field differed between primary and
// candidate (dark) and between primary and secondary (noise), total the requests seen.
// The comparisons are strict (>) in the code although the flags' help says "inclusive"; here too.
// Our "requests" are the stored samples: total is the rule's samples, raw and noise the samples
// whose dark or noise response differs at the path (a sample counts once per generalised path).

import { ignoreEntry, PART_KEYS } from "./paths.js";
import type { KeyCounts, RuleCounts, SampleStore } from "./store.js";

/** Diffy's default thresholds (threshold.relative, threshold.absolute), in percent. */
export const DIFFY_RELATIVE_THRESHOLD = 20;
export const DIFFY_ABSOLUTE_THRESHOLD = 0.03;

/** Without noise samples, a path is suggested when it differs in at least this share of samples... */
export const NEARLY_EVERY_PAIR = 0.95;
/** ...of a rule with at least this many samples. */
export const MIN_SAMPLES_FOR_SUGGESTION = 20;

/** compare.body.ignore holds at most this many paths (filter contract §2.3). */
export const MAX_IGNORE_PATHS = 64;

export type DifferenceKind = "status" | "headers" | "body" | "path";

export interface DifferenceRow {
  /** (status), (headers), (body), or a JSON path with array indexes as [*]. */
  what: string;
  kind: DifferenceKind;
  /** Samples in which the dark response differs from the primary here. */
  dark: number;
  /** Samples in which the noise response differs from the primary here (0 without noise samples). */
  noise: number;
  /** dark / samples × 100. */
  dark_percent: number;
  /** noise / noise samples × 100; null without noise samples. */
  noise_percent: number | null;
  /** Diffy's rule: real (dark beyond noise) or noise; null without noise samples. */
  diffy: "real" | "noise" | null;
  example_x_request_id: string | null;
  example_sample_id: number;
}

export type SuggestionBasis = "noise" | "nearly_every_pair" | "not_enough_samples";

export interface IgnoreSuggestion {
  basis: SuggestionBasis;
  /** Paths for compare.body.ignore, most frequent first. */
  ignore: string[];
  /** Why the list is what it is, in a sentence or two. */
  explanation: string;
  /** Suggested paths left out beyond MAX_IGNORE_PATHS. */
  left_out: number;
}

/** A rule's counts as stored, with its differences and the suggested ignore list. */
export interface RuleDiff extends RuleCounts {
  differences: DifferenceRow[];
  suggestion: IgnoreSuggestion;
}

export interface DiffDocument {
  /** Where the samples came from: the collector's URL or the database file. */
  source: string;
  taken_at: string;
  /** Samples stored, all rules. */
  samples: number;
  rules: RuleDiff[];
}

/** Diffy's JoinedField figures and DifferencesFilterFactory's judgement for one field. */
export function diffyJudgement(raw: number, noise: number, total: number): { relative: number; absolute: number; real: boolean } {
  const gap = Math.abs(raw - noise);
  // × 100 first, then one division: a single rounding, so a ratio exactly at a threshold (3 of
  // 10,000 = 0.03 %) is the same double as the threshold and is not "above" it by a rounding error.
  const relative = raw + noise === 0 ? 0 : (gap * 100) / (raw + noise);
  const absolute = total === 0 ? 0 : (gap * 100) / total;
  return { relative, absolute, real: raw > noise && relative > DIFFY_RELATIVE_THRESHOLD && absolute > DIFFY_ABSOLUTE_THRESHOLD };
}

function kindOf(key: string): DifferenceKind {
  if (key === PART_KEYS.status) return "status";
  if (key === PART_KEYS.headers) return "headers";
  if (key === PART_KEYS.body) return "body";
  return "path";
}

/** Most frequent first: dark count, then noise count, then the name. */
function byFrequency(a: DifferenceRow, b: DifferenceRow): number {
  return b.dark - a.dark || b.noise - a.noise || (a.what < b.what ? -1 : a.what > b.what ? 1 : 0);
}

export function differenceRows(counts: RuleCounts, keys: readonly KeyCounts[]): DifferenceRow[] {
  const withNoise = counts.noise_samples > 0;
  return keys
    .map(
      (k): DifferenceRow => ({
        what: k.key,
        kind: kindOf(k.key),
        dark: k.dark,
        noise: k.noise,
        dark_percent: counts.samples === 0 ? 0 : (k.dark / counts.samples) * 100,
        noise_percent: withNoise ? (k.noise / counts.noise_samples) * 100 : null,
        diffy: withNoise ? (diffyJudgement(k.dark, k.noise, counts.samples).real ? "real" : "noise") : null,
        example_x_request_id: k.example_x_request_id,
        example_sample_id: k.example_id,
      }),
    )
    .sort(byFrequency);
}

/**
 * The compare.body.ignore list the samples suggest:
 * - with noise samples: the JSON paths that differ between primary and noise and that Diffy's
 *   rule does not call a real difference;
 * - without: the JSON paths that differ in nearly every sample (≥ 95 % of at least 20).
 */
export function suggestIgnore(counts: RuleCounts, rows: readonly DifferenceRow[]): IgnoreSuggestion {
  const paths = rows.filter((r) => r.kind === "path" && ignoreEntry(r.what) !== null);
  let basis: SuggestionBasis;
  let chosen: DifferenceRow[];
  let explanation: string;
  if (counts.noise_samples > 0) {
    basis = "noise";
    chosen = paths.filter((r) => r.noise > 0 && r.diffy === "noise");
    const real = paths.filter((r) => r.noise > 0 && r.diffy === "real").length;
    explanation =
      `paths that also differ between primary and noise (${counts.noise_samples} sample${counts.noise_samples === 1 ? "" : "s"} with a noise response), ` +
      `except where the dark side differs clearly more often (Diffy's rule: raw > noise, relative > ${DIFFY_RELATIVE_THRESHOLD}%, absolute > ${DIFFY_ABSOLUTE_THRESHOLD}%)` +
      (real > 0 ? `; ${real} such path${real === 1 ? "" : "s"} left out as real` : "");
  } else if (counts.samples < MIN_SAMPLES_FOR_SUGGESTION) {
    basis = "not_enough_samples";
    chosen = [];
    explanation = `no noise samples, and ${counts.samples} sample${counts.samples === 1 ? "" : "s"} are too few to tell volatile paths (at least ${MIN_SAMPLES_FOR_SUGGESTION} needed)`;
  } else {
    basis = "nearly_every_pair";
    const needed = Math.ceil(NEARLY_EVERY_PAIR * counts.samples);
    chosen = paths.filter((r) => r.dark >= needed);
    explanation = `no noise samples: paths that differ in nearly every sample (at least ${NEARLY_EVERY_PAIR * 100}%, ${needed} of ${counts.samples})`;
  }
  const entries = [...new Set(chosen.map((r) => ignoreEntry(r.what)!))];
  return {
    basis,
    ignore: entries.slice(0, MAX_IGNORE_PATHS),
    explanation,
    left_out: Math.max(0, entries.length - MAX_IGNORE_PATHS),
  };
}

/** The whole analysis of a store (all rules, or the named one). */
export function diffDocument(store: SampleStore, source: string, rule?: string): DiffDocument {
  const all = store.ruleCounts();
  const rules = all
    .filter((c) => rule === undefined || c.rule === rule)
    .map((c): RuleDiff => {
      const rows = differenceRows(c, store.keyCounts(c.rule));
      return { ...c, differences: rows, suggestion: suggestIgnore(c, rows) };
    });
  return { source, taken_at: new Date().toISOString(), samples: store.size, rules };
}
