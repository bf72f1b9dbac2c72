// A streaming decoder for the content codings gzip (RFC 1952) and deflate (RFC 1950 zlib, or
// raw RFC 1951 deflate as some servers send it), so the comparison sees the same content whatever
// each side's encoding (contract §2.4). Input arrives chunk by chunk as Envoy hands it over and
// may be split anywhere; decoded bytes leave as they are produced, from the 32 KiB history
// window itself, so memory is one window plus tables per decoder, whatever the body's size.
//
// Two decoding loops share one state: `decodeFast` runs while at least 8 input bytes remain
// (a 64-bit bit buffer refilled by one unaligned load, one table load per symbol), and the
// state machine in `run` does everything else a byte at a time: headers, trailers, block
// headers, code-length tables, and the last few symbols of each input chunk, where a code can
// straddle the chunk's end.
import { ByteSink } from "proxy-wasm-sdk-as/assembly/bytes";
import { adler32Update } from "./adler32";
import { ContentCoding } from "./content_coding";
import { crc32Byte, crc32Update } from "./crc32";
import {
  buildCodeLenTable,
  buildDistTable,
  buildLitLenTable,
  buildStaticTables,
  CODELEN_ENOUGH,
  CODELEN_ORDER,
  CODELEN_ROOT,
  DIST_ENOUGH,
  DIST_ROOT,
  END_OF_BLOCK,
  fixedDistTable,
  fixedLitLenTable,
  INVALID,
  LITERAL,
  LITLEN_ENOUGH,
  LITLEN_ROOT,
  SUBTABLE,
} from "./inflate_tables";

export { ContentCoding, contentCodingOf } from "./content_coding";

/** The history window: deflate distances reach at most 32 KiB back. */
// @ts-ignore: decorator
@inline const WINDOW: i32 = 32768;
// @ts-ignore: decorator
@inline const WINDOW_MASK: i32 = WINDOW - 1;
/** Input bytes `decodeFast` needs in front of it: one 8-byte refill per symbol (or pair). */
// @ts-ignore: decorator
@inline const FAST_INPUT: usize = 8;
/** The default output cap (contract §2.4): past it a body is compared as received. */
// @ts-ignore: decorator
@inline const DEFAULT_MAX_OUTPUT: i64 = 16 * 1024 * 1024;

// Layout of each decoder's one allocation: the window, then its dynamic tables and code lengths.
// @ts-ignore: decorator
@inline const LITLEN_AT: i32 = WINDOW;
// @ts-ignore: decorator
@inline const DIST_AT: i32 = LITLEN_AT + LITLEN_ENOUGH * 4;
// @ts-ignore: decorator
@inline const CODELEN_AT: i32 = DIST_AT + DIST_ENOUGH * 4;
/** Code lengths of a dynamic block: up to 286 lit/len + 30 distance (+ 2 spare). */
// @ts-ignore: decorator
@inline const LENS_AT: i32 = CODELEN_AT + CODELEN_ENOUGH * 4;
/** The 19 code lengths of the code-length code. */
// @ts-ignore: decorator
@inline const CODELEN_LENS_AT: i32 = LENS_AT + 320;
// @ts-ignore: decorator
@inline const WORK_SIZE: i32 = CODELEN_LENS_AT + 20;

// The wrapper around the deflate data.
// @ts-ignore: decorator
@inline const WRAP_NONE: i32 = 0; // identity / other: bytes pass through
// @ts-ignore: decorator
@inline const WRAP_GZIP: i32 = 1;
// @ts-ignore: decorator
@inline const WRAP_ZLIB: i32 = 2;
// @ts-ignore: decorator
@inline const WRAP_RAW: i32 = 3;

