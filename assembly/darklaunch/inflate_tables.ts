// Deflate's Huffman decode tables (RFC 1951 §3.2): canonical codes from code lengths, decoded
// by table lookup instead of bit by bit. A code is looked up by its first ROOT bits in a root
// table; codes longer than that continue in a sub-table the root entry points to (the two-level
// layout of zlib's inftrees.c). Every entry already holds what the symbol means (literal byte,
// length or distance base and its extra bits, end of block), so the decoder does one load per
// symbol in the common case.
//
// Entry (u32): bits 0-7 the code bits to consume (for a sub-table link: the root bits),
// bits 8-15 flags (below), bits 16-31 the value (literal byte, length/distance base, code
// length symbol, or a sub-table's start index).

/** Flags of an entry: a literal byte. */
// @ts-ignore: decorator
@inline export const LITERAL: u32 = 0x80;
/** Flags: end of block. */
// @ts-ignore: decorator
@inline export const END_OF_BLOCK: u32 = 0x40;
/** Flags: link to a sub-table; the low 4 flag bits are its index bits. */
// @ts-ignore: decorator
@inline export const SUBTABLE: u32 = 0x20;
/** Flags: a symbol the stream must not use (lit/len 286-287, distance 30-31, an unused code). */
// @ts-ignore: decorator
@inline export const INVALID: u32 = 0x10;
// Flags below 0x10: a length, a distance or a code-length symbol, with that many extra bits.

/** Root index bits and worst-case table sizes (zlib's examples/enough.c: "enough 288 10 15",
 *  "enough 32 8 15", "enough 19 7 7"), so tables never grow. */
// @ts-ignore: decorator
@inline export const LITLEN_ROOT: i32 = 10;
// @ts-ignore: decorator
@inline export const LITLEN_ENOUGH: i32 = 1334;
// @ts-ignore: decorator
@inline export const DIST_ROOT: i32 = 8;
// @ts-ignore: decorator
@inline export const DIST_ENOUGH: i32 = 402;
// @ts-ignore: decorator
@inline export const CODELEN_ROOT: i32 = 7;
// @ts-ignore: decorator
@inline export const CODELEN_ENOUGH: i32 = 128;

// @ts-ignore: decorator
@inline const MAX_BITS: i32 = 15;

/** What each symbol means, without its code length: 288 lit/len, 32 distance, 19 code-length symbols. */
const LITLEN_MEANING: usize = memory.data(288 * 4, 16);
const DIST_MEANING: usize = memory.data(32 * 4, 16);
const CODELEN_MEANING: usize = memory.data(19 * 4, 16);

/** The fixed codes of block type 1 (RFC 1951 §3.2.6), built once. */
const FIXED_LITLEN: usize = memory.data(LITLEN_ENOUGH * 4, 16);
const FIXED_DIST: usize = memory.data(DIST_ENOUGH * 4, 16);

/** The fixed codes' lengths, written once before their tables are built. */
const FIXED_LENS: usize = memory.data(288 + 32);

/** Builder scratch (one build at a time): remaining codes per length, offsets, sorted symbols. */
const REMAINING: usize = memory.data(16 * 4, 16);
const OFFSETS: usize = memory.data(16 * 4, 16);
const SORTED: usize = memory.data(320 * 2, 16);

// Length symbols 257..285 and distance symbols 0..29: base value and extra bits.
const LENGTH_BASE: StaticArray<u16> = [
  3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258,
];
const LENGTH_EXTRA: StaticArray<u8> = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE: StaticArray<u16> = [
  1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145,
  8193, 12289, 16385, 24577,
];
const DIST_EXTRA: StaticArray<u8> = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];

/** The order in which a dynamic block lists the code lengths of the code-length code. */
export const CODELEN_ORDER: StaticArray<u8> = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

let staticBuilt = false;

// @ts-ignore: decorator
@inline function meaning(value: u32, flags: u32): u32 {
  return (value << 16) | (flags << 8);
}

