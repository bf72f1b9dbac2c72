// FNV-1a 64: the stable hash of sticky keys (contract: same bucket on every worker, restart and
// version, so never change these constants) and of compared header values. Bodies use XXH64
// (body_hash.ts), which is faster on long inputs.

// @ts-ignore: decorator
@inline export const FNV64_OFFSET: u64 = 0xcbf29ce484222325;
// @ts-ignore: decorator
@inline export const FNV64_PRIME: u64 = 0x100000001b3;

/** Continues an FNV-1a 64 hash `h` over `len` bytes at `ptr`. */
export function fnv1a64Update(h: u64, ptr: usize, len: i32): u64 {
  for (let i = 0; i < len; i++) {
    h = (h ^ <u64>load<u8>(ptr + i)) * FNV64_PRIME;
  }
  return h;
}

export function fnv1a64(ptr: usize, len: i32): u64 {
  return fnv1a64Update(FNV64_OFFSET, ptr, len);
}

export function fnv1a64Bytes(bytes: ArrayBuffer): u64 {
  return fnv1a64(changetype<usize>(bytes), bytes.byteLength);
}

/** 16 lower-case hex digits. */
export function hex64(v: u64): string {
  const digits = "0123456789abcdef";
  let out = "";
  for (let shift: i32 = 60; shift >= 0; shift -= 4) {
    out += digits.charAt(<i32>((v >> <u64>shift) & 0xf));
  }
  return out;
}