// Decoder states (where `run` resumes when more input comes).
// @ts-ignore: decorator
@inline const S_DETECT: i32 = 0; // deflate coding: the first two bytes say zlib or raw
// @ts-ignore: decorator
@inline const S_GZIP_HEADER: i32 = 1; // the 10 fixed bytes of a member header
// @ts-ignore: decorator
@inline const S_GZIP_XLEN: i32 = 2;
// @ts-ignore: decorator
@inline const S_GZIP_EXTRA: i32 = 3;
// @ts-ignore: decorator
@inline const S_GZIP_NAME: i32 = 4;
// @ts-ignore: decorator
@inline const S_GZIP_COMMENT: i32 = 5;
// @ts-ignore: decorator
@inline const S_GZIP_HCRC: i32 = 6;
// @ts-ignore: decorator
@inline const S_BLOCK_HEADER: i32 = 7;
// @ts-ignore: decorator
@inline const S_STORED_LENGTHS: i32 = 8;
// @ts-ignore: decorator
@inline const S_STORED_COPY: i32 = 9;
// @ts-ignore: decorator
@inline const S_DYNAMIC_COUNTS: i32 = 10;
// @ts-ignore: decorator
@inline const S_CODELEN_LENS: i32 = 11;
// @ts-ignore: decorator
@inline const S_CODE_LENS: i32 = 12;
// @ts-ignore: decorator
@inline const S_LITLEN: i32 = 13; // a literal/length symbol (and a length's extra bits)
// @ts-ignore: decorator
@inline const S_DISTANCE: i32 = 14; // a distance symbol and its extra bits
// @ts-ignore: decorator
@inline const S_TRAILER: i32 = 15; // gzip CRC-32 + ISIZE, or zlib Adler-32
// @ts-ignore: decorator
@inline const S_MEMBER_END: i32 = 16; // gzip: a member ended; more bytes start another
// @ts-ignore: decorator
@inline const S_DONE: i32 = 17; // zlib/raw: the stream ended; more bytes are an error
// @ts-ignore: decorator
@inline const S_PASS: i32 = 18; // identity / other: bytes pass through
// @ts-ignore: decorator
@inline const S_FAILED: i32 = 19;

// gzip header flags (RFC 1952 §2.3.1).
// @ts-ignore: decorator
@inline const FHCRC: i32 = 0x02;
// @ts-ignore: decorator
@inline const FEXTRA: i32 = 0x04;
// @ts-ignore: decorator
@inline const FNAME: i32 = 0x08;
// @ts-ignore: decorator
@inline const FCOMMENT: i32 = 0x10;
// @ts-ignore: decorator
@inline const FRESERVED: i32 = 0xe0;

/** Swallows output before the first reset. */
class DiscardSink extends ByteSink {
  write(ptr: usize, len: i32): void {}
}

const DISCARD: ByteSink = new DiscardSink();

/**
 * Copies `n` bytes from `src` to `dst` in one window as deflate's byte-by-byte copy would: when
 * the source runs into the bytes being written (distance < length) they repeat with the
 * distance's period. A source ahead of `dst` (it wrapped around the window) is a plain move.
 */
// @ts-ignore: decorator
@inline function copyMatchBytes(dst: usize, src: usize, n: i32): void {
  let distance = <i32>(dst - src);
  if (distance == 1) {
    memory.fill(dst, load<u8>(src), n);
    return;
  }
  if (distance > 0 && distance < 8 && distance < n) {
    // Byte by byte until the repeated pattern spans 8 bytes, then copy words from a distance
    // that is a multiple of the period: the same bytes, 8 at a time.
    let period = distance;
    while (period < 8) period += distance;
    const head = min(n, period);
    for (let i = 0; i < head; i++) store<u8>(dst + i, load<u8>(src + i));
    dst += head;
    n -= head;
    src = dst - period;
    distance = period;
  }
  if (distance <= 0 || (n >= 64 && distance >= n)) {
    memory.copy(dst, src, n);
    return;
  }
  // Distance ≥ 8: each 8-byte word read was written before (or is old history).
  while (n >= 8) {
    store<u64>(dst, load<u64>(src));
    dst += 8;
    src += 8;
    n -= 8;
  }
  if (n > 0) {
    // The last 1-7 bytes in one word: the bytes after them are history still in use, so they
    // are written back unchanged (the window is followed by the tables: the word stays inside
    // the decoder's block).
    const keep = (<u64>-1) << (<u64>n << 3);
    store<u64>(dst, (load<u64>(src) & ~keep) | (load<u64>(dst) & keep));
  }
}

/**
 * Decodes a gzip or deflate response body as it streams (see the file comment). One per body
 * side; `reset` before each body. Input after a failure is ignored.
 */
export class Inflater extends ByteSink {
  private readonly work: ArrayBuffer;
  private readonly window: usize;
  private out: ByteSink = DISCARD;
  private readonly maxOutput: i64;

  private wrap: i32 = WRAP_NONE;
  private state: i32 = S_PASS;
  private why: string = "";

  // Bit reader: bits not yet used, least significant first. Above `bitCount` the buffer is zero,
  // except inside decodeFast.
  private bitBuffer: u64 = 0;
  private bitCount: u32 = 0;
  private inPtr: usize = 0;
  private inEnd: usize = 0;