/** Fills the symbol meanings and the fixed tables; every decoder calls it before its first block. */
export function buildStaticTables(): void {
  if (staticBuilt) return;
  for (let s = 0; s < 256; s++) store<u32>(LITLEN_MEANING + (<usize>s << 2), meaning(s, LITERAL));
  store<u32>(LITLEN_MEANING + (256 << 2), meaning(0, END_OF_BLOCK));
  for (let s = 257; s < 286; s++) {
    store<u32>(LITLEN_MEANING + (<usize>s << 2), meaning(LENGTH_BASE[s - 257], LENGTH_EXTRA[s - 257]));
  }
  store<u32>(LITLEN_MEANING + (286 << 2), meaning(0, INVALID));
  store<u32>(LITLEN_MEANING + (287 << 2), meaning(0, INVALID));
  for (let s = 0; s < 30; s++) store<u32>(DIST_MEANING + (<usize>s << 2), meaning(DIST_BASE[s], DIST_EXTRA[s]));
  store<u32>(DIST_MEANING + (30 << 2), meaning(0, INVALID));
  store<u32>(DIST_MEANING + (31 << 2), meaning(0, INVALID));
  for (let s = 0; s < 16; s++) store<u32>(CODELEN_MEANING + (<usize>s << 2), meaning(s, 0));
  store<u32>(CODELEN_MEANING + (16 << 2), meaning(16, 2));
  store<u32>(CODELEN_MEANING + (17 << 2), meaning(17, 3));
  store<u32>(CODELEN_MEANING + (18 << 2), meaning(18, 7));

  // The fixed codes: lengths 8 (0-143), 9 (144-255), 7 (256-279), 8 (280-287); 32 distances of 5.
  const fixedLens = FIXED_LENS;
  for (let s = 0; s < 288; s++) store<u8>(fixedLens + s, s < 144 ? 8 : s < 256 ? 9 : s < 280 ? 7 : 8);
  for (let s = 0; s < 32; s++) store<u8>(fixedLens + 288 + s, 5);
  const okLit = buildTable(fixedLens, 288, LITLEN_MEANING, FIXED_LITLEN, LITLEN_ROOT, LITLEN_ENOUGH, true);
  const okDist = buildTable(fixedLens + 288, 32, DIST_MEANING, FIXED_DIST, DIST_ROOT, DIST_ENOUGH, true);
  assert(okLit && okDist, "fixed Huffman tables");
  staticBuilt = true;
}

/** The fixed literal/length table (after buildStaticTables). */
export function fixedLitLenTable(): usize {
  return FIXED_LITLEN;
}

/** The fixed distance table (after buildStaticTables). */
export function fixedDistTable(): usize {
  return FIXED_DIST;
}

/** Builds the literal/length table of a dynamic block from `count` code lengths at `lens`. */
export function buildLitLenTable(lens: usize, count: i32, table: usize): bool {
  return buildTable(lens, count, LITLEN_MEANING, table, LITLEN_ROOT, LITLEN_ENOUGH, true);
}

/** Builds the distance table of a dynamic block from `count` code lengths at `lens`. */
export function buildDistTable(lens: usize, count: i32, table: usize): bool {
  return buildTable(lens, count, DIST_MEANING, table, DIST_ROOT, DIST_ENOUGH, true);
}

/** Builds the code-length code's table from its 19 code lengths at `lens`. */
export function buildCodeLenTable(lens: usize, table: usize): bool {
  return buildTable(lens, 19, CODELEN_MEANING, table, CODELEN_ROOT, CODELEN_ENOUGH, false);
}

// @ts-ignore: decorator
@inline function fill(table: usize, from: i32, to: i32, step: i32, entry: u32): void {
  for (let j = from; j < to; j += step) store<u32>(table + (<usize>j << 2), entry);
}

/**
 * Builds a decode table for the canonical code given by `count` code lengths (bytes at `lens`;
 * 0 = symbol unused). False when the lengths are no valid prefix code: over-subscribed, or
 * incomplete (allowed, as zlib allows it, only for a code of a single 1-bit symbol when
 * `allowSingle`). A code with no symbols at all gives a table whose every entry is INVALID
 * (a block may have no distance codes if it has no matches).
 */
