// The proxy-wasm header-map wire format, both directions:
//   u32 N | N × { u32 name_len, u32 value_len } | N × { name, 0x00, value, 0x00 }
// (all integers little-endian). Pure code: no host calls.

/** Largest map the host accepts (proxy-wasm-cpp-host limits.h). */
// @ts-ignore: decorator
@inline export const MAX_HEADER_MAP_BYTES: i32 = 1 << 20;
// @ts-ignore: decorator
@inline export const MAX_HEADER_PAIRS: i32 = 1024;

/** ASCII lower-case of one byte. */
// @ts-ignore: decorator
@inline
export function lowerAscii(c: u32): u32 {
  return c - 65 < 26 ? c | 32 : c;
}

/** Byte equality of two ranges, names compared without regard to ASCII case. */
export function equalsIgnoreCase(a: usize, aLen: i32, b: usize, bLen: i32): bool {
  if (aLen != bLen) return false;
  for (let i = 0; i < aLen; i++) {
    if (lowerAscii(load<u8>(a + i)) != lowerAscii(load<u8>(b + i))) return false;
  }
  return true;
}

/** Exact byte equality of two ranges. */
export function equalsBytes(a: usize, aLen: i32, b: usize, bLen: i32): bool {
  return aLen == bLen && memory.compare(a, b, aLen) == 0;
}

/**
 * A decoded header map: its wire bytes and, per pair, where the name and the value start and
 * how long they are. Names and values stay bytes; nothing is converted to strings.
 */
export class HeaderMap {
  private constructor(
    readonly bytes: ArrayBuffer,
    readonly count: i32,
    // Per pair: name offset, name length, value offset, value length (offsets into `bytes`).
    private spans: StaticArray<i32>,
  ) {}

  static empty(): HeaderMap {
    return new HeaderMap(new ArrayBuffer(0), 0, new StaticArray<i32>(0));
  }

  /** Decodes `len` wire bytes at `ptr` (copied). Returns null if they are not a well-formed map. */
  static decode(ptr: usize, len: i32): HeaderMap | null {
    if (len == 0) return HeaderMap.empty();
    if (len < 4) return null;
    const n = <i32>load<u32>(ptr);
    if (n < 0 || n > MAX_HEADER_PAIRS || 4 + <i64>n * 8 > <i64>len) return null;
    const spans = new StaticArray<i32>(n * 4);
    let data = 4 + n * 8;
    for (let i = 0; i < n; i++) {
      const nameLen = <i32>load<u32>(ptr + 4 + i * 8);
      const valueLen = <i32>load<u32>(ptr + 8 + i * 8);
      if (nameLen < 0 || valueLen < 0) return null;
      const end = <i64>data + <i64>nameLen + <i64>valueLen + 2;
      if (end > <i64>len) return null;
      if (load<u8>(ptr + data + nameLen) != 0 || load<u8>(ptr + data + nameLen + 1 + valueLen) != 0) return null;
      unchecked((spans[i * 4] = data));
      unchecked((spans[i * 4 + 1] = nameLen));
      unchecked((spans[i * 4 + 2] = data + nameLen + 1));
      unchecked((spans[i * 4 + 3] = valueLen));
      data = <i32>end;
    }
    if (data != len) return null;
    const bytes = new ArrayBuffer(len);
    memory.copy(changetype<usize>(bytes), ptr, len);
    return new HeaderMap(bytes, n, spans);
  }

  // @ts-ignore: decorator
  @inline namePtr(i: i32): usize {
    return changetype<usize>(this.bytes) + <usize>unchecked(this.spans[i * 4]);
  }
  // @ts-ignore: decorator
  @inline nameLen(i: i32): i32 {
    return unchecked(this.spans[i * 4 + 1]);
  }
  // @ts-ignore: decorator
  @inline valuePtr(i: i32): usize {
    return changetype<usize>(this.bytes) + <usize>unchecked(this.spans[i * 4 + 2]);
  }
  // @ts-ignore: decorator
  @inline valueLen(i: i32): i32 {
    return unchecked(this.spans[i * 4 + 3]);
  }

