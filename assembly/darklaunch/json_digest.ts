// The streamed JSON comparison of contract §2.3. A body is read once, chunk by chunk, split
// anywhere; nothing of it is kept. The value is seen as the multiset of its leaves (path, scalar):
// scalars, and empty objects and arrays. Two bodies are equal when those multisets are, decided by
// an order-independent 128-bit digest (the sums of two 64-bit mixes of each leaf's hash). Three
// invertible Bloom lookup tables (json_sketch.ts) name what differs: one of the leaves, and two of
// the values at depth 2 and 1 for when too many leaves differ. Representation, choices and
// measurements: docs/json-comparison.md.
import { ByteSink } from "proxy-wasm-sdk-as/assembly/bytes";
import { countUpElement, putElementSegment, putMemberSegment } from "./json_names";
import { hexValue, JsonPathMatcher, JsonPathSet } from "./json_path";
import { finishBytes, fmix64, P1, P2, P3, round } from "./json_hash";
import { ESCAPE_U, escapeByte, isHighSurrogate, isLowSurrogate, specialBytes, surrogatePair, utf8Bytes, utf8Lead } from "./json_text";
import { keyCheck, NAME_KEPT, NAME_WIDTH, PathSketch, ROOT_NAME, SketchEntry } from "./json_sketch";

/** Deepest nesting of arrays and objects compared as JSON; deeper is invalid (contract §2.3). */
export const MAX_JSON_NESTING: i32 = 128;
/** Cells of the leaf table, and of each of the two region tables (docs/json-comparison.md). */
export const LEAF_CELLS: i32 = 96;
export const REGION_CELLS: i32 = 48;

// ---- hashing ----

// Type tags: distinct scalars of different types never hash alike.
// @ts-ignore: decorator
@inline const TAG_STRING: u64 = 0x8f1bbcdc6ed9eba1;
// @ts-ignore: decorator
@inline const TAG_NUMBER: u64 = 0x5a827999ca62c1d6;
// @ts-ignore: decorator
@inline const TAG_HUGE_NUMBER: u64 = 0x3c6ef372a54ff53a;
// @ts-ignore: decorator
@inline const HASH_ZERO: u64 = 0x510e527fade682d1;
// @ts-ignore: decorator
@inline const HASH_TRUE: u64 = 0x9b05688c2b3e6c1f;
// @ts-ignore: decorator
@inline const HASH_FALSE: u64 = 0x1f83d9abfb41bd6b;
// @ts-ignore: decorator
@inline const HASH_NULL: u64 = 0x5be0cd19137e2179;
// @ts-ignore: decorator
@inline const HASH_EMPTY_OBJECT: u64 = 0xcbbb9d5dc1059ed8;
// @ts-ignore: decorator
@inline const HASH_EMPTY_ARRAY: u64 = 0x629a292a367cd507;
// @ts-ignore: decorator
@inline const TAG_MEMBER: u64 = 0x9159015a3070dd17;
// @ts-ignore: decorator
@inline const TAG_ELEMENT: u64 = 0x152fecd8f70e5939;
// @ts-ignore: decorator
@inline const PATH_ROOT: u64 = 0x67332667ffc00b31;
// @ts-ignore: decorator
@inline const TAG_REGION1: u64 = 0x8eb44a8768581511;
// @ts-ignore: decorator
@inline const TAG_REGION2: u64 = 0xdb0c2e0d64f98fa7;


// ---- states of the reader ----

// @ts-ignore: decorator
@inline const S_VALUE: i32 = 0; // a value must come (root, after ":", after "," in an array)
// @ts-ignore: decorator
@inline const S_ARRAY_FIRST: i32 = 1; // after "[": a value or "]"
// @ts-ignore: decorator
@inline const S_OBJECT_FIRST: i32 = 2; // after "{": a key or "}"
// @ts-ignore: decorator
@inline const S_KEY: i32 = 3; // after "," in an object: a key
// @ts-ignore: decorator
@inline const S_COLON: i32 = 4;
// @ts-ignore: decorator
@inline const S_AFTER: i32 = 5; // after a value in a container: "," or its closer
// @ts-ignore: decorator
@inline const S_END: i32 = 6; // after the root value: only whitespace
// @ts-ignore: decorator
@inline const S_STRING: i32 = 7; // in a string (a key when inKey)
// @ts-ignore: decorator
@inline const S_ESCAPE: i32 = 8; // after "\" in a string
// @ts-ignore: decorator
@inline const S_UNICODE: i32 = 9; // in the four hex digits of \u
// @ts-ignore: decorator
@inline const S_LOW_BACKSLASH: i32 = 10; // after a high surrogate escape: "\" of its low half?
// @ts-ignore: decorator
@inline const S_LOW_U: i32 = 11; // after that "\": "u"?
// @ts-ignore: decorator
@inline const S_NUMBER: i32 = 12; // in a number (numState says where)
// @ts-ignore: decorator
@inline const S_LITERAL: i32 = 13; // in true, false or null
// @ts-ignore: decorator
@inline const S_INVALID: i32 = 14;

