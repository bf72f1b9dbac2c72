// Redaction of response bodies for mismatch samples (contract §2.7, `samples.redact`): a body is
// read once, chunk by chunk, split anywhere, and copied into a bounded output with every value at
// a redacted path replaced, whatever its type, by the JSON string "[redacted]". Rules and reasons:
// docs/samples.md, "Bodies".
//
// - Bytes outside redacted values are copied as received (whitespace, escapes, member order,
//   number spellings): a body with nothing to redact comes out byte for byte.
// - The cap applies to the output, after redaction: a value cut midway is already replaced, so
//   its start cannot leak. A cut never leaves half a UTF-8 sequence at the end (it is dropped).
// - Memory: the output (at most the cap) and per-level state (129 levels). Once more output would
//   pass the cap, reading stops: nothing else can be sent.
// - Validity is the comparator's (docs/json-comparison.md): RFC 8259, UTF-8 checked, 128 levels.
//   When the body turns out not to be JSON and there are paths to redact, the output keeps what
//   was copied before the first byte that made it not JSON and nothing after: that prefix was read
//   as JSON, so every value in it at a redacted path was replaced; after it, no path is known.
//   Without paths, the output is a plain bounded copy of any body (an HTML error page, text).
import { ByteSink } from "proxy-wasm-sdk-as/assembly/bytes";
import { hexValue, JsonPathMatcher, JsonPathSet } from "./json_path";
import { ESCAPE_U, escapeByte, isHighSurrogate, isLowSurrogate, specialBytes, surrogatePair, utf8Bytes, utf8Lead } from "./json_text";

/** Deepest nesting read as JSON, as the comparator (json_digest.ts MAX_JSON_NESTING). */
// @ts-ignore: decorator
@inline const MAX_NESTING: i32 = 128;
/** Levels a value can be at: the root (0) to a member of the 128th nested container (128). */
// @ts-ignore: decorator
@inline const LEVELS: i32 = MAX_NESTING + 1;

/** What a redacted value is replaced by: the JSON string "[redacted]". */
export const REDACTED_VALUE: string = "\"[redacted]\"";
const REDACTED_BYTES: ArrayBuffer = String.UTF8.encode(REDACTED_VALUE);

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
@inline const S_UTF8: i32 = 8; // in a UTF-8 sequence of a string
// @ts-ignore: decorator
@inline const S_ESCAPE: i32 = 9; // after "\" in a string
// @ts-ignore: decorator
@inline const S_UNICODE: i32 = 10; // in the four hex digits of \u
// @ts-ignore: decorator
@inline const S_LOW_BACKSLASH: i32 = 11; // in a key, after a high surrogate escape: "\" of its low half?
// @ts-ignore: decorator
@inline const S_LOW_U: i32 = 12; // after that "\": "u"?
// @ts-ignore: decorator
@inline const S_NUMBER: i32 = 13;
// @ts-ignore: decorator
@inline const S_LITERAL: i32 = 14;
// @ts-ignore: decorator
@inline const S_INVALID: i32 = 15;

// Where in a number: RFC 8259 -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
// @ts-ignore: decorator
@inline const N_MINUS: i32 = 0; // at the start, or after "-"
// @ts-ignore: decorator
@inline const N_ZERO: i32 = 1; // integer part "0"
// @ts-ignore: decorator
@inline const N_INT: i32 = 2;
// @ts-ignore: decorator
@inline const N_POINT: i32 = 3; // after "."
// @ts-ignore: decorator
@inline const N_FRACTION: i32 = 4;
// @ts-ignore: decorator
@inline const N_E: i32 = 5; // after "e"
// @ts-ignore: decorator
@inline const N_E_SIGN: i32 = 6;
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

/**
 * One body's redacted copy, for one side of a sample. Built once per rule and side (the output
 * buffer grows up to the cap and is kept); `reset` before each body, then `write` every chunk and
 * `finish`. Reading `output` copies; `outputPtr` / `outputLength` lend the bytes.
 */
export class JsonRedactor extends ByteSink {
  private buffer: ArrayBuffer;
  private length: i32 = 0;
  private readonly matcher: JsonPathMatcher | null;

