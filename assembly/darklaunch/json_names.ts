// How the paths of differing values are spelled (docs/json-comparison.md, "Naming what
// differs"): written byte by byte into a name buffer of NAME_WIDTH bytes as a reader goes down a
// document, so that every leaf's full name is at hand. Only NAME_KEPT bytes are stored; a longer
// name is marked cut (json_sketch.ts). test/support/json-twins.ts (pathName) restates these rules.
import { NAME_CUT_MARK, NAME_KEPT, NAME_WIDTH } from "./json_sketch";
import { HIGHS, ONES } from "./json_text";

/**
 * Writes byte `c` of a path name at `at` when it is within the kept bytes, else marks the name
 * cut (json_sketch.ts, NAME_WIDTH); returns at + 1.
 */
// @ts-ignore: decorator
@inline export function putByte(names: usize, at: i32, c: i32): i32 {
  store<u8>(names + <usize>min(at, NAME_KEPT), at < NAME_KEPT ? <u8>c : NAME_CUT_MARK);
  return at + 1;
}

/**
 * The next element's segment in place of the one before: adds one to the decimal digits in
 * [from, to) of a name followed by "]" (all kept); 9 → 10 moves the "]" one byte on. Returns
 * the new end of the name. Cheaper than writing the index anew for every element.
 */
export function countUpElement(names: usize, from: i32, to: i32): i32 {
  let i = to - 1;
  while (i >= from && load<u8>(names + <usize>i) == 0x39) {
    store<u8>(names + <usize>i, 0x30);
    i--;
  }
  if (i >= from) {
    store<u8>(names + <usize>i, load<u8>(names + <usize>i) + 1);
    return to + 1;
  }
  // All nines: 1 followed by zeros, one digit longer.
  putByte(names, from, 0x31);
  putByte(names, to, 0x30);
  return putByte(names, to + 1, 0x5d);
}

/** `[index]` at `at`; returns the new end of the name. */
export function putElementSegment(names: usize, at: i32, index: i32): i32 {
  return putByte(names, putDecimal(names, putByte(names, at, 0x5b), index), 0x5d);
}

/** The decimal digits of `v` (≥ 0) at `at`; returns the end. */
function putDecimal(names: usize, at: i32, v: i32): i32 {
  let digits = 1;
  for (let t = v; t >= 10; t /= 10) digits++;
  let pos = at + digits - 1;
  for (let t = v; ; t /= 10) {
    putByte(names, pos, 0x30 + t % 10);
    pos--;
    if (t < 10) break;
  }
  return at + digits;
}

function putEscape(names: usize, at: i32, unit: i32): i32 {
  const HEX = "0123456789abcdef";
  at = putByte(names, at, 0x5c);
  at = putByte(names, at, 0x75);
  at = putByte(names, at, HEX.charCodeAt((unit >> 12) & 15));
  at = putByte(names, at, HEX.charCodeAt((unit >> 8) & 15));
  at = putByte(names, at, HEX.charCodeAt((unit >> 4) & 15));
  return putByte(names, at, HEX.charCodeAt(unit & 15));
}

// Byte-wise comparisons of 8 bytes at once, for bytes below 0x80: the high bit of each byte of
// `atLeast(x, n)` is set where that byte is ≥ n (1 ≤ n ≤ 0x80; no carry crosses a byte).
// @ts-ignore: decorator
@inline function atLeast(x: u64, n: u64): u64 {
  return (x + (0x80 - n) * ONES) & HIGHS;
}
// @ts-ignore: decorator
@inline function within(x: u64, lo: u64, hi: u64): u64 {
  return atLeast(x, lo) & ~atLeast(x, hi + 1);
}