  // Output: the next write position in the window, the part of the window not yet handed to
  // `out`, and whether the window has been filled once (all 32 KiB are history).
  private windowPos: i32 = 0;
  private flushedTo: i32 = 0;
  private windowFull: bool = false;
  private total: i64 = 0;
  private totalIn: i64 = 0;
  private memberStart: i64 = 0;
  private check: u32 = 0;

  // The current block and the symbol being decoded.
  private lastBlock: bool = false;
  private litLenTable: usize = 0;
  private distTable: usize = 0;
  private storedLeft: i32 = 0;
  private matchLength: i32 = 0;
  private litLenCount: i32 = 0;
  private distCount: i32 = 0;
  private codeLenCount: i32 = 0;
  private index: i32 = 0;

  // Wrapper fields being read: gzip flags, header CRC, a counter and a value gathered bytewise.
  private gzipFlags: i32 = 0;
  private headerCrc: u32 = 0;
  private fieldValue: u64 = 0;

  constructor(maxOutput: i64 = DEFAULT_MAX_OUTPUT) {
    super();
    buildStaticTables();
    this.maxOutput = maxOutput;
    this.work = new ArrayBuffer(WORK_SIZE);
    this.window = changetype<usize>(this.work);
  }

  /**
   * Starts a new stream of `coding` (Gzip, or Deflate = zlib-wrapped or raw deflate, detected
   * from the first two bytes as browsers/curl do) whose output goes to `out`. Identity and Other
   * pass bytes through unchanged (nothing is decoded, so no cap). Keeps the window for reuse.
   */
  reset(coding: ContentCoding, out: ByteSink): void {
    this.out = out;
    this.why = "";
    this.bitBuffer = 0;
    this.bitCount = 0;
    this.inPtr = 0;
    this.inEnd = 0;
    this.windowPos = 0;
    this.flushedTo = 0;
    this.windowFull = false;
    this.total = 0;
    this.totalIn = 0;
    this.memberStart = 0;
    this.index = 0;
    this.fieldValue = 0;
    if (coding == ContentCoding.Gzip) {
      this.wrap = WRAP_GZIP;
      this.startGzipMember();
    } else if (coding == ContentCoding.Deflate) {
      this.wrap = WRAP_ZLIB; // or WRAP_RAW, once the first two bytes are seen
      this.state = S_DETECT;
    } else {
      this.wrap = WRAP_NONE;
      this.state = S_PASS;
    }
  }

  /** Lets go of the output sink (an idle decoder keeps nothing alive); reset before the next use. */
  detach(): void {
    this.out = DISCARD;
  }

  /**
   * Compressed input; decoded bytes are written to `out` as they are produced (in pieces). After
   * an error or once the output would pass maxOutput, further input is ignored and failed is true.
   */
  write(ptr: usize, len: i32): void {
    if (len <= 0 || this.state == S_FAILED) return;
    this.totalIn += len;
    if (this.state == S_PASS) {
      this.total += len;
      this.out.write(ptr, len);
      return;
    }
    this.inPtr = ptr;
    this.inEnd = ptr + <usize>len;
    this.run();
    this.flushWindow();
    this.inPtr = 0;
    this.inEnd = 0;
  }

  /**
   * End of input: true iff the input was one complete stream (gzip: one or more members),
   * checksums (CRC-32 + ISIZE for gzip, Adler-32 for zlib) correct, nothing but the stream in the
   * input, and total output ≤ maxOutput. An empty body (no bytes at all) is complete: it has no
   * content to decode, as browsers and curl treat it (docs/behaviour-decisions.md).
   */
  finish(): bool {
    const state = this.state;
    if (state == S_FAILED) return false;
    if (state == S_PASS || state == S_MEMBER_END || state == S_DONE || this.totalIn == 0) return true;
    this.fail("truncated stream");
    return false;
  }

  get failed(): bool {
    return this.state == S_FAILED;
  }

  /** Decoded bytes written to `out` so far. */
  get outputLength(): i64 {
    return this.total;
  }

  /** Compressed bytes received so far. */
  get inputLength(): i64 {
    return this.totalIn;
  }

  /** Why the stream failed ("" while it has not), in zlib's words where zlib has them: for logs and tests. */
  get failureReason(): string {
    return this.why;
  }

  /** True for a deflate body that turned out to be raw deflate (no zlib wrapper). */
  get rawDeflate(): bool {
    return this.wrap == WRAP_RAW;
  }

