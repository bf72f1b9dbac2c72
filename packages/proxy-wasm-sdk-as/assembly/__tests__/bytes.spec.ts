// The byte helpers (assembly/bytes.ts): a bounded buffer that refuses what passes its cap, and
// strict decimal parsing (content-length and the like).
import { BoundedBytes, parseDecimal } from "../bytes";

function bytesOf(s: string): ArrayBuffer {
  return String.UTF8.encode(s);
}

function append(b: BoundedBytes, s: string): bool {
  const data = bytesOf(s);
  return b.append(changetype<usize>(data), data.byteLength);
}

describe("BoundedBytes", () => {
  it("grows past its initial size up to the cap, keeping every byte", () => {
    const b = new BoundedBytes(100, 16);
    for (let i = 0; i < 9; i++) expect(append(b, "0123456789")).toBe(true);
    expect(b.length).toBe(90);
    expect(String.UTF8.decode(b.toArrayBuffer()).slice(80)).toBe("0123456789");
  });

  it("refuses an append that would pass the cap, and keeps what it had", () => {
    const b = new BoundedBytes(10, 4);
    expect(append(b, "12345678")).toBe(true);
    expect(append(b, "abc")).toBe(false);
    expect(b.length).toBe(8);
    expect(append(b, "ab")).toBe(true);
    expect(String.UTF8.decode(b.toArrayBuffer())).toBe("12345678ab");
  });
});

describe("parseDecimal", () => {
  it("reads 1 to maxDigits ASCII digits", () => {
    const d = bytesOf("1234");
    expect(parseDecimal(changetype<usize>(d), 4, 18)).toBe(1234);
    const z = bytesOf("0");
    expect(parseDecimal(changetype<usize>(z), 1, 18)).toBe(0);
  });

  it("gives -1 for anything else: empty, too long, a sign, a space", () => {
    for (let i = 0; i < 4; i++) {
      const s = ["", "12345", "-1", "1 "][i];
      const b = bytesOf(s);
      expect(parseDecimal(changetype<usize>(b), b.byteLength, 4)).toBe(-1, s);
    }
  });
});
