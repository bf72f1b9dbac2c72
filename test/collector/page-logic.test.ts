// The pure parts the page and the collector share, run in Node: taking JSON paths apart and
// generalising them, where two JSON values differ, the pretty-printed lines with their paths, and
// the line diff for bodies that are not JSON.

import assert from "node:assert/strict";
import { test } from "node:test";
import { isMarked, jsonDifferences, jsonLines } from "../../tools/darklaunch/web/json-diff.js";
import { canonicalPath, generalisePath, pathName, pathPrefixes, pathSegments } from "../../tools/darklaunch/web/json-paths.js";
import { lineDiff, middleDifference } from "../../tools/darklaunch/web/text-diff.js";
import { ignoreEntry } from "../../tools/darklaunch/src/samples/paths.js";
import { Rng } from "../emulator/random.ts";
import { pathName as comparatorName, randomKey, type Segment } from "../support/json-twins.ts";

test("JSON paths: segments, prefixes, [N] → [*], one spelling, ignore entries", () => {
  assert.deepEqual(
    pathSegments("items[3].price").map((s) => s.text),
    ["items", "[3]", "price"],
  );
  assert.deepEqual(
    pathSegments('meta["a.b"][0].c').map((s) => s.text),
    ["meta", '["a.b"]', "[0]", "c"],
  );
  assert.deepEqual(
    pathSegments('["x\\"]y"].z').map((s) => s.text),
    ['["x\\"]y"]', "z"],
  );
  assert.deepEqual(
    pathSegments("(root)").map((s) => s.text),
    ["(root)"],
  );
  assert.deepEqual(
    pathSegments("[2].id").map((s) => s.text),
    ["[2]", "id"],
  );
  assert.deepEqual(
    pathSegments("$.a").map((s) => s.text),
    ["$", "a"],
  );
  assert.deepEqual(pathPrefixes("a.b[*]"), ["a", "a.b", "a.b[*]"]);
  assert.equal(generalisePath("items[3].tags[10].name"), "items[*].tags[*].name");
  assert.equal(generalisePath('m["[1]"][2]'), 'm["[1]"][*]');
  assert.equal(generalisePath("(root)"), "(root)");
  assert.equal(generalisePath("[2].id"), "[*].id");
  assert.equal(canonicalPath('meta.["version"]'), "meta.version");
  assert.equal(canonicalPath('a.["b c"]'), 'a["b\\u0020c"]');
  assert.equal(canonicalPath("$[2].id"), "$[2].id"); // a member named "$": not the root
  assert.equal(canonicalPath("(root)"), "(root)");
  assert.equal(canonicalPath("items[*].etag"), "items[*].etag");
  assert.equal(ignoreEntry("(root)"), null);
  assert.equal(ignoreEntry("[*].id"), "[*].id");
  assert.equal(ignoreEntry("$"), "$");
  assert.equal(ignoreEntry("items[*].etag"), "items[*].etag");
  assert.equal(ignoreEntry('["say\\u0020\\"hi\\""]'), '["say\\u0020\\"hi\\""]');
});

test('cut names (63 bytes and "..."): one last segment, generalised before the cut, never an ignore entry', () => {
  const long = "k".repeat(70);
  const cut = pathName([{ member: "items" }, { index: 12 }, { member: long }]);
  assert.equal(cut, `items[12].${"k".repeat(63 - "items[12].".length)}...`);
  assert.deepEqual(
    pathSegments(cut).map((s) => s.text),
    ["items", "[12]", `${"k".repeat(53)}...`],
  );
  assert.deepEqual(pathPrefixes(cut), ["items", "items[12]", cut]);
  assert.equal(generalisePath(cut), `items[*].${"k".repeat(53)}...`);
  assert.equal(ignoreEntry(generalisePath(cut)), null);
  assert.equal(canonicalPath(cut), cut);
  // Cut inside a quoted name, and right after a dot.
  const quoted = pathName([{ member: "é".repeat(40) }]);
  assert.equal(quoted, `["${"é".repeat(30)}...`);
  assert.deepEqual(
    pathSegments(quoted).map((s) => s.text),
    [quoted],
  );
  assert.deepEqual(
    pathSegments("a.b....").map((s) => s.text),
    ["a", "b", "..."],
  );
});

