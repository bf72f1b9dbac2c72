// Module memory as the host sees it: the `malloc` export the host uses to hand values back,
// and the scratch slots the host writes returned pointers, lengths and tokens into.

/** Called by the host to get a block for every value it returns; the module frees it. */
export function malloc(size: usize): usize {
  return heap.alloc(size);
}

/** Frees a block the host filled through `malloc` (a zero-length result is pointer 0). */
export function freeHostBlock(ptr: usize): void {
  if (ptr != 0) heap.free(ptr);
}

// The collector (runtime "minimal": a two-colour mark & sweep without a shadow stack) only runs
// when asked, and only where no managed reference lives on the Wasm stack: at the entry of a
// callback. It runs once COLLECT_EVERY events that leave much garbage were noted (noteGarbage:
// stream objects, call responses), and at once after linear memory has grown, so garbage never
// accumulates for long; a stream that allocates nothing costs the collector nothing.
// @ts-ignore: decorator
@inline const COLLECT_EVERY: u32 = 64;
let entriesSinceCollect: u32 = 0;
let pagesAtCollect: i32 = 0;
/** Host calls in progress that could call back into the module (see hostcalls.httpCall). */
export let hostCallDepth: i32 = 0;

// @ts-ignore: decorator
@inline
export function enterHostCall(): void {
  hostCallDepth++;
}

// @ts-ignore: decorator
@inline
export function leaveHostCall(): void {
  hostCallDepth--;
}

/** An event that leaves garbage behind (a stream object, a call response) happened. */
// @ts-ignore: decorator
@inline
export function noteGarbage(): void {
  entriesSinceCollect++;
}

/** Call first thing in a callback, before any managed value exists in it; `now`: collect regardless. */
export function collectGarbageIfDue(now: bool = false): void {
  // A callback entered from inside a host call has the caller's managed values on the stack,
  // invisible to this collector: never collect there.
  if (hostCallDepth > 0) return;
  if (!now && entriesSinceCollect < COLLECT_EVERY && memory.size() <= pagesAtCollect) return;
  __collect();
  entriesSinceCollect = 0;
  pagesAtCollect = memory.size();
}

// Static, so taking their address never allocates. Only one host call is in progress at a time.
export const retPtr: usize = memory.data(4);
export const retLen: usize = memory.data(4);
export const retU32: usize = memory.data(4);
export const retU64: usize = memory.data(8);

// @ts-ignore: decorator
@inline
export function returnedPtr(): usize {
  return <usize>load<u32>(retPtr);
}

// @ts-ignore: decorator
@inline
export function returnedLen(): usize {
  return <usize>load<u32>(retLen);
}

/** Zeroes the return slots before a call, so a host that writes nothing reads as empty. */
// @ts-ignore: decorator
@inline
export function clearReturnSlots(): void {
  store<u32>(retPtr, 0);
  store<u32>(retLen, 0);
}
