// Redaction of sampled bodies (contract §2.7, docs/samples.md "Bodies") as compiled for Envoy:
// build/json-digest.test.wasm (assembly/testing/json_entry.ts, `npm run build:json-test`) holds the
// filter's json_redact.ts built with the filter's options. Random documents (test/support/
// json-twins.ts) with random redact paths, a secret marker placed in every value at those paths,
// random chunking and random caps, some made invalid; each output is checked against the plain
// TypeScript oracle (test/support/json-redact-oracle.ts), and no output may hold the marker.
// `REDACT_FUZZ_SEED` / `REDACT_FUZZ_CASES` override the seed and the number of cases (case i
// replays alone with seed + i).
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "./random.ts";
import { JsonDigestModule } from "../support/json-digest-wasm.ts";
import { expectedRedaction } from "../support/json-redact-oracle.ts";
import {
  allPaths,
  type JsonNode,
  patternMatches,
  type PatternSegment,
  patternText,
  randomDocument,
  randomKey,
  type Segment,
  serialize,
  twin,
  generalisedPattern,
  randomCuts,
} from "../support/json-twins.ts";

const SEED = Number(process.env.REDACT_FUZZ_SEED ?? 20261215);
const CASES = Number(process.env.REDACT_FUZZ_CASES ?? 10_000);

/** Placed in every value at a redacted path; never in any other value or key. */
const MARKER = "SeCrEt-7Q";

let m: JsonDigestModule;
before(async () => {
  m = await JsonDigestModule.load();
});

/** Redact paths made from the document's own paths, generalised at random; sometimes `**` or a name from nowhere. */
function randomPatterns(rng: Rng, doc: JsonNode): PatternSegment[][] {
  const paths = allPaths(doc).filter((p) => p.length > 0);
  const patterns: PatternSegment[][] = [];
  if (rng.chance(0.03)) return [[{ anyDepth: true }]];
  for (let n = rng.int(1, 4); n > 0; n--) {
    if (paths.length === 0 || rng.chance(0.1)) {
      patterns.push([{ anyDepth: true }, { name: randomKey(rng) }]);
      continue;
    }
    let pattern = generalisedPattern(rng, paths);
    // Deep documents give paths past the grammar's limits (129 segments, 1024 bytes): keep their end.
    if (pattern.length > 120 || Buffer.byteLength(patternText(pattern)) > 900) pattern = [{ anyDepth: true }, ...pattern.slice(-3)];
    patterns.push(pattern);
  }
  return patterns;
}

/** A value holding the marker (in a string, a key, or beside the original value). */
function secret(rng: Rng, original: JsonNode): JsonNode {
  const text = (): JsonNode => ({ kind: "string", value: rng.ascii(rng.int(0, 3)) + MARKER + rng.pick(["", "é", "😀", '"', "\\", "\n"]) });
  const r = rng.next();
  if (r < 0.5) return text();
  if (r < 0.75) return { kind: "array", items: [original, text()] };
  return {
    kind: "object",
    members: [
      [MARKER + rng.ascii(2), original],
      ["k", text()],
    ],
  };
}

/** The document with every value at a redacted path (outermost) replaced by a secret; how many. */
function withSecrets(rng: Rng, node: JsonNode, patterns: PatternSegment[][], path: Segment[] = []): { node: JsonNode; placed: number } {
  if (patterns.some((p) => patternMatches(p, path))) return { node: secret(rng, node), placed: 1 };
  if (node.kind === "object") {
    let placed = 0;
    const members = node.members.map(([k, v]): [string, JsonNode] => {
      const r = withSecrets(rng, v, patterns, [...path, { member: k }]);
      placed += r.placed;
      return [k, r.node];
    });
    return { node: { kind: "object", members }, placed };
  }
  if (node.kind === "array") {
    let placed = 0;
    const items = node.items.map((v, index) => {
      const r = withSecrets(rng, v, patterns, [...path, { index }]);
      placed += r.placed;
      return r.node;
    });
    return { node: { kind: "array", items }, placed };
  }
  return { node, placed: 0 };
}

/** Wrapped in `levels` arrays or single-member objects: deep documents, some past 128 levels. */
function nested(rng: Rng, node: JsonNode, levels: number): JsonNode {
  let n = node;
  for (let i = 0; i < levels; i++)
    n = rng.chance(0.5) ? { kind: "array", items: [n] } : { kind: "object", members: [[rng.pick(["a", "b", "x.y"]), n]] };
  return n;
}

/** Bytes that are never JSON anywhere, inside strings included: controls but whitespace, and bytes no UTF-8 holds. */
const NEVER_JSON = [0x00, 0x01, 0x07, 0x0b, 0x0c, 0x1f, 0xc0, 0xc1, 0xf5, 0xff];

/** The output with its escapes undone, loosely (it may be cut anywhere): where an escaped marker would show. */
function unescaped(output: Buffer): string {
  return output
    .toString("latin1")
    .replace(/\\u([0-9a-fA-F]{4})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)))
    .replace(/\\(.)/g, "$1");
}

type Corruption = "none" | "never-json byte" | "cut" | "second document" | "random byte";

