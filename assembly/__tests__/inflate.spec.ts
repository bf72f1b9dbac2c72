// The content decoder (gzip, zlib, raw deflate) against streams made by zlib itself (the
// generated fixtures: Node's zlib and the gzip command line), split every way, and against
// streams broken on purpose: truncated, corrupted checksums, trailing bytes, bad headers, a bomb.
import { BoundedBytes, ByteSink } from "proxy-wasm-sdk-as/assembly/bytes";
import { BodyHasher } from "../darklaunch/body_hash";
import { ContentCoding, contentCodingOf, Inflater } from "../darklaunch/inflate";
import { INFLATE_VECTORS, InflateVector } from "./fixtures/inflate_vectors";
import { hexBytes, utf8 } from "./helpers";

/** A copy of `bytes` with `extra` appended. */
function concat(bytes: ArrayBuffer, extra: ArrayBuffer): ArrayBuffer {
  const out = new ArrayBuffer(bytes.byteLength + extra.byteLength);
  memory.copy(changetype<usize>(out), changetype<usize>(bytes), bytes.byteLength);
  memory.copy(changetype<usize>(out) + bytes.byteLength, changetype<usize>(extra), extra.byteLength);
  return out;
}

/** A copy of `bytes` with the byte at `at` (negative: from the end) XORed with `mask`. */
function flipped(bytes: ArrayBuffer, at: i32, mask: u8): ArrayBuffer {
  const out = bytes.slice(0);
  const i = at < 0 ? out.byteLength + at : at;
  store<u8>(changetype<usize>(out) + i, load<u8>(changetype<usize>(out) + i) ^ mask);
  return out;
}

/** Hashes and counts what the decoder writes, checking it never writes an empty piece. */
class HashingSink extends ByteSink {
  readonly hasher: BodyHasher = new BodyHasher();
  writes: i32 = 0;
  emptyWrites: i32 = 0;

  write(ptr: usize, len: i32): void {
    this.writes++;
    if (len <= 0) this.emptyWrites++;
    this.hasher.write(ptr, len);
  }
}

class Decoded {
  constructor(
    readonly ok: bool,
    readonly failed: bool,
    readonly reason: string,
    readonly length: i64,
    readonly sinkLength: i64,
    readonly hash: u64,
    readonly writes: i32,
    readonly raw: bool,
  ) {}
}

const shared = new Inflater();

/** Decodes `input` fed in pieces: [0, split) and [split, end) when split ≥ 0, else chunks of `chunk`. */
function decode(coding: ContentCoding, input: ArrayBuffer, chunk: i32, split: i32 = -1, inflater: Inflater = shared): Decoded {
  const sink = new HashingSink();
  inflater.reset(coding, sink);
  const base = changetype<usize>(input);
  const n = input.byteLength;
  if (split >= 0) {
    inflater.write(base, split);
    inflater.write(base + split, n - split);
  } else {
    for (let at = 0; at < n; at += chunk) inflater.write(base + at, min(chunk, n - at));
  }
  const ok = inflater.finish();
  assert(sink.emptyWrites == 0, "the decoder wrote an empty piece");
  return new Decoded(ok, inflater.failed, inflater.failureReason, inflater.outputLength, sink.hasher.length, sink.hasher.hash, sink.writes, inflater.rawDeflate);
}

function vectorNamed(name: string): InflateVector {
  for (let i = 0; i < INFLATE_VECTORS.length; i++) if (INFLATE_VECTORS[i].name == name) return INFLATE_VECTORS[i];
  throw new Error("no vector " + name);
}

function expectVector(v: InflateVector, d: Decoded, how: string): void {
  const what = v.name + " (" + how + ")";
  expect(d.ok).toBe(v.ok, what);
  if (v.ok) {
    expect(d.failed).toBe(false, what);
    expect(d.length).toBe(<i64>v.outputLength, what);
    expect(d.sinkLength).toBe(<i64>v.outputLength, what);
    expect(d.hash).toBe(v.outputHash, what);
  } else {
    expect(d.reason).toBe(v.reason, what);
  }
}

// ---- a deflate bit writer, for streams zlib would never write ----

/** Fixed-code literal/length symbol 285 (length 258): code 0xc5, 8 bits. */
const FIXED_LENGTH_258: u32 = 0xc0 + 5;

