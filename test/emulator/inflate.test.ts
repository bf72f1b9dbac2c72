// The content decoder compiled to Wasm (build/inflate-test.wasm, `npm run build:inflate-test`)
// against Node's zlib: thousands of seeded bodies compressed with random levels, strategies,
// windowBits, memLevel and codings, fed in random chunks, must decode byte for byte; random
// corruptions must never trap, whatever the decoder accepts Node's zlib must read with the same
// content, and where Node's zlib reads what it refuses, only bytes after the end may differ.
// Also: the committed unit-test fixtures are what their generator writes, memory does not grow
// with the output, and a real 1 GiB gzip bomb stops at the 16 MiB cap.
//
// INFLATE_FUZZ_SEED and INFLATE_FUZZ_CASES override the seed and the number of cases.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import zlib from "node:zlib";
import { committedFixture, makeVectors, parseFixture, renderFixture, toolVersions } from "../support/gen-inflate-vectors.ts";
import { BODY_KINDS, bodyOf, Rng } from "../support/inflate-inputs.ts";
import { Coding, DEFAULT_MAX_OUTPUT, WasmInflater } from "../support/inflate-wasm.ts";
import { xxh64Hex } from "../support/xxh64.ts";

const SEED = Number(process.env.INFLATE_FUZZ_SEED ?? 20261201);
const CASES = Number(process.env.INFLATE_FUZZ_CASES ?? 3000);

type Wrapper = "gzip" | "zlib" | "raw";

interface Case {
  id: number;
  body: Buffer;
  wrapper: Wrapper;
  options: zlib.ZlibOptions;
  /** gzip only: the body split over this many members. */
  members: number;
  compressed: Buffer;
}

const STRATEGIES = [
  zlib.constants.Z_DEFAULT_STRATEGY,
  zlib.constants.Z_FILTERED,
  zlib.constants.Z_HUFFMAN_ONLY,
  zlib.constants.Z_RLE,
  zlib.constants.Z_FIXED,
];

/** Corpora of every body kind, sliced for the cases (making bytes in JS per case would be slow). */
function corpora(rng: Rng): Buffer[] {
  return BODY_KINDS.map((kind) => bodyOf(kind, rng, kind === "random" || kind === "runs" ? 400_000 : 1_200_000));
}

/** Mostly small bodies, as APIs send them, some up to 300 KB. */
function bodySize(rng: Rng): number {
  const r = rng.next();
  if (r < 0.05) return rng.int(0, 16);
  if (r < 0.5) return rng.int(0, 4096);
  if (r < 0.85) return rng.int(4096, 65536);
  return rng.int(65536, 300_000);
}

function makeBody(rng: Rng, sources: Buffer[]): Buffer {
  const size = bodySize(rng);
  const parts: Buffer[] = [];
  let length = 0;
  // One kind, or a few pieces of different kinds.
  const pieces = rng.next() < 0.7 ? 1 : rng.int(2, 4);
  for (let i = 0; i < pieces && length < size; i++) {
    const src = rng.pick(sources);
    const n = i === pieces - 1 ? size - length : rng.int(0, size - length);
    const from = rng.int(0, Math.max(0, src.length - n));
    parts.push(src.subarray(from, from + Math.min(n, src.length)));
    length += parts[parts.length - 1]!.length;
  }
  return Buffer.concat(parts);
}

function compress(wrapper: Wrapper, body: Buffer, options: zlib.ZlibOptions): Buffer {
  if (wrapper === "gzip") return zlib.gzipSync(body, options);
  if (wrapper === "zlib") return zlib.deflateSync(body, options);
  return zlib.deflateRawSync(body, options);
}