  private state: i32 = S_VALUE;
  /** Open containers; the value being read is at level `depth`. */
  private depth: i32 = 0;
  /** Level of the redacted value being read, or -1. */
  private skipLevel: i32 = -1;
  /** Whether a path matches the value that comes next (decided when its key or element starts). */
  private matchNext: bool = false;
  /** Where the bytes being copied start in the chunk being read (while skipLevel < 0). */
  private run: usize = 0;

  private kinds: StaticArray<u8> = new StaticArray<u8>(LEVELS);
  /** Per array level: the next element's index. */
  private indexes: StaticArray<i32> = new StaticArray<i32>(LEVELS);

  // The key being read, unescaped: its first keyCap bytes, and its length.
  private inKey: bool = false;
  private keys: ArrayBuffer;
  private readonly keyCap: i32;
  private keyLen: i32 = 0;
  private highSurrogate: i32 = 0;
  // \u escapes, UTF-8 sequences, numbers and literals in progress.
  private uDigits: i32 = 0;
  private uValue: i32 = 0;
  private utfNeed: i32 = 0;
  private utfLo: i32 = 0x80;
  private utfHi: i32 = 0xbf;
  private numState: i32 = N_MINUS;
  private litBytes: u64 = 0;
  private litLen: i32 = 0;
  private litAt: i32 = 0;

  private replaced: bool = false;
  private cut: bool = false;
  private withheldRest: bool = false;
  private invalid: bool = false;
  /** Nothing more is read: the cap is passed, or the rest is withheld. */
  private stopped: bool = false;
  private finished: bool = false;

  /** The cap on the output, in bytes (a negative one is 0). */
  readonly maxOutputBytes: i32;

  constructor(readonly paths: JsonPathSet, maxOutputBytes: i32) {
    super();
    const cap = max(maxOutputBytes, 0);
    this.buffer = new ArrayBuffer(min(cap, 1024));
    this.maxOutputBytes = cap;
    this.keyCap = paths.longestName;
    this.keys = new ArrayBuffer(paths.longestName + 8);
    this.matcher = paths.isEmpty ? null : new JsonPathMatcher(paths);
    this.reset();
  }

  /** Ready for a new body; allocates nothing. */
  reset(): void {
    this.length = 0;
    this.state = S_VALUE;
    this.depth = 0;
    this.skipLevel = -1;
    this.inKey = false;
    this.highSurrogate = 0;
    this.utfNeed = 0;
    this.replaced = false;
    this.cut = false;
    this.withheldRest = false;
    this.invalid = false;
    this.stopped = false;
    this.finished = false;
    const matcher = this.matcher;
    if (matcher !== null) {
      matcher.reset();
      this.matchNext = matcher.rootMatched;
    } else {
      this.matchNext = false;
    }
  }

  /** The output bytes (at most maxOutputBytes), lent until the next reset or write. */
  get outputPtr(): usize {
    return changetype<usize>(this.buffer);
  }

  get outputLength(): i32 {
    return this.length;
  }

  /** The output, copied. */
  get output(): ArrayBuffer {
    return this.buffer.slice(0, this.length);
  }

  /** More output would have followed the cap (the output was cut there). */
  get truncated(): bool {
    return this.cut;
  }

  /**
   * A replacement is in the output (its first byte at least), or the rest of a body that is not
   * JSON was withheld.
   */
  get redacted(): bool {
    return this.replaced || this.withheldRest;
  }

  /** The output stops where the body stopped being JSON, because there are paths to redact. */
  get withheld(): bool {
    return this.withheldRest;
  }

  /**
   * The body is not JSON (invalid, or incomplete at `finish`). Reading stops at the cap, so a body
   * cut there is judged only up to the cut.
   */
  get notJson(): bool {
    return this.invalid;
  }

  write(ptr: usize, len: i32): void {
    if (len <= 0 || this.stopped || this.finished) return;
    if (this.invalid) {
      // Not JSON and nothing to redact: a plain bounded copy.
      this.append(ptr, len);
      return;
    }
    // While bytes are being copied, read no further than one byte past the room left: a chunk
    // much larger than the cap is not read to its end once the output is full.
    while (len > 0 && !this.stopped && !this.invalid) {
      const room = this.maxOutputBytes - this.length;
      const n = this.skipLevel >= 0 || room >= len ? len : room + 1;
      this.read(ptr, n);
      ptr += <usize>n;
      len -= n;
    }
    if (len > 0 && this.invalid && !this.stopped) this.append(ptr, len);
  }

