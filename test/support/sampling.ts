// The contract's sticky sampling, computed independently of the filter:
// bucket = FNV-1a 64 of the key's bytes mod 10000; in iff bucket < round(percent × 100).

const FNV64_OFFSET_BASIS = 0xcbf29ce484222325n;
const FNV64_PRIME = 0x100000001b3n;
const U64 = 0xffffffffffffffffn;

export function fnv1a64(bytes: Uint8Array): bigint {
  let h = FNV64_OFFSET_BASIS;
  for (const b of bytes) {
    h ^= BigInt(b);
    h = (h * FNV64_PRIME) & U64;
  }
  return h;
}

export function stickyBucket(key: string): number {
  return Number(fnv1a64(new TextEncoder().encode(key)) % 10000n);
}

export function stickyIn(key: string, percent: number): boolean {
  return stickyBucket(key) < Math.round(percent * 100);
}
