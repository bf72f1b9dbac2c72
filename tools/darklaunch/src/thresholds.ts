// What `verdict` judges each rule against: the defaults, and a YAML file that overrides them for
// every rule (`defaults:`) or for one rule (`rules: { <name>: ... }`). Unknown keys are errors,
// as in the filter's own configuration: a typo must not silently keep a default.
//
//   defaults:
//     divergence:  { max_percent: 1, min_compared: 100 }
//     error_rate:  { max_points_over_primary: 0.5, min_calls: 100 }
//     latency_p95: { max_ratio: 1.25, slack_ms: 2, min_samples: 100 }
//   rules:
//     checkout:
//       latency_p95: { max_ratio: 1.5 }
//       divergence: { enabled: false }

import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { CliError, EXIT } from "./errors.js";
import { isRuleName, RULE_NAME_PATTERN } from "../../../assembly/darklaunch/stats_names.js";

export interface DivergenceThreshold {
  enabled: boolean;
  /** The limit on the divergence (percent; with a noise cluster, points over the noise's). */
  maxPercent: number;
  /** PASS also needs this many compared pairs (FAIL needs none). */
  minCompared: number;
}

export interface ErrorRateThreshold {
  enabled: boolean;
  /** Dark error rate may exceed the primary's by at most this many percentage points. */
  maxPointsOverPrimary: number;
  /** PASS also needs this many ended dark calls with a primary response (FAIL needs none). */
  minCalls: number;
}

export interface LatencyThreshold {
  enabled: boolean;
  /** Dark p95 ≤ max_ratio × primary p95 ... */
  maxRatio: number;
  /** ... or ≤ primary p95 + slack_ms, whichever is larger (the filter records whole ms). */
  slackMs: number;
  /** PASS also needs this many latency samples on each side (FAIL needs none). */
  minSamples: number;
}

export interface Thresholds {
  divergence: DivergenceThreshold;
  errorRate: ErrorRateThreshold;
  latencyP95: LatencyThreshold;
}

export const DEFAULT_THRESHOLDS: Thresholds = {
  divergence: { enabled: true, maxPercent: 1, minCompared: 100 },
  errorRate: { enabled: true, maxPointsOverPrimary: 0.5, minCalls: 100 },
  // 1.25 and 2 ms, not tighter: showing a p95 within 10% takes around ten thousand samples per
  // side for a typical latency spread (docs/verdict.md), and within one millisecond is below
  // the histograms' grain.
  latencyP95: { enabled: true, maxRatio: 1.25, slackMs: 2, minSamples: 100 },
};

/** Thresholds for every rule, with per-rule overrides. */
export interface ThresholdSet {
  defaults: Thresholds;
  rules: Record<string, Thresholds>;
  /** The file they came from, or null for the built-in defaults. */
  source: string | null;
}

/** The thresholds that apply to `rule`. */
export function thresholdsFor(set: ThresholdSet, rule: string): Thresholds {
  return set.rules[rule] ?? set.defaults;
}

// ---------------------------------------------------------------------------------------------
// The file

type Field = { key: string; prop: string; kind: "boolean" | "number" | "count"; min?: number; max?: number };

/** Each section of the file: YAML key → the Thresholds property and its fields. */
const SECTIONS: { key: string; prop: keyof Thresholds; fields: Field[] }[] = [
  {
    key: "divergence",
    prop: "divergence",
    fields: [
      { key: "enabled", prop: "enabled", kind: "boolean" },
      { key: "max_percent", prop: "maxPercent", kind: "number", min: 0, max: 100 },
      { key: "min_compared", prop: "minCompared", kind: "count" },
    ],
  },
  {
    key: "error_rate",
    prop: "errorRate",
    fields: [
      { key: "enabled", prop: "enabled", kind: "boolean" },
      { key: "max_points_over_primary", prop: "maxPointsOverPrimary", kind: "number", min: 0, max: 100 },
      { key: "min_calls", prop: "minCalls", kind: "count" },
    ],
  },
  {
    key: "latency_p95",
    prop: "latencyP95",
    fields: [
      { key: "enabled", prop: "enabled", kind: "boolean" },
      { key: "max_ratio", prop: "maxRatio", kind: "number", min: 0 },
      { key: "slack_ms", prop: "slackMs", kind: "number", min: 0 },
      { key: "min_samples", prop: "minSamples", kind: "count" },
    ],
  },
];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function clone(t: Thresholds): Thresholds {
  return { divergence: { ...t.divergence }, errorRate: { ...t.errorRate }, latencyP95: { ...t.latencyP95 } };
}

