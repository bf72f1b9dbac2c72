// The JSON comparison (contract §2.3) as compiled for Envoy: build/json-digest.test.wasm
// (assembly/testing/json_entry.ts, `npm run build:json-test`) is the filter's digest code built with
// the filter's options. Random documents and their twins (test/support/json-twins.ts) check the
// semantics against a plain TypeScript oracle; `JSON_FUZZ_SEED` / `JSON_FUZZ_CASES` override the
// seed and the number of cases (each case i replays alone with seed + i).
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "./random.ts";
import { type Digest, JsonDigestModule } from "../support/json-digest-wasm.ts";
import {
  allPaths,
  differentLeaf,
  differingPaths,
  leafMultiset,
  leafPaths,
  pathName,
  patternMatches,
  type JsonNode,
  type PatternSegment,
  patternText,
  randomDocument,
  randomKey,
  randomScalar,
  replaceAt,
  type Segment,
  serialize,
  twin,
  valueAt,
  generalisedPattern,
  randomCuts,
} from "../support/json-twins.ts";

const SEED = Number(process.env.JSON_FUZZ_SEED ?? 20261201);
const CASES = Number(process.env.JSON_FUZZ_CASES ?? 10_000);

let m: JsonDigestModule;
before(async () => {
  m = await JsonDigestModule.load();
});

/** Digests `text` in random chunks; fails the test when it is not valid JSON. */
function digestOf(rng: Rng, d: Digest, text: string, what: string): Digest {
  d.reset();
  const bytes = Buffer.from(text, "utf8");
  assert.ok(d.writeAll(bytes, randomCuts(rng, bytes.length)), `${what} is valid JSON: ${text.slice(0, 300)}`);
  return d;
}

/** Patterns made from the document's own paths, generalised at random, and sometimes one from nowhere. */
function randomPatterns(rng: Rng, doc: JsonNode): PatternSegment[][] {
  const paths = allPaths(doc).filter((p) => p.length > 0);
  const patterns: PatternSegment[][] = [];
  for (let n = rng.int(1, 3); n > 0; n--) {
    if (paths.length === 0 || rng.chance(0.1)) {
      patterns.push([{ anyDepth: true }, { name: randomKey(rng) }]);
      continue;
    }
    patterns.push(generalisedPattern(rng, paths));
  }
  return patterns;
}

function ignored(patterns: PatternSegment[][], path: readonly Segment[]): boolean {
  for (let k = 0; k <= path.length; k++) if (patterns.some((p) => patternMatches(p, path.slice(0, k)))) return true;
  return false;
}