/** Length 258 (code 0xc5) then distance 1 (code 0, 5 bits), bit-reversed into one 13-bit write. */
const MATCH_258_AT_1: u32 = 0xa3;

class BitWriter {
  private buffer: ArrayBuffer = new ArrayBuffer(8192);
  length: i32 = 0;
  private acc: u64 = 0;
  private count: u32 = 0;

  /** `n` bits of `value`, least significant first (how deflate packs everything but codes). */
  bits(value: u32, n: u32): void {
    this.acc |= <u64>value << <u64>this.count;
    this.count += n;
    while (this.count >= 8) {
      if (this.length == this.buffer.byteLength) {
        const grown = new ArrayBuffer(this.buffer.byteLength * 2);
        memory.copy(changetype<usize>(grown), changetype<usize>(this.buffer), this.length);
        this.buffer = grown;
      }
      store<u8>(changetype<usize>(this.buffer) + this.length, <u8>this.acc);
      this.length++;
      this.acc >>= 8;
      this.count -= 8;
    }
  }

  /** A Huffman code of `n` bits, most significant first. */
  code(code: u32, n: u32): void {
    let reversed: u32 = 0;
    for (let i: u32 = 0; i < n; i++) reversed |= ((code >> i) & 1) << (n - 1 - i);
    this.bits(reversed, n);
  }

  /** Pads to a byte boundary with zero bits. */
  flush(): void {
    if (this.count > 0) this.bits(0, 8 - this.count);
  }

  bytes(): ArrayBuffer {
    return this.buffer.slice(0, this.length);
  }

  /** Hands the whole bytes written so far to `sink` and forgets them. */
  drainTo(sink: ByteSink): void {
    sink.write(changetype<usize>(this.buffer), this.length);
    this.length = 0;
  }
}

/** Collects nothing, checks every byte is 'A', counts them. */
class OnlyAs extends ByteSink {
  length: i64 = 0;
  others: i64 = 0;
  write(ptr: usize, len: i32): void {
    for (let i = 0; i < len; i++) if (load<u8>(ptr + i) != 0x41) this.others++;
    this.length += len;
  }
}

const SMALL: string[] = ["gzip tiny", "zlib tiny", "raw tiny Z_FIXED", "gzip empty", "zlib empty", "raw empty", "gzip two members"];

describe("Inflater: streams made by zlib (generated fixtures)", () => {
  test("there are vectors for every case the fixtures promise", () => {
    expect(INFLATE_VECTORS.length).toBeGreaterThanOrEqual(60);
    vectorNamed("gzip level 9 json");
    vectorNamed("gzip -9 command line text");
    vectorNamed("gzip Z_FIXED text (fixed Huffman)");
    vectorNamed("zlib FDICT");
  });

  test("decodes every vector written in one piece", () => {
    for (let i = 0; i < INFLATE_VECTORS.length; i++) {
      const v = INFLATE_VECTORS[i];
      const input = hexBytes(v.hex);
      expectVector(v, decode(v.coding, input, max(1, input.byteLength)), "one piece");
    }
  });

  test("decodes every vector written one byte at a time", () => {
    for (let i = 0; i < INFLATE_VECTORS.length; i++) {
      const v = INFLATE_VECTORS[i];
      expectVector(v, decode(v.coding, hexBytes(v.hex), 1), "1-byte chunks");
    }
  });

  test("decodes every vector in chunks of 2, 3, 7, 8, 9, 100 and 4096 bytes", () => {
    const chunks: i32[] = [2, 3, 7, 8, 9, 100, 4096];
    for (let i = 0; i < INFLATE_VECTORS.length; i++) {
      const v = INFLATE_VECTORS[i];
      const input = hexBytes(v.hex);
      for (let c = 0; c < chunks.length; c++) expectVector(v, decode(v.coding, input, chunks[c]), "chunks of " + chunks[c].toString());
    }
  });

  test("decodes small vectors split in two at every point", () => {
    const names = SMALL.concat(["gzip FEXTRA FNAME FCOMMENT FHCRC", "gzip -6 command line text", "gzip level 9 runs 4k small", "zlib FDICT"]);
    for (let k = 0; k < names.length; k++) {
      const v = vectorNamed(names[k]);
      const input = hexBytes(v.hex);
      for (let at = 0; at <= input.byteLength; at++) expectVector(v, decode(v.coding, input, 0, at), "split at " + at.toString());
    }
  });

  test("hands output over in pieces as it is produced, not at the end", () => {
    const v = vectorNamed("gzip level 6 mixed 48 KiB");
    const input = hexBytes(v.hex);
    // One write of the whole body: the 32 KiB window fills at least once on the way.
    expect(decode(v.coding, input, input.byteLength).writes).toBeGreaterThanOrEqual(2);
    // 1 KiB chunks: output follows input, several pieces.
    expect(decode(v.coding, input, 1024).writes).toBeGreaterThanOrEqual(input.byteLength / 1024 / 2);
  });
});

