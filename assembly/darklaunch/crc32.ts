// CRC-32 (ISO 3309, reflected polynomial 0xEDB88320): the checksum of gzip members (RFC 1952 §8)
// and of their optional header CRC. Slicing by 8: eight 256-entry tables, one lookup per input
// byte but eight independent ones per step, about four times the speed of the byte-wise loop.

// @ts-ignore: decorator
@inline const POLY: u32 = 0xedb88320;

/** Tables T0..T7, 8 × 256 u32, built on first use (8 KiB shared by every stream). */
const TABLES: usize = memory.data(8 * 256 * 4, 16);
let tablesBuilt = false;

function buildTables(): void {
  for (let b: u32 = 0; b < 256; b++) {
    let c = b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    store<u32>(TABLES + (<usize>b << 2), c);
  }
  for (let t = 1; t < 8; t++) {
    for (let b = 0; b < 256; b++) {
      const prev = load<u32>(TABLES + (<usize>((t - 1) * 256 + b) << 2));
      const next = (prev >>> 8) ^ load<u32>(TABLES + (<usize>(prev & 0xff) << 2));
      store<u32>(TABLES + (<usize>(t * 256 + b) << 2), next);
    }
  }
  tablesBuilt = true;
}

// @ts-ignore: decorator
@inline function entry(table: i32, index: u32): u32 {
  return load<u32>(TABLES + (<usize>(table * 256) << 2) + (<usize>index << 2));
}

/** The CRC-32 of everything so far (`crc`, 0 for nothing) followed by `len` bytes at `ptr`. */
export function crc32Update(crc: u32, ptr: usize, len: i32): u32 {
  if (!tablesBuilt) buildTables();
  let c = ~crc;
  let p = ptr;
  let n = len;
  while (n >= 8) {
    const a = load<u32>(p) ^ c;
    const b = load<u32>(p, 4);
    c =
      entry(7, a & 0xff) ^ entry(6, (a >>> 8) & 0xff) ^ entry(5, (a >>> 16) & 0xff) ^ entry(4, a >>> 24) ^
      entry(3, b & 0xff) ^ entry(2, (b >>> 8) & 0xff) ^ entry(1, (b >>> 16) & 0xff) ^ entry(0, b >>> 24);
    p += 8;
    n -= 8;
  }
  while (n > 0) {
    c = entry(0, (c ^ load<u8>(p)) & 0xff) ^ (c >>> 8);
    p++;
    n--;
  }
  return ~c;
}

/** `crc32Update` for a single byte (gzip header bytes, read one at a time). */
export function crc32Byte(crc: u32, byte: u32): u32 {
  if (!tablesBuilt) buildTables();
  const c = ~crc;
  return ~(entry(0, (c ^ byte) & 0xff) ^ (c >>> 8));
}
