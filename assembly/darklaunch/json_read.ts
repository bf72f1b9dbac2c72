// The one JSON reader of the filter: reads a document's UTF-8 bytes once, strictly by RFC 8259,
// into the tree of json_value.ts, or stops at the first problem. It never traps: it reads only
// inside [ptr, ptr + len), keeps its own stack (no recursion) and builds nothing past a problem.
//
// Beyond the grammar it refuses: invalid UTF-8 (overlongs, surrogates, truncated sequences,
// code points above U+10FFFF), unpaired surrogate escapes, documents over 1 MiB, nesting deeper
// than 32, numbers longer than 100 characters (RFC 8259 section 9 lets a parser set these
// limits) and duplicate keys, reported with the JSON path of their object.
import { HEX_DIGITS, elementPath, memberPath, quoteForMessage, shownPath } from "./json_message";
import { JsonArray, JsonBool, JsonNull, JsonNumber, JsonObject, JsonString, JsonValue } from "./json_value";

/** Largest document accepted, in bytes. */
export const MAX_JSON_BYTES: i32 = 1 << 20;
/** Deepest nesting of arrays and objects accepted (the top-level value counts as level 1). */
export const MAX_JSON_DEPTH: i32 = 32;
/** Longest number token accepted, in characters. */
export const MAX_NUMBER_CHARS: i32 = 100;

/**
 * The first problem found in a document: a syntax error at a byte offset (0-based), a problem
 * at a JSON path (duplicate keys), or a problem of the whole document (offset -1, no path).
 */
export class JsonProblem {
  constructor(
    readonly offset: i32,
    readonly path: string | null,
    readonly message: string,
  ) {}

  /** `invalid JSON at byte 17: expected ':'`, `rules[0].dark: duplicate key "cluster"`, ... */
  toString(): string {
    const path = this.path;
    if (path !== null) return path + ": " + this.message;
    if (this.offset >= 0) return "invalid JSON at byte " + this.offset.toString() + ": " + this.message;
    return this.message;
  }
}

/** What reading a document gave: its value, or the first problem (never both). */
export class JsonRead {
  constructor(
    readonly value: JsonValue | null,
    readonly problem: JsonProblem | null,
  ) {}
}

/** Reads `len` bytes at `ptr`. */
export function readJson(ptr: usize, len: i32): JsonRead {
  if (len < 0) return new JsonRead(null, new JsonProblem(-1, null, "document has a negative length"));
  if (len > MAX_JSON_BYTES) {
    return new JsonRead(null, new JsonProblem(-1, null, "document is larger than 1 MiB (" + len.toString() + " bytes)"));
  }
  const reader = new JsonReader(ptr, len);
  reader.run();
  const problem = reader.problem;
  return new JsonRead(problem === null ? reader.root : null, problem);
}

/** `readJson` over a whole buffer. */
export function readJsonBuffer(bytes: ArrayBuffer): JsonRead {
  return readJson(changetype<usize>(bytes), bytes.byteLength);
}

// ---- The reader ----

// @ts-ignore: decorator
@inline const IN_ARRAY: u8 = 1;
// @ts-ignore: decorator
@inline const IN_OBJECT: u8 = 2;

// What the reader expects next.
// @ts-ignore: decorator
@inline const WANT_VALUE: i32 = 0;
// @ts-ignore: decorator
@inline const AFTER_VALUE: i32 = 1;
// @ts-ignore: decorator
@inline const WANT_KEY: i32 = 2;

class JsonReader {
  problem: JsonProblem | null = null;
  /** The document's value once read (meaningful only without a problem). */
  root: JsonValue | null = null;
  private pos: i32 = 0;
  private depth: i32 = 0;
  // Per open container (index = level): its kind, the current key (objects) and the container
  // being filled (an array's current element index is its length so far).
  private kinds: StaticArray<u8> = new StaticArray<u8>(MAX_JSON_DEPTH);
  private keys: StaticArray<string> = new StaticArray<string>(MAX_JSON_DEPTH);
  private containers: StaticArray<JsonValue | null> = new StaticArray<JsonValue | null>(MAX_JSON_DEPTH);
  // Where the last string's content starts and ends (exclusive), and whether it has escapes.
  private strStart: i32 = 0;
  private strEnd: i32 = 0;
  private strEscaped: bool = false;
  // The last exact integer (a result of exactInteger; AssemblyScript has no tuples).
  private integer: i64 = 0;