  /** Index of the first pair named `name` (ASCII case-insensitive), or -1. */
  indexOf(name: ArrayBuffer, from: i32 = 0): i32 {
    const p = changetype<usize>(name);
    const l = name.byteLength;
    for (let i = from; i < this.count; i++) {
      if (equalsIgnoreCase(this.namePtr(i), this.nameLen(i), p, l)) return i;
    }
    return -1;
  }

  /** The value of pair `i` as a string (UTF-8 decoded; for logging and tests, not the hot path). */
  valueString(i: i32): string {
    return String.UTF8.decodeUnsafe(this.valuePtr(i), <usize>this.valueLen(i));
  }

  nameString(i: i32): string {
    return String.UTF8.decodeUnsafe(this.namePtr(i), <usize>this.nameLen(i));
  }
}

/**
 * Collects pairs as byte ranges and encodes them in the wire format. Ranges are not copied until
 * `encode`: the caller keeps their memory alive; `addBuffers` keeps the buffers it is given.
 * Sized for `capacity` pairs up front (grows past it), so a known-size map costs three allocations.
 */
export class HeaderMapWriter {
  private ranges: StaticArray<usize>; // per pair: name ptr, name len, value ptr, value len
  private kept: StaticArray<ArrayBuffer | null>; // per pair: name, value (when given as buffers)
  private pairs: i32 = 0;

  constructor(capacity: i32 = 16) {
    this.ranges = new StaticArray<usize>(max(capacity, 1) * 4);
    this.kept = new StaticArray<ArrayBuffer | null>(max(capacity, 1) * 2);
  }

  get count(): i32 {
    return this.pairs;
  }

  add(namePtr: usize, nameLen: i32, valuePtr: usize, valueLen: i32): void {
    const i = this.pairs;
    if (i * 4 == this.ranges.length) this.grow();
    const r = this.ranges;
    unchecked((r[i * 4] = namePtr));
    unchecked((r[i * 4 + 1] = <usize>nameLen));
    unchecked((r[i * 4 + 2] = valuePtr));
    unchecked((r[i * 4 + 3] = <usize>valueLen));
    this.pairs = i + 1;
  }

  addBuffers(name: ArrayBuffer, value: ArrayBuffer): void {
    this.add(changetype<usize>(name), name.byteLength, changetype<usize>(value), value.byteLength);
    const i = this.pairs - 1;
    unchecked((this.kept[i * 2] = name));
    unchecked((this.kept[i * 2 + 1] = value));
  }

  /** Copies pair `i` of `map`; the caller keeps `map` alive until `encode`. */
  addPair(map: HeaderMap, i: i32): void {
    this.add(map.namePtr(i), map.nameLen(i), map.valuePtr(i), map.valueLen(i));
  }

  private grow(): void {
    const ranges = new StaticArray<usize>(this.ranges.length * 2);
    memory.copy(changetype<usize>(ranges), changetype<usize>(this.ranges), <usize>this.ranges.length * sizeof<usize>());
    const kept = new StaticArray<ArrayBuffer | null>(this.kept.length * 2);
    for (let k = 0; k < this.kept.length; k++) unchecked((kept[k] = this.kept[k]));
    this.ranges = ranges;
    this.kept = kept;
  }

  encodedSize(): i32 {
    let size = 4;
    const r = this.ranges;
    for (let i = 0; i < this.pairs * 4; i += 4) {
      size += 8 + <i32>unchecked(r[i + 1]) + 1 + <i32>unchecked(r[i + 3]) + 1;
    }
    return size;
  }

  encode(): ArrayBuffer {
    const out = new ArrayBuffer(this.encodedSize());
    const base = changetype<usize>(out);
    const r = this.ranges;
    const n = this.pairs;
    store<u32>(base, n);
    let data = base + 4 + <usize>n * 8;
    for (let i = 0; i < n; i++) {
      const nameLen = unchecked(r[i * 4 + 1]);
      const valueLen = unchecked(r[i * 4 + 3]);
      store<u32>(base + 4 + i * 8, <u32>nameLen);
      store<u32>(base + 8 + i * 8, <u32>valueLen);
      memory.copy(data, unchecked(r[i * 4]), nameLen);
      data += nameLen;
      store<u8>(data++, 0);
      memory.copy(data, unchecked(r[i * 4 + 2]), valueLen);
      data += valueLen;
      store<u8>(data++, 0);
    }
    return out;
  }
}