  private read(ptr: usize, len: i32): void {
    let p = ptr;
    const end = ptr + <usize>len;
    this.run = ptr;
    let state = this.state;
    while (p < end) {
      if (state >= S_STRING) {
        // Inside a token: its own scanner, which sets the state that follows.
        this.state = state;
        switch (state) {
          case S_STRING: p = this.scanString(p, end); break;
          case S_UTF8: p = this.continueUtf8(p, end); break;
          case S_NUMBER: p = this.scanNumber(p, end); break;
          case S_ESCAPE: p = this.escape(p); break;
          case S_UNICODE: p = this.unicode(p, end); break;
          case S_LOW_BACKSLASH: p = this.lowBackslash(p); break;
          case S_LOW_U: p = this.lowU(p); break;
          case S_LITERAL: p = this.scanLiteral(p, end); break;
          default: break;
        }
        state = this.state;
        if (state == S_INVALID) break;
        continue;
      }
      // Between tokens: whitespace, then a structural byte or the start of a value.
      const c = <i32>load<u8>(p);
      if (c <= 0x20) {
        if (c != 0x20 && c != 0x0a && c != 0x0d && c != 0x09) break;
        p++;
        while (p + 8 <= end && load<u64>(p) == 0x2020202020202020) p += 8;
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
          state = this.closeContainer(p);
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
        if (c == 0x22) {
          p++;
          this.inKey = true;
          this.keyLen = 0;
          state = S_STRING;
          continue;
        }
        if (c == 0x7d && state == S_OBJECT_FIRST) {
          p++;
          state = this.closeContainer(p);
          continue;
        }
        break;
      }
      if (state == S_ARRAY_FIRST) {
        if (c == 0x5d) {
          p++;
          state = this.closeContainer(p);
          continue;
        }
        this.enterElement();
      } else if (state != S_VALUE) {
        break; // S_END: nothing but whitespace may follow the value
      }
      // A value starts at p: its first byte must be one a value can start with.
      let next = S_INVALID;
      if (c == 0x22) next = S_STRING;
      else if (c == 0x2d || <u32>(c - 0x30) <= 9) next = S_NUMBER;
      else if (c == 0x7b) next = S_OBJECT_FIRST;
      else if (c == 0x5b) next = S_ARRAY_FIRST;
      else if (c == 0x74 || c == 0x66 || c == 0x6e) next = S_LITERAL;
      if (next == S_INVALID) break;
      if ((next == S_OBJECT_FIRST || next == S_ARRAY_FIRST) && this.depth >= MAX_NESTING) break;
      if (this.matchNext) {
        this.matchNext = false;
        if (!this.startRedaction(p)) return;
      }
      if (next == S_STRING) {
        this.inKey = false;
        p++;
      } else if (next == S_NUMBER) {
        this.numState = N_MINUS; // without a sign, the first digit is read as if after one
        if (c == 0x2d) p++;
      } else if (next == S_LITERAL) {
        if (c == 0x74) {
          this.litBytes = LIT_TRUE;
          this.litLen = 4;
        } else if (c == 0x6e) {
          this.litBytes = LIT_NULL;
          this.litLen = 4;
        } else {
          this.litBytes = LIT_FALSE;
          this.litLen = 5;
        }
        this.litAt = 0;
      } else {
        const level = this.depth;
        unchecked((this.kinds[level] = next == S_OBJECT_FIRST ? KIND_OBJECT : KIND_ARRAY));
        unchecked((this.indexes[level] = 0));
        this.depth = level + 1;
        p++;
      }
      state = next;
    }
    this.state = state;
    if (state == S_INVALID || p < end) {
      this.notJsonAt(p, end);
      return;
    }
    if (this.skipLevel < 0) this.append(this.run, <i32>(end - this.run));
  }

