// JSON paths of contract §2.3 (`compare.body.ignore`) and §2.7 (`samples.redact`): the grammar,
// its compiler, a compiled set of up to 64 paths, and an incremental matcher that is told, level
// by level, which member or element a streaming reader enters and answers whether the value there
// is matched. Grammar and choices: docs/json-comparison.md, "Paths".
//
//   path    = first *rest
//   first   = name / "*" / "**" / bracket
//   rest    = "." ( name / "*" / "**" / bracket ) / bracket
//   bracket = "[" ( "*" / index / json-string ) "]"     ; [*] any element, [N] element N, ["a.b"] a member
//   name    = 1*( ALPHA / DIGIT / "_" / "$" / "@" / "-" )
//   index   = "0" / ( %x31-39 *DIGIT )                   ; at most 2147483647
//
// Matching is a small NFA over all paths at once: every segment of every path is a position, a
// state is the bitset of positions reached, and `**` is a position that loops on any segment.

import { quoteForMessage } from "./json_message";
import { hashBytes } from "./json_hash";

// @ts-ignore: decorator
@inline export const SEG_NAME: u8 = 0;
// @ts-ignore: decorator
@inline export const SEG_ANY_MEMBER: u8 = 1;
// @ts-ignore: decorator
@inline export const SEG_ANY_ELEMENT: u8 = 2;
// @ts-ignore: decorator
@inline export const SEG_INDEX: u8 = 3;
// @ts-ignore: decorator
@inline export const SEG_ANY_DEPTH: u8 = 4;

/** Most paths in one list (the config parser enforces it; the set takes any number). */
export const MAX_JSON_PATHS: i32 = 64;
/** Longest path accepted, in bytes. */
export const MAX_JSON_PATH_BYTES: i32 = 1024;
/** Most segments in one path: more could never match, JSON nesting stops at 128 levels. */
export const MAX_JSON_PATH_SEGMENTS: i32 = 129;

/** One compiled path: its segments from the root. */
export class JsonPath {
  constructor(
    /** The path as written. */
    readonly text: string,
    readonly kinds: StaticArray<u8>,
    /** The member name of each SEG_NAME segment (unescaped UTF-8), else null. */
    readonly names: StaticArray<ArrayBuffer | null>,
    /** The element of each SEG_INDEX segment, else 0. */
    readonly indexes: StaticArray<i32>,
  ) {}

  get length(): i32 {
    return this.kinds.length;
  }
}

/** A compiled path, or the message saying why the text is not one. */
export class JsonPathResult {
  constructor(
    readonly path: JsonPath | null,
    readonly error: string | null,
  ) {}
}

// ---- the parser ----

class SegmentList {
  kinds: u8[] = [];
  names: Array<ArrayBuffer | null> = [];
  indexes: i32[] = [];

  push(kind: u8, name: ArrayBuffer | null, index: i32): void {
    this.kinds.push(kind);
    this.names.push(name);
    this.indexes.push(index);
  }
}

/**
 * Compiles one path. The error message names the path and what is wrong, without any location
 * in the configuration (the caller prefixes it), e.g.
 * `invalid JSON path "items[x]": expected *, an index or a quoted name after "[" at character 7`.
 */
export function parseJsonPath(text: string): JsonPathResult {
  const bytes = String.UTF8.encode(text);
  const parser = new PathParser(changetype<usize>(bytes), bytes.byteLength);
  const problem = parser.run();
  if (problem !== null) {
    return new JsonPathResult(null, "invalid JSON path " + quoteForMessage(text) + ": " + problem);
  }
  const list = parser.segments;
  const n = list.kinds.length;
  const kinds = new StaticArray<u8>(n);
  const names = new StaticArray<ArrayBuffer | null>(n);
  const indexes = new StaticArray<i32>(n);
  for (let i = 0; i < n; i++) {
    kinds[i] = list.kinds[i];
    names[i] = list.names[i];
    indexes[i] = list.indexes[i];
  }
  return new JsonPathResult(new JsonPath(text, kinds, names, indexes), null);
}


/** Whether byte `c` may stand in a bare name: [A-Za-z0-9_$@-], as two 64-bit masks of ASCII. */
// @ts-ignore: decorator
@inline export function isNameByte(c: i32): bool {
  // Bits 36 ($), 45 (-), 48-57 (0-9); then 64 (@), 65-90 (A-Z), 95 (_), 97-122 (a-z).
  const low: u64 = 0x03ff201000000000;
  const high: u64 = 0x07fffffe87ffffff;
  return <u32>c < 128 && (((c < 64 ? low : high) >> <u64>(c & 63)) & 1) != 0;
}

