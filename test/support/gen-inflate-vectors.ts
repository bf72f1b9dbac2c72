// Writes assembly/__tests__/fixtures/inflate_vectors.ts: compressed bodies made by zlib itself
// (Node's zlib at every level, strategy, memLevel and windowBits of interest, and the `gzip`
// command line at -1 … -9 with its FNAME header) from seeded inputs, with each one's expected
// decoded length and XXH64, for the decoder's unit tests (assembly/__tests__/inflate.spec.ts).
// Deterministic: the same tools give the same file. test/emulator/inflate.test.ts checks the
// committed file is what this writes, so nobody edits it by hand.
//
//   npm run gen:inflate-vectors
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";
import { jsonBody, mixedBody, randomBody, runsBody, Rng, textBody } from "./inflate-inputs.ts";
import { xxh64Hex } from "./xxh64.ts";

export const FIXTURE_PATH = fileURLToPath(new URL("../../assembly/__tests__/fixtures/inflate_vectors.ts", import.meta.url));

/** ContentCoding values (assembly/darklaunch/content_coding.ts). */
const GZIP = 1;
const DEFLATE = 2;

export interface Vector {
  name: string;
  coding: number;
  /** What finish() must say. */
  ok: boolean;
  /** The failure reason when not ok. */
  reason: string;
  /** The decoded bytes (when ok). */
  output: Buffer;
  compressed: Buffer;
}

/** The seeded bodies every vector is made from. */
export function vectorBodies(): Record<string, Buffer> {
  return {
    text4k: textBody(new Rng(1), 4096),
    json4k: jsonBody(new Rng(2), 4096),
    random2k: randomBody(new Rng(3), 2048),
    runs4k: runsBody(new Rng(4), 4096),
    mixed48k: mixedBody(new Rng(5), 48 * 1024),
    tiny: Buffer.from("hello, hello, hello dark launch"),
    empty: Buffer.alloc(0),
  };
}

/** The versions of the tools that made the vectors: byte-exact regeneration needs the same ones. */
export function toolVersions(): { zlib: string; gzip: string } {
  const gzipVersion = execFileSync("gzip", ["--version"], { encoding: "utf8" }).split("\n")[0]!.trim();
  return { zlib: process.versions.zlib ?? "unknown", gzip: gzipVersion };
}

/** A gzip member with every optional header field (RFC 1952 §2.3): FEXTRA, FNAME, FCOMMENT, FHCRC. */
function gzipWithAllHeaderFields(body: Buffer, corruptHeaderCrc: boolean): Buffer {
  const fixed = Buffer.from([0x1f, 0x8b, 8, 0x02 | 0x04 | 0x08 | 0x10, 0x00, 0x5e, 0x77, 0x69, 0, 3]);
  const extra = Buffer.from([6, 0, 0x44, 0x4c, 2, 0, 0xab, 0xcd]); // XLEN 6: subfield "DL", 2 bytes
  const name = Buffer.from("vector.json\0", "latin1");
  const comment = Buffer.from("made by gen-inflate-vectors\0", "latin1");
  const header = Buffer.concat([fixed, extra, name, comment]);
  const headerCrc = Buffer.alloc(2);
  headerCrc.writeUInt16LE((zlib.crc32(header) & 0xffff) ^ (corruptHeaderCrc ? 1 : 0));
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(zlib.crc32(body), 0);
  trailer.writeUInt32LE(body.length >>> 0, 4);
  return Buffer.concat([header, headerCrc, zlib.deflateRawSync(body), trailer]);
}

