// An invertible Bloom lookup table of (key, path name) entries (Goodrich & Mitzenmacher 2011), as
// used for set reconciliation (Eppstein et al. 2011): each side of a pair adds its entries to a
// fixed number of cells; subtracting one side's table from the other's cancels every entry both
// sides have, and peeling the cells left with a single entry recovers the entries only one side
// has, with their path names. Constant memory whatever the body's size; why these sizes and how
// often decoding fails: docs/json-comparison.md, "Naming the differences".

/** Bytes of a path name kept per entry; longer names come back cut, marked with "...". */
// @ts-ignore: decorator
@inline export const NAME_WIDTH: i32 = 64;
/** Hash functions per entry: each entry is in one cell of each third of the table. */
// @ts-ignore: decorator
@inline const K: i32 = 3;
// Cell layout: count i32, XOR of name lengths u32, XOR of keys u64, XOR of key checks u64, XOR of names.
// @ts-ignore: decorator
@inline const CELL_COUNT: usize = 0;
// @ts-ignore: decorator
@inline const CELL_LEN: usize = 4;
// @ts-ignore: decorator
@inline const CELL_KEY: usize = 8;
// @ts-ignore: decorator
@inline const CELL_CHECK: usize = 16;
// @ts-ignore: decorator
@inline const CELL_NAME: usize = 24;
// @ts-ignore: decorator
@inline export const CELL_BYTES: i32 = 24 + NAME_WIDTH;

// @ts-ignore: decorator
@inline export function fmix64(h: u64): u64 {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccd;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53;
  h ^= h >> 33;
  return h;
}

/** The check of a key: a cell holding exactly one entry has check(key XOR) == check XOR. */
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

  reset(): void {
    memory.fill(changetype<usize>(this.cells), 0, <usize>this.cells.byteLength);
  }

  /**
   * Adds one entry: `key` (a well-mixed 64-bit hash), `check` = keyCheck(key), and the path name:
   * `nameLen` bytes (the full length; only the first NAME_WIDTH are kept) at `name`, readable in
   * whole 8-byte words (the bytes past `nameLen` are masked off).
   */
  // @ts-ignore: decorator
  @inline add(key: u64, check: u64, name: usize, nameLen: i32): void {
    const base = changetype<usize>(this.cells);
    const third = this.third;
    const kept = min(nameLen, NAME_WIDTH);
    const fullWords = kept >> 3;
    const tail = kept & 7;
    const tailMask: u64 = tail == 0 ? 0 : ((<u64>1) << (<u64>tail << 3)) - 1;
    const tailWord: u64 = tail == 0 ? 0 : load<u64>(name + (<usize>fullWords << 3)) & tailMask;
    // Three cells, one per third, from three independent 32-bit slices of key and check.
    const c0 = base + <usize>(((key & 0xffffffff) * third) >> 32) * CELL_BYTES;
    const c1 = base + <usize>(third + (((key >> 32) * third) >> 32)) * CELL_BYTES;
    const c2 = base + <usize>(third * 2 + (((check & 0xffffffff) * third) >> 32)) * CELL_BYTES;
    addToCell(c0, key, check, name, nameLen, fullWords, tail, tailWord);
    addToCell(c1, key, check, name, nameLen, fullWords, tail, tailWord);
    addToCell(c2, key, check, name, nameLen, fullWords, tail, tailWord);
  }

  /** A new table: this one minus `other` (same size), entries both have cancelled. */
  minus(other: PathSketch): PathSketch {
    const out = new PathSketch(this.cellCount);
    const n = this.cellCount;
    const a = changetype<usize>(this.cells), b = changetype<usize>(other.cells), o = changetype<usize>(out.cells);
    for (let i = 0; i < n; i++) {
      const off = <usize>i * CELL_BYTES;
      store<i32>(o + off + CELL_COUNT, load<i32>(a + off + CELL_COUNT) - load<i32>(b + off + CELL_COUNT));
      store<u32>(o + off + CELL_LEN, load<u32>(a + off + CELL_LEN) ^ load<u32>(b + off + CELL_LEN));
      for (let w: usize = 8; w < <usize>CELL_BYTES; w += 8) store<u64>(o + off + w, load<u64>(a + off + w) ^ load<u64>(b + off + w));
    }
    return out;
  }

  /**
   * Peels this (subtracted) table in place: the entries it can recover, in `found`. True when
   * every cell came out empty, i.e. every entry was recovered.
   */
  peel(found: SketchEntry[], limit: i32 = 1 << 20): bool {
    const base = changetype<usize>(this.cells);
    const n = this.cellCount;
    const third = this.third;
    // Cells to look at: all of them first, then the three cells of each removed entry.
    const queue = new Array<i32>();
    for (let i = 0; i < n; i++) queue.push(i);
    const nameTmp = new ArrayBuffer(NAME_WIDTH + 8);
    const tmp = changetype<usize>(nameTmp);
    let removed = 0;
    while (queue.length > 0 && removed < limit) {
      const i = queue.pop();
      const cell = base + <usize>i * CELL_BYTES;
      const count = load<i32>(cell + CELL_COUNT);
      if (count != 1 && count != -1) continue;
      const key = load<u64>(cell + CELL_KEY);
      const check = load<u64>(cell + CELL_CHECK);
      if (keyCheck(key) != check) continue;
      const nameLen = <i32>load<u32>(cell + CELL_LEN);
      const kept = min(nameLen, NAME_WIDTH);
      memory.fill(tmp, 0, <usize>(NAME_WIDTH + 8));
      memory.copy(tmp, cell + CELL_NAME, <usize>kept);
      found.push(new SketchEntry(nameText(tmp, nameLen), count));
      removed++;
      const fullWords = kept >> 3;
      const tail = kept & 7;
      const tailWord = tail == 0 ? <u64>0 : load<u64>(tmp + (<usize>fullWords << 3));
      const cs = new StaticArray<i32>(K);
      cs[0] = <i32>(((key & 0xffffffff) * third) >> 32);
      cs[1] = <i32>(third + (((key >> 32) * third) >> 32));
      cs[2] = <i32>(third * 2 + (((check & 0xffffffff) * third) >> 32));
      for (let j = 0; j < K; j++) {
        const c = base + <usize>cs[j] * CELL_BYTES;
        // Removing an entry of side `count` is adding it with the opposite count.
        store<i32>(c + CELL_COUNT, load<i32>(c + CELL_COUNT) - count);
        store<u32>(c + CELL_LEN, load<u32>(c + CELL_LEN) ^ <u32>nameLen);
        store<u64>(c + CELL_KEY, load<u64>(c + CELL_KEY) ^ key);
        store<u64>(c + CELL_CHECK, load<u64>(c + CELL_CHECK) ^ check);
        for (let w = 0; w < fullWords; w++) {
          const at = c + CELL_NAME + (<usize>w << 3);
          store<u64>(at, load<u64>(at) ^ load<u64>(tmp + (<usize>w << 3)));
        }
        if (tail != 0) {
          const at = c + CELL_NAME + (<usize>fullWords << 3);
          store<u64>(at, load<u64>(at) ^ tailWord);
        }
        queue.push(cs[j]);
      }
    }
    for (let i = 0; i < n; i++) {
      const cell = base + <usize>i * CELL_BYTES;
      if (load<i32>(cell + CELL_COUNT) != 0 || load<u64>(cell + CELL_KEY) != 0 || load<u64>(cell + CELL_CHECK) != 0) return false;
    }
    return true;
  }
}