class PathParser {
  segments: SegmentList = new SegmentList();
  private pos: i32 = 0;

  constructor(private ptr: usize, private len: i32) {}

  // @ts-ignore: decorator
  @inline private at(i: i32): i32 {
    return i < this.len ? <i32>load<u8>(this.ptr + <usize>i) : -1;
  }

  /** Where a problem is, for a message: 1-based character (byte) position. */
  private where(i: i32): string {
    return " at character " + (i + 1).toString();
  }

  /** Null when the whole text is a path, else what is wrong. */
  run(): string | null {
    if (this.len == 0) return "the path is empty";
    if (this.len > MAX_JSON_PATH_BYTES) return "longer than " + MAX_JSON_PATH_BYTES.toString() + " bytes";
    let problem = this.step(true);
    while (problem === null && this.pos < this.len) {
      const c = this.at(this.pos);
      if (c == 0x2e /* . */) {
        this.pos++;
        if (this.pos >= this.len) return "ends with \".\"";
        if (this.at(this.pos) == 0x2e) return "empty segment (\"..\")" + this.where(this.pos);
        problem = this.step(false);
      } else if (c == 0x5b /* [ */) {
        problem = this.bracket();
      } else {
        return "expected \".\" or \"[\" after a segment" + this.where(this.pos) + this.found(this.pos);
      }
      if (problem === null && this.segments.kinds.length > MAX_JSON_PATH_SEGMENTS) {
        return "more than " + MAX_JSON_PATH_SEGMENTS.toString() + " segments (JSON nests at most 128 levels)";
      }
    }
    return problem;
  }

  /** A segment after the start or after ".": a name, `*`, `**` or a bracket. */
  private step(first: bool): string | null {
    const start = this.pos;
    const c = this.at(start);
    if (c == 0x5b /* [ */) return this.bracket();
    if (c == 0x2a /* * */) {
      if (this.at(start + 1) == 0x2a) {
        if (this.at(start + 2) == 0x2a) return "\"***\" is not a segment (use * or **)" + this.where(start);
        if (isNameByte(this.at(start + 2))) return "\"**\" must be a whole segment" + this.where(start);
        this.pos = start + 2;
        this.segments.push(SEG_ANY_DEPTH, null, 0);
        return null;
      }
      if (isNameByte(this.at(start + 1))) return "\"*\" must be a whole segment (names have no wildcards)" + this.where(start);
      this.pos = start + 1;
      this.segments.push(SEG_ANY_MEMBER, null, 0);
      return null;
    }
    let end = start;
    while (end < this.len && isNameByte(this.at(end))) end++;
    if (end == start) {
      if (c == 0x2e) return first ? "starts with \".\"" : "empty segment" + this.where(start);
      return "expected a member name, *, ** or [" + this.where(start) + this.found(start) +
        " (quote other names: [\"a b\"])";
    }
    if (end < this.len && this.at(end) == 0x2a) return "\"*\" must be a whole segment (names have no wildcards)" + this.where(end);
    const name = new ArrayBuffer(end - start);
    memory.copy(changetype<usize>(name), this.ptr + <usize>start, end - start);
    this.segments.push(SEG_NAME, name, 0);
    this.pos = end;
    return null;
  }

  /** `[*]`, `[N]` or `["name"]`, with `pos` at the "[". */
  private bracket(): string | null {
    const open = this.pos;
    let i = open + 1;
    const c = this.at(i);
    if (c == 0x2a /* * */) {
      if (this.at(i + 1) != 0x5d) return "expected \"]\" after \"[*\"" + this.where(i + 1);
      this.segments.push(SEG_ANY_ELEMENT, null, 0);
      this.pos = i + 2;
      return null;
    }
    if (c >= 0x30 && c <= 0x39) {
      if (c == 0x30 && this.at(i + 1) >= 0x30 && this.at(i + 1) <= 0x39) return "index with a leading zero" + this.where(i);
      let v: i64 = 0;
      while (this.at(i) >= 0x30 && this.at(i) <= 0x39) {
        v = v * 10 + <i64>(this.at(i) - 0x30);
        if (v > <i64>i32.MAX_VALUE) return "index larger than " + i32.MAX_VALUE.toString() + this.where(open + 1);
        i++;
      }
      if (this.at(i) != 0x5d) return "expected \"]\" after the index" + this.where(i) + this.found(i);
      this.segments.push(SEG_INDEX, null, <i32>v);
      this.pos = i + 1;
      return null;
    }
    if (c == 0x22 /* " */) return this.quoted(open);
    if (c == 0x2d /* - */) return "negative indexes are not supported" + this.where(i);
    if (c == 0x27 /* ' */) return "quote names with double quotes: [\"name\"]" + this.where(i);
    if (c < 0) return "unclosed \"[\"" + this.where(open);
    return "expected *, an index or a quoted name after \"[\"" + this.where(i) + this.found(i);
  }

