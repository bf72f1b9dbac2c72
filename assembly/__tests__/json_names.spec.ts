// How path names are spelled (json_names.ts): the word-at-a-time test of a bare name agrees with
// the path grammar's byte test (json_path.ts isNameByte) for every byte at every position.
import { isPlainName } from "../darklaunch/json_names";
import { isNameByte } from "../darklaunch/json_path";

describe("isPlainName", () => {
  test("agrees with isNameByte for every byte at every position of keys of 1, 7, 8, 9, 16 and 17 bytes", () => {
    const buffer = new ArrayBuffer(17 + 8);
    const at = changetype<usize>(buffer);
    const lengths: i32[] = [1, 7, 8, 9, 16, 17];
    for (let k = 0; k < lengths.length; k++) {
      const len = lengths[k];
      for (let pos = 0; pos < len; pos++) {
        for (let c = 0; c < 256; c++) {
          memory.fill(at, 0x61, 17 + 8); // "a" everywhere, the bytes past the key too
          store<u8>(at + <usize>pos, <u8>c);
          expect(isPlainName(at, len)).toBe(isNameByte(c), len.toString() + "/" + pos.toString() + "/" + c.toString(16));
        }
      }
    }
  });

  test("bytes past the key do not count, whatever they are", () => {
    const buffer = new ArrayBuffer(16);
    const at = changetype<usize>(buffer);
    memory.fill(at, 0x20, 16); // spaces: not name bytes
    store<u8>(at, 0x61);
    store<u8>(at + 1, 0x62);
    expect(isPlainName(at, 2)).toBe(true);
    expect(isPlainName(at, 3)).toBe(false);
  });

  test("the empty key is never bare; only the first 64 bytes of a long key decide", () => {
    const buffer = new ArrayBuffer(80 + 8);
    const at = changetype<usize>(buffer);
    memory.fill(at, 0x78, 80);
    expect(isPlainName(at, 0)).toBe(false);
    store<u8>(at + 70, 0x20);
    expect(isPlainName(at, 80)).toBe(true);
    store<u8>(at + 63, 0x20);
    expect(isPlainName(at, 80)).toBe(false);
  });
});