/** The high bit of each byte of `w` that may stand in a bare name ([A-Za-z0-9_$@-], isNameByte). */
// @ts-ignore: decorator
@inline function nameBytes(w: u64): u64 {
  const x = w & ~HIGHS; // non-ASCII bytes are refused by the caller
  const letters = within(x | (0x20 * ONES), 0x61, 0x7a); // A-Z folded onto a-z
  const digits = within(x, 0x30, 0x39);
  const signs = within(x, 0x24, 0x24) | within(x, 0x2d, 0x2d) | within(x, 0x40, 0x40) | within(x, 0x5f, 0x5f);
  return (letters | digits | signs) & ~(w & HIGHS);
}

/**
 * Whether a key of `keyLen` bytes at `keys` is spelled as a bare name (its first NAME_WIDTH
 * bytes decide), a word at a time. The buffer at `keys` must have 7 readable bytes past them.
 */
export function isPlainName(keys: usize, keyLen: i32): bool {
  const kept = min(keyLen, NAME_WIDTH);
  if (kept <= 0) return false;
  let i = 0;
  for (; i + 8 <= kept; i += 8) {
    if (nameBytes(load<u64>(keys + <usize>i)) != HIGHS) return false;
  }
  if (i == kept) return true;
  // The last 1–7 bytes; the bytes past the key read as "a".
  const keep = ((<u64>1) << (<u64>(kept - i) << 3)) - 1;
  const w = (load<u64>(keys + <usize>i) & keep) | (0x6161616161616161 & ~keep);
  return nameBytes(w) == HIGHS;
}

/**
 * Appends the member's segment to the path name at `at`: `.name` (no dot at the root) when the
 * key is a plain name of the path grammar, else `["…"]` with JSON escapes, and also escapes for
 * the comma, space and "=" so that a list of names fits a log line. Returns the new length.
 * A key longer than NAME_WIDTH bytes makes a cut name, spelled from its first NAME_WIDTH bytes
 * alone (whatever the ignored paths, so names never depend on them).
 */
export function putMemberSegment(names: usize, at: i32, keys: usize, keyLen: i32): i32 {
  const kept = min(keyLen, NAME_WIDTH);
  const plain = isPlainName(keys, keyLen);
  if (plain) {
    if (at > 0) at = putByte(names, at, 0x2e);
    if (at + kept <= NAME_KEPT) {
      // Whole words: the name buffer and the key buffer both have 8 spare bytes, and the bytes
      // past a name's end are never read (json_sketch.ts masks them off).
      for (let i = 0; i < kept; i += 8) store<u64>(names + <usize>(at + i), load<u64>(keys + <usize>i));
      at += kept;
    } else {
      for (let i = 0; i < kept; i++) at = putByte(names, at, <i32>load<u8>(keys + <usize>i));
    }
  } else {
    at = putByte(names, at, 0x5b);
    at = putByte(names, at, 0x22);
    for (let i = 0; i < kept; i++) {
      const c = <i32>load<u8>(keys + <usize>i);
      if (c == 0x22 || c == 0x5c) {
        at = putByte(names, at, 0x5c);
        at = putByte(names, at, c);
      } else if (c <= 0x20 || c == 0x2c || c == 0x3d) {
        at = putEscape(names, at, c);
      } else if (c == 0xed && i + 2 < kept && <i32>load<u8>(keys + <usize>i + 1) >= 0xa0) {
        // A lone surrogate (kept in its 3-byte form): written back as its escape.
        const unit = 0xd000 | ((<i32>load<u8>(keys + <usize>i + 1) & 0x3f) << 6) | (<i32>load<u8>(keys + <usize>i + 2) & 0x3f);
        at = putEscape(names, at, unit);
        i += 2;
      } else {
        at = putByte(names, at, c);
      }
    }
    if (keyLen == kept) {
      at = putByte(names, at, 0x22);
      at = putByte(names, at, 0x5d);
    }
  }
  if (keyLen > kept) {
    // The rest of the key is not spelled: the name is cut (it would be longer than kept anyway).
    putByte(names, NAME_KEPT, 0);
    at = max(at, NAME_WIDTH);
  }
  return at;
}
