// Adler-32 (RFC 1950 §9): the checksum at the end of a zlib stream, over the decoded bytes.

// @ts-ignore: decorator
@inline const BASE: u32 = 65521;
/** The most bytes summed before `b` could pass 2^32 (zlib's NMAX): reduce modulo BASE then. */
// @ts-ignore: decorator
@inline const NMAX: i32 = 5552;

/** The Adler-32 of everything so far (`adler`, 1 for nothing) followed by `len` bytes at `ptr`. */
export function adler32Update(adler: u32, ptr: usize, len: i32): u32 {
  let a = adler & 0xffff;
  let b = adler >>> 16;
  let p = ptr;
  let n = len;
  while (n > 0) {
    let k = min(n, NMAX);
    n -= k;
    while (k >= 8) {
      a += load<u8>(p);
      b += a;
      a += load<u8>(p, 1);
      b += a;
      a += load<u8>(p, 2);
      b += a;
      a += load<u8>(p, 3);
      b += a;
      a += load<u8>(p, 4);
      b += a;
      a += load<u8>(p, 5);
      b += a;
      a += load<u8>(p, 6);
      b += a;
      a += load<u8>(p, 7);
      b += a;
      p += 8;
      k -= 8;
    }
    while (k > 0) {
      a += load<u8>(p);
      b += a;
      p++;
      k--;
    }
    a %= BASE;
    b %= BASE;
  }
  return (b << 16) | a;
}