  /** The end of the body: a number at the root ends here; anything unfinished is not JSON. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.stopped || this.invalid) return;
    if (this.state == S_NUMBER && this.depth == 0) {
      const ns = this.numState;
      if (ns == N_ZERO || ns == N_INT || ns == N_FRACTION || ns == N_EXPONENT) this.state = this.valueDone(0);
    }
    // Everything read was copied as JSON read so far: an unfinished body is kept as it is.
    if (this.state != S_END) this.invalid = true;
  }

  // ---- output ----

  /**
   * Appends `n` bytes, as many as fit under the cap; false when some did not fit: then the output
   * is cut (without half a UTF-8 sequence at its end) and reading stops.
   */
  private append(src: usize, n: i32): bool {
    if (n <= 0) return true;
    const room = this.maxOutputBytes - this.length;
    const take = min(n, room);
    if (take > 0) {
      const need = this.length + take;
      if (need > this.buffer.byteLength) {
        let size = max(this.buffer.byteLength, 64);
        while (size < need) size <<= 1;
        const grown = new ArrayBuffer(min(size, this.maxOutputBytes));
        memory.copy(changetype<usize>(grown), changetype<usize>(this.buffer), <usize>this.length);
        this.buffer = grown;
      }
      memory.copy(changetype<usize>(this.buffer) + <usize>this.length, src, <usize>take);
      this.length = need;
    }
    if (take == n) return true;
    this.cut = true;
    this.dropCutSequence();
    this.stopped = true;
    return false;
  }

  /** Drops a UTF-8 sequence left incomplete at the end of the output by a cut (at most 3 bytes). */
  private dropCutSequence(): void {
    const base = changetype<usize>(this.buffer);
    const len = this.length;
    for (let k = 1; k <= 3 && k <= len; k++) {
      const c = <i32>load<u8>(base + <usize>(len - k));
      if ((c & 0xc0) == 0x80) continue; // a continuation byte: its lead is further back
      if (c >= 0xc0) {
        const size = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
        if (size > k) this.length = len - k;
      }
      return;
    }
  }

  /** A redacted value starts at `p`: the bytes before it are copied, the replacement written. */
  private startRedaction(p: usize): bool {
    if (!this.append(this.run, <i32>(p - this.run))) return false;
    this.skipLevel = this.depth;
    if (this.length < this.maxOutputBytes) this.replaced = true;
    return this.append(changetype<usize>(REDACTED_BYTES), REDACTED_BYTES.byteLength);
  }

  /**
   * The byte at `p` makes the body not JSON. With paths to redact, the output ends before it
   * (nothing after it can be placed on a path); without, the rest is copied as it is.
   */
  private notJsonAt(p: usize, end: usize): void {
    this.state = S_INVALID;
    this.invalid = true;
    // Reading stops at the cap: a byte past the first one that did not fit is not judged, however
    // the body was split (the chunk was read ahead of copying).
    const cutAt = this.run + <usize>(this.maxOutputBytes - this.length);
    if (this.matcher === null) {
      if (!this.append(this.run, <i32>(end - this.run)) && p >= cutAt) this.invalid = false;
      return;
    }
    if (this.skipLevel < 0 && !this.append(this.run, <i32>(p - this.run))) {
      this.invalid = false;
      return;
    }
    this.withheldRest = true;
    this.dropCutSequence();
    this.stopped = true;
  }

  // ---- structure ----

  /** The value at level `depth` ended just before `after`: the state that follows. */
  private valueDone(after: usize): i32 {
    const level = this.depth;
    if (this.skipLevel == level) {
      this.skipLevel = -1;
      this.run = after;
    }
    return level == 0 ? S_END : S_AFTER;
  }

  private closeContainer(after: usize): i32 {
    this.depth--;
    return this.valueDone(after);
  }

  /** The next element of the array at level depth - 1 starts. */
  private enterElement(): void {
    const parent = this.depth - 1;
    const index = unchecked(this.indexes[parent]);
    if (index < i32.MAX_VALUE) unchecked((this.indexes[parent] = index + 1));
    const matcher = this.matcher;
    if (matcher !== null && this.skipLevel < 0) this.matchNext = matcher.enterElement(parent, index);
  }