describe("Inflater: the deflate coding", () => {
  test("tells zlib-wrapped from raw deflate by the first two bytes", () => {
    const zlibbed = decode(ContentCoding.Deflate, hexBytes(vectorNamed("zlib level 6 text").hex), 1);
    expect(zlibbed.ok).toBe(true);
    expect(zlibbed.raw).toBe(false);
    const raw = decode(ContentCoding.Deflate, hexBytes(vectorNamed("raw level 6 runs").hex), 1);
    expect(raw.ok).toBe(true);
    expect(raw.raw).toBe(true);
    // Every zlib window size (CINFO 1..7) is still zlib.
    expect(decode(ContentCoding.Deflate, hexBytes(vectorNamed("zlib windowBits 9 json").hex), 5).raw).toBe(false);
  });

  test("refuses a zlib stream that needs a preset dictionary (FDICT)", () => {
    const d = decode(ContentCoding.Deflate, hexBytes(vectorNamed("zlib FDICT").hex), 64);
    expect(d.ok).toBe(false);
    expect(d.failed).toBe(true);
    expect(d.reason).toBe("zlib preset dictionary not supported");
    expect(d.length).toBe(0);
  });

  test("a gzip body is not a deflate body, nor the other way round", () => {
    expect(decode(ContentCoding.Deflate, hexBytes(vectorNamed("gzip tiny").hex), 3).ok).toBe(false);
    expect(decode(ContentCoding.Gzip, hexBytes(vectorNamed("zlib tiny").hex), 3).ok).toBe(false);
    expect(decode(ContentCoding.Gzip, hexBytes(vectorNamed("zlib tiny").hex), 3).reason).toBe("incorrect header check");
  });
});

