// The users' references keep up with the code they describe: docs/stats.md names every stat of the
// filter's one table (assembly/darklaunch/stats_names.ts), docs/configuration.md every key the
// filter's parser accepts (its key lists, assembly/darklaunch/config_keys.ts), and it and
// docs/behaviour-decisions.md every header the filter manages on the copy
// (assembly/darklaunch/managed_headers.ts). A key, a stat or a header added to the filter fails
// here until its reference says what it is.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import {
  counterSuffixes,
  GAUGE_SUFFIXES,
  HISTOGRAM_SUFFIXES,
  MISMATCH_PARTS,
  noiseCounterSuffixes,
  RULE_NAME_PATTERN,
  SAMPLES_COUNTERS,
  SKIP_REASONS,
  STATUS_CLASSES,
} from "../../assembly/darklaunch/stats_names.js";
import { PROJECT_ROOT } from "../../tools/lib/envoy.js";
import * as KEYS from "../../assembly/darklaunch/config_keys.js";
import { MANAGED_HEADERS } from "../../assembly/darklaunch/managed_headers.js";

const read = (path: string): string => readFileSync(join(PROJECT_ROOT, path), "utf8");

/** A stat suffix as the reference writes it: variable parts as <reason>, <class>, <part>. */
function generalised(suffix: string): string {
  const [head, ...rest] = suffix.split(".");
  const last = rest.at(-1);
  if (head === "skipped" && SKIP_REASONS.includes(last!)) return "skipped.<reason>";
  if (last !== undefined && STATUS_CLASSES.includes(last)) return suffix.replace(/[^.]+$/, "<class>");
  if (last !== undefined && MISMATCH_PARTS.includes(last) && suffix.includes("mismatch")) return suffix.replace(/[^.]+$/, "<part>");
  return suffix;
}

test("docs/stats.md names every stat of stats_names.ts, every reason, class and part", () => {
  const doc = read("docs/stats.md");
  const suffixes = [...counterSuffixes(), ...noiseCounterSuffixes(), ...HISTOGRAM_SUFFIXES, ...GAUGE_SUFFIXES];
  const missing = suffixes.filter((s) => !doc.includes(`wasmcustom.darklaunch.<rule>.${generalised(s)}\``));
  assert.deepEqual(missing, [], "stats without a row at /stats");
  for (const counter of SAMPLES_COUNTERS)
    assert.match(doc, new RegExp(`darklaunch\\.samples\\.(${counter}|[a-z/ .\`]*${counter})`), counter);
  for (const word of [...SKIP_REASONS, ...STATUS_CLASSES, ...MISMATCH_PARTS]) assert.ok(doc.includes(`\`${word}\``), word);
  // The labelled Prometheus names of the variable parts.
  for (const name of [
    'darklaunch_skipped{rule="<rule>",reason="<reason>"}',
    'darklaunch_dark_status{rule="<rule>",class="<class>"}',
    'darklaunch_primary_status{rule="<rule>",class="<class>"}',
    'darklaunch_compare_mismatch{rule="<rule>",part="<part>"}',
    'darklaunch_noise_mismatch{rule="<rule>",part="<part>"}',
  ]) {
    assert.ok(doc.includes(name), name);
  }
});

/** The section of `doc` under `heading` (a whole heading line), up to the next heading of level 2 or 3. */
function section(doc: string, heading: string): string {
  const start = doc.split("\n").indexOf(heading);
  assert.ok(start >= 0, `docs/configuration.md has the heading ${heading}`);
  const lines = doc.split("\n").slice(start + 1);
  const end = lines.findIndex((line) => /^#{2,3} /.test(line));
  return lines.slice(0, end < 0 ? undefined : end).join("\n");
}

/** Where each key list of the parser is described. */
const KEY_SECTIONS: Record<keyof typeof KEYS, string> = {
  TOP_KEYS: "## Top level",
  RULE_KEYS: "## A rule",
  MATCH_KEYS: "### `match`",
  HEADER_CONDITION_KEYS: "### `match`",
  SAMPLE_KEYS: "### `sample`",
  DARK_KEYS: "### `dark`",
  COMPARE_KEYS: "### `compare`",
  BODY_KEYS: "### `compare.body`",
  LIMITS_KEYS: "### `limits`",
  BREAKER_KEYS: "### `breaker`",
  SAMPLES_KEYS: "## `samples`",
};

test("docs/configuration.md describes every key the parser accepts, in the section of its object", () => {
  const doc = read("docs/configuration.md");
  assert.deepEqual(Object.keys(KEYS).sort(), Object.keys(KEY_SECTIONS).sort(), "every key list of config_keys.ts has its section");
  const missing: string[] = [];
  for (const [list, heading] of Object.entries(KEY_SECTIONS)) {
    const text = section(doc, heading);
    // biome-ignore lint/performance/noDynamicNamespaceImportAccess: a test walking every list the module exports, on purpose
    for (const key of KEYS[list as keyof typeof KEYS]) {
      // A table row for the key, or (header conditions) the key in an example.
      if (!text.includes(`| \`${key}\` |`) && !text.includes(`"${key}":`)) missing.push(`${list}: ${key} (under ${heading})`);
    }
  }
  assert.deepEqual(missing, [], "keys without a row (or, for header conditions, an example) in docs/configuration.md");
  assert.ok(doc.includes(RULE_NAME_PATTERN), "the rule name pattern");
  assert.match(doc, /-shadow/, "the authority rule");
});

test("the references name every header the filter manages on the copy (refused in set_headers, never copied)", () => {
  const dark = section(read("docs/configuration.md"), "### `dark`");
  const copy = section(read("docs/behaviour-decisions.md"), "## The copy");
  const missing: string[] = [];
  for (const { name } of MANAGED_HEADERS) {
    if (!dark.includes(`\`${name}\``)) missing.push(`docs/configuration.md ### \`dark\`: ${name}`);
    if (!copy.includes(`\`${name}\``)) missing.push(`docs/behaviour-decisions.md ## The copy: ${name}`);
  }
  assert.deepEqual(missing, []);
  assert.ok(dark.includes("`te: trailers`") && copy.includes("`trailers`"), "the te exception");
});
