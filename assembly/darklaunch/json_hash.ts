// The hash functions of the JSON comparison, in one place: the byte-string hash that a streaming
// reader computes 8 bytes at a time (json_digest.ts) and that a compiled path set computes on whole
// names (json_path.ts), so that a key read from a body can be looked up by the hash already made.
// Not for anything an operator sees: these hashes never leave the module.

// @ts-ignore: decorator
@inline export const P1: u64 = 0x9e3779b185ebca87;
// @ts-ignore: decorator
@inline export const P2: u64 = 0xc2b2ae3d27d4eb4f;
// @ts-ignore: decorator
@inline export const P3: u64 = 0x165667b19e3779f9;
// @ts-ignore: decorator
@inline export const P5: u64 = 0x27d4eb2f165667c5;

/** One 8-byte word into a running byte-string hash (an XXH64 lane round). */
// @ts-ignore: decorator
@inline export function round(h: u64, w: u64): u64 {
  return rotl<u64>(h + w * P2, 31) * P1;
}

/**
 * The hash of a byte string from its running hash (from 0, one `round` per whole 8-byte word,
 * little-endian), its unfinished word (the last 0 to 7 bytes, zero-padded) and its length. Not
 * avalanched: every use mixes it again (into a path hash, or a leaf hash with fmix64).
 */
// @ts-ignore: decorator
@inline export function finishBytes(h: u64, acc: u64, length: i64): u64 {
  return round(h ^ (<u64>length * P5), acc);
}

/** `finishBytes` of `len` bytes at `ptr`, all at hand. */
export function hashBytes(ptr: usize, len: i32): u64 {
  let h: u64 = 0;
  let i = 0;
  for (; i + 8 <= len; i += 8) h = round(h, load<u64>(ptr + <usize>i));
  let acc: u64 = 0;
  for (let k = 0; i + k < len; k++) acc |= (<u64>load<u8>(ptr + <usize>(i + k))) << (<u64>k << 3);
  return finishBytes(h, acc, len);
}

/** MurmurHash3's 64-bit finaliser: every input bit affects every output bit. */
// @ts-ignore: decorator
@inline export function fmix64(h: u64): u64 {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccd;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53;
  h ^= h >> 33;
  return h;
}