describe("Inflater: broken streams", () => {
  test("every truncation of a stream is incomplete", () => {
    for (let k = 0; k < SMALL.length; k++) {
      const v = vectorNamed(SMALL[k]);
      const input = hexBytes(v.hex);
      for (let n = 1; n < input.byteLength; n++) {
        // Cut right after a gzip member, the members before the cut are a complete body.
        if (v.name == "gzip two members" && n == hexBytes(vectorNamed("gzip tiny").hex).byteLength) {
          expect(decode(v.coding, input.slice(0, n), 1).ok).toBe(true);
          continue;
        }
        const d = decode(v.coding, input.slice(0, n), 1);
        expect(d.ok).toBe(false, v.name + " cut to " + n.toString());
        expect(d.reason).toBe("truncated stream", v.name + " cut to " + n.toString());
      }
    }
    const big = vectorNamed("gzip level 6 mixed 48 KiB");
    const input = hexBytes(big.hex);
    expect(decode(big.coding, input.slice(0, input.byteLength - 1), 4096).ok).toBe(false);
    expect(decode(big.coding, input.slice(0, input.byteLength >> 1), 4096).ok).toBe(false);
  });

  test("a wrong gzip CRC-32 or ISIZE fails", () => {
    const v = vectorNamed("gzip level 6 json");
    const input = hexBytes(v.hex);
    for (let i = -8; i < -4; i++) {
      const d = decode(v.coding, flipped(input, i, 0x01), 16);
      expect(d.ok).toBe(false);
      expect(d.reason).toBe("incorrect data check");
      // The output was still all decoded: only the check failed.
      expect(d.length).toBe(v.outputLength);
    }
    for (let i = -4; i < 0; i++) {
      const d = decode(v.coding, flipped(input, i, 0x80), 16);
      expect(d.ok).toBe(false);
      expect(d.reason).toBe("incorrect length check");
    }
  });

  test("a wrong zlib Adler-32 fails", () => {
    const v = vectorNamed("zlib level 9 text");
    const input = hexBytes(v.hex);
    for (let i = -4; i < 0; i++) {
      const d = decode(v.coding, flipped(input, i, 0x10), 7);
      expect(d.ok).toBe(false);
      expect(d.reason).toBe("incorrect data check");
    }
  });

  test("bytes after the stream fail it", () => {
    const garbage: string[] = ["00", "78", "1f", "1f8b", "0a0a0a0a", "ffffffffffffffffffff"];
    const names: string[] = ["gzip level 1 json", "zlib level 1 text", "raw level 1 runs", "gzip empty", "raw empty"];
    for (let k = 0; k < names.length; k++) {
      const v = vectorNamed(names[k]);
      for (let g = 0; g < garbage.length; g++) {
        const input = concat(hexBytes(v.hex), hexBytes(garbage[g]));
        const whole = decode(v.coding, input, input.byteLength);
        expect(whole.ok).toBe(false, v.name + " + " + garbage[g]);
        expect(decode(v.coding, input, 1).ok).toBe(false, v.name + " + " + garbage[g] + " bytewise");
        // The content before the garbage was decoded in full.
        expect(whole.length).toBe(v.outputLength, v.name + " + " + garbage[g]);
      }
    }
    const zlibbed = concat(hexBytes(vectorNamed("zlib tiny").hex), hexBytes("00"));
    expect(decode(ContentCoding.Deflate, zlibbed, 1).reason).toBe("trailing data after the stream");
    const gzipped = concat(hexBytes(vectorNamed("gzip tiny").hex), hexBytes("00"));
    expect(decode(ContentCoding.Gzip, gzipped, 1).reason).toBe("incorrect header check");
  });

  test("concatenated gzip members decode one after the other", () => {
    const tiny = vectorNamed("gzip tiny");
    const json = vectorNamed("gzip level 1 json");
    const d = decode(ContentCoding.Gzip, hexBytes(vectorNamed("gzip two members").hex), 1);
    expect(d.ok).toBe(true);
    expect(d.length).toBe(tiny.outputLength + json.outputLength);
    // The same member twice, built here.
    const once = hexBytes(tiny.hex);
    const twice = decode(ContentCoding.Gzip, concat(once, once), 5);
    expect(twice.ok).toBe(true);
    expect(twice.length).toBe(2 * tiny.outputLength);
  });

  test("gzip header errors are named", () => {
    const input = hexBytes(vectorNamed("gzip tiny").hex);
    expect(decode(ContentCoding.Gzip, flipped(input, 0, 0x01), 1).reason).toBe("incorrect header check");
    expect(decode(ContentCoding.Gzip, flipped(input, 1, 0x01), 1).reason).toBe("incorrect header check");
    expect(decode(ContentCoding.Gzip, flipped(input, 2, 0x01), 1).reason).toBe("unknown compression method");
    expect(decode(ContentCoding.Gzip, flipped(input, 3, 0x20), 1).reason).toBe("unknown header flags set");
    const d = decode(ContentCoding.Gzip, hexBytes(vectorNamed("gzip FHCRC wrong").hex), 3);
    expect(d.ok).toBe(false);
    expect(d.reason).toBe("header crc mismatch");
  });

  test("deflate block errors are named, and nothing after them is decoded", () => {
    // BFINAL 1, BTYPE 3: reserved. (A raw stream shows itself in its second byte: one byte could
    // still be the start of a zlib header.)
    expect(decode(ContentCoding.Deflate, hexBytes("0700"), 1).reason).toBe("invalid block type");
    expect(decode(ContentCoding.Deflate, hexBytes("07"), 1).reason).toBe("truncated stream");
    // A final stored block: LEN 5, NLEN its complement, "hello".
    const hello = decode(ContentCoding.Deflate, hexBytes("010500faff68656c6c6f"), 1);
    expect(hello.ok).toBe(true);
    expect(hello.raw).toBe(true);
    expect(hello.length).toBe(5);
    // NLEN not the complement of LEN: nothing of the block comes out.
    const badStored = decode(ContentCoding.Deflate, hexBytes("010500fbff68656c6c6f"), 1);
    expect(badStored.reason).toBe("invalid stored block lengths");
    expect(badStored.length).toBe(0);
    const fixed = new BitWriter();
    // Fixed block whose first symbol is a match: nothing to copy from.
    fixed.bits(1, 1);
    fixed.bits(1, 2);
    fixed.code(FIXED_LENGTH_258, 8);
    fixed.bits(0, 5);
    fixed.flush();
    expect(decode(ContentCoding.Deflate, fixed.bytes(), 1).reason).toBe("invalid distance too far back");
    // Literal/length symbol 286 and distance symbol 30 exist in the fixed code but mean nothing.
    const badLength = new BitWriter();
    badLength.bits(1, 1);
    badLength.bits(1, 2);
    badLength.code(0xc0 + 6, 8);
    badLength.flush();
    expect(decode(ContentCoding.Deflate, badLength.bytes(), 1).reason).toBe("invalid literal/length code");
    const badDistance = new BitWriter();
    badDistance.bits(1, 1);
    badDistance.bits(1, 2);
    badDistance.code(0x30 + 0x41, 8);
    badDistance.code(FIXED_LENGTH_258, 8);
    badDistance.code(30, 5);
    badDistance.flush();
    expect(decode(ContentCoding.Deflate, badDistance.bytes(), 1).reason).toBe("invalid distance code");
  });

  test("dynamic block header errors are named", () => {
    // HLIT 287 (too many), HDIST 1, HCLEN 4.
    const many = new BitWriter();
    many.bits(1, 1);
    many.bits(2, 2);
    many.bits(30, 5);
    many.bits(0, 5);
    many.bits(0, 4);
    many.flush();
    expect(decode(ContentCoding.Deflate, many.bytes(), 1).reason).toBe("too many length or distance symbols");
    // Code-length code with all four lengths 1 (16, 17, 18, 0): over-subscribed.
    const over = new BitWriter();
    over.bits(1, 1);
    over.bits(2, 2);
    over.bits(0, 5);
    over.bits(0, 5);
    over.bits(0, 4);
    for (let i = 0; i < 4; i++) over.bits(1, 3);
    over.flush();
    expect(decode(ContentCoding.Deflate, over.bytes(), 1).reason).toBe("invalid code lengths set");
    // Code-length code {0: 1 bit, 16: 1 bit}; the first length is a repeat of nothing.
    const repeat = new BitWriter();
    repeat.bits(1, 1);
    repeat.bits(2, 2);
    repeat.bits(0, 5);
    repeat.bits(0, 5);
    repeat.bits(0, 4); // HCLEN 4: lengths of 16, 17, 18, 0
    repeat.bits(1, 3); // 16
    repeat.bits(0, 3); // 17
    repeat.bits(0, 3); // 18
    repeat.bits(1, 3); // 0
    repeat.code(1, 1); // symbol 16 (code 1: canonical order puts 0 first)
    repeat.bits(0, 2);
    repeat.flush();
    expect(decode(ContentCoding.Deflate, repeat.bytes(), 1).reason).toBe("invalid bit length repeat");
    // All 258 code lengths 0 (no end-of-block code), by 17/18 repeats.
    const noEnd = new BitWriter();
    noEnd.bits(1, 1);
    noEnd.bits(2, 2);
    noEnd.bits(0, 5);
    noEnd.bits(0, 5);
    noEnd.bits(0, 4);
    noEnd.bits(0, 3); // 16
    noEnd.bits(1, 3); // 17
    noEnd.bits(1, 3); // 18
    noEnd.bits(0, 3); // 0
    noEnd.code(1, 1); // 18 (canonical: 17 → 0, 18 → 1)
    noEnd.bits(127, 7); // 138 zeros
    noEnd.code(1, 1);
    noEnd.bits(109, 7); // 120 zeros: 258 in all
    noEnd.flush();
    expect(decode(ContentCoding.Deflate, noEnd.bytes(), 1).reason).toBe("invalid code -- missing end-of-block");
  });

  test("input after a failure is ignored", () => {
    const inflater = new Inflater();
    const sink = new HashingSink();
    inflater.reset(ContentCoding.Gzip, sink);
    const bad = hexBytes("1f8c");
    inflater.write(changetype<usize>(bad), 2);
    expect(inflater.failed).toBe(true);
    const good = hexBytes(vectorNamed("gzip tiny").hex);
    inflater.write(changetype<usize>(good), good.byteLength);
    expect(inflater.outputLength).toBe(0);
    expect(sink.writes).toBe(0);
    expect(inflater.finish()).toBe(false);
    expect(inflater.failureReason).toBe("incorrect header check");
  });
});