// Where in a number: RFC 8259 -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
// @ts-ignore: decorator
@inline const N_MINUS: i32 = 0; // after "-"
// @ts-ignore: decorator
@inline const N_ZERO: i32 = 1; // integer part "0"
// @ts-ignore: decorator
@inline const N_INT: i32 = 2; // in integer digits
// @ts-ignore: decorator
@inline const N_POINT: i32 = 3; // after "."
// @ts-ignore: decorator
@inline const N_FRACTION: i32 = 4;
// @ts-ignore: decorator
@inline const N_E: i32 = 5; // after "e"
// @ts-ignore: decorator
@inline const N_E_SIGN: i32 = 6; // after "e+" or "e-"
// @ts-ignore: decorator
@inline const N_EXPONENT: i32 = 7;

// @ts-ignore: decorator
@inline const KIND_OBJECT: u8 = 1;
// @ts-ignore: decorator
@inline const KIND_ARRAY: u8 = 2;

// Literal byte patterns, little-endian: "true", "false", "null".
// @ts-ignore: decorator
@inline const LIT_TRUE: u64 = 0x65757274;
// @ts-ignore: decorator
@inline const LIT_FALSE: u64 = 0x65736c6166;
// @ts-ignore: decorator
@inline const LIT_NULL: u64 = 0x6c6c756e;

/** Levels a value can be at: the root (0) to a member of the 128th nested container (128). */
// @ts-ignore: decorator
@inline const LEVELS: i32 = MAX_JSON_NESTING + 1;

/**
 * One side of a JSON comparison, fed the body chunk by chunk (any split), then `finish`ed.
 * Fixed memory (about 20 KiB, allocated once; reuse with `reset`), whatever the body's size.
 */
export class JsonDigest extends ByteSink {
  /** Leaves counted (not ignored). */
  leaves: i64 = 0;
  /** The two 64-bit halves of the order-independent digest. */
  digestLo: u64 = 0;
  digestHi: u64 = 0;

  private state: i32 = S_VALUE;
  private finished: bool = false;
  /** Open containers; the value being read is at level `depth`. */
  private depth: i32 = 0;
  /** Level of the ignored value being read, or -1. */
  private skipLevel: i32 = -1;

  // Per level: path hash, path name length, container kind, next element index, leaves before it opened.
  private pathHashes: StaticArray<u64> = new StaticArray<u64>(LEVELS);
  private nameLens: StaticArray<i32> = new StaticArray<i32>(LEVELS);
  private kinds: StaticArray<u8> = new StaticArray<u8>(LEVELS);
  private indexes: StaticArray<i32> = new StaticArray<i32>(LEVELS);
  private leafMarks: StaticArray<i64> = new StaticArray<i64>(LEVELS);

  /** The path name of the value being read (only the first NAME_WIDTH bytes; 8 spare for word reads). */
  private names: ArrayBuffer = new ArrayBuffer(NAME_WIDTH + 8);

  // The string (or number digits) being hashed: running hash, unfinished word, its byte count, length.
  private sh: u64 = 0;
  private sacc: u64 = 0;
  private sn: i32 = 0;
  private slen: i64 = 0;
  private inKey: bool = false;
  /** The key being read, unescaped: its first `keyCap` bytes. */
  private keys: ArrayBuffer;
  private readonly keyCap: i32;
  // UTF-8 sequence in progress: continuation bytes still due, and the range of the next one.
  private utfNeed: i32 = 0;
  private utfLo: i32 = 0x80;
  private utfHi: i32 = 0xbf;
  // \u escapes: hex digits read, value so far, a high surrogate waiting for its low half.
  private uDigits: i32 = 0;
  private uValue: i32 = 0;
  private highSurrogate: i32 = 0;

  // The number being read: canonical form sign, significant digits (hashed), decimal point position.
  private numState: i32 = 0;
  private numNegative: bool = false;
  private numSignificant: bool = false;
  private numDigits: i64 = 0;
  private numZeros: i64 = 0;
  private numPoint: i64 = 0;
  private expNegative: bool = false;
  private expValue: i64 = 0;
  private expDigits: i32 = 0;
  private expHash: u64 = 0;

  // The literal being read: its bytes, how many matched, its length and hash.
  private litBytes: u64 = 0;
  private litAt: i32 = 0;
  private litLen: i32 = 0;
  private litHash: u64 = 0;

  // Sums of the leaf hashes of the values being read at levels 1 and 2 (the regions).
  private region1: u64 = 0;
  private region2: u64 = 0;

  private readonly matcher: JsonPathMatcher | null;
  readonly leafTable: PathSketch = new PathSketch(LEAF_CELLS);
  readonly region1Table: PathSketch = new PathSketch(REGION_CELLS);
  readonly region2Table: PathSketch = new PathSketch(REGION_CELLS);

  constructor(readonly ignore: JsonPathSet = JsonPathSet.EMPTY) {
    super();
    const keyCap = max(NAME_WIDTH, ignore.longestName);
    this.keyCap = keyCap;
    this.keys = new ArrayBuffer(keyCap + 8);
    this.matcher = ignore.isEmpty ? null : new JsonPathMatcher(ignore);
    this.reset();
  }

  /** Ready for a new body; allocates nothing. */
  reset(): void {
    this.leaves = 0;
    this.digestLo = 0;
    this.digestHi = 0;
    this.state = S_VALUE;
    this.finished = false;
    this.depth = 0;
    this.skipLevel = -1;
    unchecked((this.pathHashes[0] = PATH_ROOT));
    unchecked((this.nameLens[0] = 0));
    this.utfNeed = 0;
    this.highSurrogate = 0;
    this.region1 = 0;
    this.region2 = 0;
    this.leafTable.reset();
    this.region1Table.reset();
    this.region2Table.reset();
    const matcher = this.matcher;
    if (matcher !== null) {
      matcher.reset();
      if (matcher.rootMatched) this.skipLevel = 0;
    }
  }

