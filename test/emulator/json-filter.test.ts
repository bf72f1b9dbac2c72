// JSON mode through the whole compiled filter (contract §2.3), 10,000 seeded cases under the
// emulated host: the primary streams a random document in random chunks (sometimes gzip), the dark
// side answers with a randomly re-serialised twin (member order, whitespace, escapes, number
// spellings), which must always match; or with the twin of a copy that differs in one leaf, which
// must always mismatch and be named in the mismatch log line: by exactly that leaf's path, or, in
// the rare case the naming table cannot separate the two entries of one changed leaf (both land in
// the same three of its cells: (1/32)^3 ≈ 3e-5 per change, docs/json-comparison.md), by a
// container that holds it — never by an unrelated path. FUZZ_SEED and JSON_FILTER_CASES override
// the seed and the number of cases.

import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { test } from "node:test";
import { filterHost } from "../support/filter-host.ts";
import {
  type JsonNode,
  differentLeaf,
  differingPaths,
  leafPaths,
  pathName,
  randomDocument,
  replaceAt,
  serialize,
  twin,
  valueAt,
} from "../support/json-twins.ts";
import { Rng } from "./random.ts";
import { assertInvariants, get, ruleStat } from "./scenarios.ts";

const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const CASES = Number(process.env.JSON_FILTER_CASES ?? 10000);
const RULE = "j";
/** Changes named by a container rather than exactly, allowed per 10,000: the expected number is 0.3–0.4. */
const MAX_CONTAINER_NAMED_PER_10K = 3;

/** Splits `body` into 1–6 random pieces. */
function chunks(rng: Rng, body: Buffer): Buffer[] {
  const cuts = new Set<number>();
  const n = rng.int(0, Math.min(5, body.length));
  for (let i = 0; i < n; i++) cuts.add(rng.int(1, Math.max(1, body.length - 1)));
  const points = [0, ...[...cuts].sort((a, b) => a - b), body.length];
  const out: Buffer[] = [];
  for (let i = 1; i < points.length; i++) if (points[i]! > points[i - 1]!) out.push(body.subarray(points[i - 1], points[i]));
  return out.length > 0 ? out : [body];
}

test(`emulator: JSON mode through the filter, ${CASES} random documents and twins (seed ${SEED})`, async () => {
  const host = filterHost({ clusters: ["dark"], seed: SEED });
  await host.load();
  // Log every mismatch: the clock moves a second per case, so the per-second budget never bites.
  assert.equal(
    host.configure({
      mismatch_log_per_second: 1000,
      rules: [{ name: RULE, dark: { cluster: "dark" }, compare: { body: { json: true } } }],
    }),
    true,
  );
  const rng = new Rng(SEED);
  let expectedMatch = 0;
  let expectedMismatch = 0;
  let namedByContainer = 0;
  for (let i = 0; i < CASES; i++) {
    const doc = randomDocument(rng);
    let darkDoc = doc;
    let changedPath: string | null = null;
    let containers: string[] = [];
    if (rng.chance(0.5)) {
      const leaves = leafPaths(doc);
      const at = rng.pick(leaves);
      darkDoc = replaceAt(doc, at, differentLeaf(rng, valueAt(doc, at)));
      const named = differingPaths(doc, darkDoc);
      assert.equal(named.length, 1, `case ${i}: one leaf changed`);
      changedPath = named[0]!;
      containers = Array.from({ length: at.length }, (_, k) => pathName(at.slice(0, k)));
    }
    const primaryText = Buffer.from(serialize(doc));
    const gzip = rng.chance(0.2);
    const primaryBody = gzip ? gzipSync(primaryText) : primaryText;

    const logsBefore = host.logs.length;
    const s = host.stream();
    s.requestHeaders(get("/doc"));
    s.responseHeaders([
      [":status", "200"],
      ["content-type", "application/json"],
      ...(gzip ? ([["content-encoding", "gzip"]] as [string, string][]) : []),
    ]);
    const pieces = chunks(rng, primaryBody);
    for (const [k, piece] of pieces.entries()) s.responseBody(piece, k === pieces.length - 1);
    s.end();
    const [call] = host.pendingCalls();
    assert.ok(call, `case ${i}: a dark call`);
    host.respond(call.token, { status: 200, headers: [["content-type", "application/json"]], body: twin(darkDoc, rng) });
    host.advanceMs(1000);

    const lines = host.logs.slice(logsBefore).filter((l) => l.message.startsWith("darklaunch: mismatch"));
    if (changedPath === null) {
      expectedMatch++;
      assert.deepEqual(
        lines.map((l) => l.message),
        [],
        `case ${i}: a twin must match\n${primaryText}`,
      );
    } else {
      expectedMismatch++;
      assert.equal(lines.length, 1, `case ${i}: one mismatch line for the change at ${changedPath}`);
      const paths = / paths=(.*)$/.exec(lines[0]!.message)?.[1];
      if (paths !== changedPath) {
        namedByContainer++;
        assert.ok(
          containers.includes(paths ?? ""),
          `case ${i}: the line names the changed leaf ${changedPath} or a container of it\n${lines[0]!.message}\n${serialize(doc)}\n${serialize(darkDoc)}`,
        );
      }
    }
  }
  const allowed = Math.ceil((MAX_CONTAINER_NAMED_PER_10K * CASES) / 10000);
  assert.ok(namedByContainer <= allowed, `${namedByContainer} of ${expectedMismatch} changes named by a container (at most ${allowed})`);
  console.log(
    `${expectedMatch} twins matched; ${expectedMismatch} single-leaf changes: ${expectedMismatch - namedByContainer} named exactly, ${namedByContainer} by a container`,
  );
  host.tick();
  assert.equal(ruleStat(host, RULE, "compare.match"), expectedMatch);
  assert.equal(ruleStat(host, RULE, "compare.mismatch.body"), expectedMismatch);
  assert.equal(ruleStat(host, RULE, "compare.json_invalid"), 0);
  assert.equal(ruleStat(host, RULE, "compare.undecoded"), 0);
  assertInvariants(host, RULE);
});