describe("Inflater: empty bodies and reuse", () => {
  test("zero bytes of a gzip or deflate body are an empty body, complete", () => {
    const inflater = new Inflater();
    const sink = new HashingSink();
    inflater.reset(ContentCoding.Gzip, sink);
    expect(inflater.finish()).toBe(true);
    expect(inflater.outputLength).toBe(0);
    inflater.reset(ContentCoding.Deflate, sink);
    inflater.write(0, 0);
    expect(inflater.finish()).toBe(true);
    expect(sink.writes).toBe(0);
  });

  test("compressed empty bodies decode to nothing, complete", () => {
    const names: string[] = ["gzip empty", "zlib empty", "raw empty"];
    for (let k = 0; k < names.length; k++) {
      const d = decode(vectorNamed(names[k]).coding, hexBytes(vectorNamed(names[k]).hex), 1);
      expect(d.ok).toBe(true, names[k]);
      expect(d.length).toBe(0, names[k]);
    }
  });

  test("one decoder decodes stream after stream, also after failures", () => {
    const inflater = new Inflater();
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < INFLATE_VECTORS.length; i += 5) {
        const v = INFLATE_VECTORS[i];
        expectVector(v, decode(v.coding, hexBytes(v.hex), 333, -1, inflater), "reused, round " + round.toString());
        expect(decode(ContentCoding.Gzip, hexBytes("1f8b0807"), 1, -1, inflater).ok).toBe(false);
      }
    }
  });

  test("identity and other codings pass bytes through unchanged", () => {
    const inflater = new Inflater(4);
    const out = new BoundedBytes(100);
    const body = utf8("not compressed at all");
    inflater.reset(ContentCoding.Identity, out);
    inflater.write(changetype<usize>(body), 7);
    inflater.write(changetype<usize>(body) + 7, body.byteLength - 7);
    expect(inflater.finish()).toBe(true);
    expect(String.UTF8.decode(out.toArrayBuffer())).toBe("not compressed at all");
    // Nothing is decoded, so the cap (4 here) does not apply.
    expect(inflater.outputLength).toBe(body.byteLength);
    const other = new BoundedBytes(100);
    inflater.reset(ContentCoding.Other, other);
    inflater.write(changetype<usize>(body), body.byteLength);
    expect(inflater.finish()).toBe(true);
    expect(other.length).toBe(body.byteLength);
  });
});