  /** True once the body can no longer be valid JSON (the rest may still be written; it is ignored). */
  get failed(): bool {
    return this.state == S_INVALID;
  }

  /** True iff the whole body was exactly one valid JSON value (surrounding whitespace allowed), nested at most 128 deep. */
  finish(): bool {
    if (!this.finished) {
      this.finished = true;
      // A number at the root ends with the body.
      if (this.state == S_NUMBER && this.depth == 0) this.endNumber();
      if (this.state != S_END) this.state = S_INVALID;
    }
    return this.state == S_END;
  }

  /** True after `finish` when the body was valid JSON. */
  get valid(): bool {
    return this.finished && this.state == S_END;
  }

  write(ptr: usize, len: i32): void {
    if (len <= 0) return;
    let p = ptr;
    const end = ptr + <usize>len;
    let state = this.state;
    while (p < end) {
      if (state >= S_STRING) {
        // Inside a token: its own scanner, which sets the state that follows.
        this.state = state;
        switch (state) {
          case S_STRING: p = this.scanString(p, end); break;
          case S_NUMBER: p = this.scanNumber(p, end); break;
          case S_ESCAPE: p = this.escape(p); break;
          case S_UNICODE: p = this.unicode(p, end); break;
          case S_LOW_BACKSLASH: p = this.lowBackslash(p); break;
          case S_LOW_U: p = this.lowU(p); break;
          case S_LITERAL: p = this.scanLiteral(p, end); break;
          default: return; // S_INVALID
        }
        state = this.state;
        continue;
      }
      // Between tokens: whitespace, then a structural byte or the start of a value.
      const c = <i32>load<u8>(p);
      if (c <= 0x20) {
        if (c != 0x20 && c != 0x0a && c != 0x0d && c != 0x09) break;
        p++;
        // A run of spaces (indentation) a word at a time: the spaces before the first other byte.
        while (p + 8 <= end) {
          const x = load<u64>(p) ^ 0x2020202020202020;
          if (x != 0) {
            p += <usize>(ctz(x) >> 3);
            break;
          }
          p += 8;
        }
        continue;
      }
      if (state == S_AFTER) {
        const kind = unchecked(this.kinds[this.depth - 1]);
        if (c == 0x2c /* , */) {
          p++;
          if (kind == KIND_ARRAY) {
            this.enterElement();
            state = S_VALUE;
          } else {
            state = S_KEY;
          }
          continue;
        }
        if ((c == 0x5d /* ] */ && kind == KIND_ARRAY) || (c == 0x7d /* } */ && kind == KIND_OBJECT)) {
          p++;
          state = this.closeContainer();
          continue;
        }
        break;
      }
      if (state == S_COLON) {
        if (c != 0x3a) break;
        p++;
        state = S_VALUE;
        continue;
      }
      if (state == S_KEY || state == S_OBJECT_FIRST) {
        p++;
        if (c == 0x22) {
          p = this.scanStringFrom(p, end, 0, 0, 0, 0, true);
          state = this.state;
          continue;
        }
        if (c == 0x7d && state == S_OBJECT_FIRST) {
          state = this.closeContainer();
          continue;
        }
        break;
      }
      if (state == S_ARRAY_FIRST) {
        if (c == 0x5d) {
          p++;
          state = this.closeContainer();
          continue;
        }
        this.enterElement();
      } else if (state != S_VALUE) {
        break; // S_END: nothing but whitespace may follow the value
      }
      // A value starts.
      if (c == 0x22) {
        p = this.scanStringFrom(p + 1, end, 0, 0, 0, 0, false);
        state = this.state;
        continue;
      }
      if (c == 0x2d || <u32>(c - 0x30) <= 9) {
        const after = this.quickNumber(p, end);
        if (after != 0) {
          p = after;
          state = this.valueDone();
          continue;
        }
        this.startNumber(c == 0x2d);
        if (c == 0x2d) p++;
        p = this.scanNumber(p, end);
        state = this.state;
        continue;
      }
      if (c == 0x7b || c == 0x5b) {
        const level = this.depth;
        if (level >= MAX_JSON_NESTING) break;
        unchecked((this.kinds[level] = c == 0x7b ? KIND_OBJECT : KIND_ARRAY));
        unchecked((this.indexes[level] = 0));
        unchecked((this.leafMarks[level] = this.leaves));
        this.depth = level + 1;
        state = c == 0x7b ? S_OBJECT_FIRST : S_ARRAY_FIRST;
        p++;
        continue;
      }
      // Literals: at once when the whole word is in this chunk, else byte by byte.
      let word: u64 = 0, wordLen = 0, hash: u64 = 0;
      if (c == 0x74) {
        word = LIT_TRUE;
        wordLen = 4;
        hash = HASH_TRUE;
      } else if (c == 0x6e) {
        word = LIT_NULL;
        wordLen = 4;
        hash = HASH_NULL;
      } else if (c == 0x66) {
        word = LIT_FALSE;
        wordLen = 5;
        hash = HASH_FALSE;
      } else {
        break;
      }
      if (p + 8 <= end) {
        const mask: u64 = wordLen == 4 ? 0xffffffff : 0xffffffffff;
        if ((load<u64>(p) & mask) != word) break;
        p += <usize>wordLen;
        this.leaf(hash);
        state = this.valueDone();
        continue;
      }
      this.litBytes = word;
      this.litLen = wordLen;
      this.litAt = 0;
      this.litHash = hash;
      state = S_LITERAL;
    }
    // Left the loop early: the byte at p cannot come here.
    if (p < end) state = S_INVALID;
    this.state = state;
  }

