// Unit tests of how the CLI writes text: the compact JSON of configurations, aligned tables,
// and when colour is used.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { formatJson } from "../../tools/darklaunch/src/json-text.js";
import { colourWanted, Painter, renderTable, visibleLength } from "../../tools/darklaunch/src/table.js";

describe("formatJson", () => {
  const config = {
    enabled: true,
    rules: [
      {
        name: "checkout",
        match: { path_prefix: "/api/checkout", headers: [{ name: "x-dark", exact: "1" }] },
        sample: { percent: 12.5, by: "header:x-user-id" },
        dark: { cluster: "checkout_v2", set_headers: { "x-env": "dark" }, remove_headers: ["authorization", "cookie"] },
        compare: {},
        methods: [],
      },
    ],
  };

  test("the same data as JSON.stringify", () => {
    assert.deepEqual(JSON.parse(formatJson(config)), config);
    assert.deepEqual(JSON.parse(formatJson(config, 10)), config);
    assert.equal(formatJson('a"b'), '"a\\"b"\n');
  });

  test("short objects on one line, long ones spread and indented", () => {
    const text = formatJson(config);
    assert.match(text, /^ {6}"sample": \{ "percent": 12\.5, "by": "header:x-user-id" \},$/m);
    assert.match(text, /^ {6}"dark": \{$/m);
    assert.match(text, /^ {6}"compare": \{\},$/m);
    for (const line of text.split("\n")) assert.ok(line.length <= 80, line);
  });
});

describe("tables and colour", () => {
  test("columns line up whatever the colour codes", () => {
    const p = new Painter(true);
    const text = renderTable(
      ["A", "BB"],
      [
        [p.verdict("PASS"), "1"],
        ["NOT ENOUGH DATA", "22"],
      ],
      ["left", "right"],
    );
    const lines = text.split("\n").map((l) => l.replace(/\x1b\[[0-9;]*m/g, ""));
    assert.deepEqual(lines, ["A                BB", "PASS              1", "NOT ENOUGH DATA  22"]);
    assert.equal(visibleLength(p.paint("abc", "red")), 3);
  });

  test("colour only on a terminal, and never with NO_COLOR set to something", () => {
    assert.equal(colourWanted(true, {}), true);
    assert.equal(colourWanted(false, {}), false);
    assert.equal(colourWanted(true, { NO_COLOR: "1" }), false);
    assert.equal(colourWanted(true, { NO_COLOR: "" }), true);
    assert.equal(new Painter(false).verdict("NOT_ENOUGH_DATA"), "NOT ENOUGH DATA");
  });
});