describe("Inflater: the output cap", () => {
  test("a gzip bomb declaring 1 GiB stops at the 16 MiB cap, without decoding the rest", () => {
    // 'A', then length-258 distance-1 matches (13 bits each in the fixed code) and 3 more 'A's:
    // 1 GiB of 'A' (1 + 4,161,790 × 258 + 3 bytes); CRC-32 ce3808b9 (Node: zlib.crc32 over 1 GiB
    // of 0x41), ISIZE 2^30. About 6.8 MB compressed; the test writes it as it goes.
    const cap: i64 = 16 * 1024 * 1024;
    const inflater = new Inflater();
    const sink = new OnlyAs();
    inflater.reset(ContentCoding.Gzip, sink);
    const w = new BitWriter();
    const header = hexBytes("1f8b08000000000000ff");
    inflater.write(changetype<usize>(header), header.byteLength);
    w.bits(1, 1);
    w.bits(1, 2);
    w.code(0x30 + 0x41, 8);
    const matches = 4161790;
    let fedWhenFailed: i64 = -1;
    let fed: i64 = header.byteLength;
    for (let m = 0; m < matches; m++) {
      w.bits(MATCH_258_AT_1, 13);
      if (w.length >= 4096) {
        fed += w.length;
        w.drainTo(inflater);
        if (inflater.failed && fedWhenFailed < 0) fedWhenFailed = fed;
      }
    }
    for (let i = 0; i < 3; i++) w.code(0x30 + 0x41, 8);
    w.code(0, 7); // end of block
    w.flush();
    w.bits(0xce3808b9 & 0xffff, 16);
    w.bits(0xce3808b9 >>> 16, 16);
    w.bits(0, 16);
    w.bits(1 << 14, 16); // ISIZE 2^30
    fed += w.length;
    w.drainTo(inflater);
    expect(fed).toBeGreaterThan(6700000);
    expect(inflater.failed).toBe(true);
    expect(inflater.failureReason).toBe("output over limit");
    expect(inflater.finish()).toBe(false);
    // Exactly the cap came out, all of it 'A', and it stopped within a few KiB of input of it.
    expect(inflater.outputLength).toBe(cap);
    expect(sink.length).toBe(cap);
    expect(sink.others).toBe(0);
    expect(fedWhenFailed).toBeGreaterThan(0);
    expect(fedWhenFailed).toBeLessThan((cap / 258) * 13 / 8 + 8192);
  });

  test("output of exactly the cap is complete; one byte more is not", () => {
    // Whole, in 50-byte chunks (the fast loop) and bytewise (the state machine), at several caps.
    const names: string[] = ["gzip level 6 json", "zlib level 1 text", "raw level 9 runs", "gzip Z_HUFFMAN_ONLY text"];
    const chunks: i32[] = [1 << 20, 50, 1];
    for (let k = 0; k < names.length; k++) {
      const v = vectorNamed(names[k]);
      const input = hexBytes(v.hex);
      for (let c = 0; c < chunks.length; c++) {
        const what = v.name + " in chunks of " + chunks[c].toString();
        const exact = decode(v.coding, input, chunks[c], -1, new Inflater(v.outputLength));
        expect(exact.ok).toBe(true, what);
        expect(exact.length).toBe(v.outputLength, what);
        const caps: i32[] = [v.outputLength - 1, v.outputLength >> 1, 1, 0];
        for (let i = 0; i < caps.length; i++) {
          const under = decode(v.coding, input, chunks[c], -1, new Inflater(caps[i]));
          expect(under.ok).toBe(false, what + ", cap " + caps[i].toString());
          expect(under.reason).toBe("output over limit", what + ", cap " + caps[i].toString());
          expect(under.length).toBe(caps[i], what + ", cap " + caps[i].toString());
          expect(under.sinkLength).toBe(caps[i], what + ", cap " + caps[i].toString());
        }
      }
    }
    // Stored blocks stop at the cap too.
    const stored = vectorNamed("gzip level 0 text (stored)");
    for (let c = 0; c < chunks.length; c++) {
      const cut = decode(stored.coding, hexBytes(stored.hex), chunks[c], -1, new Inflater(1000));
      expect(cut.ok).toBe(false);
      expect(cut.reason).toBe("output over limit");
      expect(cut.length).toBe(1000);
      expect(cut.sinkLength).toBe(1000);
    }
  });
});