test("10,000 random documents: the oracle's output byte for byte, and no redacted value ever in an output", (t) => {
  const counts = { truncated: 0, redacted: 0, notJson: 0, withheld: 0, replacedValues: 0, rootRedacted: 0, deep: 0 };
  const corruptions: Record<Corruption, number> = { none: 0, "never-json byte": 0, cut: 0, "second document": 0, "random byte": 0 };
  for (let i = 0; i < CASES; i++) {
    const seed = SEED + i;
    const rng = new Rng(seed);
    const where = `case ${i} (REDACT_FUZZ_SEED=${seed} REDACT_FUZZ_CASES=1)`;
    let doc = randomDocument(rng);
    if (rng.chance(0.02)) {
      doc = nested(rng, doc, rng.int(100, 130));
      counts.deep++;
    }
    const patterns = rng.chance(0.05) ? [] : randomPatterns(rng, doc);
    const { node, placed } = withSecrets(rng, doc, patterns);
    if (patterns.some((p) => patternMatches(p, []))) counts.rootRedacted++;
    const text = rng.chance(0.4) ? serialize(node) : twin(node, rng);
    let body = Buffer.from(text, "utf8");
    // Lone surrogates in keys and strings are always written as escapes (json-twins quote), so
    // the text is valid UTF-8 and `body` is the document as the filter would receive it.

    let corruption: Corruption = "none";
    const r = rng.next();
    if (r < 0.1) {
      corruption = "never-json byte";
      const at = rng.int(0, body.length);
      body = Buffer.concat([body.subarray(0, at), Buffer.from([rng.pick(NEVER_JSON)]), body.subarray(at)]);
    } else if (r < 0.17) {
      corruption = "cut";
      body = body.subarray(0, rng.int(0, body.length));
    } else if (r < 0.22 && patterns.length > 0) {
      corruption = "second document";
      body = Buffer.concat([body, Buffer.from(`${rng.pick(["\n", " ", ""])}{"leak":"${MARKER}"}\n`)]);
    } else if (r < 0.3 && body.length > 0) {
      corruption = "random byte";
      const at = rng.int(0, body.length - 1);
      body = Buffer.from(body);
      if (rng.chance(0.5)) body[at] = rng.int(0x20, 0x7e);
      else body = Buffer.concat([body.subarray(0, at), body.subarray(at + 1)]);
    }
    corruptions[corruption]++;

    const texts = patterns.map((p) => patternText(p, rng));
    const set = patterns.length === 0 ? -1 : m.compilePaths(texts);
    assert.equal(typeof set, "number", `${where}: ${texts.join(" ")} compile: ${set}`);
    const capRoll = rng.next();
    const cap = capRoll < 0.4 ? 1 << 20 : capRoll < 0.85 ? rng.int(0, body.length + 16) : rng.int(0, 40);
    const redactor = m.redactor(set as number, cap);
    const got = redactor.redact(body, randomCuts(rng, body.length));
    const want = expectedRedaction(body, patterns, cap);
    const show = () =>
      `${where}, ${corruption}, paths ${texts.join(" ")}, cap ${cap}\n  body ${JSON.stringify(body.toString("utf8").slice(0, 400))}\n  got  ${JSON.stringify(got.output.toString("utf8").slice(0, 400))}\n  want ${JSON.stringify(want.output.toString("utf8").slice(0, 400))}`;
    if (corruption === "none")
      assert.equal(want.replacedValues, placed, `${where}: the oracle finds every value the document has at the paths`);
    assert.ok(got.output.equals(want.output), show());
    assert.deepEqual(
      { truncated: got.truncated, redacted: got.redacted, notJson: got.notJson, withheld: got.withheld },
      { truncated: want.truncated, redacted: want.redacted, notJson: want.notJson, withheld: want.withheld },
      show(),
    );
    assert.ok(got.output.length <= cap, `${where}: over the cap`);
    if (corruption !== "random byte") {
      // A random printable byte may rename a key (no longer at a redacted path): no promise then.
      assert.ok(!got.output.includes(MARKER) && !unescaped(got.output).includes(MARKER), `${where}: a redacted value leaked\n${show()}`);
    }
    redactor.drop();
    if (set !== -1) m.dropPaths(set as number);
    if (got.truncated) counts.truncated++;
    if (got.redacted) counts.redacted++;
    if (got.notJson) counts.notJson++;
    if (got.withheld) counts.withheld++;
    counts.replacedValues += want.replacedValues;
    if (i % 256 === 255) m.exports.collect();
  }
  t.diagnostic(`${CASES} cases: ${JSON.stringify(counts)}; corruptions ${JSON.stringify(corruptions)}`);
  if (CASES >= 1000) {
    // Every kind of case came up often enough to mean something.
    assert.ok(
      counts.truncated > CASES / 10 && counts.redacted > CASES / 3 && counts.withheld > CASES / 20 && counts.notJson > CASES / 10,
      JSON.stringify(counts),
    );
    assert.ok(counts.rootRedacted > 10 && counts.deep > 50, JSON.stringify(counts));
  }
});

test("memory stays flat: a 50 MB body read through a redactor, most of it inside a redacted value", () => {
  const set = m.compilePaths(["big", "**.token"]) as number;
  const redactor = m.redactor(set, 16384);
  const item = Buffer.from('{"id":12345,"name":"Zoë \\"Z\\"","token":"abcdef","tags":["x","y"],"price":-12.5e1},');
  const chunk = Buffer.concat(Array.from({ length: Math.floor(65536 / item.length) }, () => item));
  redactor.reset();
  redactor.write(Buffer.from('{"head":{"token":"t0","ok":true},"big":['));
  const before = m.memoryBytes;
  let total = 0;
  while (total < 50_000_000) {
    redactor.write(chunk);
    total += chunk.length;
  }
  redactor.write(Buffer.from('null],"tail":{"token":"t1","n":1}}'));
  m.exports.redactorFinish(redactor.handle);
  const result = redactor.result();
  assert.equal(
    result.output.toString(),
    '{"head":{"token":"[redacted]","ok":true},"big":"[redacted]","tail":{"token":"[redacted]","n":1}}',
  );
  assert.deepEqual([result.truncated, result.notJson, result.redacted], [false, false, true]);
  assert.equal(m.memoryBytes, before, "the module's memory grew while reading");
  redactor.drop();
});