/** `gzip -<level>` on a file named body.txt with a fixed mtime, so its header is reproducible. */
function gzipCommandLine(body: Buffer, level: number): Buffer {
  const dir = mkdtempSync(join(tmpdir(), "inflate-vectors-"));
  try {
    const file = join(dir, "body.txt");
    writeFileSync(file, body);
    utimesSync(file, 1_700_000_000, 1_700_000_000);
    return execFileSync("gzip", [`-${level}`, "-c", "-N", file], { cwd: dir, maxBuffer: 1 << 26 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function makeVectors(): Vector[] {
  const b = vectorBodies();
  const vectors: Vector[] = [];
  const good = (name: string, coding: number, output: Buffer, compressed: Buffer): void => {
    vectors.push({ name, coding, ok: true, reason: "", output, compressed });
  };
  const c = zlib.constants;
  for (let level = 1; level <= 9; level++) good(`gzip level ${level} json`, GZIP, b.json4k!, zlib.gzipSync(b.json4k!, { level }));
  for (let level = 1; level <= 9; level++) good(`zlib level ${level} text`, DEFLATE, b.text4k!, zlib.deflateSync(b.text4k!, { level }));
  for (let level = 1; level <= 9; level++) good(`raw level ${level} runs`, DEFLATE, b.runs4k!, zlib.deflateRawSync(b.runs4k!, { level }));
  for (let level = 1; level <= 9; level++) good(`gzip -${level} command line text`, GZIP, b.text4k!, gzipCommandLine(b.text4k!, level));
  // Stored blocks: level 0, and incompressible data at a normal level.
  good("gzip level 0 text (stored)", GZIP, b.text4k!, zlib.gzipSync(b.text4k!, { level: 0 }));
  good("raw level 0 random (stored)", DEFLATE, b.random2k!, zlib.deflateRawSync(b.random2k!, { level: 0 }));
  good("zlib level 6 random (stored)", DEFLATE, b.random2k!, zlib.deflateSync(b.random2k!, { level: 6 }));
  // Strategies: Z_FIXED gives fixed Huffman blocks only, Z_HUFFMAN_ONLY literals only, Z_RLE distance 1 only.
  good("gzip Z_FILTERED text", GZIP, b.text4k!, zlib.gzipSync(b.text4k!, { strategy: c.Z_FILTERED }));
  good("gzip Z_HUFFMAN_ONLY text", GZIP, b.text4k!, zlib.gzipSync(b.text4k!, { strategy: c.Z_HUFFMAN_ONLY }));
  good("gzip Z_RLE runs", GZIP, b.runs4k!, zlib.gzipSync(b.runs4k!, { strategy: c.Z_RLE }));
  good("gzip Z_FIXED text (fixed Huffman)", GZIP, b.text4k!, zlib.gzipSync(b.text4k!, { strategy: c.Z_FIXED }));
  good("raw Z_FIXED json (fixed Huffman)", DEFLATE, b.json4k!, zlib.deflateRawSync(b.json4k!, { strategy: c.Z_FIXED }));
  // memLevel and windowBits: smaller hash tables, smaller windows (zlib header CINFO < 7).
  good("zlib memLevel 1 level 9 text", DEFLATE, b.text4k!, zlib.deflateSync(b.text4k!, { level: 9, memLevel: 1 }));
  good("zlib memLevel 9 level 9 text", DEFLATE, b.text4k!, zlib.deflateSync(b.text4k!, { level: 9, memLevel: 9 }));
  good("zlib windowBits 9 json", DEFLATE, b.json4k!, zlib.deflateSync(b.json4k!, { windowBits: 9 }));
  good("zlib windowBits 12 json", DEFLATE, b.json4k!, zlib.deflateSync(b.json4k!, { windowBits: 12 }));
  good("raw windowBits 9 text", DEFLATE, b.text4k!, zlib.deflateRawSync(b.text4k!, { windowBits: 9 }));
  good("gzip windowBits 10 memLevel 2 json", GZIP, b.json4k!, zlib.gzipSync(b.json4k!, { windowBits: 10, memLevel: 2 }));
  // More than one window of output: matches reach across the window's wrap.
  good("gzip level 6 mixed 48 KiB", GZIP, b.mixed48k!, zlib.gzipSync(b.mixed48k!, { level: 6 }));
  good("raw level 1 mixed 48 KiB", DEFLATE, b.mixed48k!, zlib.deflateRawSync(b.mixed48k!, { level: 1 }));
  // Empty bodies, compressed.
  good("gzip empty", GZIP, b.empty!, zlib.gzipSync(b.empty!));
  good("zlib empty", DEFLATE, b.empty!, zlib.deflateSync(b.empty!));
  good("raw empty", DEFLATE, b.empty!, zlib.deflateRawSync(b.empty!));
  // Small ones, for every split point.
  good("gzip tiny", GZIP, b.tiny!, zlib.gzipSync(b.tiny!));
  good("zlib tiny", DEFLATE, b.tiny!, zlib.deflateSync(b.tiny!));
  good("raw tiny Z_FIXED", DEFLATE, b.tiny!, zlib.deflateRawSync(b.tiny!, { strategy: c.Z_FIXED }));
  good("gzip level 9 runs 4k small", GZIP, b.runs4k!, zlib.gzipSync(b.runs4k!, { level: 9 }));
  // Several gzip members in one body decode to their contents one after the other (RFC 1952 §2.2).
  good(
    "gzip two members",
    GZIP,
    Buffer.concat([b.tiny!, b.json4k!]),
    Buffer.concat([zlib.gzipSync(b.tiny!), zlib.gzipSync(b.json4k!, { level: 1 })]),
  );
  good(
    "gzip three members, one empty",
    GZIP,
    Buffer.concat([b.text4k!, b.tiny!]),
    Buffer.concat([gzipCommandLine(b.text4k!, 9), zlib.gzipSync(b.empty!), zlib.gzipSync(b.tiny!)]),
  );
  good("gzip FEXTRA FNAME FCOMMENT FHCRC", GZIP, b.json4k!, gzipWithAllHeaderFields(b.json4k!, false));
  vectors.push({
    name: "gzip FHCRC wrong",
    coding: GZIP,
    ok: false,
    reason: "header crc mismatch",
    output: Buffer.alloc(0),
    compressed: gzipWithAllHeaderFields(b.json4k!, true),
  });
  vectors.push({
    name: "zlib FDICT",
    coding: DEFLATE,
    ok: false,
    reason: "zlib preset dictionary not supported",
    output: Buffer.alloc(0),
    compressed: zlib.deflateSync(b.text4k!, { dictionary: Buffer.from("the of and to in is that") }),
  });
  return vectors;
}

function hexLines(bytes: Buffer): string {
  const hex = bytes.toString("hex");
  if (hex.length === 0) return '""';
  const lines: string[] = [];
  for (let at = 0; at < hex.length; at += 112) lines.push(`"${hex.slice(at, at + 112)}"`);
  return lines.join(" +\n      ");
}

/** The fixture file's text. */
export function renderFixture(vectors: Vector[] = makeVectors(), versions = toolVersions()): string {
  const out: string[] = [];
  out.push(`// GENERATED by test/support/gen-inflate-vectors.ts (npm run gen:inflate-vectors): do not edit.`);
  out.push(`// Compressed with Node zlib ${versions.zlib} and ${versions.gzip} from seeded inputs; each`);
  out.push(`// vector's expected output is given by its length and XXH64 (assembly/darklaunch/body_hash.ts).`);
  out.push(`// test/emulator/inflate.test.ts fails when this file is not what the generator writes.`);
  out.push("");
  out.push(`export const ZLIB_VERSION = ${JSON.stringify(versions.zlib)};`);
  out.push(`export const GZIP_VERSION = ${JSON.stringify(versions.gzip)};`);
  out.push("");
  out.push("export class InflateVector {");
  out.push("  constructor(");
  out.push("    readonly name: string,");
  out.push("    /** ContentCoding: 1 gzip, 2 deflate. */");
  out.push("    readonly coding: i32,");
  out.push("    /** What finish() must answer, and the failure reason when false. */");
  out.push("    readonly ok: bool,");
  out.push("    readonly reason: string,");
  out.push("    readonly outputLength: i32,");
  out.push("    readonly outputHash: u64,");
  out.push("    /** The compressed body, hex. */");
  out.push("    readonly hex: string,");
  out.push("  ) {}");
  out.push("}");
  out.push("");
  out.push("export const INFLATE_VECTORS: InflateVector[] = [");
  for (const v of vectors) {
    out.push("  new InflateVector(");
    out.push(`    ${JSON.stringify(v.name)},`);
    out.push(`    ${v.coding},`);
    out.push(`    ${v.ok},`);
    out.push(`    ${JSON.stringify(v.reason)},`);
    out.push(`    ${v.output.length},`);
    out.push(`    0x${xxh64Hex(v.output)},`);
    out.push(`    ${hexLines(v.compressed)},`);
    out.push("  ),");
  }
  out.push("];");
  out.push("");
  return out.join("\n");
}

/** The vectors as the committed fixture holds them (name, coding, ok, reason, length, hash, bytes). */
export interface CommittedVector {
  name: string;
  coding: number;
  ok: boolean;
  reason: string;
  outputLength: number;
  outputHash: string;
  compressed: Buffer;
}

/** Reads the vectors back out of a fixture file's text. */
export function parseFixture(text: string): CommittedVector[] {
  const out: CommittedVector[] = [];
  const re =
    /new InflateVector\(\s*("(?:[^"\\]|\\.)*"),\s*(\d+),\s*(true|false),\s*("(?:[^"\\]|\\.)*"),\s*(\d+),\s*0x([0-9a-f]{16}),\s*((?:"[0-9a-f]*"(?:\s*\+\s*)?)+),\s*\)/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    out.push({
      name: JSON.parse(m[1]!) as string,
      coding: Number(m[2]),
      ok: m[3] === "true",
      reason: JSON.parse(m[4]!) as string,
      outputLength: Number(m[5]),
      outputHash: m[6]!,
      compressed: Buffer.from([...m[7]!.matchAll(/"([0-9a-f]*)"/g)].map((x) => x[1]).join(""), "hex"),
    });
  }
  return out;
}

export function committedFixture(): string {
  return readFileSync(FIXTURE_PATH, "utf8");
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(FIXTURE_PATH, renderFixture());
  console.log(`written: assembly/__tests__/fixtures/inflate_vectors.ts (${makeVectors().length} vectors)`);
}