function makeCase(id: number, rng: Rng, sources: Buffer[]): Case {
  const body = makeBody(rng, sources);
  const wrapper = rng.pick(["gzip", "zlib", "raw"] as const);
  const options: zlib.ZlibOptions = {
    level: rng.int(0, 9),
    strategy: rng.pick(STRATEGIES),
    windowBits: rng.int(9, 15),
    memLevel: rng.int(1, 9),
  };
  const members = wrapper === "gzip" && body.length > 1 && rng.next() < 0.15 ? rng.int(2, 4) : 1;
  let compressed: Buffer;
  if (members === 1) {
    compressed = compress(wrapper, body, options);
  } else {
    const cuts = [0, ...Array.from({ length: members - 1 }, () => rng.int(0, body.length)).sort((a, b) => a - b), body.length];
    compressed = Buffer.concat(cuts.slice(1).map((end, i) => compress("gzip", body.subarray(cuts[i], end), options)));
  }
  return { id, body, wrapper, options, members, compressed };
}

/** How a case's input is cut: one piece, single bytes (small inputs), or random sizes. */
function chunker(rng: Rng, inputLength: number): { name: string; next: () => number } {
  const r = rng.next();
  if (r < 0.1) return { name: "whole", next: () => inputLength };
  if (r < 0.2 && inputLength <= 20_000) return { name: "1-byte", next: () => 1 };
  const maxChunk = rng.pick([3, 16, 100, 1500, 16384, 70000]);
  return { name: `random ≤ ${maxChunk}`, next: () => rng.int(1, maxChunk) };
}

const describe = (c: Case, extra = ""): string =>
  `seed ${SEED} case ${c.id}: ${c.wrapper} ${JSON.stringify(c.options)} members ${c.members}, body ${c.body.length} B, input ${c.compressed.length} B${extra}`;

test("the committed unit-test fixtures are what test/support/gen-inflate-vectors.ts writes", () => {
  const committed = committedFixture();
  const versions = toolVersions();
  const sameTools = committed.includes(`Node zlib ${versions.zlib} and ${versions.gzip} `);
  if (sameTools) {
    assert.ok(committed === renderFixture(), "fixture out of date or edited by hand: run npm run gen:inflate-vectors");
    return;
  }
  // Other zlib or gzip builds may compress differently; the vectors must still be zlib's own
  // streams of the generator's seeded inputs, every one, in the generator's order.
  const vectors = parseFixture(committed);
  const expected = makeVectors();
  assert.deepEqual(
    vectors.map((v) => v.name),
    expected.map((v) => v.name),
  );
  for (let i = 0; i < vectors.length; i++) {
    const v = vectors[i]!;
    const e = expected[i]!;
    assert.equal(v.ok, e.ok, v.name);
    assert.equal(v.reason, e.reason, v.name);
    assert.equal(v.outputLength, e.output.length, v.name);
    assert.equal(v.outputHash, xxh64Hex(e.output), v.name);
    if (!v.ok) continue;
    const node = v.coding === Coding.Gzip ? zlib.gunzipSync(v.compressed) : nodeInflateDeflate(v.compressed);
    assert.ok(node.equals(e.output), `${v.name}: Node's zlib decodes it to the seeded input`);
  }
});

test("the fixture parser reads back what the renderer writes", () => {
  const vectors = makeVectors();
  const parsed = parseFixture(renderFixture(vectors, { zlib: "z", gzip: "g" }));
  assert.equal(parsed.length, vectors.length);
  for (let i = 0; i < vectors.length; i++) {
    assert.equal(parsed[i]!.name, vectors[i]!.name);
    assert.ok(parsed[i]!.compressed.equals(vectors[i]!.compressed), vectors[i]!.name);
  }
});

/** Node's reading of a deflate body: zlib-wrapped if it inflates so, else raw. */
function nodeInflateDeflate(input: Buffer): Buffer {
  try {
    return zlib.inflateSync(input);
  } catch {
    return zlib.inflateRawSync(input);
  }
}

