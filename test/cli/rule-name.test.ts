// One rule-name pattern, assembly/darklaunch/stats_names.ts, for every place that checks or
// matches a rule's name: the filter's validation (compiled to Wasm), the CLI's thresholds file,
// the sample document's schema and the stats tags. Each is checked against the pattern itself, so
// a copy that drifts (another length, another character) fails here.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { isRuleName, RULE_NAME_CHARS, RULE_NAME_MAX_CHARS, RULE_NAME_PATTERN } from "../../assembly/darklaunch/stats_names.js";
import { CliError } from "../../tools/darklaunch/src/errors.js";
import { SCHEMA_URL } from "../../tools/darklaunch/src/samples/document.js";
import { STATS_TAGS } from "../../tools/darklaunch/src/stats-config.js";
import { thresholdsFromObject } from "../../tools/darklaunch/src/thresholds.js";
import { validateFilterConfig } from "../../tools/darklaunch/src/validation.js";
import { FILTER_WASM_PATH } from "../../tools/lib/envoy.js";

const PATTERN = new RegExp(RULE_NAME_PATTERN);

/** Names at every edge of the pattern: each character class's ends and their neighbours, the lengths. */
const EDGE_NAMES = [
  "a",
  "z",
  "0",
  "9",
  "_",
  "-",
  "checkout-v2_b",
  "A",
  "Z",
  "`",
  "{",
  "/",
  ":",
  "@",
  "[",
  ".",
  " ",
  "é",
  "ａ",
  "a\n",
  "",
  "x".repeat(RULE_NAME_MAX_CHARS),
  "x".repeat(RULE_NAME_MAX_CHARS + 1),
];

describe("the rule-name pattern", () => {
  test("is ^[a-z0-9_-]{1,48}$, as the contract and docs/configuration.md say", () => {
    assert.equal(RULE_NAME_PATTERN, "^[a-z0-9_-]{1,48}$");
  });

  test("isRuleName (the spelt-out check the filter compiles) agrees with the pattern on every character and the lengths", () => {
    const disagree: string[] = [];
    for (let c = 0; c < 0x3000; c++) {
      const name = `r${String.fromCharCode(c)}`;
      if (isRuleName(name) !== PATTERN.test(name)) disagree.push(`U+${c.toString(16).padStart(4, "0")}`);
    }
    for (const name of EDGE_NAMES) if (isRuleName(name) !== PATTERN.test(name)) disagree.push(JSON.stringify(name));
    assert.deepEqual(disagree, []);
  });

  test("the compiled filter accepts exactly the names the pattern accepts, and says the pattern when it refuses", async () => {
    for (const name of EDGE_NAMES) {
      const result = await validateFilterConfig(JSON.stringify({ rules: [{ name, dark: { cluster: "c" } }] }), FILTER_WASM_PATH);
      assert.equal(result.valid, PATTERN.test(name), `${JSON.stringify(name)}: ${result.problems.join("; ")}`);
      if (!result.valid) {
        assert.match(
          result.problems[0]!,
          new RegExp(`^rules\\[0\\]\\.name: must be a string matching ${RULE_NAME_PATTERN.replace(/[$^[\]{}]/g, "\\$&")} \\(got `),
        );
      }
    }
  });

  test("a thresholds file refuses a rule the filter would refuse, by the same pattern", () => {
    const refused = (name: string): string | null => {
      try {
        thresholdsFromObject({ rules: { [name]: {} } }, "t.yaml");
        return null;
      } catch (err) {
        assert.ok(err instanceof CliError);
        return err.message;
      }
    };
    for (const name of EDGE_NAMES.filter((n) => n !== "")) {
      const message = refused(name);
      if (PATTERN.test(name)) assert.equal(message, null, name);
      else assert.ok(message?.includes(`not a rule name (${RULE_NAME_PATTERN})`), `${JSON.stringify(name)}: ${message}`);
    }
  });

  test("the sample document's schema uses the same pattern", () => {
    const schema = JSON.parse(readFileSync(SCHEMA_URL, "utf8")) as { properties: { rule: { pattern: string } } };
    assert.equal(schema.properties.rule.pattern, RULE_NAME_PATTERN);
  });

  test("the stats tag `rule` takes every character a rule name may have", () => {
    const tag = STATS_TAGS.find((t) => t.tag_name === "rule")!;
    assert.ok(tag.regex.includes(`[${RULE_NAME_CHARS}]+`));
    const name = "a-z_0-9";
    const m = new RegExp(tag.regex).exec(`wasmcustom.darklaunch.${name}.requests`);
    assert.equal(m?.[2], name);
  });
});