// @ts-ignore: decorator
@inline function addToCell(c: usize, key: u64, check: u64, name: usize, nameLen: i32, fullWords: i32, tail: i32, tailWord: u64): void {
  store<i32>(c + CELL_COUNT, load<i32>(c + CELL_COUNT) + 1);
  store<u32>(c + CELL_LEN, load<u32>(c + CELL_LEN) ^ <u32>nameLen);
  store<u64>(c + CELL_KEY, load<u64>(c + CELL_KEY) ^ key);
  store<u64>(c + CELL_CHECK, load<u64>(c + CELL_CHECK) ^ check);
  for (let w = 0; w < fullWords; w++) {
    const at = c + CELL_NAME + (<usize>w << 3);
    store<u64>(at, load<u64>(at) ^ load<u64>(name + (<usize>w << 3)));
  }
  if (tail != 0) {
    const at = c + CELL_NAME + (<usize>fullWords << 3);
    store<u64>(at, load<u64>(at) ^ tailWord);
  }
}

/** The root value's name in the differing paths (json_check.ts spells the root the same way). */
export const ROOT_NAME: string = "(root)";

/** A recovered name as text: the root's, or the bytes kept, cut at a character boundary and marked when cut. */
function nameText(ptr: usize, nameLen: i32): string {
  if (nameLen == 0) return ROOT_NAME;
  if (nameLen <= NAME_WIDTH) return String.UTF8.decodeUnsafe(ptr, <usize>nameLen);
  // Drop a character whose bytes were not all kept.
  let kept = NAME_WIDTH;
  let lead = kept - 1;
  while (lead > 0 && (load<u8>(ptr + <usize>lead) & 0xc0) == 0x80) lead--;
  const c = <i32>load<u8>(ptr + <usize>lead);
  const size = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
  if (lead + size > kept) kept = lead;
  return String.UTF8.decodeUnsafe(ptr, <usize>kept) + "...";
}