test(`Wasm decoder: ${CASES} seeded bodies compressed by Node's zlib decode byte for byte, in random chunks`, async () => {
  const inflater = await WasmInflater.load();
  const rng = new Rng(SEED);
  const sources = corpora(new Rng(SEED ^ 0x5eed));
  let bytesOut = 0;
  const seen = new Set<string>();
  for (let id = 0; id < CASES; id++) {
    const c = makeCase(id, rng, sources);
    const chunks = chunker(rng, c.compressed.length);
    const r = inflater.decode(c.wrapper === "gzip" ? Coding.Gzip : Coding.Deflate, c.compressed, { chunks: chunks.next });
    const what = describe(c, `, chunks ${chunks.name}`);
    assert.equal(r.reason, "", what);
    assert.ok(r.ok && !r.failed, what);
    assert.equal(r.outputLength, c.body.length, what);
    assert.ok(r.output.equals(c.body), `${what}: output differs`);
    if (c.wrapper !== "gzip") assert.equal(r.raw, c.wrapper === "raw", `${what}: wrapper detection`);
    bytesOut += r.output.length;
    seen.add(`${c.wrapper}/${c.options.level}/${c.options.strategy}`);
  }
  // The seeded mix covers every wrapper × level × strategy at the default case count.
  if (CASES >= 3000) assert.equal(seen.size, 3 * 10 * STRATEGIES.length, "parameter coverage");
  assert.ok(bytesOut > CASES * 1000, `decoded ${bytesOut} bytes in all`);
});

type Corruption = "flip" | "header" | "byte" | "truncate" | "insert" | "delete" | "append";
const CORRUPTIONS: readonly Corruption[] = ["flip", "header", "byte", "truncate", "insert", "delete", "append"];

function corrupt(input: Buffer, how: Corruption, rng: Rng): Buffer {
  const out = Buffer.from(input);
  const at = rng.int(0, Math.max(0, input.length - 1));
  switch (how) {
    case "flip":
      if (out.length > 0) out[at] ^= 1 << rng.int(0, 7);
      return out;
    case "header":
      // A bit of the first 48 bytes: wrapper headers, block headers, dynamic code-length tables.
      if (out.length > 0) out[rng.int(0, Math.min(47, out.length - 1))] ^= 1 << rng.int(0, 7);
      return out;
    case "byte":
      if (out.length > 0) out[at] = rng.int(0, 255);
      return out;
    case "truncate":
      return out.subarray(0, rng.int(0, Math.max(0, input.length - 1)));
    case "insert":
      return Buffer.concat([out.subarray(0, at), Buffer.from([rng.int(0, 255)]), out.subarray(at)]);
    case "delete":
      return Buffer.concat([out.subarray(0, at), out.subarray(at + 1)]);
    case "append":
      return Buffer.concat([out, Buffer.from(Array.from({ length: rng.int(1, 8) }, () => rng.int(0, 255)))]);
  }
}

/** Refusals for bytes after a complete stream (zlib/raw trailing data, or a next gzip "member" that is none). */
const AFTER_THE_END = [
  "trailing data after the stream",
  "incorrect header check",
  "unknown compression method",
  "unknown header flags set",
  "truncated stream",
];

/** What Node's zlib makes of a body, or null when it refuses it. */
function nodeDecode(wrapper: Wrapper, input: Buffer): Buffer | null {
  try {
    if (wrapper === "gzip") return zlib.gunzipSync(input);
    if (wrapper === "zlib") return zlib.inflateSync(input);
    return zlib.inflateRawSync(input);
  } catch {
    return null;
  }
}