// Digests and gzip decoders are reused from pair to pair (a rule keeps the digests of settled
// pairs, a worker the decoders of finished bodies). Many pairs in flight at once, settled in a
// random order, must each be compared with their own digests: a digest or decoder handed to a new
// body while another still reads with it would mix documents and show here.
test("emulator: JSON mode with 40 pairs in flight at once, settled out of order, three times over", async () => {
  const host = filterHost({ clusters: ["dark"], seed: SEED });
  await host.load();
  assert.equal(
    host.configure({
      mismatch_log_per_second: 1000,
      rules: [{ name: RULE, dark: { cluster: "dark" }, compare: { body: { json: true, ignore: ["meta.volatile"] } } }],
    }),
    true,
  );
  const rng = new Rng(SEED + 1);
  let expectedMatch = 0;
  let expectedMismatch = 0;
  for (let round = 0; round < 3; round++) {
    const pairs: Array<{ token: number; dark: Buffer; changedPath: string | null; id: string; finishPrimary: () => void }> = [];
    const logsBefore = host.logs.length;
    for (let i = 0; i < 40; i++) {
      const id = `r${round}-${i}`;
      const str = (value: string): JsonNode => ({ kind: "string", value });
      const doc = (idValue: string, volatile: string, body: JsonNode): JsonNode => ({
        kind: "object",
        members: [
          ["id", str(idValue)],
          ["meta", { kind: "object", members: [["volatile", str(volatile)]] }],
          ["body", body],
        ],
      });
      const body = randomDocument(rng);
      const primaryDoc = doc(id, String(rng.int(0, 1e9)), body);
      let changedPath: string | null = null;
      let darkDoc = doc(id, String(rng.int(0, 1e9)), body);
      if (rng.chance(0.5)) {
        darkDoc = doc(`${id}-changed`, String(rng.int(0, 1e9)), body);
        changedPath = "id";
      }
      const primaryText = Buffer.from(serialize(primaryDoc));
      const gzip = rng.chance(0.5);
      const s = host.stream();
      s.requestHeaders([...get("/doc"), ["x-request-id", id]]);
      s.responseHeaders([
        [":status", "200"],
        ["content-type", "application/json"],
        ...(gzip ? ([["content-encoding", "gzip"]] as [string, string][]) : []),
      ]);
      const primaryBody = gzip ? gzipSync(primaryText) : primaryText;
      // Every primary is half read now; the rest comes when the pair is settled below.
      const half = primaryBody.length >> 1;
      s.responseBody(primaryBody.subarray(0, half), false);
      const calls = host.pendingCalls();
      const call = calls[calls.length - 1]!;
      const finishPrimary = (): void => {
        s.responseBody(primaryBody.subarray(half), true);
        s.end();
      };
      pairs.push({ token: call.token, dark: Buffer.from(twin(darkDoc, rng)), changedPath, id, finishPrimary });
      if (changedPath === null) expectedMatch++;
      else expectedMismatch++;
    }
    // Settle in a random order: the dark answer and the primary's end in either order.
    for (let i = pairs.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [pairs[i], pairs[j]] = [pairs[j]!, pairs[i]!];
    }
    for (const pair of pairs) {
      const answerDark = (): void => {
        host.respond(pair.token, { status: 200, headers: [["content-type", "application/json"]], body: pair.dark });
      };
      if (rng.chance(0.5)) {
        pair.finishPrimary();
        answerDark();
      } else {
        answerDark();
        pair.finishPrimary();
      }
    }
    host.advanceMs(1000);
    const lines = host.logs.slice(logsBefore).filter((l) => l.message.startsWith("darklaunch: mismatch"));
    const mismatched = new Map(lines.map((l) => [/ x-request-id=(\S+)/.exec(l.message)?.[1], / paths=(.*)$/.exec(l.message)?.[1]]));
    for (const pair of pairs) {
      if (pair.changedPath === null) assert.equal(mismatched.has(pair.id), false, `${pair.id}: a twin must match`);
      else assert.equal(mismatched.get(pair.id), pair.changedPath, `${pair.id}: the change at ${pair.changedPath} named`);
    }
    assert.equal(mismatched.size, pairs.filter((p) => p.changedPath !== null).length);
  }
  host.tick();
  assert.equal(ruleStat(host, RULE, "compare.match"), expectedMatch);
  assert.equal(ruleStat(host, RULE, "compare.mismatch.body"), expectedMismatch);
  assert.equal(ruleStat(host, RULE, "compare.json_invalid"), 0);
  assertInvariants(host, RULE);
});