/** Applies one `{ divergence: ..., error_rate: ..., latency_p95: ... }` block onto `base`. */
function applyBlock(base: Thresholds, block: unknown, path: string, problems: string[]): Thresholds {
  const out = clone(base);
  if (block === null || block === undefined) return out;
  if (!isObject(block)) {
    problems.push(`${path}: must be a mapping`);
    return out;
  }
  for (const [key, value] of Object.entries(block)) {
    const section = SECTIONS.find((s) => s.key === key);
    if (section === undefined) {
      problems.push(`${path}.${key}: unknown key (expected ${SECTIONS.map((s) => s.key).join(", ")})`);
      continue;
    }
    if (!isObject(value)) {
      problems.push(`${path}.${key}: must be a mapping`);
      continue;
    }
    const target = out[section.prop] as unknown as Record<string, number | boolean>;
    for (const [fieldKey, fieldValue] of Object.entries(value)) {
      const field = section.fields.find((f) => f.key === fieldKey);
      const at = `${path}.${key}.${fieldKey}`;
      if (field === undefined) {
        problems.push(`${at}: unknown key (expected ${section.fields.map((f) => f.key).join(", ")})`);
        continue;
      }
      if (field.kind === "boolean") {
        if (typeof fieldValue !== "boolean") problems.push(`${at}: must be true or false (got ${JSON.stringify(fieldValue)})`);
        else target[field.prop] = fieldValue;
        continue;
      }
      const ok =
        typeof fieldValue === "number" &&
        Number.isFinite(fieldValue) &&
        (field.kind !== "count" || (Number.isInteger(fieldValue) && fieldValue >= 0)) &&
        (field.min === undefined || fieldValue >= field.min) &&
        (field.max === undefined || fieldValue <= field.max);
      if (!ok) {
        const range =
          field.kind === "count"
            ? "a whole number ≥ 0"
            : `a number${field.min !== undefined ? ` ≥ ${field.min}` : ""}${field.max !== undefined ? ` and ≤ ${field.max}` : ""}`;
        problems.push(`${at}: must be ${range} (got ${JSON.stringify(fieldValue)})`);
        continue;
      }
      target[field.prop] = fieldValue as number;
    }
  }
  return out;
}

/** Thresholds from a parsed file (`source` names it in messages). Throws CliError listing every problem. */
export function thresholdsFromObject(doc: unknown, source: string): ThresholdSet {
  const problems: string[] = [];
  let defaults = clone(DEFAULT_THRESHOLDS);
  const rules: Record<string, Thresholds> = {};
  if (doc === null || doc === undefined) return { defaults, rules, source };
  if (!isObject(doc)) throw new CliError(`${source}: must be a mapping with "defaults" and/or "rules"`, EXIT.other);
  for (const key of Object.keys(doc)) {
    if (key !== "defaults" && key !== "rules") problems.push(`${key}: unknown key (expected defaults, rules)`);
  }
  defaults = applyBlock(defaults, doc.defaults, "defaults", problems);
  const ruleBlocks = doc.rules;
  if (ruleBlocks !== undefined && ruleBlocks !== null) {
    if (!isObject(ruleBlocks)) problems.push("rules: must be a mapping of rule name to thresholds");
    else {
      for (const [name, block] of Object.entries(ruleBlocks)) {
        if (!isRuleName(name)) problems.push(`rules.${name}: not a rule name (${RULE_NAME_PATTERN})`);
        rules[name] = applyBlock(defaults, block, `rules.${name}`, problems);
      }
    }
  }
  if (problems.length > 0) throw new CliError(`${source}: invalid thresholds:\n  ${problems.join("\n  ")}`, EXIT.other);
  return { defaults, rules, source };
}

/** Built-in defaults, or those of a YAML (or JSON) file. */
export function loadThresholds(path: string | undefined): ThresholdSet {
  if (path === undefined) return { defaults: clone(DEFAULT_THRESHOLDS), rules: {}, source: null };
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new CliError(
      `cannot read the thresholds file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      EXIT.other,
    );
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new CliError(`${path}: not valid YAML: ${(err as Error).message.split("\n")[0]}`, EXIT.other);
  }
  return thresholdsFromObject(doc, path);
}