test("Wasm decoder: random corruptions never trap, and Node's zlib agrees with every verdict but on bytes after the end", async (t) => {
  const inflater = await WasmInflater.load();
  const rng = new Rng(SEED + 1);
  const sources = corpora(new Rng(SEED ^ 0x5eed));
  const count = Math.max(1, Math.floor(CASES / 3));
  let accepted = 0;
  let refused = 0;
  for (let id = 0; id < count; id++) {
    const c = makeCase(id, rng, sources);
    let input = c.compressed;
    const hows: Corruption[] = [];
    for (let k = rng.int(1, 3); k > 0; k--) {
      const how = rng.pick(CORRUPTIONS);
      hows.push(how);
      input = corrupt(input, how, rng);
    }
    const chunks = chunker(rng, input.length);
    const what = describe(c, `, corrupted by ${hows.join("+")} to ${input.length} B, chunks ${chunks.name}`);
    // A trap (abort or a Wasm runtime error) throws out of decode and fails the test here.
    const r = inflater.decode(c.wrapper === "gzip" ? Coding.Gzip : Coding.Deflate, input, { chunks: chunks.next });
    assert.equal(r.outputLength, r.output.length, what);
    assert.ok(r.outputLength <= DEFAULT_MAX_OUTPUT, what);
    assert.equal(r.ok, !r.failed, what);
    if (!r.ok) {
      assert.notEqual(r.reason, "", `${what}: a failure has a reason`);
      refused++;
      // Where Node's zlib reads the body anyway, it is because it ignores bytes after the
      // stream's end (the decoder does not, by decision): the decoder read the same content.
      const reading: Wrapper = c.wrapper === "gzip" ? "gzip" : r.raw ? "raw" : "zlib";
      const node = nodeDecode(reading, input);
      if (node !== null) {
        assert.ok(AFTER_THE_END.includes(r.reason), `${what}: Node's zlib reads it; refused for ${r.reason}`);
        assert.ok(node.equals(r.output), `${what}: refused for bytes after the end, but its content differs from Node's`);
      }
      continue;
    }
    accepted++;
    if (input.length === 0) {
      // Cut to nothing: an empty body, complete by decision (docs/behaviour-decisions.md).
      assert.equal(r.outputLength, 0, what);
      continue;
    }
    // Accepted: a corruption it could not see (a gzip header's MTIME, a raw stream's literal, the
    // raw/zlib choice, or a cut at a member boundary). Then the checksums hold and Node's zlib
    // reads the same content; for a zlib/raw detection flip, in the wrapper the decoder chose.
    const reading: Wrapper = c.wrapper === "gzip" ? "gzip" : r.raw ? "raw" : "zlib";
    const node = nodeDecode(reading, input);
    assert.ok(node !== null, `${what}: accepted what Node's zlib refuses`);
    assert.ok(node.equals(r.output), `${what}: accepted, but Node's zlib reads other bytes`);
  }
  t.diagnostic(`${refused} corrupted bodies refused, ${accepted} accepted (undetectable corruptions)`);
  assert.equal(accepted + refused, count);
  // Most corruptions are caught (a rough floor: raw deflate has no checksum to catch them by).
  assert.ok(refused > count * 0.6, `refused ${refused} of ${count}`);
});

test("Wasm decoder: memory does not grow with the output (16 MiB out of one decoder)", async () => {
  const inflater = await WasmInflater.load();
  const small = zlib.gzipSync(Buffer.from("a small body"));
  const big = zlib.gzipSync(Buffer.alloc(DEFAULT_MAX_OUTPUT, "x"), { level: 9 });
  const bigText = zlib.deflateSync(bodyOf("mixed", new Rng(7), 3_000_000), { level: 6 });
  // The first decode allocates the decoder and the input block (big enough for every input here).
  inflater.decode(Coding.Gzip, Buffer.concat([small, Buffer.alloc(bigText.length + big.length)]).subarray(0, small.length), {
    keep: false,
  });
  inflater.decode(Coding.Gzip, Buffer.alloc(Math.max(big.length, bigText.length), 0), { keep: false });
  const before = inflater.memoryBytes;
  for (let i = 0; i < 3; i++) {
    const r = inflater.decode(Coding.Gzip, big, { keep: false, chunks: [65536] });
    assert.ok(r.ok, r.reason);
    assert.equal(r.outputLength, DEFAULT_MAX_OUTPUT);
    // Output leaves in window-sized pieces (or smaller), never held whole.
    assert.ok(r.sinkWrites >= DEFAULT_MAX_OUTPUT / 32768, `sink writes ${r.sinkWrites}`);
    const t = inflater.decode(Coding.Deflate, bigText, { keep: false, chunks: [16384] });
    assert.ok(t.ok, t.reason);
    assert.equal(t.outputLength, 3_000_000);
  }
  assert.equal(inflater.memoryBytes, before, "linear memory grew");
});