  constructor(private ptr: usize, private len: i32) {
    for (let i = 0; i < MAX_JSON_DEPTH; i++) unchecked((this.keys[i] = ""));
  }

  // @ts-ignore: decorator
  @inline private at(i: i32): i32 {
    return <i32>load<u8>(this.ptr + <usize>i);
  }

  private fail(offset: i32, message: string): void {
    if (this.problem === null) this.problem = new JsonProblem(offset, null, message);
  }

  // A value is complete: it becomes the root, an array's next element or the current member.
  private complete(v: JsonValue): void {
    if (this.depth == 0) {
      this.root = v;
      return;
    }
    const level = this.depth - 1;
    const container = unchecked(this.containers[level]);
    if (unchecked(this.kinds[level]) == IN_OBJECT) {
      changetype<JsonObject>(container).add(unchecked(this.keys[level]), v); // key checked unique in key()
    } else {
      changetype<JsonArray>(container).items.push(v);
    }
  }

  // Closes the container open at the innermost level and completes it.
  private close(): void {
    const level = --this.depth;
    const container = unchecked(this.containers[level]);
    unchecked((this.containers[level] = null));
    this.complete(changetype<JsonValue>(container));
  }

  private skipWhitespace(): void {
    while (this.pos < this.len) {
      const c = this.at(this.pos);
      if (c != 0x20 && c != 0x0a && c != 0x0d && c != 0x09) return;
      this.pos++;
    }
  }

  run(): void {
    let want = WANT_VALUE;
    this.skipWhitespace();
    while (this.problem === null) {
      if (want == WANT_VALUE) {
        want = this.value();
      } else if (want == WANT_KEY) {
        want = this.key();
      } else {
        this.skipWhitespace();
        if (this.depth == 0) {
          if (this.pos < this.len) this.fail(this.pos, "unexpected data after the document");
          return;
        }
        want = this.afterElement();
      }
    }
  }

  // At the first byte of a value. Returns what comes next.
  private value(): i32 {
    if (this.pos >= this.len) {
      this.fail(this.pos, "expected a value");
      return AFTER_VALUE;
    }
    const c = this.at(this.pos);
    if (c == 0x7b /* { */ || c == 0x5b /* [ */) {
      if (this.depth >= MAX_JSON_DEPTH) {
        this.fail(this.pos, "nesting deeper than " + MAX_JSON_DEPTH.toString() + " levels");
        return AFTER_VALUE;
      }
      const level = this.depth++;
      this.pos++;
      this.skipWhitespace();
      if (c == 0x7b) {
        unchecked((this.kinds[level] = IN_OBJECT));
        unchecked((this.keys[level] = ""));
        unchecked((this.containers[level] = new JsonObject()));
        if (this.pos < this.len && this.at(this.pos) == 0x7d /* } */) {
          this.pos++;
          this.close();
          return AFTER_VALUE;
        }
        return WANT_KEY;
      }
      unchecked((this.kinds[level] = IN_ARRAY));
      unchecked((this.containers[level] = new JsonArray()));
      if (this.pos < this.len && this.at(this.pos) == 0x5d /* ] */) {
        this.pos++;
        this.close();
        return AFTER_VALUE;
      }
      return WANT_VALUE;
    }
    if (c == 0x22 /* " */) {
      this.string();
      if (this.problem === null) this.complete(new JsonString(this.decodeString()));
      return AFTER_VALUE;
    }
    if (c == 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      this.number();
      return AFTER_VALUE;
    }
    if (c == 0x74 /* t */) {
      if (this.literal("true")) this.complete(new JsonBool(true));
    } else if (c == 0x66 /* f */) {
      if (this.literal("false")) this.complete(new JsonBool(false));
    } else if (c == 0x6e /* n */) {
      if (this.literal("null")) this.complete(new JsonNull());
    } else if (c == 0x4e /* N */ || c == 0x49 /* I */) {
      this.fail(this.pos, "NaN and Infinity are not allowed");
    } else {
      this.fail(this.pos, "expected a value");
    }
    return AFTER_VALUE;
  }