test("10,000 random documents: twins equal, single-leaf changes unequal and named, ignored changes invisible, any chunking", (t) => {
  const plain = [m.digest(), m.digest()] as const;
  let changesNamed = 0;
  let inexact = 0;
  let ignoredChanges = 0;
  let ignoredMembers = 0;
  for (let i = 0; i < CASES; i++) {
    const seed = SEED + i;
    const rng = new Rng(seed);
    const where = `case ${i} (JSON_FUZZ_SEED=${seed} JSON_FUZZ_CASES=1)`;
    const doc = randomDocument(rng);
    const textA = rng.chance(0.5) ? serialize(doc) : twin(doc, rng);
    const textB = twin(doc, rng);

    // A value and its re-serialised twin are equal, however both arrive.
    const a = digestOf(rng, plain[0], textA, `${where} A`);
    const b = digestOf(rng, plain[1], textB, `${where} B`);
    assert.ok(m.equal(a, b), `${where}: twins differ\n${textA}\n${textB}\nnamed ${m.differingPaths(a, b)}`);
    assert.deepEqual(m.differingPaths(a, b), [], where);
    assert.equal(a.leaves, leafMultiset(doc).length, `${where}: leaf count`);

    // One leaf changed: unequal, and named by exactly its path.
    const leaves = leafPaths(doc);
    const path = rng.pick(leaves);
    const changed = replaceAt(doc, path, differentLeaf(rng, valueAt(doc, path)));
    const expected = [pathName(path)];
    assert.deepEqual(differingPaths(doc, changed), expected, `${where}: the oracle agrees on the change`);
    const c = digestOf(rng, plain[1], twin(changed, rng), `${where} changed`);
    assert.ok(!m.equal(a, c), `${where}: a change at ${expected[0]} went unseen`);
    const named = m.differences(a, c);
    if (named.exact) {
      assert.deepEqual(named.paths, expected, `${where}: named`);
      changesNamed++;
    } else {
      inexact++;
    }

    // Ignored paths: a change under them is no difference, a member only one side has neither.
    const patterns = randomPatterns(rng, doc);
    const texts = patterns.map((p) => patternText(p, rng));
    const set = m.compilePaths(texts);
    assert.equal(typeof set, "number", `${where}: ${texts.join(" ")} compile: ${set}`);
    const ia = m.digest(set as number);
    const ib = m.digest(set as number);
    digestOf(rng, ia, textA, `${where} A (ignoring ${texts.join(" ")})`);
    assert.equal(ia.leaves, leafMultiset(doc, patterns).length, `${where}: leaves left with ${texts.join(" ")}`);
    const hidden = allPaths(doc).filter((p) => ignored(patterns, p));
    if (hidden.length > 0) {
      const p = rng.pick(hidden);
      const under = replaceAt(doc, p, rng.chance(0.5) ? randomScalar(rng) : randomDocument(rng, { maxDepth: 2 }));
      digestOf(rng, ib, twin(under, rng), `${where} changed under ${texts.join(" ")}`);
      assert.deepEqual(differingPaths(doc, under, patterns), [], `${where}: the oracle agrees`);
      assert.ok(m.equal(ia, ib), `${where}: a change at ${pathName(p)} under ${texts.join(" ")} was seen: ${m.differingPaths(ia, ib)}`);
      ignoredChanges++;
    }
    const objects = allPaths(doc).filter((p) => valueAt(doc, p).kind === "object" && !ignored(patterns, p));
    if (objects.length > 0 && rng.chance(0.5)) {
      // A member only the twin has, at a path that an extra pattern ignores.
      const at = rng.pick(objects);
      const obj = valueAt(doc, at) as { kind: "object"; members: Array<[string, JsonNode]> };
      const key = `extra_${rng.ascii(6)}`;
      const withExtra = replaceAt(doc, at, { kind: "object", members: [...obj.members, [key, randomDocument(rng, { maxDepth: 2 })]] });
      const more = [...patterns, [{ anyDepth: true }, { name: key }] as PatternSegment[]];
      const set2 = m.compilePaths(more.map((p) => patternText(p, rng))) as number;
      const xa = digestOf(rng, m.digest(set2), textA, `${where} A`);
      const xb = digestOf(rng, m.digest(set2), twin(withExtra, rng), `${where} with ${key}`);
      assert.ok(m.equal(xa, xb), `${where}: the ignored member ${key} only one side has was seen: ${m.differingPaths(xa, xb)}`);
      ignoredMembers++;
      xa.drop();
      xb.drop();
    }
    // A change outside the ignored paths is seen, and named as the oracle says.
    const visible = leafPaths(doc).filter((p) => !ignored(patterns, p));
    if (visible.length > 0) {
      const p = rng.pick(visible);
      const outside = replaceAt(doc, p, differentLeaf(rng, valueAt(doc, p)));
      const want = differingPaths(doc, outside, patterns);
      digestOf(rng, ib, twin(outside, rng), `${where} changed outside ${texts.join(" ")}`);
      assert.equal(m.equal(ia, ib), want.length === 0, `${where}: ${pathName(p)} with ${texts.join(" ")}`);
      const d = m.differences(ia, ib);
      if (d.exact) assert.deepEqual(d.paths, want.slice(0, 5), `${where}: named with ${texts.join(" ")}`);
      else inexact++;
    }
    ia.drop();
    ib.drop();
    if (i % 256 === 255) m.exports.collect();
  }
  t.diagnostic(
    `${CASES} cases: ${changesNamed} changes named exactly, ${inexact} not decodable, ${ignoredChanges} ignored changes, ${ignoredMembers} ignored members`,
  );
  // Naming rests on a sketch that can fail to decode (docs/json-comparison.md: about 3 in 100,000
  // for one changed leaf); a rate far above that is a bug, not bad luck.
  assert.ok(inexact <= Math.max(3, CASES / 1000), `${inexact} of ${CASES} changes could not be named exactly`);
  assert.ok(changesNamed >= CASES - inexact, "every decodable change was named");
  if (CASES >= 1000)
    assert.ok(ignoredChanges > CASES / 4 && ignoredMembers > CASES / 10, `ignore cases: ${ignoredChanges}, ${ignoredMembers}`);
});

test("several differences: up to five named, all of them when decodable", () => {
  const rng = new Rng(SEED ^ 0x5eed);
  const a = m.digest();
  const b = m.digest();
  for (let i = 0; i < 300; i++) {
    const doc = randomDocument(rng, { maxDepth: 4, maxWidth: 8 });
    const leaves = leafPaths(doc);
    let changed = doc;
    const n = rng.int(2, 10);
    for (let k = 0; k < n; k++) {
      const p = rng.pick(leaves);
      changed = replaceAt(changed, p, differentLeaf(rng, valueAt(changed, p)));
    }
    const want = differingPaths(doc, changed);
    digestOf(rng, a, serialize(doc), `doc ${i}`);
    digestOf(rng, b, twin(changed, rng), `changed ${i}`);
    assert.equal(m.equal(a, b), want.length === 0, `doc ${i}`);
    const d = m.differences(a, b);
    if (d.exact) assert.deepEqual(d.paths, want.slice(0, 5), `doc ${i}`);
    else assert.ok(d.paths.length > 0, `doc ${i}: something is named`);
    assert.deepEqual(m.differingPaths(a, b, 2), d.exact ? want.slice(0, 2) : d.paths.slice(0, 2), `doc ${i}: at most 2`);
  }
});