  /** `["…"]`: the name is a JSON string (same escapes); `pos` at the "[". */
  private quoted(open: i32): string | null {
    const out = new Array<u8>();
    let i = open + 2;
    while (true) {
      const c = this.at(i);
      if (c < 0) return "unterminated quoted name" + this.where(open + 1);
      if (c == 0x22) break;
      if (c < 0x20) return "control character in a quoted name (escape it)" + this.where(i);
      if (c != 0x5c /* \ */) {
        out.push(<u8>c);
        i++;
        continue;
      }
      const e = this.at(i + 1);
      let unit: i32 = -1;
      if (e == 0x22 || e == 0x5c || e == 0x2f) unit = e;
      else if (e == 0x62) unit = 0x08;
      else if (e == 0x66) unit = 0x0c;
      else if (e == 0x6e) unit = 0x0a;
      else if (e == 0x72) unit = 0x0d;
      else if (e == 0x74) unit = 0x09;
      else if (e == 0x75 /* u */) {
        let cp = this.hex4(i + 2);
        if (cp < 0) return "bad \\u escape in a quoted name (four hex digits)" + this.where(i);
        i += 6;
        if (cp >= 0xd800 && cp <= 0xdbff && this.at(i) == 0x5c && this.at(i + 1) == 0x75) {
          const low = this.hex4(i + 2);
          if (low >= 0xdc00 && low <= 0xdfff) {
            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
            i += 6;
          }
        }
        // A lone surrogate becomes its 3-byte form, as the digest does (docs/json-comparison.md).
        pushUtf8(out, cp);
        continue;
      }
      if (unit < 0) return "bad escape in a quoted name" + this.where(i);
      out.push(<u8>unit);
      i += 2;
    }
    if (this.at(i + 1) != 0x5d) return "expected \"]\" after the quoted name" + this.where(i + 1) + this.found(i + 1);
    const name = new ArrayBuffer(out.length);
    for (let k = 0; k < out.length; k++) store<u8>(changetype<usize>(name) + <usize>k, out[k]);
    this.segments.push(SEG_NAME, name, 0);
    this.pos = i + 2;
    return null;
  }

  private hex4(i: i32): i32 {
    let v = 0;
    for (let k = 0; k < 4; k++) {
      const d = hexValue(this.at(i + k));
      if (d < 0) return -1;
      v = (v << 4) | d;
    }
    return v;
  }

  /** ` (found "x")` for a message, or ` (found the end)`. */
  private found(i: i32): string {
    if (i >= this.len) return " (found the end)";
    const c = this.at(i);
    if (c >= 0x20 && c < 0x7f) return " (found \"" + String.fromCharCode(c) + "\")";
    return " (found byte 0x" + (c < 16 ? "0" : "") + c.toString(16) + ")";
  }
}