function buildTable(
  lens: usize,
  count: i32,
  meanings: usize,
  table: usize,
  rootBits: i32,
  capacity: i32,
  allowSingle: bool,
): bool {
  memory.fill(REMAINING, 0, 16 * 4);
  for (let s = 0; s < count; s++) {
    const at = REMAINING + (<usize>load<u8>(lens + s) << 2);
    store<u32>(at, load<u32>(at) + 1);
  }
  let maxLen = MAX_BITS;
  while (maxLen > 0 && load<u32>(REMAINING + (<usize>maxLen << 2)) == 0) maxLen--;
  const rootSize = 1 << rootBits;
  const invalid = meaning(0, INVALID) | 1;
  if (maxLen == 0) {
    fill(table, 0, rootSize, 1, invalid);
    return true;
  }
  // Kraft sum: `left` is the number of unused codes of each length, going down the tree.
  let left = 1;
  for (let len = 1; len <= MAX_BITS; len++) {
    left = (left << 1) - <i32>load<u32>(REMAINING + (<usize>len << 2));
    if (left < 0) return false;
  }
  if (left > 0) {
    if (!allowSingle || maxLen != 1) return false;
    fill(table, 0, rootSize, 1, invalid);
  }
  // Symbols sorted by code length, then by value: the order of their canonical codes.
  store<u32>(OFFSETS + 4, 0);
  for (let len = 1; len < MAX_BITS; len++) {
    store<u32>(OFFSETS + (<usize>(len + 1) << 2), load<u32>(OFFSETS + (<usize>len << 2)) + load<u32>(REMAINING + (<usize>len << 2)));
  }
  let codes = 0;
  for (let s = 0; s < count; s++) {
    const len = <usize>load<u8>(lens + s);
    if (len == 0) continue;
    const at = OFFSETS + (len << 2);
    const slot = load<u32>(at);
    store<u16>(SORTED + (<usize>slot << 1), <u16>s);
    store<u32>(at, slot + 1);
    codes++;
  }
  // `code` is the current canonical code with its bits reversed (deflate sends codes from their
  // most significant bit, the bit reader delivers least significant first): the table index.
  let code = 0;
  let subPrefix = -1;
  let subStart = 0;
  let subBits = 0;
  let next = rootSize;
  for (let i = 0; i < codes; i++) {
    const symbol = <i32>load<u16>(SORTED + (<usize>i << 1));
    const len = <i32>load<u8>(lens + symbol);
    const what = load<u32>(meanings + (<usize>symbol << 2));
    if (len <= rootBits) {
      fill(table, code, rootSize, 1 << len, what | <u32>len);
    } else {
      const prefix = code & (rootSize - 1);
      if (prefix != subPrefix) {
        // As zlib sizes them: the fewest index bits that hold every code still to come under this
        // prefix, counted from the remaining codes of each length.
        let bits = len - rootBits;
        let room = 1 << bits;
        while (bits + rootBits < maxLen) {
          room -= <i32>load<u32>(REMAINING + (<usize>(bits + rootBits) << 2));
          if (room <= 0) break;
          bits++;
          room <<= 1;
        }
        if (next + (1 << bits) > capacity) return false;
        subPrefix = prefix;
        subStart = next;
        subBits = bits;
        next += 1 << bits;
        store<u32>(table + (<usize>prefix << 2), (<u32>subStart << 16) | ((SUBTABLE | <u32>subBits) << 8) | <u32>rootBits);
      }
      fill(table + (<usize>subStart << 2), code >> rootBits, 1 << subBits, 1 << (len - rootBits), what | <u32>(len - rootBits));
    }
    const at = REMAINING + (<usize>len << 2);
    store<u32>(at, load<u32>(at) - 1);
    // The next code of this length, in reversed bit order: add 1 at the top bit, carrying down.
    let increment = 1 << (len - 1);
    while (code & increment) increment >>= 1;
    code = increment != 0 ? (code & (increment - 1)) + increment : 0;
  }
  return true;
}
