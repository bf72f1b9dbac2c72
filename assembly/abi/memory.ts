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