  private literal(word: string): bool {
    const n = word.length;
    if (this.len - this.pos < n) {
      this.fail(this.pos, "expected a value");
      return false;
    }
    for (let i = 0; i < n; i++) {
      if (this.at(this.pos + i) != word.charCodeAt(i)) {
        this.fail(this.pos, "expected a value");
        return false;
      }
    }
    this.pos += n;
    return true;
  }

  private digits(): i32 {
    const start = this.pos;
    while (this.pos < this.len) {
      const c = this.at(this.pos);
      if (c < 0x30 || c > 0x39) break;
      this.pos++;
    }
    return this.pos - start;
  }

  private number(): void {
    const start = this.pos;
    let integral = true;
    if (this.at(this.pos) == 0x2d) {
      this.pos++;
      if (this.pos < this.len && this.at(this.pos) == 0x49 /* I */) {
        this.fail(this.pos, "NaN and Infinity are not allowed");
        return;
      }
    }
    if (this.pos >= this.len || this.at(this.pos) < 0x30 || this.at(this.pos) > 0x39) {
      this.fail(this.pos, "expected a digit");
      return;
    }
    if (this.at(this.pos) == 0x30) {
      this.pos++;
      if (this.pos < this.len && this.at(this.pos) >= 0x30 && this.at(this.pos) <= 0x39) {
        this.fail(this.pos - 1, "leading zero in number");
        return;
      }
    } else {
      this.digits();
    }
    if (this.pos < this.len && this.at(this.pos) == 0x2e /* . */) {
      integral = false;
      this.pos++;
      if (this.digits() == 0) {
        this.fail(this.pos, "expected a digit after '.'");
        return;
      }
    }
    if (this.pos < this.len && (this.at(this.pos) | 0x20) == 0x65 /* e E */) {
      integral = false;
      this.pos++;
      if (this.pos < this.len && (this.at(this.pos) == 0x2b || this.at(this.pos) == 0x2d)) this.pos++;
      if (this.digits() == 0) {
        this.fail(this.pos, "expected a digit in the exponent");
        return;
      }
    }
    const n = this.pos - start;
    if (n > MAX_NUMBER_CHARS) {
      this.fail(start, "number longer than " + MAX_NUMBER_CHARS.toString() + " characters");
      return;
    }
    const text = String.UTF8.decodeUnsafe(this.ptr + <usize>start, <usize>n);
    const value = parseFloat(text);
    if (integral && this.exactInteger(start, this.pos)) {
      this.complete(new JsonNumber(text, value, true, this.integer));
    } else {
      this.complete(new JsonNumber(text, value, false, 0));
    }
  }

  // Whether the digits in [start, end), with an optional leading '-', fit an i64 (into `integer`).
  private exactInteger(start: i32, end: i32): bool {
    const negative = this.at(start) == 0x2d;
    let magnitude: u64 = 0;
    // 2^63 for a negative number, 2^63 - 1 otherwise.
    const limit: u64 = negative ? <u64>i64.MAX_VALUE + 1 : <u64>i64.MAX_VALUE;
    for (let i = negative ? start + 1 : start; i < end; i++) {
      const d = <u64>(this.at(i) - 0x30);
      if (magnitude > (limit - d) / 10) return false;
      magnitude = magnitude * 10 + d;
    }
    this.integer = negative ? -(<i64>magnitude) : <i64>magnitude;
    return true;
  }