  private fail(reason: string): void {
    if (this.state == S_FAILED) return;
    this.state = S_FAILED;
    this.why = reason;
  }

  // ---- bit reader ----

  /** Moves one input byte into the bit buffer; false when the chunk is used up. */
  // @ts-ignore: decorator
  @inline private pullByte(): bool {
    const p = this.inPtr;
    if (p >= this.inEnd) return false;
    this.bitBuffer |= <u64>load<u8>(p) << <u64>this.bitCount;
    this.inPtr = p + 1;
    this.bitCount += 8;
    return true;
  }

  /** At least `n` (≤ 32) bits in the buffer; false when the chunk ran out first (nothing is lost). */
  private need(n: u32): bool {
    while (this.bitCount < n) {
      if (!this.pullByte()) return false;
    }
    return true;
  }

  /** The next `n` (≤ 16) bits, not consumed. */
  // @ts-ignore: decorator
  @inline private peekBits(n: u32): u32 {
    return <u32>this.bitBuffer & ((<u32>1 << n) - 1);
  }

  // @ts-ignore: decorator
  @inline private dropBits(n: u32): void {
    this.bitBuffer >>= <u64>n;
    this.bitCount -= n;
  }

  /** The next whole byte (headers and trailers are byte-aligned), or -1 when input ran out. */
  private takeByte(): i32 {
    if (!this.need(8)) return -1;
    const b = <i32>this.peekBits(8);
    this.dropBits(8);
    return b;
  }

  /**
   * The table entry of the next code, with bits 0-7 set to its whole length (root and sub-table
   * bits together), pulling input bytes until the code is complete; 0 when the chunk ran out.
   * Nothing is consumed.
   */
  private peekSymbol(table: usize, rootBits: u32): u32 {
    const rootMask = (<u32>1 << rootBits) - 1;
    while (true) {
      let entry = load<u32>(table + (<usize>(<u32>this.bitBuffer & rootMask) << 2));
      let length = entry & 0xff;
      if ((entry >> 8) & SUBTABLE && this.bitCount >= rootBits) {
        const subMask = (<u32>1 << ((entry >> 8) & 0xf)) - 1;
        const sub = load<u32>(table + (<usize>((entry >> 16) + (<u32>(this.bitBuffer >> <u64>rootBits) & subMask)) << 2));
        length = rootBits + (sub & 0xff);
        entry = (sub & ~<u32>0xff) | length;
      }
      if (length <= this.bitCount) return entry;
      if (!this.pullByte()) return 0;
    }
  }

  // ---- output ----

  /** Hands the window's new bytes to the checksum and to `out`. */
  private flushWindow(): void {
    const from = this.flushedTo;
    const n = this.windowPos - from;
    if (n <= 0) return;
    const p = this.window + <usize>from;
    if (this.wrap == WRAP_GZIP) this.check = crc32Update(this.check, p, n);
    else if (this.wrap == WRAP_ZLIB) this.check = adler32Update(this.check, p, n);
    this.flushedTo = this.windowPos;
    this.out.write(p, n);
  }

  /** The window is full: flush it and write on from its start (the old bytes stay as history). */
  private wrapWindow(): void {
    this.flushWindow();
    this.windowPos = 0;
    this.flushedTo = 0;
    this.windowFull = true;
  }

  private emitByte(b: u32): void {
    if (this.total >= this.maxOutput) {
      this.fail("output over limit");
      return;
    }
    store<u8>(this.window + <usize>this.windowPos, <u8>b);
    this.total++;
    if (++this.windowPos == WINDOW) this.wrapWindow();
  }

  /** Copies a match (any position, any distance the window holds), up to the output cap. */
  private copyMatch(distance: i32, length: i32): void {
    let n = length;
    const room = this.maxOutput - this.total;
    const over = <i64>n > room;
    if (over) n = <i32>room;
    this.total += n;
    const window = this.window;
    let pos = this.windowPos;
    while (n > 0) {
      const src = (pos - distance) & WINDOW_MASK;
      const k = min(n, min(WINDOW - pos, WINDOW - src));
      copyMatchBytes(window + <usize>pos, window + <usize>src, k);
      pos += k;
      n -= k;
      if (pos == WINDOW) {
        this.windowPos = pos;
        this.wrapWindow();
        pos = 0;
      }
    }
    this.windowPos = pos;
    if (over) this.fail("output over limit");
  }

  // ---- stream structure ----

  private startGzipMember(): void {
    this.state = S_GZIP_HEADER;
    this.index = 0;
    this.headerCrc = 0;
  }

