// The holder a host-call wrapper writes its value into (hostcalls.ts: every wrapper returns the
// WasmResult, and a value only through a holder like this). A caller may keep one and reuse it:
// reading a value then allocates nothing but the value itself.

/** A value written by a wrapper that returned WasmResult.Ok; left as it was otherwise. */
export class Out<T> {
  constructor(public value: T) {}
}

/**
 * A block the host handed over and the module now owns (hostcalls.lendHeaderValue): `len` bytes
 * at `ptr`, freed by the caller with memory.freeHostBlock(ptr). `ptr` is 0 for an empty value.
 */
export class HostBlock {
  ptr: usize = 0;
  len: i32 = 0;
}

/** A shared-data value and its compare-and-swap version (hostcalls.getSharedData). */
export class SharedValue {
  bytes: ArrayBuffer = new ArrayBuffer(0);
  cas: u32 = 0;
}