  private fail(): usize {
    this.state = S_INVALID;
    return <usize>-1;
  }

  private startNumber(negative: bool): void {
    this.numNegative = negative;
    this.numState = N_MINUS; // without a sign, the first digit is read as if after one
    this.numSignificant = false;
    this.numDigits = 0;
    this.numZeros = 0;
    this.numPoint = 0;
    this.expNegative = false;
    this.expValue = 0;
    this.expDigits = 0;
    this.expHash = 0;
    this.sh = 0;
    this.sacc = 0;
    this.sn = 0;
    this.state = S_NUMBER;
  }

  /** The value at level `depth` is complete: the state after it. */
  private valueDone(): i32 {
    const level = this.depth;
    if (this.skipLevel == level) this.skipLevel = -1;
    const state = level == 0 ? S_END : S_AFTER;
    this.state = state;
    return state;
  }

  private closeContainer(): i32 {
    const level = this.depth - 1;
    this.depth = level;
    if (this.skipLevel < 0) {
      const leavesIn = this.leaves - unchecked(this.leafMarks[level]);
      // A container left without a leaf (empty, or everything in it ignored) is a leaf itself.
      if (leavesIn == 0) this.leaf(unchecked(this.kinds[level]) == KIND_OBJECT ? HASH_EMPTY_OBJECT : HASH_EMPTY_ARRAY);
      // The containers at levels 1 and 2 are the regions: their sums name them when too many leaves differ.
      else if (level == 1) this.addRegion(this.region1Table, this.region1 ^ TAG_REGION1, 1);
      else if (level == 2) this.addRegion(this.region2Table, this.region2 ^ TAG_REGION2, 2);
    }
    return this.valueDone();
  }

  private addRegion(table: PathSketch, sum: u64, level: i32): void {
    const key = fmix64(sum);
    table.add(key, keyCheck(key), changetype<usize>(this.names), unchecked(this.nameLens[level]));
  }

  /** Counts a scalar (or empty container) with hash `scalar` at the current path. */
  private leaf(scalar: u64): void {
    if (this.skipLevel >= 0) return;
    const level = this.depth;
    const h = fmix64(unchecked(this.pathHashes[level]) * P3 + scalar);
    const check = keyCheck(h);
    this.leaves++;
    this.digestLo += h;
    this.digestHi += check;
    this.leafTable.add(h, check, changetype<usize>(this.names), unchecked(this.nameLens[level]));
    this.region1 += h;
    this.region2 += h;
  }

  /** The next element of the array at level depth - 1 starts (its value is at level depth). */
  private enterElement(): void {
    const parent = this.depth - 1;
    const index = unchecked(this.indexes[parent]);
    unchecked((this.indexes[parent] = index + 1));
    if (this.skipLevel >= 0) return;
    const level = parent + 1;
    unchecked((this.pathHashes[level] = round(unchecked(this.pathHashes[parent]), <u64>index ^ TAG_ELEMENT)));
    // The name: parent name + "[index]"; after the first element, the digits in place are counted up.
    const names = changetype<usize>(this.names);
    const at = unchecked(this.nameLens[parent]);
    const last = unchecked(this.nameLens[level]);
    if (index > 0 && last <= NAME_KEPT) {
      unchecked((this.nameLens[level] = countUpElement(names, at + 1, last - 1)));
    } else {
      unchecked((this.nameLens[level] = putElementSegment(names, at, index)));
    }
    this.enterRegion(level);
    const matcher = this.matcher;
    if (matcher !== null && matcher.enterElement(parent, index)) this.skipLevel = level;
  }

  /** The key just read names the member at level depth; its value comes next. */
  private enterMember(keyHash: u64): void {
    if (this.skipLevel >= 0) return;
    const parent = this.depth - 1;
    const level = parent + 1;
    unchecked((this.pathHashes[level] = round(unchecked(this.pathHashes[parent]), keyHash ^ TAG_MEMBER)));
    const keyLen = <i32>min<i64>(this.slen, <i64>i32.MAX_VALUE);
    const keys = changetype<usize>(this.keys);
    unchecked((this.nameLens[level] = putMemberSegment(changetype<usize>(this.names), unchecked(this.nameLens[parent]), keys, keyLen)));
    this.enterRegion(level);
    const matcher = this.matcher;
    if (matcher !== null && matcher.enterMemberHashed(parent, keys, keyLen, keyHash)) this.skipLevel = level;
  }

  // @ts-ignore: decorator
  @inline private enterRegion(level: i32): void {
    if (level == 1) this.region1 = 0;
    else if (level == 2) this.region2 = 0;
  }

  // ---- strings ----