  /** The deflate data begins (after a gzip member header or a zlib header, or at once if raw). */
  private startDeflate(): void {
    this.state = S_BLOCK_HEADER;
    this.memberStart = this.total;
    this.check = this.wrap == WRAP_ZLIB ? 1 : 0;
    // Matches never reach into a previous gzip member: history starts empty.
    this.windowPos = 0;
    this.flushedTo = 0;
    this.windowFull = false;
  }

  private endBlock(): void {
    if (!this.lastBlock) {
      this.state = S_BLOCK_HEADER;
      return;
    }
    this.dropBits(this.bitCount & 7); // the wrapper's trailer starts on a byte boundary
    this.flushWindow(); // the checksum covers every byte before the trailer is read
    this.index = 0;
    this.fieldValue = 0;
    this.state = this.wrap == WRAP_RAW ? S_DONE : S_TRAILER;
  }

  /** Runs the state machine until this chunk is used up, the stream fails, or it ends. */
  private run(): void {
    while (true) {
      switch (this.state) {
        case S_DETECT: {
          // RFC 1950 header: CM 8, CINFO ≤ 7 (window ≤ 32 KiB), CMF·256+FLG a multiple of 31.
          // Raw deflate's first byte is a block header: a stored block's padding bits are zero
          // in practice, so its low nibble is never 8 (browsers and curl tell them apart alike).
          if (!this.need(16)) return;
          const cmf = this.peekBits(8);
          const flg = (<u32>this.bitBuffer >> 8) & 0xff;
          if ((cmf & 0x0f) == 8 && cmf >> 4 <= 7 && ((cmf << 8) | flg) % 31 == 0) {
            if (flg & 0x20) {
              this.fail("zlib preset dictionary not supported");
              return;
            }
            this.dropBits(16);
            this.wrap = WRAP_ZLIB;
          } else {
            this.wrap = WRAP_RAW;
          }
          this.startDeflate();
          break;
        }
        case S_GZIP_HEADER: {
          while (this.index < 10) {
            const b = this.takeByte();
            if (b < 0) return;
            this.headerCrc = crc32Byte(this.headerCrc, b);
            const i = this.index++;
            if (i == 0 && b != 0x1f) return this.fail("incorrect header check");
            if (i == 1 && b != 0x8b) return this.fail("incorrect header check");
            if (i == 2 && b != 8) return this.fail("unknown compression method");
            if (i == 3) {
              if (b & FRESERVED) return this.fail("unknown header flags set");
              this.gzipFlags = b;
            }
          }
          this.index = 0;
          this.fieldValue = 0;
          this.state = S_GZIP_XLEN;
          break;
        }
        case S_GZIP_XLEN: {
          if (this.gzipFlags & FEXTRA) {
            while (this.index < 2) {
              const b = this.takeByte();
              if (b < 0) return;
              this.headerCrc = crc32Byte(this.headerCrc, b);
              this.fieldValue |= <u64>b << (<u64>this.index << 3);
              this.index++;
            }
          }
          this.state = S_GZIP_EXTRA;
          break;
        }
        case S_GZIP_EXTRA: {
          if (this.gzipFlags & FEXTRA) {
            while (this.fieldValue > 0) {
              const b = this.takeByte();
              if (b < 0) return;
              this.headerCrc = crc32Byte(this.headerCrc, b);
              this.fieldValue--;
            }
          }
          this.state = S_GZIP_NAME;
          break;
        }
        case S_GZIP_NAME:
        case S_GZIP_COMMENT: {
          const flag = this.state == S_GZIP_NAME ? FNAME : FCOMMENT;
          if (this.gzipFlags & flag) {
            while (true) {
              const b = this.takeByte();
              if (b < 0) return;
              this.headerCrc = crc32Byte(this.headerCrc, b);
              if (b == 0) break;
            }
          }
          this.index = 0;
          this.fieldValue = 0;
          this.state = this.state == S_GZIP_NAME ? S_GZIP_COMMENT : S_GZIP_HCRC;
          break;
        }
        case S_GZIP_HCRC: {
          if (this.gzipFlags & FHCRC) {
            while (this.index < 2) {
              const b = this.takeByte();
              if (b < 0) return;
              this.fieldValue |= <u64>b << (<u64>this.index << 3);
              this.index++;
            }
            if (<u32>this.fieldValue != (this.headerCrc & 0xffff)) return this.fail("header crc mismatch");
          }
          this.startDeflate();
          break;
        }
        case S_BLOCK_HEADER: {
          if (!this.need(3)) return;
          const header = this.peekBits(3);
          this.dropBits(3);
          this.lastBlock = (header & 1) != 0;
          const type = header >> 1;
          if (type == 0) {
            this.dropBits(this.bitCount & 7);
            this.state = S_STORED_LENGTHS;
          } else if (type == 1) {
            this.litLenTable = fixedLitLenTable();
            this.distTable = fixedDistTable();
            this.state = S_LITLEN;
          } else if (type == 2) {
            this.state = S_DYNAMIC_COUNTS;
          } else {
            return this.fail("invalid block type");
          }
          break;
        }
        case S_STORED_LENGTHS: {
          if (!this.need(32)) return;
          const len = this.peekBits(16);
          this.dropBits(16);
          const nlen = this.peekBits(16);
          this.dropBits(16);
          if (len != (~nlen & 0xffff)) return this.fail("invalid stored block lengths");
          this.storedLeft = <i32>len;
          this.state = S_STORED_COPY;
          break;
        }
        case S_STORED_COPY: {
          // Bytes already in the bit buffer first, then straight from the input.
          while (this.storedLeft > 0 && this.bitCount >= 8) {
            this.emitByte(this.peekBits(8));
            if (this.state == S_FAILED) return;
            this.dropBits(8);
            this.storedLeft--;
          }
          while (this.storedLeft > 0 && this.inPtr < this.inEnd) {
            const room = this.maxOutput - this.total;
            if (room <= 0) return this.fail("output over limit");
            let n = min(this.storedLeft, <i32>(this.inEnd - this.inPtr));
            n = min(n, WINDOW - this.windowPos);
            if (<i64>n > room) n = <i32>room;
            memory.copy(this.window + <usize>this.windowPos, this.inPtr, n);
            this.inPtr += n;
            this.storedLeft -= n;
            this.total += n;
            this.windowPos += n;
            if (this.windowPos == WINDOW) this.wrapWindow();
          }
          if (this.storedLeft > 0) return;
          this.endBlock();
          break;
        }
        case S_DYNAMIC_COUNTS: {
          if (!this.need(14)) return;
          this.litLenCount = <i32>this.peekBits(5) + 257;
          this.dropBits(5);
          this.distCount = <i32>this.peekBits(5) + 1;
          this.dropBits(5);
          this.codeLenCount = <i32>this.peekBits(4) + 4;
          this.dropBits(4);
          if (this.litLenCount > 286 || this.distCount > 30) return this.fail("too many length or distance symbols");
          memory.fill(this.window + CODELEN_LENS_AT, 0, 19);
          this.index = 0;
          this.state = S_CODELEN_LENS;
          break;
        }
        case S_CODELEN_LENS: {
          const lens = this.window + CODELEN_LENS_AT;
          while (this.index < this.codeLenCount) {
            if (!this.need(3)) return;
            store<u8>(lens + <usize>CODELEN_ORDER[this.index], <u8>this.peekBits(3));
            this.dropBits(3);
            this.index++;
          }
          if (!buildCodeLenTable(lens, this.window + CODELEN_AT)) return this.fail("invalid code lengths set");
          this.index = 0;
          this.state = S_CODE_LENS;
          break;
        }
        case S_CODE_LENS: {
          if (!this.readCodeLengths()) return;
          break;
        }
        case S_LITLEN: {
          if (this.inEnd - this.inPtr >= FAST_INPUT) {
            this.decodeFast();
            break;
          }
          const entry = this.peekSymbol(this.litLenTable, LITLEN_ROOT);
          if (entry == 0) return;
          const flags = (entry >> 8) & 0xff;
          const codeBits = entry & 0xff;
          if (flags & LITERAL) {
            this.dropBits(codeBits);
            this.emitByte(entry >> 16);
            if (this.state == S_FAILED) return;
          } else if (flags < INVALID) {
            if (!this.need(codeBits + flags)) return;
            this.dropBits(codeBits);
            this.matchLength = <i32>(entry >> 16) + <i32>this.peekBits(flags);
            this.dropBits(flags);
            this.state = S_DISTANCE;
          } else if (flags & END_OF_BLOCK) {
            this.dropBits(codeBits);
            this.endBlock();
          } else {
            return this.fail("invalid literal/length code");
          }
          break;
        }
        case S_DISTANCE: {
          const entry = this.peekSymbol(this.distTable, DIST_ROOT);
          if (entry == 0) return;
          const flags = (entry >> 8) & 0xff;
          const codeBits = entry & 0xff;
          if (flags >= INVALID) return this.fail("invalid distance code");
          if (!this.need(codeBits + flags)) return;
          this.dropBits(codeBits);
          const distance = <i32>(entry >> 16) + <i32>this.peekBits(flags);
          this.dropBits(flags);
          if (distance > this.windowPos && !this.windowFull) return this.fail("invalid distance too far back");
          this.copyMatch(distance, this.matchLength);
          if (this.state == S_FAILED) return;
          this.state = S_LITLEN;
          break;
        }
        case S_TRAILER: {
          // gzip: CRC-32 and ISIZE, little-endian; zlib: Adler-32, big-endian.
          const size = this.wrap == WRAP_GZIP ? 8 : 4;
          while (this.index < size) {
            const b = this.takeByte();
            if (b < 0) return;
            this.fieldValue |= <u64>b << (<u64>this.index << 3);
            this.index++;
          }
          if (this.wrap == WRAP_GZIP) {
            if (<u32>this.fieldValue != this.check) return this.fail("incorrect data check");
            if (<u32>(this.fieldValue >> 32) != <u32>(this.total - this.memberStart)) return this.fail("incorrect length check");
            this.state = S_MEMBER_END;
          } else {
            if (bswap<u32>(<u32>this.fieldValue) != this.check) return this.fail("incorrect data check");
            this.state = S_DONE;
          }
          break;
        }
        case S_MEMBER_END: {
          if (this.bitCount == 0 && this.inPtr >= this.inEnd) return;
          this.startGzipMember();
          break;
        }
        case S_DONE: {
          if (this.bitCount == 0 && this.inPtr >= this.inEnd) return;
          return this.fail("trailing data after the stream");
        }
        default:
          return;
      }
    }
  }

