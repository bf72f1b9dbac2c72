// TEST-ONLY module: the content decoder (assembly/darklaunch/inflate.ts) alone, with a few
// exports through which Node feeds it compressed bytes and reads the decoded bytes back. Built as
// build/inflate-test.wasm by `npm run build:inflate-test`; used by test/emulator/inflate.test.ts
// and bench/inflate-speed.ts. Never deploy it.
import { ByteSink } from "proxy-wasm-sdk-as/assembly/bytes";
import { ContentCoding, contentCodingOf, Inflater } from "../darklaunch/inflate";

// The testing build routes `abort` to the ABI's handler (assembly/testing/asconfig.json), which
// logs through env.proxy_log: Node supplies that import and turns the call into an exception.
export { abortHandler as __darklaunch_abort } from "proxy-wasm-sdk-as/assembly/abort";

/** Collects the decoder's output in one raw block (Node drains it), or only counts it. */
class Collector extends ByteSink {
  ptr: usize = 0;
  capacity: usize = 0;
  length: usize = 0;
  writes: i32 = 0;
  keep: bool = true;

  write(ptr: usize, len: i32): void {
    this.writes++;
    if (!this.keep) {
      this.length += <usize>len;
      return;
    }
    const need = this.length + <usize>len;
    if (need > this.capacity) {
      let capacity = max<usize>(this.capacity, 65536);
      while (capacity < need) capacity <<= 1;
      this.ptr = this.ptr == 0 ? heap.alloc(capacity) : heap.realloc(this.ptr, capacity);
      this.capacity = capacity;
    }
    memory.copy(this.ptr + this.length, ptr, <usize>len);
    this.length = need;
  }
}

const collector = new Collector();
let decoder: Inflater | null = null;
let decoderCap: i64 = -1;
let input: usize = 0;
let inputCapacity: i32 = 0;
const REASON: usize = memory.data(256);

/** A block of at least `size` bytes where Node writes the compressed input (valid until the next call). */
export function inflate_input(size: i32): usize {
  if (size > inputCapacity) {
    input = input == 0 ? heap.alloc(<usize>size) : heap.realloc(input, <usize>size);
    inputCapacity = size;
  }
  return input;
}

/** Starts a stream of `coding` (ContentCoding) with output cap `maxOutput`; `keep` 0: count output only. */
export function inflate_reset(coding: i32, maxOutput: i64, keep: i32): void {
  if (decoder === null || decoderCap != maxOutput) {
    decoder = new Inflater(maxOutput);
    decoderCap = maxOutput;
  }
  collector.length = 0;
  collector.writes = 0;
  collector.keep = keep != 0;
  decoder!.reset(<ContentCoding>coding, collector);
}

/** Feeds input bytes [offset, offset + len) of the input block. */
export function inflate_write(offset: i32, len: i32): void {
  decoder!.write(input + <usize>offset, len);
}

export function inflate_finish(): i32 {
  return decoder!.finish() ? 1 : 0;
}

export function inflate_failed(): i32 {
  return decoder!.failed ? 1 : 0;
}

export function inflate_raw(): i32 {
  return decoder!.rawDeflate ? 1 : 0;
}

/** Bytes the decoder reports as written. */
export function inflate_output_length(): i64 {
  return decoder!.outputLength;
}

/** Collected output not yet drained: its address and length; `inflate_drain` empties it. */
export function inflate_collected_ptr(): usize {
  return collector.ptr;
}

export function inflate_collected_length(): i32 {
  return <i32>collector.length;
}

export function inflate_drain(): void {
  collector.length = 0;
}

/** How many times the decoder wrote to its sink since the reset. */
export function inflate_sink_writes(): i32 {
  return collector.writes;
}

/** The failure reason as UTF-8 at `inflate_reason_ptr()`; returns its length. */
export function inflate_reason(): i32 {
  const text = String.UTF8.encode(decoder!.failureReason);
  const n = min(text.byteLength, 256);
  memory.copy(REASON, changetype<usize>(text), <usize>n);
  return n;
}

export function inflate_reason_ptr(): usize {
  return REASON;
}

/** contentCodingOf over input bytes [0, len). */
export function inflate_content_coding(len: i32): i32 {
  return <i32>contentCodingOf(input, len);
}
