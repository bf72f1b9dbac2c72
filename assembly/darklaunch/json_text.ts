// The rules of JSON string text (RFC 8259 §7, UTF-8 per RFC 3629) that the comparison
// (json_digest.ts) and the sample redactor (json_redact.ts) both read by: which bytes end a run
// of plain string bytes, what a UTF-8 sequence's first byte asks of the bytes after it, what a
// short escape stands for, and the UTF-8 form of a code point. Each reader keeps its own state
// machine (they do different things with the bytes); the rules live here once.

// @ts-ignore: decorator
@inline export const ONES: u64 = 0x0101010101010101;
// @ts-ignore: decorator
@inline export const HIGHS: u64 = 0x8080808080808080;

/**
 * The high bit of every byte of `w` (8 bytes, little-endian) that cannot stand in a run of plain
 * string bytes: a quote, a backslash, a control byte or a non-ASCII byte. Exact for the lowest
 * such byte (ctz(result) >> 3 is its index); bytes above it may be marked falsely.
 */
// @ts-ignore: decorator
@inline export function specialBytes(w: u64): u64 {
  const q = w ^ 0x2222222222222222;
  const b = w ^ 0x5c5c5c5c5c5c5c5c;
  return (((q - ONES) & ~q) | ((b - ONES) & ~b) | ((w - 0x2020202020202020) & ~w) | w) & HIGHS;
}

/**
 * What the lead byte `c` (≥ 0x80) of a UTF-8 sequence asks of the bytes after it, packed: the
 * continuation bytes due (1–3), the lowest value of the first of them << 8 and its highest << 16
 * (no overlong forms, no surrogates, nothing above U+10FFFF); 0 when `c` cannot start a sequence.
 * Every later continuation byte is in 0x80–0xBF.
 */
// @ts-ignore: decorator
@inline export function utf8Lead(c: i32): i32 {
  let need = 0;
  let lo = 0x80, hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) need = 1;
  else if (c >= 0xe0 && c <= 0xef) {
    need = 2;
    if (c == 0xe0) lo = 0xa0; // no overlongs
    else if (c == 0xed) hi = 0x9f; // no surrogates
  } else if (c >= 0xf0 && c <= 0xf4) {
    need = 3;
    if (c == 0xf0) lo = 0x90;
    else if (c == 0xf4) hi = 0x8f; // nothing above U+10FFFF
  } else {
    return 0;
  }
  return need | (lo << 8) | (hi << 16);
}

/** `escapeByte` of `u`: four hex digits follow. */
// @ts-ignore: decorator
@inline export const ESCAPE_U: i32 = 0x100;

/** The byte the short escape `\c` stands for; ESCAPE_U for `\u`; -1 when `\c` is no escape. */
// @ts-ignore: decorator
@inline export function escapeByte(c: i32): i32 {
  if (c == 0x22 || c == 0x5c || c == 0x2f) return c;
  if (c == 0x6e) return 0x0a;
  if (c == 0x74) return 0x09;
  if (c == 0x72) return 0x0d;
  if (c == 0x62) return 0x08;
  if (c == 0x66) return 0x0c;
  if (c == 0x75) return ESCAPE_U;
  return -1;
}

/** Whether a \u escape's value is the first half of a surrogate pair. */
// @ts-ignore: decorator
@inline export function isHighSurrogate(unit: i32): bool {
  return unit >= 0xd800 && unit <= 0xdbff;
}

/** Whether a \u escape's value is the second half of a surrogate pair. */
// @ts-ignore: decorator
@inline export function isLowSurrogate(unit: i32): bool {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

/** The code point of a surrogate pair. */
// @ts-ignore: decorator
@inline export function surrogatePair(high: i32, low: i32): i32 {
  return 0x10000 + ((high - 0xd800) << 10) + (low - 0xdc00);
}

/**
 * The UTF-8 bytes of code point `cp` (a lone surrogate in its 3-byte form), packed: the bytes in
 * order from the lowest byte up, their count (1–4) in the top byte.
 */
// @ts-ignore: decorator
@inline export function utf8Bytes(cp: i32): u64 {
  if (cp < 0x80) return (<u64>1 << 56) | <u64>cp;
  if (cp < 0x800) return (<u64>2 << 56) | <u64>(0xc0 | (cp >> 6)) | (<u64>(0x80 | (cp & 0x3f)) << 8);
  if (cp < 0x10000) {
    return (<u64>3 << 56) | <u64>(0xe0 | (cp >> 12)) | (<u64>(0x80 | ((cp >> 6) & 0x3f)) << 8) | (<u64>(0x80 | (cp & 0x3f)) << 16);
  }
  return (
    (<u64>4 << 56) |
    <u64>(0xf0 | (cp >> 18)) |
    (<u64>(0x80 | ((cp >> 12) & 0x3f)) << 8) |
    (<u64>(0x80 | ((cp >> 6) & 0x3f)) << 16) |
    (<u64>(0x80 | (cp & 0x3f)) << 24)
  );
}