  /** String content from `p`, going on with the string in progress. */
  private scanString(p: usize, end: usize): usize {
    if (this.utfNeed > 0) {
      p = this.continueUtf8(p, end);
      if (this.utfNeed > 0 || this.state != S_STRING) return p;
    }
    return this.scanStringFrom(p, end, this.sh, this.sacc, this.sn, this.slen, this.inKey);
  }

  /**
   * String content from `p`, the string so far being in the arguments (a string just opened:
   * zeros); runs until the closing quote, an escape, or the chunk's end. Most strings open and
   * close in one call, their state never leaving locals.
   */
  private scanStringFrom(p: usize, end: usize, h: u64, acc: u64, an: i32, len: i64, inKey: bool): usize {
    while (true) {
      // Eight bytes at a time while none is a quote, backslash, control or non-ASCII byte.
      while (p + 8 <= end) {
        const w = load<u64>(p);
        const special = specialBytes(w);
        if (special != 0) {
          // The bytes before the first special one are plain: take them, then handle it below.
          const k = <i32>(ctz(special) >> 3);
          if (k > 0) {
            if (inKey) this.captureKey(w, len);
            const v = w & (((<u64>1) << (<u64>k << 3)) - 1);
            acc |= v << (<u64>an << 3);
            if (an + k >= 8) {
              h = round(h, acc);
              acc = v >> (<u64>(8 - an) << 3);
              an = an + k - 8;
            } else {
              an += k;
            }
            len += k;
            p += <usize>k;
          }
          break;
        }
        if (inKey) this.captureKey(w, len);
        if (an == 0) {
          h = round(h, w);
        } else {
          h = round(h, acc | (w << (<u64>an << 3)));
          acc = w >> (<u64>(8 - an) << 3);
        }
        len += 8;
        p += 8;
      }
      if (p >= end) break;
      const c = <i32>load<u8>(p);
      if (c == 0x22 /* " */) {
        const hash = finishBytes(h, acc, len);
        if (inKey) {
          this.slen = len;
          this.enterMember(hash);
          // The colon mostly follows at once: taken here, saving a turn of the reader's loop.
          if (p + 1 < end && load<u8>(p + 1) == 0x3a) {
            this.state = S_VALUE;
            return p + 2;
          }
          this.state = S_COLON;
        } else {
          this.leaf(hash ^ TAG_STRING);
          this.valueDone();
        }
        return p + 1;
      }
      if (c == 0x5c /* \ */) {
        this.sh = h;
        this.sacc = acc;
        this.sn = an;
        this.slen = len;
        this.inKey = inKey;
        this.state = S_ESCAPE;
        return p + 1;
      }
      if (c < 0x20) return this.fail();
      if (c >= 0x80) {
        // A UTF-8 sequence: checked byte by byte (it may continue in the next chunk).
        this.sh = h;
        this.sacc = acc;
        this.sn = an;
        this.slen = len;
        this.inKey = inKey;
        this.state = S_STRING;
        p = this.startUtf8(p, end, c);
        if (this.utfNeed > 0 || this.state != S_STRING) return p;
        h = this.sh;
        acc = this.sacc;
        an = this.sn;
        len = this.slen;
        continue;
      }
      if (inKey) this.captureKey(<u64>c, len);
      acc |= (<u64>c) << (<u64>an << 3);
      if (++an == 8) {
        h = round(h, acc);
        acc = 0;
        an = 0;
      }
      len++;
      p++;
    }
    this.sh = h;
    this.sacc = acc;
    this.sn = an;
    this.slen = len;
    this.inKey = inKey;
    this.state = S_STRING;
    return p;
  }

  /**
   * Keeps key bytes (up to keyCap) for the path name and for matching ignore paths: `word`, whose
   * first `n` bytes (1 to 8) are the key's bytes from `at`. The whole word is stored (the buffer
   * has 8 spare bytes): bytes past the key's end are never read, and one store costs less than a
   * copy of n bytes, which V8 makes a call out of the module.
   */
  // @ts-ignore: decorator
  @inline private captureKey(word: u64, at: i64): void {
    if (at < <i64>this.keyCap) store<u64>(changetype<usize>(this.keys) + <usize>at, word);
  }

  /** One unescaped byte into the string hash (and the key). */
  private pushByte(c: i32): void {
    if (this.inKey && this.slen < <i64>this.keyCap) store<u8>(changetype<usize>(this.keys) + <usize>this.slen, <u8>c);
    let an = this.sn;
    this.sacc |= (<u64>c) << (<u64>an << 3);
    if (++an == 8) {
      this.sh = round(this.sh, this.sacc);
      this.sacc = 0;
      an = 0;
    }
    this.sn = an;
    this.slen++;
  }

  /** Code point (or lone surrogate) `cp` as UTF-8 into the string hash. */
  private pushCodePoint(cp: i32): void {
    const bytes = utf8Bytes(cp);
    const n = <i32>(bytes >> 56);
    for (let i = 0; i < n; i++) this.pushByte(<i32>((bytes >> (<u64>i << 3)) & 0xff));
  }

  /** Lead byte `c` (≥ 0x80) of a UTF-8 sequence at `p`. */
  private startUtf8(p: usize, end: usize, c: i32): usize {
    const lead = utf8Lead(c);
    if (lead == 0) return this.fail();
    this.pushByte(c);
    this.utfNeed = lead & 0xff;
    this.utfLo = (lead >> 8) & 0xff;
    this.utfHi = lead >> 16;
    return this.continueUtf8(p + 1, end);
  }

