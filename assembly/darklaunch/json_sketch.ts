// An invertible Bloom lookup table of (key, path name) entries (Goodrich & Mitzenmacher 2011), as
// used for set reconciliation (Eppstein et al. 2011): each side of a pair adds its entries to a
// fixed number of cells; subtracting one side's table from the other's cancels every entry both
// sides have, and peeling the cells left with a single entry recovers the entries only one side
// has, with their path names. Constant memory whatever the body's size; why these sizes and how
// often decoding fails: docs/json-comparison.md, "Naming the differences".

import { fmix64 } from "./json_hash";

/**
 * Bytes of a path name per entry. A name of NAME_WIDTH - 1 bytes or fewer is kept whole; a
 * longer one keeps its first NAME_WIDTH - 1 bytes and 0xFF (never a byte of UTF-8) as the last,
 * so it comes back cut and marked "...". Names never contain a NUL byte (json_digest.ts escapes
 * it), so the kept bytes end at the first NUL.
 */
// @ts-ignore: decorator
@inline export const NAME_WIDTH: i32 = 64;
// @ts-ignore: decorator
@inline export const NAME_KEPT: i32 = NAME_WIDTH - 1;
// @ts-ignore: decorator
@inline export const NAME_CUT_MARK: u8 = 0xff;
/** Hash functions per entry: each entry is in one cell of each third of the table. */
// @ts-ignore: decorator
@inline const K: i32 = 3;
// Cell layout: one word with the count (high 32 bits, signed) and the XOR of 32-bit key checks
// (low 32 bits); the XOR of keys; the XOR of names, zero-padded to NAME_WIDTH.
// @ts-ignore: decorator
@inline const CELL_COUNT_CHECK: usize = 0;
// @ts-ignore: decorator
@inline const CELL_KEY: usize = 8;
// @ts-ignore: decorator
@inline const CELL_NAME: usize = 16;
// @ts-ignore: decorator
@inline export const CELL_BYTES: i32 = 16 + NAME_WIDTH;
// @ts-ignore: decorator
@inline const ONE_COUNT: u64 = 1 << 32;
// @ts-ignore: decorator
@inline const SLICE: u64 = (1 << 21) - 1;

/**
 * The check of a key: its low 32 bits are XORed into the cells (a cell holding exactly one entry
 * has check(key XOR) == check XOR).
 */
// @ts-ignore: decorator
@inline export function keyCheck(key: u64): u64 {
  return fmix64(key ^ 0x5851f42d4c957f2d);
}

/** One recovered entry: the path name (cut to NAME_WIDTH bytes) and which side had it. */
export class SketchEntry {
  constructor(
    readonly name: string,
    /** +1: only the first side of the subtraction had it; -1: only the second. */
    readonly side: i32,
  ) {}
}

export class PathSketch {
  private cells: ArrayBuffer;
  private readonly third: u64;

  /** `cells` is rounded down to a multiple of 3. */
  constructor(cells: i32) {
    const third = max(cells / K, 1);
    this.third = <u64>third;
    this.cells = new ArrayBuffer(third * K * CELL_BYTES);
  }

  get cellCount(): i32 {
    return <i32>this.third * K;
  }

  /** Bytes of memory the cells take. */
  get byteLength(): i32 {
    return this.cells.byteLength;
  }

  reset(): void {
    memory.fill(changetype<usize>(this.cells), 0, <usize>this.cells.byteLength);
  }

  /**
   * Adds one entry: `key` (a well-mixed 64-bit hash), `check` = keyCheck(key), and the path name
   * at `name`: `nameLen` bytes, of which the first min(nameLen, NAME_WIDTH) are read (as whole
   * 8-byte words: the bytes past them are masked off).
   */
  // @ts-ignore: decorator
  @inline add(key: u64, check: u64, name: usize, nameLen: i32): void {
    const base = changetype<usize>(this.cells);
    const third = this.third;
    const kept = min(nameLen, NAME_WIDTH);
    const fullWords = kept >> 3;
    const tail = kept & 7;
    const tailWord: u64 = tail == 0 ? 0 : load<u64>(name + (<usize>fullWords << 3)) & (((<u64>1) << (<u64>tail << 3)) - 1);
    const countCheck = check & 0xffffffff;
    // Three cells, one per third, from three 21-bit slices of the key (not of the check: the
    // cells can be found while the check is still being computed).
    const c0 = base + <usize>(((key & SLICE) * third) >> 21) * CELL_BYTES;
    const c1 = base + <usize>(third + ((((key >> 21) & SLICE) * third) >> 21)) * CELL_BYTES;
    const c2 = base + <usize>(third * 2 + (((key >> 42) * third) >> 22)) * CELL_BYTES;
    addToCell(c0, ONE_COUNT, key, countCheck, name, fullWords, tail, tailWord);
    addToCell(c1, ONE_COUNT, key, countCheck, name, fullWords, tail, tailWord);
    addToCell(c2, ONE_COUNT, key, countCheck, name, fullWords, tail, tailWord);
  }