  /** The lit/len and distance code lengths of a dynamic block, then its tables; false: needs input. */
  private readCodeLengths(): bool {
    const lens = this.window + LENS_AT;
    const table = this.window + CODELEN_AT;
    const count = this.litLenCount + this.distCount;
    while (this.index < count) {
      const entry = this.peekSymbol(table, CODELEN_ROOT);
      if (entry == 0) return false;
      const codeBits = entry & 0xff;
      const extra = (entry >> 8) & 0xff;
      if (!this.need(codeBits + extra)) return false;
      this.dropBits(codeBits);
      const symbol = entry >> 16;
      if (symbol < 16) {
        store<u8>(lens + <usize>this.index, <u8>symbol);
        this.index++;
        continue;
      }
      let value: u8 = 0;
      let repeat: i32;
      if (symbol == 16) {
        if (this.index == 0) {
          this.fail("invalid bit length repeat");
          return false;
        }
        value = load<u8>(lens + <usize>this.index - 1);
        repeat = 3 + <i32>this.peekBits(2);
      } else if (symbol == 17) {
        repeat = 3 + <i32>this.peekBits(3);
      } else {
        repeat = 11 + <i32>this.peekBits(7);
      }
      this.dropBits(extra);
      if (this.index + repeat > count) {
        this.fail("invalid bit length repeat");
        return false;
      }
      memory.fill(lens + <usize>this.index, value, repeat);
      this.index += repeat;
    }
    if (load<u8>(lens + 256) == 0) {
      this.fail("invalid code -- missing end-of-block");
      return false;
    }
    if (!buildLitLenTable(lens, this.litLenCount, this.window + LITLEN_AT)) {
      this.fail("invalid literal/lengths set");
      return false;
    }
    if (!buildDistTable(lens + <usize>this.litLenCount, this.distCount, this.window + DIST_AT)) {
      this.fail("invalid distances set");
      return false;
    }
    this.litLenTable = this.window + LITLEN_AT;
    this.distTable = this.window + DIST_AT;
    this.state = S_LITLEN;
    return true;
  }

