// The pure parts the page and the collector share, run in Node: taking JSON paths apart and
// generalising them, where two JSON values differ, the pretty-printed lines with their paths, and
// the line diff for bodies that are not JSON.

import assert from "node:assert/strict";
import { test } from "node:test";
import { isMarked, jsonDifferences, jsonLines } from "../../tools/darklaunch/web/json-diff.js";
import { canonicalPath, generalisePath, pathPrefixes, pathSegments } from "../../tools/darklaunch/web/json-paths.js";
import { lineDiff, middleDifference } from "../../tools/darklaunch/web/text-diff.js";
import { ignoreEntry } from "../../tools/darklaunch/src/samples/paths.js";

test("JSON paths: segments, prefixes, [N] → [*], one spelling, ignore entries", () => {
  assert.deepEqual(pathSegments("items[3].price").map((s) => s.text), ["items", "[3]", "price"]);
  assert.deepEqual(pathSegments('meta["a.b"][0].c').map((s) => s.text), ["meta", '["a.b"]', "[0]", "c"]);
  assert.deepEqual(pathSegments('["x\\"]y"].z').map((s) => s.text), ['["x\\"]y"]', "z"]);
  assert.deepEqual(pathPrefixes("a.b[*]"), ["a", "a.b", "a.b[*]"]);
  assert.equal(generalisePath("items[3].tags[10].name"), "items[*].tags[*].name");
  assert.equal(generalisePath('m["[1]"][2]'), 'm["[1]"][*]');
  assert.equal(generalisePath("$"), "$");
  assert.equal(canonicalPath('meta.["version"]'), "meta.version");
  assert.equal(canonicalPath('$.a["b c"]'), 'a["b c"]');
  assert.equal(canonicalPath("$[2].id"), "[2].id");
  assert.equal(canonicalPath("$"), "$");
  assert.equal(ignoreEntry("$"), null);
  assert.equal(ignoreEntry("$[*].id"), "[*].id");
  assert.equal(ignoreEntry("items[*].etag"), "items[*].etag");
});

test("jsonDifferences: members as a set, arrays in order, types and values, in the comparator's spelling", () => {
  const primary = { b: 1, a: { x: [1, 2, 3], "y.z": "s" }, same: null, gone: true };
  const dark = { a: { x: [1, 5], "y.z": "t" }, b: 1, same: null, added: 0 };
  assert.deepEqual([...jsonDifferences(primary, dark)].sort(), ["a.x[1]", "a.x[2]", 'a["y.z"]', "added", "gone"]);
  assert.deepEqual([...jsonDifferences({ n: 1 }, { n: "1" })], ["n"]);
  assert.deepEqual([...jsonDifferences([1], { 0: 1 })], ["$"]);
  assert.equal(jsonDifferences({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }).size, 0);
});

test("jsonLines: one line per value and bracket, each with its path; isMarked covers what lies under a path", () => {
  const lines = jsonLines({ items: [{ price: "9.99" }], empty: {} });
  assert.deepEqual(
    lines.map((l) => [l.depth, l.key, l.text, l.path, l.comma]),
    [
      [0, null, "{", "$", false],
      [1, '"items"', "[", "items", false],
      [2, null, "{", "items[0]", false],
      [3, '"price"', '"9.99"', "items[0].price", false],
      [2, null, "}", "items[0]", false],
      [1, null, "]", "items", true],
      [1, '"empty"', "{}", "empty", false],
      [0, null, "}", "$", false],
    ],
  );
  const marked = new Set(["items[0]"]);
  assert.equal(isMarked("items[0].price", marked), true);
  assert.equal(isMarked("items[0]", marked), true);
  assert.equal(isMarked("items", marked), false);
  assert.equal(isMarked("items[01]", marked), false);
  assert.equal(isMarked("anything", new Set(["$"])), true);
});

test("lineDiff and middleDifference", () => {
  assert.deepEqual(lineDiff(["a", "b", "c", "d"], ["a", "c", "b", "d", "e"]), [
    { op: "same", text: "a" },
    { op: "del", text: "b" },
    { op: "same", text: "c" },
    { op: "add", text: "b" },
    { op: "same", text: "d" },
    { op: "add", text: "e" },
  ]);
  assert.deepEqual(lineDiff(["x"], ["x"]), [{ op: "same", text: "x" }]);
  assert.deepEqual(middleDifference('{"total":"10.00","n":1}', '{"total":"10.50","n":1}'), { prefix: 13, suffix: 9 }); // "10.[0]0" vs "10.[5]0"
  assert.deepEqual(middleDifference("abc", "abc"), { prefix: 3, suffix: 0 });
});
