// XXH64 with seed 0, written from the algorithm's description with BigInt: the reference the
// tests hold the filter's streamed body hash (assembly/darklaunch/body_hash.ts) against. Checked
// itself against `xxhsum -H64` in test/emulator/body-hash.test.ts.

const M = 0xffffffffffffffffn;
const P1 = 0x9e3779b185ebca87n;
const P2 = 0xc2b2ae3d27d4eb4fn;
const P3 = 0x165667b19e3779f9n;
const P4 = 0x85ebca77c2b2ae63n;
const P5 = 0x27d4eb2f165667c5n;

const mul = (a: bigint, b: bigint): bigint => (a * b) & M;
const add = (a: bigint, b: bigint): bigint => (a + b) & M;
const rotl = (v: bigint, r: bigint): bigint => ((v << r) | (v >> (64n - r))) & M;
const round = (acc: bigint, input: bigint): bigint => mul(rotl(add(acc, mul(input, P2)), 31n), P1);
const merge = (acc: bigint, lane: bigint): bigint => add(mul(acc ^ round(0n, lane), P1), P4);

/** XXH64 (seed 0) of `bytes`, as 16 lower-case hex digits (the filter's log format). */
export function xxh64Hex(bytes: Uint8Array | string): string {
  const b = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const u64 = (at: number): bigint => view.getBigUint64(at, true);
  let at = 0;
  let h: bigint;
  if (b.length >= 32) {
    let v1 = add(P1, P2),
      v2 = P2,
      v3 = 0n,
      v4 = (0n - P1) & M;
    for (; at + 32 <= b.length; at += 32) {
      v1 = round(v1, u64(at));
      v2 = round(v2, u64(at + 8));
      v3 = round(v3, u64(at + 16));
      v4 = round(v4, u64(at + 24));
    }
    h = add(add(rotl(v1, 1n), rotl(v2, 7n)), add(rotl(v3, 12n), rotl(v4, 18n)));
    for (const v of [v1, v2, v3, v4]) h = merge(h, v);
  } else {
    h = P5;
  }
  h = add(h, BigInt(b.length));
  for (; at + 8 <= b.length; at += 8) h = add(mul(rotl(h ^ round(0n, u64(at)), 27n), P1), P4);
  if (at + 4 <= b.length) {
    h = add(mul(rotl(h ^ mul(BigInt(view.getUint32(at, true)), P1), 23n), P2), P3);
    at += 4;
  }
  for (; at < b.length; at++) h = mul(rotl(h ^ mul(BigInt(b[at]!), P5), 11n), P1);
  h ^= h >> 33n;
  h = mul(h, P2);
  h ^= h >> 29n;
  h = mul(h, P3);
  h ^= h >> 32n;
  return h.toString(16).padStart(16, "0");
}