  /**
   * Decodes symbols while at least 8 input bytes remain: each step refills the bit buffer to
   * 56+ bits with one unaligned load, enough for the longest length/distance pair (48 bits).
   * Leaves on the block's end, an error, the output cap, or when input runs short.
   */
  private decodeFast(): void {
    const window = this.window;
    const litLen = this.litLenTable;
    const dist = this.distTable;
    const inEnd = this.inEnd;
    let inPtr = this.inPtr;
    let bits = this.bitBuffer;
    let count = <u64>this.bitCount;
    let pos = this.windowPos;
    let room = this.maxOutput - this.total;
    const litMask: u64 = (1 << LITLEN_ROOT) - 1;
    const distMask: u64 = (1 << DIST_ROOT) - 1;

    while (inEnd - inPtr >= FAST_INPUT) {
      // Refill: the whole bytes that fit go in; `count` becomes 56..63.
      bits |= load<u64>(inPtr) << count;
      inPtr += <usize>((63 - count) >> 3);
      count |= 56;

      let entry = load<u32>(litLen + (<usize>(bits & litMask) << 2));
      if ((entry >> 8) & SUBTABLE) {
        bits >>= LITLEN_ROOT;
        count -= LITLEN_ROOT;
        const subMask = (<u64>1 << <u64>((entry >> 8) & 0xf)) - 1;
        entry = load<u32>(litLen + (<usize>((entry >> 16) + <u32>(bits & subMask)) << 2));
      }
      bits >>= <u64>(entry & 0xff);
      count -= <u64>(entry & 0xff);
      const flags = (entry >> 8) & 0xff;

      if (flags & LITERAL) {
        if (room == 0) {
          this.fail("output over limit");
          break;
        }
        room--;
        store<u8>(window + <usize>pos, <u8>(entry >> 16));
        if (++pos == WINDOW) {
          this.windowPos = pos;
          this.wrapWindow();
          pos = 0;
        }
        // Text is mostly literals: a second one fits in the bits left (56 - 15 ≥ 15), no refill.
        entry = load<u32>(litLen + (<usize>(bits & litMask) << 2));
        if (((entry >> 8) & LITERAL) == 0 || room == 0) continue;
        bits >>= <u64>(entry & 0xff);
        count -= <u64>(entry & 0xff);
        room--;
        store<u8>(window + <usize>pos, <u8>(entry >> 16));
        if (++pos == WINDOW) {
          this.windowPos = pos;
          this.wrapWindow();
          pos = 0;
        }
        continue;
      }
      if (flags >= INVALID) {
        if (flags & END_OF_BLOCK) {
          this.bitBuffer = bits;
          this.bitCount = <u32>count;
          this.windowPos = pos;
          this.total = this.maxOutput - room;
          this.endBlock();
          bits = this.bitBuffer;
          count = <u64>this.bitCount;
          break;
        }
        this.fail("invalid literal/length code");
        break;
      }
      let length = <i32>(entry >> 16) + <i32>(<u32>bits & ((<u32>1 << flags) - 1));
      bits >>= <u64>flags;
      count -= <u64>flags;

      entry = load<u32>(dist + (<usize>(bits & distMask) << 2));
      if ((entry >> 8) & SUBTABLE) {
        bits >>= DIST_ROOT;
        count -= DIST_ROOT;
        const subMask = (<u64>1 << <u64>((entry >> 8) & 0xf)) - 1;
        entry = load<u32>(dist + (<usize>((entry >> 16) + <u32>(bits & subMask)) << 2));
      }
      bits >>= <u64>(entry & 0xff);
      count -= <u64>(entry & 0xff);
      const distFlags = (entry >> 8) & 0xff;
      if (distFlags >= INVALID) {
        this.fail("invalid distance code");
        break;
      }
      const distance = <i32>(entry >> 16) + <i32>(<u32>bits & ((<u32>1 << distFlags) - 1));
      bits >>= <u64>distFlags;
      count -= <u64>distFlags;

      if (distance <= pos && pos + length <= WINDOW && <i64>length <= room) {
        copyMatchBytes(window + <usize>pos, window + <usize>(pos - distance), length);
        room -= length;
        pos += length;
        if (pos == WINDOW) {
          this.windowPos = pos;
          this.wrapWindow();
          pos = 0;
        }
        continue;
      }
      if (distance > pos && !this.windowFull) {
        this.fail("invalid distance too far back");
        break;
      }
      // Near the window's end, a source across its start, or the output cap: the general copy.
      this.windowPos = pos;
      this.total = this.maxOutput - room;
      this.copyMatch(distance, length);
      pos = this.windowPos;
      room = this.maxOutput - this.total;
      if (this.state == S_FAILED) break;
    }

    // Give back the bytes of the last refill not counted as read: the slow path expects zeros
    // above `bitCount`.
    this.bitBuffer = count == 0 ? 0 : bits & ((<u64>-1) >> (64 - count));
    this.bitCount = <u32>count;
    this.inPtr = inPtr;
    this.windowPos = pos;
    this.total = this.maxOutput - room;
  }
}