  /** A new table: this one minus `other` (same size), entries both have cancelled. */
  minus(other: PathSketch): PathSketch {
    const out = new PathSketch(this.cellCount);
    const n = this.cellCount;
    const a = changetype<usize>(this.cells), b = changetype<usize>(other.cells), o = changetype<usize>(out.cells);
    for (let i = 0; i < n; i++) {
      const off = <usize>i * CELL_BYTES;
      const ca = load<u64>(a + off), cb = load<u64>(b + off);
      store<u64>(o + off, ((ca & 0xffffffff00000000) - (cb & 0xffffffff00000000)) | ((ca ^ cb) & 0xffffffff));
      for (let w: usize = 8; w < <usize>CELL_BYTES; w += 8) store<u64>(o + off + w, load<u64>(a + off + w) ^ load<u64>(b + off + w));
    }
    return out;
  }

  /**
   * Peels this (subtracted) table in place: the entries it can recover, in `found`. True when
   * every cell came out empty, i.e. every entry was recovered.
   */
  peel(found: SketchEntry[]): bool {
    const base = changetype<usize>(this.cells);
    const n = this.cellCount;
    const third = this.third;
    // Cells to look at: all of them first, then the three cells of each removed entry.
    const queue = new Array<i32>();
    for (let i = 0; i < n; i++) queue.push(i);
    const name = changetype<usize>(new ArrayBuffer(NAME_WIDTH + 8));
    const cells = new StaticArray<i32>(K);
    while (queue.length > 0) {
      const i = queue.pop();
      const cell = base + <usize>i * CELL_BYTES;
      const countCheck = load<u64>(cell + CELL_COUNT_CHECK);
      const count = <i32>(countCheck >> 32);
      if (count != 1 && count != -1) continue;
      const key = load<u64>(cell + CELL_KEY);
      const check = keyCheck(key);
      if ((check & 0xffffffff) != (countCheck & 0xffffffff)) continue;
      memory.copy(name, cell + CELL_NAME, <usize>NAME_WIDTH);
      let kept = 0;
      while (kept < NAME_WIDTH && load<u8>(name + <usize>kept) != 0) kept++;
      found.push(new SketchEntry(nameText(name, kept), count));
      const fullWords = kept >> 3;
      const tail = kept & 7;
      const tailWord = tail == 0 ? <u64>0 : load<u64>(name + (<usize>fullWords << 3)) & (((<u64>1) << (<u64>tail << 3)) - 1);
      cells[0] = <i32>(((key & SLICE) * third) >> 21);
      cells[1] = <i32>(third + ((((key >> 21) & SLICE) * third) >> 21));
      cells[2] = <i32>(third * 2 + (((key >> 42) * third) >> 22));
      for (let j = 0; j < K; j++) {
        // Removing an entry of side `count` is adding it with the opposite count.
        addToCell(base + <usize>cells[j] * CELL_BYTES, <u64>(-count) << 32, key, check & 0xffffffff, name, fullWords, tail, tailWord);
        queue.push(cells[j]);
      }
    }
    for (let i = 0; i < n; i++) {
      const cell = base + <usize>i * CELL_BYTES;
      if (load<u64>(cell + CELL_COUNT_CHECK) != 0 || load<u64>(cell + CELL_KEY) != 0) return false;
    }
    return true;
  }
}

// @ts-ignore: decorator
@inline function addToCell(c: usize, count: u64, key: u64, check: u64, name: usize, fullWords: i32, tail: i32, tailWord: u64): void {
  store<u64>(c + CELL_COUNT_CHECK, (load<u64>(c + CELL_COUNT_CHECK) + count) ^ check);
  store<u64>(c + CELL_KEY, load<u64>(c + CELL_KEY) ^ key);
  for (let w = 0; w < fullWords; w++) {
    const at = c + CELL_NAME + (<usize>w << 3);
    store<u64>(at, load<u64>(at) ^ load<u64>(name + (<usize>w << 3)));
  }
  if (tail != 0) {
    const at = c + CELL_NAME + (<usize>fullWords << 3);
    store<u64>(at, load<u64>(at) ^ tailWord);
  }
}

/** The root value's name in the differing paths (json_message.ts spells the root the same way). */
export const ROOT_NAME: string = "(root)";

/** A recovered name of `kept` bytes as text: the root's, or the name, marked "..." when it was cut. */
function nameText(ptr: usize, kept: i32): string {
  if (kept == 0) return ROOT_NAME;
  if (kept < NAME_WIDTH || load<u8>(ptr + <usize>(NAME_WIDTH - 1)) != NAME_CUT_MARK) {
    return String.UTF8.decodeUnsafe(ptr, <usize>kept);
  }
  // Cut: NAME_KEPT bytes, less a character whose bytes were not all kept.
  kept = NAME_KEPT;
  let lead = kept - 1;
  while (lead > 0 && (load<u8>(ptr + <usize>lead) & 0xc0) == 0x80) lead--;
  const c = <i32>load<u8>(ptr + <usize>lead);
  const size = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
  if (lead + size > kept) kept = lead;
  return String.UTF8.decodeUnsafe(ptr, <usize>kept) + "...";
}