  // At an opening quote. Leaves pos after the closing quote and strStart/strEnd on the content.
  private string(): void {
    const open = this.pos;
    this.pos++;
    this.strStart = this.pos;
    this.strEscaped = false;
    while (true) {
      if (this.pos >= this.len) {
        this.fail(open, "unterminated string");
        return;
      }
      const c = this.at(this.pos);
      if (c == 0x22) {
        this.strEnd = this.pos;
        this.pos++;
        return;
      }
      if (c == 0x5c) {
        this.strEscaped = true;
        if (!this.escape()) return;
      } else if (c < 0x20) {
        this.fail(this.pos, "unescaped control character in string");
        return;
      } else if (c < 0x80) {
        this.pos++;
      } else if (!this.utf8Sequence(c)) {
        return;
      }
    }
  }

  // At a backslash inside a string.
  private escape(): bool {
    const start = this.pos;
    if (this.pos + 1 >= this.len) {
      this.fail(start, "unterminated string");
      return false;
    }
    const e = this.at(this.pos + 1);
    if (e == 0x22 || e == 0x5c || e == 0x2f || e == 0x62 || e == 0x66 || e == 0x6e || e == 0x72 || e == 0x74) {
      this.pos += 2;
      return true;
    }
    if (e != 0x75 /* u */) {
      this.fail(start, "invalid escape sequence");
      return false;
    }
    const unit = this.hex4(this.pos + 2);
    if (unit < 0) {
      this.fail(start, "invalid \\u escape");
      return false;
    }
    this.pos += 6;
    if (unit >= 0xdc00 && unit <= 0xdfff) {
      this.fail(start, "unpaired surrogate in \\u escape");
      return false;
    }
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const low = this.pos + 6 <= this.len && this.at(this.pos) == 0x5c && this.at(this.pos + 1) == 0x75
        ? this.hex4(this.pos + 2)
        : -1;
      if (low < 0xdc00 || low > 0xdfff) {
        this.fail(start, "unpaired surrogate in \\u escape");
        return false;
      }
      this.pos += 6;
    }
    return true;
  }

  // The value of four hex digits at `at`, or -1.
  private hex4(at: i32): i32 {
    if (at + 4 > this.len) return -1;
    let v = 0;
    for (let i = 0; i < 4; i++) {
      const c = this.at(at + i);
      let d: i32;
      if (c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66) d = (c | 0x20) - 0x61 + 10;
      else return -1;
      v = (v << 4) | d;
    }
    return v;
  }

  // At a byte >= 0x80 inside a string: checks one UTF-8 sequence (Unicode table 3-7).
  private utf8Sequence(lead: i32): bool {
    const start = this.pos;
    let count: i32;
    let lo = 0x80;
    let hi = 0xbf;
    if (lead < 0xc0) {
      this.fail(start, "invalid UTF-8: unexpected continuation byte");
      return false;
    } else if (lead < 0xc2) {
      this.fail(start, "invalid UTF-8: overlong encoding");
      return false;
    } else if (lead < 0xe0) {
      count = 1;
    } else if (lead < 0xf0) {
      count = 2;
      if (lead == 0xe0) lo = 0xa0;
      else if (lead == 0xed) hi = 0x9f;
    } else if (lead < 0xf5) {
      count = 3;
      if (lead == 0xf0) lo = 0x90;
      else if (lead == 0xf4) hi = 0x8f;
    } else {
      this.fail(start, "invalid UTF-8: byte 0x" + HEX_DIGITS.charAt(lead >> 4) + HEX_DIGITS.charAt(lead & 15));
      return false;
    }
    for (let i = 1; i <= count; i++) {
      if (start + i >= this.len) {
        this.fail(start, "invalid UTF-8: truncated sequence");
        return false;
      }
      const c = this.at(start + i);
      if (c < 0x80 || c > 0xbf) {
        this.fail(start, "invalid UTF-8: truncated sequence");
        return false;
      }
      if (i == 1 && (c < lo || c > hi)) {
        if (lead == 0xe0 || lead == 0xf0) this.fail(start, "invalid UTF-8: overlong encoding");
        else if (lead == 0xed) this.fail(start, "invalid UTF-8: surrogate code point");
        else this.fail(start, "invalid UTF-8: code point above U+10FFFF");
        return false;
      }
    }
    this.pos = start + count + 1;
    return true;
  }

  // Inside an object, where a key is due.
  private key(): i32 {
    const level = this.depth - 1;
    if (this.pos >= this.len || this.at(this.pos) != 0x22) {
      this.fail(this.pos, "expected a string key");
      return AFTER_VALUE;
    }
    this.string();
    if (this.problem !== null) return AFTER_VALUE;
    const key = this.decodeString();
    if (changetype<JsonObject>(unchecked(this.containers[level])).has(key)) {
      this.problem = new JsonProblem(this.strStart - 1, shownPath(this.containerPath(level)),
        "duplicate key " + quoteForMessage(key));
      return AFTER_VALUE;
    }
    unchecked((this.keys[level] = key));
    this.skipWhitespace();
    if (this.pos >= this.len || this.at(this.pos) != 0x3a /* : */) {
      this.fail(this.pos, "expected ':'");
      return AFTER_VALUE;
    }
    this.pos++;
    this.skipWhitespace();
    return WANT_VALUE;
  }

  // After a value inside a container (whitespace skipped).
  private afterElement(): i32 {
    const level = this.depth - 1;
    const inObject = unchecked(this.kinds[level]) == IN_OBJECT;
    const close = inObject ? 0x7d : 0x5d;
    if (this.pos < this.len) {
      const c = this.at(this.pos);
      if (c == close) {
        this.pos++;
        this.close();
        return AFTER_VALUE;
      }
      if (c == 0x2c /* , */) {
        const comma = this.pos;
        this.pos++;
        this.skipWhitespace();
        if (this.pos < this.len && this.at(this.pos) == close) {
          this.fail(comma, "trailing comma");
          return AFTER_VALUE;
        }
        return inObject ? WANT_KEY : WANT_VALUE;
      }
    }
    this.fail(this.pos, inObject ? "expected ',' or '}'" : "expected ',' or ']'");
    return AFTER_VALUE;
  }

  // The path of the container open at `level`.
  private containerPath(level: i32): string {
    let path = "";
    for (let i = 0; i < level; i++) {
      path = unchecked(this.kinds[i]) == IN_OBJECT
        ? memberPath(path, unchecked(this.keys[i]))
        : elementPath(path, changetype<JsonArray>(unchecked(this.containers[i])).items.length);
    }
    return path;
  }

  // The last read (valid) string, unescaped.
  private decodeString(): string {
    const start = this.strStart;
    const end = this.strEnd;
    if (!this.strEscaped) return String.UTF8.decodeUnsafe(this.ptr + <usize>start, <usize>(end - start));
    const parts = new Array<string>();
    let run = start;
    let i = start;
    while (i < end) {
      if (this.at(i) != 0x5c) {
        i++;
        continue;
      }
      if (i > run) parts.push(String.UTF8.decodeUnsafe(this.ptr + <usize>run, <usize>(i - run)));
      const e = this.at(i + 1);
      if (e == 0x75) {
        parts.push(String.fromCharCode(this.hex4(i + 2)));
        i += 6;
      } else {
        let c = e; // '"', '\\', '/'
        if (e == 0x62) c = 0x08;
        else if (e == 0x66) c = 0x0c;
        else if (e == 0x6e) c = 0x0a;
        else if (e == 0x72) c = 0x0d;
        else if (e == 0x74) c = 0x09;
        parts.push(String.fromCharCode(c));
        i += 2;
      }
      run = i;
    }
    if (end > run) parts.push(String.UTF8.decodeUnsafe(this.ptr + <usize>run, <usize>(end - run)));
    return parts.join("");
  }
}