  private continueUtf8(p: usize, end: usize): usize {
    while (this.utfNeed > 0 && p < end) {
      const c = <i32>load<u8>(p);
      if (c < this.utfLo || c > this.utfHi) return this.fail();
      this.pushByte(c);
      this.utfLo = 0x80;
      this.utfHi = 0xbf;
      this.utfNeed--;
      p++;
    }
    return p;
  }

  private escape(p: usize): usize {
    const unit = escapeByte(<i32>load<u8>(p));
    if (unit == ESCAPE_U) {
      this.uDigits = 0;
      this.uValue = 0;
      this.state = S_UNICODE;
      return p + 1;
    }
    if (unit < 0) return this.fail();
    this.pushByte(unit);
    this.state = S_STRING;
    return p + 1;
  }

  private unicode(p: usize, end: usize): usize {
    let digits = this.uDigits, value = this.uValue;
    while (p < end && digits < 4) {
      const d = hexValue(<i32>load<u8>(p));
      if (d < 0) return this.fail();
      value = (value << 4) | d;
      digits++;
      p++;
    }
    this.uDigits = digits;
    this.uValue = value;
    if (digits < 4) return p;
    const high = this.highSurrogate;
    if (high != 0) {
      this.highSurrogate = 0;
      if (isLowSurrogate(value)) {
        this.pushCodePoint(surrogatePair(high, value));
        this.state = S_STRING;
        return p;
      }
      // The high half stays alone; this escape is read on its own.
      this.pushCodePoint(high);
    }
    if (isHighSurrogate(value)) {
      this.highSurrogate = value;
      this.state = S_LOW_BACKSLASH;
      return p;
    }
    this.pushCodePoint(value);
    this.state = S_STRING;
    return p;
  }

  /** After a high surrogate escape: a "\" may start its low half. */
  private lowBackslash(p: usize): usize {
    if (load<u8>(p) == 0x5c) {
      this.state = S_LOW_U;
      return p + 1;
    }
    this.pushCodePoint(this.highSurrogate);
    this.highSurrogate = 0;
    this.state = S_STRING;
    return p;
  }

  /** After a high surrogate escape and "\": "u" continues the pair, anything else is another escape. */
  private lowU(p: usize): usize {
    if (load<u8>(p) == 0x75) {
      this.uDigits = 0;
      this.uValue = 0;
      this.state = S_UNICODE;
      return p + 1;
    }
    this.pushCodePoint(this.highSurrogate);
    this.highSurrogate = 0;
    this.state = S_ESCAPE;
    return p;
  }

  // ---- numbers ----

  /**
   * Number bytes from `p`. The canonical form is the sign, the significant digits without leading
   * or trailing zeros, and the position of the decimal point: 0.D × 10^point. Zeros after a
   * significant digit are held back as a count until a non-zero digit follows.
   */
  private scanNumber(p: usize, end: usize): usize {
    let ns = this.numState;
    let h = this.sh, acc = this.sacc, an = this.sn;
    let zeros = this.numZeros, point = this.numPoint, digits = this.numDigits;
    let significant = this.numSignificant;
    let ended = false;
    while (p < end) {
      let c = <i32>load<u8>(p);
      let d = c - 0x30;
      if (ns == N_INT || ns == N_FRACTION) {
        const integer = ns == N_INT;
        // A run of digits, in a tight loop.
        while (<u32>d <= 9) {
          if (d == 0) {
            if (significant) zeros++;
            else point--; // 0.00x (the integer part never has leading zeros)
          } else {
            for (; zeros > 0; zeros--) {
              acc |= (<u64>0x30) << (<u64>an << 3);
              if (++an == 8) {
                h = round(h, acc);
                acc = 0;
                an = 0;
              }
              digits++;
            }
            significant = true;
            acc |= (<u64>c) << (<u64>an << 3);
            if (++an == 8) {
              h = round(h, acc);
              acc = 0;
              an = 0;
            }
            digits++;
          }
          if (integer) point++;
          if (++p >= end) break;
          c = <i32>load<u8>(p);
          d = c - 0x30;
        }
        if (p >= end) break;
        if (c == 0x2e /* . */ && integer) ns = N_POINT;
        else if (c == 0x65 || c == 0x45) ns = N_E;
        else {
          ended = true;
          break;
        }
        p++;
      } else if (ns == N_EXPONENT) {
        let expDigits = this.expDigits;
        let expValue = this.expValue;
        let expHash = this.expHash;
        while (<u32>d <= 9) {
          if (expDigits > 0 || d != 0) {
            if (++expDigits <= 18) expValue = expValue * 10 + <i64>d;
            expHash = (expHash ^ <u64>c) * P1;
          }
          if (++p >= end) break;
          c = <i32>load<u8>(p);
          d = c - 0x30;
        }
        this.expDigits = expDigits;
        this.expValue = expValue;
        this.expHash = expHash;
        if (p < end) ended = true;
        break;
      } else if (ns == N_MINUS) {
        if (<u32>d > 9) return this.fail();
        if (d == 0) {
          ns = N_ZERO;
          p++;
        } else {
          ns = N_INT; // the digit is read again as an integer digit
        }
      } else if (ns == N_ZERO) {
        if (<u32>d <= 9) return this.fail(); // a leading zero
        if (c == 0x2e) ns = N_POINT;
        else if (c == 0x65 || c == 0x45) ns = N_E;
        else {
          ended = true;
          break;
        }
        p++;
      } else if (ns == N_POINT) {
        if (<u32>d > 9) return this.fail();
        ns = N_FRACTION;
      } else if (ns == N_E) {
        if (c == 0x2b || c == 0x2d) {
          this.expNegative = c == 0x2d;
          ns = N_E_SIGN;
          p++;
        } else if (<u32>d <= 9) {
          ns = N_EXPONENT;
        } else {
          return this.fail();
        }
      } else {
        // N_E_SIGN
        if (<u32>d > 9) return this.fail();
        ns = N_EXPONENT;
      }
    }
    this.numState = ns;
    this.sh = h;
    this.sacc = acc;
    this.sn = an;
    this.numZeros = zeros;
    this.numPoint = point;
    this.numDigits = digits;
    this.numSignificant = significant;
    if (ended) this.endNumber();
    return p;
  }

