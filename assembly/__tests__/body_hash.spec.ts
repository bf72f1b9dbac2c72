// The streamed body hash: XXH64 (seed 0), checked against the reference implementation.
import { BodyHasher } from "../darklaunch/body_hash";
import { utf8 } from "./helpers";

/** `n` bytes of the pattern (i * 7 + 3) & 255: every byte value, no stripe repeats another. */
function pattern(n: i32): ArrayBuffer {
  const b = new ArrayBuffer(n);
  for (let i = 0; i < n; i++) store<u8>(changetype<usize>(b) + i, <u8>((i * 7 + 3) & 255));
  return b;
}

/** The hash of `bytes` written in chunks of `chunk` bytes (the last one shorter). */
function hashInChunks(bytes: ArrayBuffer, chunk: i32): BodyHasher {
  const h = new BodyHasher();
  for (let at = 0; at < bytes.byteLength; at += chunk) {
    h.write(changetype<usize>(bytes) + at, min(chunk, bytes.byteLength - at));
  }
  return h;
}

// Lengths chosen around XXH64's edges: the 4- and 8-byte tails, one 32-byte stripe, several.
// Expected values printed by the reference tool (Debian package xxhash 0.8):
//   python3 -c 'import sys; sys.stdout.buffer.write(bytes((i*7+3)&255 for i in range(N)))' | xxhsum -H64
const LENGTHS: i32[] = [0, 1, 3, 4, 7, 8, 9, 12, 31, 32, 33, 63, 64, 65, 100, 1024, 4099];
const XXHSUM: u64[] = [
  0xef46db3751d8e999, 0x1f25c8d0bc1f4bb6, 0x31d2363f52e564c9, 0x9bb64b7d66ee9fda,
  0x9a7b149959ce60d8, 0xdab99d95c6f90092, 0x170bb6bf975b4c02, 0xd52e407833af5133,
  0xa2aa5f33cc4a6119, 0x23c3c17ef790fd97, 0x50a7cfc7ba588784, 0x5e3e54b431c7493c,
  0x0eb64b3ef6eeb01f, 0xa383b724b2bd12f1, 0xa61f8d4c170fe531, 0xe6816a6e134b7a33,
  0x6243e90ade852967,
];

describe("BodyHasher", () => {
  test("equals xxhsum -H64 for every length around the stripe and tail edges", () => {
    for (let k = 0; k < LENGTHS.length; k++) {
      const bytes = pattern(LENGTHS[k]);
      const h = hashInChunks(bytes, max(1, bytes.byteLength));
      expect(h.hash).toBe(XXHSUM[k], "length " + LENGTHS[k].toString());
      expect(h.length).toBe(LENGTHS[k]);
    }
  });

  test("hashes text as xxhsum does", () => {
    // printf 'hello world' | xxhsum -H64
    const h = new BodyHasher();
    const b = utf8("hello world");
    h.write(changetype<usize>(b), b.byteLength);
    expect(h.hash).toBe(0x45ab6734b21e6968);
  });

  test("gives the same hash however the body is split", () => {
    const chunks: i32[] = [1, 2, 3, 7, 8, 31, 32, 33, 64, 100, 1000];
    for (let k = 0; k < LENGTHS.length; k++) {
      const bytes = pattern(LENGTHS[k]);
      for (let c = 0; c < chunks.length; c++) {
        const h = hashInChunks(bytes, chunks[c]);
        expect(h.hash).toBe(XXHSUM[k], "length " + LENGTHS[k].toString() + " in chunks of " + chunks[c].toString());
        expect(h.length).toBe(LENGTHS[k]);
      }
    }
  });

  test("empty writes change nothing", () => {
    const bytes = pattern(40);
    const h = new BodyHasher();
    h.write(changetype<usize>(bytes), 0);
    h.write(changetype<usize>(bytes), 20);
    h.write(changetype<usize>(bytes) + 20, 0);
    h.write(changetype<usize>(bytes) + 20, 20);
    expect(h.hash).toBe(hashInChunks(bytes, 40).hash);
    expect(h.length).toBe(40);
  });

  test("reading the hash does not end the stream", () => {
    const bytes = pattern(100);
    const h = new BodyHasher();
    h.write(changetype<usize>(bytes), 50);
    const half = h.hash;
    h.write(changetype<usize>(bytes) + 50, 50);
    expect(half).toBe(hashInChunks(pattern(50), 50).hash);
    expect(h.hash).toBe(XXHSUM[LENGTHS.indexOf(100)]);
  });

  test("one flipped bit anywhere changes the hash", () => {
    const bytes = pattern(1024);
    const base = hashInChunks(bytes, 1024).hash;
    const positions: i32[] = [0, 7, 31, 32, 500, 1016, 1023];
    for (let k = 0; k < positions.length; k++) {
      const p = changetype<usize>(bytes) + positions[k];
      store<u8>(p, load<u8>(p) ^ 1);
      expect(hashInChunks(bytes, 1024).hash).not.toBe(base, "byte " + positions[k].toString());
      store<u8>(p, load<u8>(p) ^ 1);
    }
  });
});
