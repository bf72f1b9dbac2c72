// A small JSON text writer for the documents the filter sends (mismatch samples, contract §2.7):
// objects, strings from UTF-8 bytes (escaped as RFC 8259 requires), integers, booleans, null, and
// byte strings as UTF-8 text or base64. Pure code, no host calls; the output grows in one buffer.

const HEX: StaticArray<u8> = [0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66];
const BASE64: StaticArray<u8> = [
  65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90,
  97, 98, 99, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122,
  48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 43, 47,
];

/**
 * The length of the longest prefix of `len` bytes at `ptr` that is valid UTF-8, or -1 when the
 * bytes hold an invalid sequence (anything but a sequence cut short at the very end).
 */
export function validUtf8Prefix(ptr: usize, len: i32): i32 {
  let i = 0;
  while (i < len) {
    const c = <u32>load<u8>(ptr + i);
    if (c < 0x80) {
      i++;
      continue;
    }
    let need = 0;
    let min: u32 = 0;
    if (c >= 0xc2 && c <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else {
      return -1;
    }
    let cp: u32 = c & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      if (i + k >= len) return i; // cut short at the end: the prefix before it is valid
      const b = <u32>load<u8>(ptr + i + k);
      if ((b & 0xc0) != 0x80) return -1;
      cp = (cp << 6) | (b & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return -1;
    i += need + 1;
  }
  return len;
}

export class JsonWriter {
  private buffer: ArrayBuffer;
  length: i32 = 0;
  /** Whether the next value in the current object/array needs a comma first. */
  private comma: bool = false;

  constructor(initial: i32 = 1024) {
    this.buffer = new ArrayBuffer(max(initial, 64));
  }

  private reserve(n: i32): usize {
    const need = this.length + n;
    if (need > this.buffer.byteLength) {
      let size = this.buffer.byteLength;
      while (size < need) size <<= 1;
      const grown = new ArrayBuffer(size);
      memory.copy(changetype<usize>(grown), changetype<usize>(this.buffer), this.length);
      this.buffer = grown;
    }
    return changetype<usize>(this.buffer) + this.length;
  }

  private byte(c: u8): void {
    store<u8>(this.reserve(1), c);
    this.length++;
  }

  private raw(ptr: usize, len: i32): void {
    memory.copy(this.reserve(len), ptr, len);
    this.length += len;
  }

  private ascii(s: string): void {
    const n = s.length;
    const p = this.reserve(n);
    for (let i = 0; i < n; i++) store<u8>(p + i, <u8>s.charCodeAt(i));
    this.length += n;
  }

  private beforeValue(): void {
    if (this.comma) this.byte(0x2c);
    this.comma = true;
  }

  beginObject(): void {
    this.beforeValue();
    this.byte(0x7b);
    this.comma = false;
  }

  endObject(): void {
    this.byte(0x7d);
    this.comma = true;
  }

  beginArray(): void {
    this.beforeValue();
    this.byte(0x5b);
    this.comma = false;
  }

  endArray(): void {
    this.byte(0x5d);
    this.comma = true;
  }

  /** A member name (ASCII). The value written next belongs to it. */
  key(name: string): void {
    this.beforeValue();
    this.byte(0x22);
    this.ascii(name);
    this.byte(0x22);
    this.byte(0x3a);
    this.comma = false;
  }

  /** A string from valid UTF-8 bytes, escaped: `"`, `\` and control characters. */
  utf8String(ptr: usize, len: i32): void {
    this.beforeValue();
    this.byte(0x22);
    let run = 0;
    for (let i = 0; i < len; i++) {
      const c = load<u8>(ptr + i);
      if (c >= 0x20 && c != 0x22 && c != 0x5c) continue;
      if (i > run) this.raw(ptr + run, i - run);
      run = i + 1;
      this.byte(0x5c);
      if (c == 0x22 || c == 0x5c) this.byte(c);
      else if (c == 0x0a) this.byte(0x6e);
      else if (c == 0x0d) this.byte(0x72);
      else if (c == 0x09) this.byte(0x74);
      else {
        this.ascii("u00");
        this.byte(HEX[c >> 4]);
        this.byte(HEX[c & 15]);
      }
    }
    if (len > run) this.raw(ptr + run, len - run);
    this.byte(0x22);
  }

  /** A string from an AssemblyScript string (valid UTF-16 is written as UTF-8). */
  string(s: string): void {
    const bytes = String.UTF8.encode(s);
    this.utf8String(changetype<usize>(bytes), bytes.byteLength);
  }

  /** Bytes as a base64 string (RFC 4648, with padding). */
  base64String(ptr: usize, len: i32): void {
    this.beforeValue();
    this.byte(0x22);
    const out = this.reserve(((len + 2) / 3) * 4);
    let o: usize = 0;
    let i = 0;
    for (; i + 3 <= len; i += 3) {
      const v = (<u32>load<u8>(ptr + i) << 16) | (<u32>load<u8>(ptr + i + 1) << 8) | <u32>load<u8>(ptr + i + 2);
      store<u8>(out + o, BASE64[(v >> 18) & 63]);
      store<u8>(out + o + 1, BASE64[(v >> 12) & 63]);
      store<u8>(out + o + 2, BASE64[(v >> 6) & 63]);
      store<u8>(out + o + 3, BASE64[v & 63]);
      o += 4;
    }
    const left = len - i;
    if (left > 0) {
      let v = <u32>load<u8>(ptr + i) << 16;
      if (left == 2) v |= <u32>load<u8>(ptr + i + 1) << 8;
      store<u8>(out + o, BASE64[(v >> 18) & 63]);
      store<u8>(out + o + 1, BASE64[(v >> 12) & 63]);
      store<u8>(out + o + 2, left == 2 ? BASE64[(v >> 6) & 63] : 0x3d);
      store<u8>(out + o + 3, 0x3d);
      o += 4;
    }
    this.length += <i32>o;
    this.byte(0x22);
  }

  integer(v: i64): void {
    this.beforeValue();
    this.ascii(v.toString());
  }

  boolean(v: bool): void {
    this.beforeValue();
    this.ascii(v ? "true" : "false");
  }

  nul(): void {
    this.beforeValue();
    this.ascii("null");
  }

  /** The document written so far. */
  toArrayBuffer(): ArrayBuffer {
    return this.buffer.slice(0, this.length);
  }
}