  /** The number ended (at a delimiter, or with the body): its leaf. */
  private endNumber(): void {
    const ns = this.numState;
    if (ns != N_ZERO && ns != N_INT && ns != N_FRACTION && ns != N_EXPONENT) {
      this.state = S_INVALID;
      return;
    }
    this.leaf(numberScalar(this.numSignificant, this.numNegative, this.sh, this.sacc, this.numDigits, this.numPoint,
      this.expDigits, this.expNegative, this.expValue, this.expHash));
    this.valueDone();
  }

  /**
   * The number at `p` read at once, when it ends (at a delimiter) inside this chunk: what
   * scanNumber and endNumber do, in locals. Returns where it ended, or 0 to leave the number to
   * scanNumber (it reaches the chunk's end, or is malformed: scanNumber says so).
   */
  private quickNumber(p: usize, end: usize): usize {
    let c = <i32>load<u8>(p);
    const negative = c == 0x2d;
    if (negative) {
      if (++p >= end) return 0;
      c = <i32>load<u8>(p);
    }
    let d = c - 0x30;
    if (<u32>d > 9) return 0;
    let h: u64 = 0, acc: u64 = 0, an = 0;
    let zeros: i64 = 0, point: i64 = 0, digits: i64 = 0;
    let significant = false;
    if (d == 0) {
      if (++p >= end) return 0;
      c = <i32>load<u8>(p);
      d = c - 0x30;
      if (<u32>d <= 9) return 0; // a leading zero
    } else {
      // Integer digits: all count for the point; zeros after the first are held back.
      significant = true;
      do {
        if (d == 0) {
          zeros++;
        } else {
          for (; zeros > 0; zeros--) {
            acc |= (<u64>0x30) << (<u64>an << 3);
            if (++an == 8) {
              h = round(h, acc);
              acc = 0;
              an = 0;
            }
            digits++;
          }
          acc |= (<u64>c) << (<u64>an << 3);
          if (++an == 8) {
            h = round(h, acc);
            acc = 0;
            an = 0;
          }
          digits++;
        }
        point++;
        if (++p >= end) return 0;
        c = <i32>load<u8>(p);
        d = c - 0x30;
      } while (<u32>d <= 9);
    }
    if (c == 0x2e) {
      if (++p >= end) return 0;
      c = <i32>load<u8>(p);
      d = c - 0x30;
      if (<u32>d > 9) return 0;
      do {
        if (d == 0) {
          if (significant) zeros++;
          else point--;
        } else {
          for (; zeros > 0; zeros--) {
            acc |= (<u64>0x30) << (<u64>an << 3);
            if (++an == 8) {
              h = round(h, acc);
              acc = 0;
              an = 0;
            }
            digits++;
          }
          significant = true;
          acc |= (<u64>c) << (<u64>an << 3);
          if (++an == 8) {
            h = round(h, acc);
            acc = 0;
            an = 0;
          }
          digits++;
        }
        if (++p >= end) return 0;
        c = <i32>load<u8>(p);
        d = c - 0x30;
      } while (<u32>d <= 9);
    }
    let expDigits = 0, expValue: i64 = 0, expHash: u64 = 0;
    let expNegative = false;
    if (c == 0x65 || c == 0x45) {
      if (++p >= end) return 0;
      c = <i32>load<u8>(p);
      if (c == 0x2b || c == 0x2d) {
        expNegative = c == 0x2d;
        if (++p >= end) return 0;
        c = <i32>load<u8>(p);
      }
      d = c - 0x30;
      if (<u32>d > 9) return 0;
      do {
        if (expDigits > 0 || d != 0) {
          if (++expDigits <= 18) expValue = expValue * 10 + <i64>d;
          expHash = (expHash ^ <u64>c) * P1;
        }
        if (++p >= end) return 0;
        c = <i32>load<u8>(p);
        d = c - 0x30;
      } while (<u32>d <= 9);
    }
    this.leaf(numberScalar(significant, negative, h, acc, digits, point, expDigits, expNegative, expValue, expHash));
    return p;
  }

  // ---- literals ----

  private scanLiteral(p: usize, end: usize): usize {
    let at = this.litAt;
    const len = this.litLen;
    const bytes = this.litBytes;
    while (at < len && p < end) {
      if (<u64>load<u8>(p) != ((bytes >> (<u64>at << 3)) & 0xff)) return this.fail();
      at++;
      p++;
    }
    this.litAt = at;
    if (at == len) {
      this.leaf(this.litHash);
      this.valueDone();
    }
    return p;
  }
}