test("pathName spells every path as the comparator does (test/support/json-twins.ts, the reference)", () => {
  const rng = new Rng(20261215);
  const cases: Segment[][] = [
    [],
    [{ member: "a.b" }],
    [{ index: 2 }, { member: "id" }],
    [{ member: "$" }],
    [{ member: "" }],
    [{ member: 'say "hi"' }, { member: "x=1,2" }],
    [{ member: "ctl\u0001\t\n\u007f" }],
    [{ member: "lone\ud800x" }, { member: "\udc00" }],
    [{ member: "a".repeat(64) }],
    [{ member: "a".repeat(65) }],
    [{ member: `${"a".repeat(63)}é` }],
    [{ member: "😀".repeat(17) }],
    [{ member: "x" }, { member: "y".repeat(60) }],
  ];
  for (let i = 0; i < 5000; i++) {
    const steps: Segment[] = [];
    for (let n = rng.int(1, 6); n > 0; n--) steps.push(rng.chance(0.3) ? { index: rng.int(0, 1200) } : { member: randomKey(rng) });
    cases.push(steps);
  }
  for (const steps of cases) assert.equal(pathName(steps), comparatorName(steps), JSON.stringify(steps));
});

test("jsonDifferences: members as a set, arrays in order, types and values, in the comparator's spelling", () => {
  const primary = { b: 1, a: { x: [1, 2, 3], "y.z": "s" }, same: null, gone: true };
  const dark = { a: { x: [1, 5], "y.z": "t" }, b: 1, same: null, added: 0 };
  assert.deepEqual([...jsonDifferences(primary, dark)].sort(), ["a.x[1]", "a.x[2]", 'a["y.z"]', "added", "gone"]);
  assert.deepEqual([...jsonDifferences({ n: 1 }, { n: "1" })], ["n"]);
  assert.deepEqual([...jsonDifferences([1], { 0: 1 })], ["(root)"]);
  assert.deepEqual([...jsonDifferences([{ id: 1 }, { id: 2 }], [{ id: 1 }, { id: 3 }])], ["[1].id"]);
  assert.deepEqual([...jsonDifferences({ $: 1, "a b": { "x,y": 1 } }, { $: 2, "a b": { "x,y": 2 } })].sort(), [
    "$",
    '["a\\u0020b"]["x\\u002cy"]',
  ]);
  assert.equal(jsonDifferences({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }).size, 0);
});

test("jsonLines: one line per value and bracket, each with its path; isMarked covers what lies under a path", () => {
  const lines = jsonLines({ items: [{ price: "9.99" }], empty: {} });
  assert.deepEqual(
    lines.map((l) => [l.depth, l.key, l.text, l.path, l.comma]),
    [
      [0, null, "{", "(root)", false],
      [1, '"items"', "[", "items", false],
      [2, null, "{", "items[0]", false],
      [3, '"price"', '"9.99"', "items[0].price", false],
      [2, null, "}", "items[0]", false],
      [1, null, "]", "items", true],
      [1, '"empty"', "{}", "empty", false],
      [0, null, "}", "(root)", false],
    ],
  );
  const marked = new Set(["items[0]"]);
  assert.equal(isMarked("items[0].price", marked), true);
  assert.equal(isMarked("items[0]", marked), true);
  assert.equal(isMarked("items", marked), false);
  assert.equal(isMarked("items[01]", marked), false);
  assert.equal(isMarked("anything", new Set(["(root)"])), true);
  assert.equal(isMarked("$.a", new Set(["$"])), true); // "$" is a member, the root is (root)
  assert.equal(isMarked("a", new Set(["$"])), false);
  // A cut name covers the values cut to it; only its kept part has ancestors.
  const cut = `x.${"y".repeat(58)}...`;
  assert.equal(isMarked(cut, new Set([cut])), true);
  assert.equal(isMarked(cut, new Set(["x"])), true);
  assert.equal(isMarked(`x.${"y".repeat(58)}...`, new Set([`x.${"y".repeat(58)}`])), false);
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