/** The gzip bomb of the unit tests: 'A' then length-258 distance-1 matches, 1 GiB in 6.8 MB. */
function gzipBomb(): Buffer {
  const out = Buffer.alloc(7_000_000);
  let length = 0;
  let acc = 0n;
  let count = 0n;
  const bits = (value: number, n: number): void => {
    acc |= BigInt(value) << count;
    count += BigInt(n);
    while (count >= 8n) {
      out[length++] = Number(acc & 0xffn);
      acc >>= 8n;
      count -= 8n;
    }
  };
  const reversed = (code: number, n: number): number => {
    let r = 0;
    for (let i = 0; i < n; i++) r |= ((code >> i) & 1) << (n - 1 - i);
    return r;
  };
  Buffer.from("1f8b08000000000000ff", "hex").copy(out, 0);
  length = 10;
  bits(1, 1); // last block
  bits(1, 2); // fixed Huffman
  bits(reversed(0x30 + 0x41, 8), 8); // 'A'
  // 4,161,790 matches of 13 bits: after each 8 matches the bit position repeats, so write the
  // 13 bytes of 8 matches once, then copy them.
  const matches = 4_161_790;
  const match = reversed(0xc5, 8); // length 258, then distance code 0 (5 zero bits)
  let m = 0;
  while (count !== 0n && m < matches) {
    bits(match, 13);
    m++;
  }
  const periodStart = length;
  for (let i = 0; i < 8; i++) bits(match, 13);
  m += 8;
  const period = out.subarray(periodStart, length);
  while (m + 8 <= matches) {
    period.copy(out, length);
    length += period.length;
    m += 8;
  }
  for (; m < matches; m++) bits(match, 13);
  for (let i = 0; i < 3; i++) bits(reversed(0x30 + 0x41, 8), 8);
  bits(0, 7); // end of block
  if (count > 0n) bits(0, Number(8n - count));
  out.writeUInt32LE(0xce3808b9, length); // CRC-32 of 1 GiB of 'A'
  out.writeUInt32LE(2 ** 30, length + 4);
  return out.subarray(0, length + 8);
}

test("Wasm decoder: a real 1 GiB gzip bomb (Node's gunzip agrees) stops at the 16 MiB cap", async () => {
  const bomb = gzipBomb();
  // Node's zlib, streaming, finds 1 GiB of 'A' with a correct CRC and ISIZE: the bomb is real.
  let total = 0;
  let allA = true;
  const manyA = Buffer.alloc(1 << 20, 0x41);
  await new Promise<void>((resolve, reject) => {
    const gunzip = zlib.createGunzip({ chunkSize: 1 << 20 });
    gunzip.on("data", (chunk: Buffer) => {
      total += chunk.length;
      if (allA && !chunk.equals(manyA.subarray(0, chunk.length))) allA = false;
    });
    gunzip.on("end", resolve);
    gunzip.on("error", reject);
    Readable.from([bomb]).pipe(gunzip);
  });
  assert.equal(total, 2 ** 30);
  assert.ok(allA);

  const inflater = await WasmInflater.load();
  const r = inflater.decode(Coding.Gzip, bomb, { chunks: [16384], keep: false });
  assert.equal(r.ok, false);
  assert.equal(r.failed, true);
  assert.equal(r.reason, "output over limit");
  assert.equal(r.outputLength, DEFAULT_MAX_OUTPUT);
  const kept = inflater.decode(Coding.Gzip, bomb.subarray(0, 200_000), { chunks: [4096] });
  assert.equal(kept.outputLength, DEFAULT_MAX_OUTPUT);
  assert.ok(kept.output.equals(Buffer.alloc(DEFAULT_MAX_OUTPUT, 0x41)));
});

test("Wasm decoder: contentCodingOf over the compiled module", async () => {
  const inflater = await WasmInflater.load();
  const table: Array<[string, Coding]> = [
    ["gzip", Coding.Gzip],
    [" X-GZIP ", Coding.Gzip],
    ["deflate", Coding.Deflate],
    ["", Coding.Identity],
    ["identity", Coding.Identity],
    ["br", Coding.Other],
    ["gzip, br", Coding.Other],
  ];
  for (const [value, coding] of table) assert.equal(inflater.contentCodingOf(value), coding, JSON.stringify(value));
});