/**
 * Digests that finished bodies gave back, for the next bodies read with the same ignore set. A
 * digest's tables take about 20 KiB: allocating and zeroing them for every body cost more than
 * the leaves of a 4 KiB body (bench/README.md, "JSON comparison speed"), and a digest reused is
 * still in the cache. One pool per rule and worker (each worker has its own VM).
 */
export class JsonDigestPool {
  private readonly idle: JsonDigest[] = [];

  constructor(
    readonly ignore: JsonPathSet,
    /** Idle digests kept at most; more are left to the collector. */
    readonly maxIdle: i32 = 16,
  ) {}

  /** A digest ready for a new body. */
  take(): JsonDigest {
    const idle = this.idle;
    if (idle.length == 0) return new JsonDigest(this.ignore);
    const digest = idle.pop();
    digest.reset();
    return digest;
  }

  /** A digest nothing reads any more. */
  give(digest: JsonDigest): void {
    if (this.idle.length < this.maxIdle && digest.ignore === this.ignore) this.idle.push(digest);
  }

  get idleCount(): i32 {
    return this.idle.length;
  }
}

/**
 * The scalar hash of a number from its canonical form: sign, significant digits (hashed: running
 * hash, unfinished word, count), decimal point position, and the exponent as written.
 */
// @ts-ignore: decorator
@inline function numberScalar(significant: bool, negative: bool, h: u64, acc: u64, digits: i64, point: i64,
  expDigits: i32, expNegative: bool, expValue: i64, expHash: u64): u64 {
  if (!significant) return HASH_ZERO; // 0, -0, 0.000, 0e7: all zero
  const hashed = finishBytes(h, acc, digits);
  const sign: u64 = negative ? 1 : 0;
  if (expDigits <= 18) {
    const exponent = point + (expNegative ? -expValue : expValue);
    return hashed ^ TAG_NUMBER ^ ((<u64>exponent << 1 | sign) * P3);
  }
  // An exponent of 19 or more digits: compared by the exponent as written, not by its sum with
  // the point position (docs/json-comparison.md).
  const e = expHash ^ (expNegative ? P2 : 0);
  return hashed ^ TAG_HUGE_NUMBER ^ ((<u64>point << 1 | sign) * P3) ^ rotl<u64>(e, 17);
}

// ---- comparing two sides ----

/** Whether both bodies were valid JSON with the same value (ignored paths left out). */
export function jsonValuesEqual(a: JsonDigest, b: JsonDigest): bool {
  return a.valid && b.valid && a.leaves == b.leaves && a.digestLo == b.digestLo && a.digestHi == b.digestHi;
}

/** What differs between two bodies, as far as the tables can tell. */
export class JsonDifferences {
  constructor(
    /** Up to `max` differing paths (see differingJsonPaths). */
    readonly paths: string[],
    /** True when every differing leaf was recovered: `paths` are exactly the first of their sorted paths. */
    readonly exact: bool,
  ) {}
}

/**
 * Up to `max` paths where the two valid bodies differ; [] when they are equal. The paths of the
 * differing leaves when the leaf tables decode (sorted). When too many leaves differ for that,
 * the leaves that could be recovered, then the containers at depth 2 that differ, or else those at
 * depth 1; when nothing can be named, the root. (docs/json-comparison.md, "Naming the differences")
 */
export function differingJsonPaths(a: JsonDigest, b: JsonDigest, max: i32): string[] {
  return describeJsonDifferences(a, b, max).paths;
}

export function describeJsonDifferences(a: JsonDigest, b: JsonDigest, max: i32): JsonDifferences {
  const out = new Array<string>();
  if (!a.valid || !b.valid || jsonValuesEqual(a, b) || max <= 0) return new JsonDifferences(out, true);
  const found = new Array<SketchEntry>();
  const complete = a.leafTable.minus(b.leafTable).peel(found);
  const leaves = distinctSorted(found);
  if (complete || leaves.length >= max) return new JsonDifferences(leaves.slice(0, max), complete);
  let regions = new Array<string>();
  for (let depth = 2; depth >= 1 && regions.length == 0; depth--) {
    const table = depth == 2 ? a.region2Table.minus(b.region2Table) : a.region1Table.minus(b.region1Table);
    const inRegion = new Array<SketchEntry>();
    if (table.peel(inRegion)) regions = distinctSorted(inRegion);
  }
  for (let i = 0; i < leaves.length; i++) out.push(leaves[i]);
  for (let i = 0; i < regions.length; i++) if (!out.includes(regions[i])) out.push(regions[i]);
  if (out.length == 0) out.push(ROOT_NAME);
  return new JsonDifferences(out.slice(0, max), false);
}

function distinctSorted(found: SketchEntry[]): string[] {
  const names = new Array<string>();
  for (let i = 0; i < found.length; i++) names.push(found[i].name);
  names.sort((x: string, y: string): i32 => (x < y ? -1 : x > y ? 1 : 0));
  const out = new Array<string>();
  for (let i = 0; i < names.length; i++) {
    if (i == 0 || names[i] != names[i - 1]) out.push(names[i]);
  }
  return out;
}