function codingOf(value: string): ContentCoding {
  const b = utf8(value);
  return contentCodingOf(changetype<usize>(b), b.byteLength);
}

describe("contentCodingOf", () => {
  test("names gzip, deflate, identity and everything else", () => {
    expect(codingOf("gzip")).toBe(ContentCoding.Gzip);
    expect(codingOf("x-gzip")).toBe(ContentCoding.Gzip);
    expect(codingOf("GZIP")).toBe(ContentCoding.Gzip);
    expect(codingOf("X-Gzip")).toBe(ContentCoding.Gzip);
    expect(codingOf("  gzip\t")).toBe(ContentCoding.Gzip);
    expect(codingOf("deflate")).toBe(ContentCoding.Deflate);
    expect(codingOf("Deflate ")).toBe(ContentCoding.Deflate);
    expect(codingOf("")).toBe(ContentCoding.Identity);
    expect(codingOf("   ")).toBe(ContentCoding.Identity);
    expect(codingOf("identity")).toBe(ContentCoding.Identity);
    expect(codingOf("IDENTITY")).toBe(ContentCoding.Identity);
    expect(codingOf("br")).toBe(ContentCoding.Other);
    expect(codingOf("zstd")).toBe(ContentCoding.Other);
    expect(codingOf("compress")).toBe(ContentCoding.Other);
    expect(codingOf("gzip, br")).toBe(ContentCoding.Other);
    expect(codingOf("gzip,gzip")).toBe(ContentCoding.Other);
    expect(codingOf("gzi")).toBe(ContentCoding.Other);
    expect(codingOf("gzipx")).toBe(ContentCoding.Other);
    expect(codingOf("x-deflate")).toBe(ContentCoding.Other);
  });
});
