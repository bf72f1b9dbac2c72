// The users' references keep up with the code they describe: docs/stats.md names every stat of the
// filter's one table (assembly/darklaunch/stats_names.ts), and docs/configuration.md every key the
// filter's parser accepts (the key lists of assembly/darklaunch/config_parse.ts). A key or a stat
// added to the filter fails here until its reference says what it is.

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
  SAMPLES_COUNTERS,
  SKIP_REASONS,
  STATUS_CLASSES,
} from "../../assembly/darklaunch/stats_names.js";
import { PROJECT_ROOT } from "../../tools/lib/envoy.js";

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
  for (const counter of SAMPLES_COUNTERS) assert.match(doc, new RegExp(`darklaunch\\.samples\\.(${counter}|[a-z/ .\`]*${counter})`), counter);
  for (const word of [...SKIP_REASONS, ...STATUS_CLASSES, ...MISMATCH_PARTS]) assert.ok(doc.includes(`\`${word}\``), word);
  // The labelled Prometheus names of the variable parts.
  for (const name of ['darklaunch_skipped{rule="<rule>",reason="<reason>"}', 'darklaunch_dark_status{rule="<rule>",class="<class>"}', 'darklaunch_primary_status{rule="<rule>",class="<class>"}', 'darklaunch_compare_mismatch{rule="<rule>",part="<part>"}', 'darklaunch_noise_mismatch{rule="<rule>",part="<part>"}']) {
    assert.ok(doc.includes(name), name);
  }
});

test("docs/configuration.md describes every key the parser accepts", () => {
  const parser = read("assembly/darklaunch/config_parse.ts");
  const lists = [...parser.matchAll(/^const ([A-Z_]+_KEYS): string\[\] = \[([^\]]*)\];$/gm)];
  assert.ok(lists.length >= 8, `the key lists of config_parse.ts (found ${lists.map((l) => l[1]).join(", ")})`);
  const doc = read("docs/configuration.md");
  const missing: string[] = [];
  for (const [, list, body] of lists) {
    for (const key of body!.matchAll(/"([a-z_]+)"/g)) {
      if (!doc.includes(`| \`${key[1]}\` |`) && !doc.includes(`\`"${key[1]}"`)) missing.push(`${list}: ${key[1]}`);
    }
  }
  assert.deepEqual(missing, [], "keys without a row (or, for header conditions, an example) in docs/configuration.md");
  assert.ok(doc.includes("^[a-z0-9_-]{1,48}$"), "the rule name pattern");
  assert.match(doc, /-shadow/, "the authority rule");
});