// @ts-ignore: decorator
@inline export function hexValue(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

/** Appends code point (or lone surrogate) `cp` as UTF-8. */
function pushUtf8(out: Array<u8>, cp: i32): void {
  if (cp < 0x80) {
    out.push(<u8>cp);
  } else if (cp < 0x800) {
    out.push(<u8>(0xc0 | (cp >> 6)));
    out.push(<u8>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out.push(<u8>(0xe0 | (cp >> 12)));
    out.push(<u8>(0x80 | ((cp >> 6) & 0x3f)));
    out.push(<u8>(0x80 | (cp & 0x3f)));
  } else {
    out.push(<u8>(0xf0 | (cp >> 18)));
    out.push(<u8>(0x80 | ((cp >> 12) & 0x3f)));
    out.push(<u8>(0x80 | ((cp >> 6) & 0x3f)));
    out.push(<u8>(0x80 | (cp & 0x3f)));
  }
}

// ---- the compiled set ----

/**
 * Paths compiled together: every segment of every path is a position of one NFA, and a state is
 * a bitset of positions. One step is a few operations per 64-bit word whatever the number of
 * paths: masks of the positions of each kind, and, for member names, a hash table from a name to
 * the mask of the positions with that name. Immutable once built, shared by every reader (the
 * digests of all pairs, redaction).
 */
export class JsonPathSet {
  static readonly EMPTY: JsonPathSet = new JsonPathSet([]);

  /** Position count, and 64-bit words per state bitset. */
  readonly positions: i32;
  readonly words: i32;
  /** Masks of the positions of each kind (`words` words each). */
  readonly anyDepth: StaticArray<u64>;
  readonly anyMember: StaticArray<u64>;
  readonly anyElement: StaticArray<u64>;
  readonly indexed: StaticArray<u64>;
  readonly matched: StaticArray<u64>;
  /** The element of each SEG_INDEX position. */
  readonly indexes: StaticArray<i32>;
  /** Positions reached before any segment (the closure of every path's start). */
  readonly initial: StaticArray<u64>;
  /** Longest run of `**` in a path: how far a closure can spread. */
  readonly depthRun: i32;
  /** Longest member name in any path: a reader keeps keys up to this long to compare them. */
  readonly longestName: i32;
  // Member names: open addressing on FNV-1a, slot → name number (or -1); each name's bytes and mask.
  private readonly slots: StaticArray<i32>;
  private readonly nameBytes: ArrayBuffer[] = [];
  private readonly nameMasks: StaticArray<u64>;

  constructor(readonly paths: JsonPath[]) {
    let n = 0;
    for (let i = 0; i < paths.length; i++) n += paths[i].length + 1;
    this.positions = n;
    const words = (n + 63) >> 6;
    this.words = words;
    this.anyDepth = new StaticArray<u64>(words);
    this.anyMember = new StaticArray<u64>(words);
    this.anyElement = new StaticArray<u64>(words);
    this.indexed = new StaticArray<u64>(words);
    this.matched = new StaticArray<u64>(words);
    this.indexes = new StaticArray<i32>(n);
    this.initial = new StaticArray<u64>(words);
    // Distinct names first, to size the table and the masks.
    const distinct = new Array<ArrayBuffer>();
    let longest = 0;
    for (let i = 0; i < paths.length; i++) {
      const path = paths[i];
      for (let k = 0; k < path.length; k++) {
        const name = path.names[k];
        if (name === null || findName(distinct, name) >= 0) continue;
        distinct.push(name);
        longest = max(longest, name.byteLength);
      }
    }
    this.longestName = longest;
    let size = 8;
    while (size < distinct.length * 2) size <<= 1;
    const slots = new StaticArray<i32>(size);
    const nameMasks = new StaticArray<u64>(max(distinct.length, 1) * words);
    this.slots = slots;
    this.nameMasks = nameMasks;
    for (let i = 0; i < size; i++) slots[i] = -1;
    for (let i = 0; i < distinct.length; i++) {
      const name = distinct[i];
      let slot = slotOf(hashBytes(changetype<usize>(name), name.byteLength), size - 1);
      while (slots[slot] >= 0) slot = (slot + 1) & (size - 1);
      slots[slot] = i;
      this.nameBytes.push(name);
    }
    let depthRun = 0;
    let q = 0;
    for (let i = 0; i < paths.length; i++) {
      const path = paths[i];
      const start = q;
      let run = 0;
      for (let k = 0; k < path.length; k++, q++) {
        const kind = path.kinds[k];
        run = kind == SEG_ANY_DEPTH ? run + 1 : 0;
        depthRun = max(depthRun, run);
        if (kind == SEG_ANY_DEPTH) setBit(this.anyDepth, q);
        else if (kind == SEG_ANY_MEMBER) setBit(this.anyMember, q);
        else if (kind == SEG_ANY_ELEMENT) setBit(this.anyElement, q);
        else if (kind == SEG_INDEX) {
          setBit(this.indexed, q);
          this.indexes[q] = path.indexes[k];
        } else {
          const name = findName(distinct, path.names[k]!);
          setBitAt(changetype<usize>(nameMasks) + (<usize>(name * words) << 3), q);
        }
      }
      setBit(this.matched, q); // the position after the last segment
      q++;
      setBitAt(changetype<usize>(this.initial), start);
    }
    this.depthRun = depthRun;
    closeOver(this, changetype<usize>(this.initial));
  }

  get isEmpty(): bool {
    return this.positions == 0;
  }

  /**
   * The mask of the positions named `len` bytes at `ptr` (whose json_hash.ts hash is `hash`), or
   * 0 when no path has that name.
   */
  nameMask(ptr: usize, len: i32, hash: u64): usize {
    const slots = this.slots;
    const mask = slots.length - 1;
    let slot = slotOf(hash, mask);
    while (true) {
      const i = unchecked(slots[slot]);
      if (i < 0) return 0;
      const name = unchecked(this.nameBytes[i]);
      if (name.byteLength == len && memory.compare(changetype<usize>(name), ptr, <usize>len) == 0) {
        return changetype<usize>(this.nameMasks) + (<usize>(i * this.words) << 3);
      }
      slot = (slot + 1) & mask;
    }
  }

  /** Compiles `texts`; null when any is malformed (see `errors`). */
  static compile(texts: string[], errors: string[] = []): JsonPathSet | null {
    const paths = new Array<JsonPath>();
    for (let i = 0; i < texts.length; i++) {
      const r = parseJsonPath(texts[i]);
      const path = r.path;
      if (path === null) errors.push(r.error!);
      else paths.push(path);
    }
    if (errors.length > 0) return null;
    return paths.length == 0 ? JsonPathSet.EMPTY : new JsonPathSet(paths);
  }
}

function findName(names: ArrayBuffer[], name: ArrayBuffer): i32 {
  for (let i = 0; i < names.length; i++) {
    const n = names[i];
    if (n.byteLength == name.byteLength && memory.compare(changetype<usize>(n), changetype<usize>(name), <usize>n.byteLength) == 0) return i;
  }
  return -1;
}

/** Where a name's search starts in the table: from its hash (json_hash.ts), mixed, as a reader has it. */
// @ts-ignore: decorator
@inline function slotOf(hash: u64, mask: i32): i32 {
  return <i32>((hash * 0x9e3779b97f4a7c15) >> 40) & mask;
}

function setBit(bits: StaticArray<u64>, i: i32): void {
  setBitAt(changetype<usize>(bits), i);
}

// @ts-ignore: decorator
@inline function setBitAt(base: usize, i: i32): void {
  const at = base + (<usize>(i >> 6) << 3);
  store<u64>(at, load<u64>(at) | ((<u64>1) << <u64>(i & 63)));
}

/**
 * Closes the state at `bits` under the empty moves: a `**` position may also take no level, so
 * the position after it is reached too (and after a run of them, each).
 */
function closeOver(set: JsonPathSet, bits: usize): void {
  const w = set.words;
  const depth = changetype<usize>(set.anyDepth);
  for (let round = 0; round < set.depthRun; round++) {
    let carry: u64 = 0;
    for (let k = 0; k < w; k++) {
      const at = bits + (<usize>k << 3);
      const d = load<u64>(at) & load<u64>(depth + (<usize>k << 3));
      store<u64>(at, load<u64>(at) | (d << 1) | carry);
      carry = d >> 63;
    }
  }
}

// ---- the incremental matcher ----

/** The deepest level a matcher follows: JSON values nest at most 128 levels (contract §2.3). */
// @ts-ignore: decorator
@inline export const MAX_MATCH_LEVELS: i32 = 130;

/**
 * Follows a reader down a JSON value: level 0 is the root value, level d + 1 a member or element
 * of the container at level d. Call `enterMember` / `enterElement` for level d + 1 before reading
 * the value there; each answers whether a path matches that value (then the whole value is
 * matched: the reader skips or redacts it and enters nothing below it). A level's state stays
 * valid until the next enter at the same level, so the reader may go back up freely.
 * Memory: one bitset per level reached, allocated on first use (grows with depth, never with size).
 */
export class JsonPathMatcher {
  private states: StaticArray<u64>;
  /** Whether any position is set at each level: most levels of most documents have none. */
  private live: StaticArray<bool> = new StaticArray<bool>(MAX_MATCH_LEVELS);
  private levels: i32 = 0;
  private readonly words: i32;

  constructor(readonly set: JsonPathSet) {
    const words = max(set.words, 1);
    this.words = words;
    this.levels = 8;
    this.states = new StaticArray<u64>(words * 8);
    this.reset();
  }

  /** Back to the root value, for a new document. */
  reset(): void {
    const set = this.set;
    const w = set.words;
    for (let i = 0; i < w; i++) unchecked((this.states[i] = unchecked(set.initial[i])));
    unchecked((this.live[0] = !set.isEmpty));
  }

  /** Whether a path matches the root value itself (e.g. `**`). */
  get rootMatched(): bool {
    return unchecked(this.live[0]) && this.anyMatched(0);
  }

  /** Enters member `name` (UTF-8, unescaped, `len` bytes at `ptr`) of the object at `level`. */
  enterMember(level: i32, ptr: usize, len: i32): bool {
    if (!unchecked(this.live[level])) {
      unchecked((this.live[level + 1] = false));
      return false;
    }
    return this.enterMemberHashed(level, ptr, len, hashBytes(ptr, len));
  }

  /**
   * `enterMember` for a reader that has the name's hash (json_hash.ts `finishBytes` of the whole
   * name) already. `ptr` needs to hold the name's bytes only when it is no longer than the set's
   * longest name (a longer one matches no name).
   */
  enterMemberHashed(level: i32, ptr: usize, len: i32, hash: u64): bool {
    if (!unchecked(this.live[level])) {
      unchecked((this.live[level + 1] = false));
      return false;
    }
    const set = this.set;
    const named = len <= set.longestName ? set.nameMask(ptr, len, hash) : 0;
    return this.step(level, named, changetype<usize>(set.anyMember), -1);
  }

  /** Enters element `index` of the array at `level`. */
  enterElement(level: i32, index: i32): bool {
    if (!unchecked(this.live[level])) {
      unchecked((this.live[level + 1] = false));
      return false;
    }
    return this.step(level, 0, changetype<usize>(this.set.anyElement), index);
  }

  /**
   * The state at level + 1 from the state at `level`: the positions whose segment takes this
   * member (`named`: its name's mask, or 0; `wildcard`: `*`) or element (`wildcard`: `[*]`, and
   * the `[N]` positions of this index) move on one; `**` positions stay; then the closure.
   */
  private step(level: i32, named: usize, wildcard: usize, index: i32): bool {
    if (level + 1 >= this.levels) this.grow(level + 2);
    const set = this.set;
    const w = set.words;
    const from = changetype<usize>(this.states) + (<usize>(level * this.words) << 3);
    const to = from + (<usize>this.words << 3);
    const depth = changetype<usize>(set.anyDepth);
    let carry: u64 = 0;
    let any: u64 = 0;
    for (let k = 0; k < w; k++) {
      const off = <usize>k << 3;
      const state = load<u64>(from + off);
      let takes = state & load<u64>(wildcard + off);
      if (named != 0) takes |= state & load<u64>(named + off);
      if (index >= 0) {
        let candidates = state & load<u64>(changetype<usize>(set.indexed) + off);
        while (candidates != 0) {
          const q = (k << 6) + <i32>ctz(candidates);
          candidates &= candidates - 1;
          if (unchecked(set.indexes[q]) == index) takes |= (<u64>1) << <u64>(q & 63);
        }
      }
      const next = (takes << 1) | carry | (state & load<u64>(depth + off));
      carry = takes >> 63;
      store<u64>(to + off, next);
      any |= next;
    }
    if (any != 0) closeOver(set, to);
    unchecked((this.live[level + 1] = any != 0));
    return any != 0 && this.anyMatched(level + 1);
  }

  private anyMatched(level: i32): bool {
    const set = this.set;
    const w = set.words;
    const at = changetype<usize>(this.states) + (<usize>(level * this.words) << 3);
    for (let k = 0; k < w; k++) {
      if ((load<u64>(at + (<usize>k << 3)) & unchecked(set.matched[k])) != 0) return true;
    }
    return false;
  }

  private grow(levels: i32): void {
    let n = this.levels;
    while (n < levels) n <<= 1;
    n = min(n, MAX_MATCH_LEVELS);
    const grown = new StaticArray<u64>(this.words * n);
    memory.copy(changetype<usize>(grown), changetype<usize>(this.states), <usize>(this.words * this.levels) << 3);
    this.states = grown;
    this.levels = n;
  }
}
