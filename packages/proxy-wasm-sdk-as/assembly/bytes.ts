// Byte helpers shared by the ABI layer and the logic: no host calls.

/** The value of 1 to `maxDigits` ASCII decimal digits at `ptr`, or -1 if they are anything else. */
export function parseDecimal(ptr: usize, len: i32, maxDigits: i32): i64 {
  if (len <= 0 || len > maxDigits) return -1;
  let v: i64 = 0;
  for (let i = 0; i < len; i++) {
    const c = <i32>load<u8>(ptr + i) - 0x30;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** Receives bytes lent by their owner; they are valid only during the call. */
export abstract class ByteSink {
  abstract write(ptr: usize, len: i32): void;
}

/** A growable byte buffer with a hard cap: appends past the cap are refused, nothing is lost silently. */
export class BoundedBytes extends ByteSink {
  private buffer: ArrayBuffer;
  length: i32 = 0;

  constructor(readonly cap: i32, initial: i32 = 256) {
    super();
    this.buffer = new ArrayBuffer(min(max(initial, 16), max(cap, 16)));
  }

  /** Appends `len` bytes; false (and nothing appended) when they would pass the cap. */
  append(ptr: usize, len: i32): bool {
    if (<i64>this.length + <i64>len > <i64>this.cap) return false;
    const need = this.length + len;
    if (need > this.buffer.byteLength) {
      let size = this.buffer.byteLength;
      while (size < need) size = size << 1;
      const grown = new ArrayBuffer(min(size, max(this.cap, 16)));
      memory.copy(changetype<usize>(grown), changetype<usize>(this.buffer), this.length);
      this.buffer = grown;
    }
    memory.copy(changetype<usize>(this.buffer) + this.length, ptr, len);
    this.length = need;
    return true;
  }

  write(ptr: usize, len: i32): void {
    this.append(ptr, len);
  }

  /** The bytes appended so far, as an exact-size buffer. */
  toArrayBuffer(): ArrayBuffer {
    if (this.length == this.buffer.byteLength) return this.buffer;
    return this.buffer.slice(0, this.length);
  }
}