  /** The key just read names the member whose value comes next. */
  private keyDone(): void {
    const matcher = this.matcher;
    if (matcher === null || this.skipLevel >= 0) return;
    const parent = this.depth - 1;
    const len = this.keyLen;
    // A key longer than every name of the paths matches no name (only wildcards): its hash is not needed.
    this.matchNext = len <= this.keyCap
      ? matcher.enterMember(parent, changetype<usize>(this.keys), len)
      : matcher.enterMemberHashed(parent, changetype<usize>(this.keys), len, 0);
  }

  // ---- strings ----

  /**
   * String content from `p` until the closing quote, an escape, a non-ASCII byte or the chunk's
   * end; eight bytes at a time while none is special.
   */
  private scanString(p: usize, end: usize): usize {
    const inKey = this.inKey;
    while (p < end) {
      const from = p;
      while (p + 8 <= end) {
        const special = specialBytes(load<u64>(p));
        if (special != 0) {
          p += <usize>(ctz(special) >> 3);
          break;
        }
        p += 8;
      }
      while (p < end) {
        const c = <i32>load<u8>(p);
        if (c == 0x22 || c == 0x5c || c < 0x20 || c >= 0x80) break;
        p++;
      }
      if (inKey && p > from) this.captureKey(from, <i32>(p - from));
      if (p >= end) return p;
      const c = <i32>load<u8>(p);
      if (c == 0x22 /* " */) {
        if (inKey) {
          this.keyDone();
          this.state = S_COLON;
        } else {
          this.state = this.valueDone(p + 1);
        }
        return p + 1;
      }
      if (c == 0x5c /* \ */) {
        this.state = S_ESCAPE;
        return p + 1;
      }
      if (c < 0x20) return this.fail(p);
      p = this.startUtf8(p, end, c);
      if (this.state != S_STRING) return p;
    }
    return p;
  }

  /** Lead byte `c` (≥ 0x80) of a UTF-8 sequence at `p`: the comparator's checks. */
  private startUtf8(p: usize, end: usize, c: i32): usize {
    const lead = utf8Lead(c);
    if (lead == 0) return this.fail(p);
    if (this.inKey) this.keyByte(c);
    this.utfNeed = lead & 0xff;
    this.utfLo = (lead >> 8) & 0xff;
    this.utfHi = lead >> 16;
    this.state = S_UTF8;
    return this.continueUtf8(p + 1, end);
  }

