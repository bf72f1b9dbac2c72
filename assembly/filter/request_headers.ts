// The request's headers as rule matching and the gates look at them (darklaunch/rules.ts), fetched
// one value at a time (proxy_get_header_map_value) when a rule first asks for a name, instead of
// the whole map: a rule set that looks at `:path` and `:method` costs those two host calls, and a
// request that no rule wants needs nothing more. Values stay in the host's blocks (no managed
// allocation) until release(), at the end of the request-headers callback. Only first values are
// known (indexOf from past 0 finds nothing): a configuration that needs every value of a header
// (a sticky cookie key) reads the whole map instead (root.ts).
import { MapType, WasmResult } from "proxy-wasm-sdk-as/assembly/enums";
import { equalsBytes } from "proxy-wasm-sdk-as/assembly/headers";
import { lendHeaderValue } from "proxy-wasm-sdk-as/assembly/hostcalls";
import { freeHostBlock } from "proxy-wasm-sdk-as/assembly/memory";
import { HostBlock } from "proxy-wasm-sdk-as/assembly/out";

export class RequestHeaderLookup {
  /** Per looked-up name: the name, and its value's block and length (-1: absent). */
  private names: StaticArray<ArrayBuffer | null> = new StaticArray<ArrayBuffer | null>(8);
  private ptrs: StaticArray<usize> = new StaticArray<usize>(8);
  private lens: StaticArray<i32> = new StaticArray<i32>(8);
  private count: i32 = 0;
  private readonly block: HostBlock = new HostBlock();

  /** The slot of `name`'s first value (fetched now if not looked up yet), or -1 when absent. */
  indexOf(name: ArrayBuffer, from: i32 = 0): i32 {
    if (from > 0) return -1;
    const n = this.count;
    const p = changetype<usize>(name);
    const l = name.byteLength;
    for (let i = 0; i < n; i++) {
      const known = unchecked(this.names[i])!;
      if (equalsBytes(changetype<usize>(known), known.byteLength, p, l)) return unchecked(this.lens[i]) >= 0 ? i : -1;
    }
    if (n == this.names.length) this.grow();
    const block = this.block;
    const found = lendHeaderValue(MapType.RequestHeaders, name, block) == WasmResult.Ok;
    unchecked((this.names[n] = name));
    unchecked((this.ptrs[n] = found ? block.ptr : 0));
    unchecked((this.lens[n] = found ? block.len : -1));
    this.count = n + 1;
    return found ? n : -1;
  }

  // @ts-ignore: decorator
  @inline valuePtr(i: i32): usize {
    return unchecked(this.ptrs[i]);
  }

  // @ts-ignore: decorator
  @inline valueLen(i: i32): i32 {
    return unchecked(this.lens[i]);
  }

  /** Gives the values' blocks back and forgets them (before the callback returns). */
  release(): void {
    for (let i = 0; i < this.count; i++) {
      freeHostBlock(unchecked(this.ptrs[i]));
      unchecked((this.names[i] = null));
    }
    this.count = 0;
  }

  private grow(): void {
    const size = this.names.length * 2;
    const names = new StaticArray<ArrayBuffer | null>(size);
    const ptrs = new StaticArray<usize>(size);
    const lens = new StaticArray<i32>(size);
    for (let i = 0; i < this.count; i++) {
      unchecked((names[i] = this.names[i]));
      unchecked((ptrs[i] = this.ptrs[i]));
      unchecked((lens[i] = this.lens[i]));
    }
    this.names = names;
    this.ptrs = ptrs;
    this.lens = lens;
  }
}