test("an element inserted at the front of a long array: the array is named, not the root", () => {
  const items = Array.from({ length: 400 }, (_, i) => ({ id: i, name: `item ${i}` }));
  const a = m.digest();
  const b = m.digest();
  a.writeAll(Buffer.from(JSON.stringify({ meta: { v: 1 }, data: { items } })));
  b.writeAll(Buffer.from(JSON.stringify({ meta: { v: 1 }, data: { items: [{ id: -1, name: "new" }, ...items] } })));
  const d = m.differences(a, b);
  assert.equal(d.exact, false);
  assert.deepEqual(d.paths, ["data.items"]);
  // At the root: only the root can be named.
  a.reset();
  b.reset();
  a.writeAll(Buffer.from(JSON.stringify(items.map((x) => x.id))));
  b.writeAll(Buffer.from(JSON.stringify([-1, ...items.map((x) => x.id)])));
  assert.deepEqual(m.differingPaths(a, b), ["(root)"]);
});

test("nesting: 128 levels are compared, 129 are not JSON for the comparison", () => {
  const d = m.digest();
  const nested = (n: number, inner = "1") => "[".repeat(n) + inner + "]".repeat(n);
  d.reset();
  assert.equal(d.writeAll(Buffer.from(nested(128))), true);
  d.reset();
  assert.equal(d.writeAll(Buffer.from(nested(129))), false);
  d.reset();
  assert.equal(d.writeAll(Buffer.from(`${'{"a":'.repeat(127)}[1]${"}".repeat(127)}`)), true);
  d.reset();
  assert.equal(d.writeAll(Buffer.from(`${'{"a":'.repeat(128)}[1]${"}".repeat(128)}`)), false);
});

test("a 50 MB body in 64 KiB chunks: memory does not grow, twins still equal", () => {
  const a = m.digest();
  const b = m.digest();
  // Warm up both (every table allocated), then measure.
  a.writeAll(Buffer.from('{"x":[1,{"y":"z"}]}'));
  b.writeAll(Buffer.from('{"x":[1,{"y":"z"}]}'));
  m.exports.collect();
  const before = m.memoryBytes;
  a.reset();
  b.reset();
  const record = (i: number) => ({
    id: i,
    name: `record ${i}`,
    tags: ["a", "é", "😀"],
    price: i / 8,
    nested: { deep: [[i]], ok: true, none: null },
  });
  const chunk = 64 * 1024;
  let pendingA = "[";
  let pendingB = " [\n";
  let total = 0;
  let i = 0;
  // Written as latin1 back and forth so a chunk boundary may fall inside a UTF-8 sequence.
  const toBytes = (s: string) => Buffer.from(s, "latin1");
  while (total < 50 * 1024 * 1024) {
    const r = record(i);
    const sa = (i > 0 ? "," : "") + JSON.stringify(r);
    const sb = (i > 0 ? " ,\n  " : "  ") + JSON.stringify({ nested: r.nested, price: r.price, tags: r.tags, name: r.name, id: r.id });
    pendingA += Buffer.from(sa, "utf8").toString("latin1");
    pendingB += Buffer.from(sb, "utf8").toString("latin1");
    total += sa.length;
    i++;
    if (pendingA.length > 4 * chunk) pendingA = flushBytes(a, toBytes(pendingA), chunk);
    if (pendingB.length > 4 * chunk) pendingB = flushBytes(b, toBytes(pendingB), chunk);
  }
  a.write(toBytes(`${pendingA}]`));
  b.write(toBytes(`${pendingB}\n]\n`));
  assert.equal(a.finish(), true);
  assert.equal(b.finish(), true);
  assert.ok(m.equal(a, b), "the two 50 MB bodies are the same value");
  assert.ok(a.leaves > 1_000_000, `${a.leaves} leaves`);
  const grown = m.memoryBytes - before;
  assert.ok(grown <= 64 * 1024, `linear memory grew by ${grown} bytes while reading 2 × 50 MB`);
});

/** Writes whole chunks of `bytes`; returns the rest (latin1, to be continued). */
function flushBytes(d: Digest, bytes: Buffer, chunk: number): string {
  let at = 0;
  for (; at + chunk <= bytes.length; at += chunk) d.write(bytes.subarray(at, at + chunk));
  return bytes.subarray(at).toString("latin1");
}

test("malformed ignore paths are refused with a message naming each", () => {
  const r = m.compilePaths(["ok.path", "a..b", "items[x]", "**.trace_id", "[-1]"]);
  assert.ok(Array.isArray(r));
  assert.deepEqual(
    r.map((msg) => msg.split(":")[0]),
    ['invalid JSON path "a..b"', 'invalid JSON path "items[x]"', 'invalid JSON path "[-1]"'],
  );
});