  private continueUtf8(p: usize, end: usize): usize {
    while (p < end) {
      const c = <i32>load<u8>(p);
      if (c < this.utfLo || c > this.utfHi) return this.fail(p);
      if (this.inKey) this.keyByte(c);
      this.utfLo = 0x80;
      this.utfHi = 0xbf;
      p++;
      if (--this.utfNeed == 0) {
        this.state = S_STRING;
        break;
      }
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
    if (unit < 0) return this.fail(p);
    if (this.inKey) this.keyByte(unit);
    this.state = S_STRING;
    return p + 1;
  }

  private unicode(p: usize, end: usize): usize {
    let digits = this.uDigits, value = this.uValue;
    while (p < end && digits < 4) {
      const d = hexValue(<i32>load<u8>(p));
      if (d < 0) return this.fail(p);
      value = (value << 4) | d;
      digits++;
      p++;
    }
    this.uDigits = digits;
    this.uValue = value;
    if (digits < 4) return p;
    this.state = S_STRING;
    if (!this.inKey) return p;
    // Keys are matched by their unescaped bytes, decoded as the path parser decodes quoted names.
    const high = this.highSurrogate;
    if (high != 0) {
      this.highSurrogate = 0;
      if (isLowSurrogate(value)) {
        this.keyCodePoint(surrogatePair(high, value));
        return p;
      }
      this.keyCodePoint(high); // the high half stays alone; this escape is read on its own
    }
    if (isHighSurrogate(value)) {
      this.highSurrogate = value;
      this.state = S_LOW_BACKSLASH;
      return p;
    }
    this.keyCodePoint(value);
    return p;
  }

  /** In a key, after a high surrogate escape: a "\" may start its low half. */
  private lowBackslash(p: usize): usize {
    if (load<u8>(p) == 0x5c) {
      this.state = S_LOW_U;
      return p + 1;
    }
    this.keyCodePoint(this.highSurrogate);
    this.highSurrogate = 0;
    this.state = S_STRING;
    return p;
  }

  /** After a high surrogate escape and "\": "u" may continue the pair, anything else is another escape. */
  private lowU(p: usize): usize {
    if (load<u8>(p) == 0x75) {
      this.uDigits = 0;
      this.uValue = 0;
      this.state = S_UNICODE;
      return p + 1;
    }
    this.keyCodePoint(this.highSurrogate);
    this.highSurrogate = 0;
    this.state = S_ESCAPE;
    return p;
  }

  /** Keeps raw key bytes (up to keyCap) and counts them. */
  // @ts-ignore: decorator
  @inline private captureKey(src: usize, n: i32): void {
    const at = this.keyLen;
    if (at < this.keyCap) memory.copy(changetype<usize>(this.keys) + <usize>at, src, <usize>min(n, this.keyCap - at));
    this.keyLen = n > i32.MAX_VALUE - at ? i32.MAX_VALUE : at + n;
  }

  private keyByte(c: i32): void {
    const at = this.keyLen;
    if (at < this.keyCap) store<u8>(changetype<usize>(this.keys) + <usize>at, <u8>c);
    if (at < i32.MAX_VALUE) this.keyLen = at + 1;
  }

  /** Code point (or lone surrogate, in its 3-byte form) `cp` into the key as UTF-8. */
  private keyCodePoint(cp: i32): void {
    const bytes = utf8Bytes(cp);
    const n = <i32>(bytes >> 56);
    for (let i = 0; i < n; i++) this.keyByte(<i32>((bytes >> (<u64>i << 3)) & 0xff));
  }

  // ---- numbers and literals ----

  /** Number bytes from `p`, checked against the grammar; the number ends at the first other byte. */
  private scanNumber(p: usize, end: usize): usize {
    let ns = this.numState;
    while (p < end) {
      const c = <i32>load<u8>(p);
      const digit = <u32>(c - 0x30) <= 9;
      if (ns == N_INT || ns == N_FRACTION || ns == N_EXPONENT) {
        if (digit) {
          p++;
          while (p < end && <u32>(<i32>load<u8>(p) - 0x30) <= 9) p++;
          continue;
        }
        if (c == 0x2e && ns == N_INT) ns = N_POINT;
        else if ((c == 0x65 || c == 0x45) && ns != N_EXPONENT) ns = N_E;
        else return this.numberDone(p);
        p++;
      } else if (ns == N_MINUS) {
        if (!digit) return this.fail(p);
        ns = c == 0x30 ? N_ZERO : N_INT;
        p++;
      } else if (ns == N_ZERO) {
        if (digit) return this.fail(p); // a leading zero
        if (c == 0x2e) ns = N_POINT;
        else if (c == 0x65 || c == 0x45) ns = N_E;
        else return this.numberDone(p);
        p++;
      } else if (ns == N_POINT) {
        if (!digit) return this.fail(p);
        ns = N_FRACTION;
        p++;
      } else if (ns == N_E) {
        if (c == 0x2b || c == 0x2d) ns = N_E_SIGN;
        else if (digit) ns = N_EXPONENT;
        else return this.fail(p);
        p++;
      } else {
        // N_E_SIGN
        if (!digit) return this.fail(p);
        ns = N_EXPONENT;
        p++;
      }
    }
    this.numState = ns;
    return p;
  }

  /** The number ended before `p` (which is not part of it). */
  private numberDone(p: usize): usize {
    this.state = this.valueDone(p);
    return p;
  }

  private scanLiteral(p: usize, end: usize): usize {
    let at = this.litAt;
    const len = this.litLen;
    const bytes = this.litBytes;
    while (at < len && p < end) {
      if (<u64>load<u8>(p) != ((bytes >> (<u64>at << 3)) & 0xff)) return this.fail(p);
      at++;
      p++;
    }
    this.litAt = at;
    if (at == len) this.state = this.valueDone(p);
    return p;
  }

  private fail(p: usize): usize {
    this.state = S_INVALID;
    return p;
  }
}
