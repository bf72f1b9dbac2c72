// The rules of JSON string text shared by the comparison and the redactor (json_text.ts), checked
// against their definitions: RFC 3629's table of well-formed UTF-8 sequences, RFC 8259's escapes,
// and AssemblyScript's own UTF-8 encoder.
import { ESCAPE_U, escapeByte, specialBytes, surrogatePair, utf8Bytes, utf8Lead } from "../darklaunch/json_text";

function packedBytes(cp: i32): u8[] {
  const packed = utf8Bytes(cp);
  const out: u8[] = [];
  for (let i: i32 = 0; i < <i32>(packed >> 56); i++) out.push(<u8>((packed >> (<u64>i << 3)) & 0xff));
  return out;
}

function encoded(s: string): u8[] {
  const b = String.UTF8.encode(s);
  const out: u8[] = [];
  for (let i = 0; i < b.byteLength; i++) out.push(load<u8>(changetype<usize>(b) + <usize>i));
  return out;
}

describe("utf8Bytes", () => {
  test("every length boundary encodes as AssemblyScript's encoder does", () => {
    const points: i32[] = [0, 0x41, 0x7f, 0x80, 0xe9, 0x7ff, 0x800, 0x20ac, 0xd7ff, 0xe000, 0xffff, 0x10000, 0x1f600, 0x10ffff];
    for (let i = 0; i < points.length; i++) {
      expect(packedBytes(points[i])).toStrictEqual(encoded(String.fromCodePoint(points[i])), points[i].toString(16));
    }
  });

  test("a lone surrogate in its 3-byte form", () => {
    expect(packedBytes(0xd800)).toStrictEqual([0xed, 0xa0, 0x80]);
    expect(packedBytes(0xdfff)).toStrictEqual([0xed, 0xbf, 0xbf]);
  });

  test("surrogate pairs", () => {
    expect(surrogatePair(0xd83d, 0xde00)).toBe(0x1f600);
    expect(surrogatePair(0xdbff, 0xdfff)).toBe(0x10ffff);
  });
});

describe("utf8Lead", () => {
  test("RFC 3629's table of well-formed sequences, lead byte by lead byte", () => {
    for (let c = 0x80; c <= 0xff; c++) {
      let want = 0;
      if (c >= 0xc2 && c <= 0xdf) want = 1 | (0x80 << 8) | (0xbf << 16);
      else if (c == 0xe0) want = 2 | (0xa0 << 8) | (0xbf << 16);
      else if (c == 0xed) want = 2 | (0x80 << 8) | (0x9f << 16);
      else if (c >= 0xe1 && c <= 0xef) want = 2 | (0x80 << 8) | (0xbf << 16);
      else if (c == 0xf0) want = 3 | (0x90 << 8) | (0xbf << 16);
      else if (c == 0xf4) want = 3 | (0x80 << 8) | (0x8f << 16);
      else if (c >= 0xf1 && c <= 0xf3) want = 3 | (0x80 << 8) | (0xbf << 16);
      expect(utf8Lead(c)).toBe(want, c.toString(16));
    }
  });
});

describe("escapeByte", () => {
  test("the eight short escapes and \\u; nothing else", () => {
    const from = '"\\/bfnrt';
    const to: i32[] = [0x22, 0x5c, 0x2f, 0x08, 0x0c, 0x0a, 0x0d, 0x09];
    for (let c = 0; c < 256; c++) {
      const k = c < 128 ? from.indexOf(String.fromCharCode(c)) : -1;
      const want = k >= 0 ? to[k] : c == 0x75 ? ESCAPE_U : -1;
      expect(escapeByte(c)).toBe(want, c.toString(16));
    }
  });
});

describe("specialBytes", () => {
  test("the lowest special byte of a word is found at every position, whatever follows it", () => {
    const specials: u8[] = [0x22, 0x5c, 0x00, 0x1f, 0x0a, 0x80, 0xc3, 0xff];
    for (let s = 0; s < specials.length; s++) {
      for (let at = 0; at < 8; at++) {
        let w: u64 = 0x6161616161616161; // "aaaaaaaa"
        w = (w & ~(<u64>0xff << (<u64>at << 3))) | (<u64>specials[s] << (<u64>at << 3));
        // Bytes above it may be anything, special or not.
        if (at < 7) w = (w & ~(<u64>0xff << 56)) | (<u64>specials[(s + 1) % specials.length] << 56);
        const found = specialBytes(w);
        expect(found).not.toBe(0);
        expect(<i32>(ctz(found) >> 3)).toBe(at);
      }
    }
  });

  test("no byte of plain text is special", () => {
    for (let c = 0x20; c < 0x80; c++) {
      if (c == 0x22 || c == 0x5c) continue;
      expect(specialBytes(<u64>c * 0x0101010101010101)).toBe(0, c.toString(16));
    }
  });
});
