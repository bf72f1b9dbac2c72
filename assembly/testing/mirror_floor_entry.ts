// BENCHMARK-ONLY module: the least a proxy-wasm filter can do to mirror a request — read the
// request headers, hand them unchanged to proxy_http_call (cluster "dark"), ignore the answer.
// No gates, no comparison, no stats. Built as build/mirror-floor.wasm by `npm run build:floor`;
// `npm run bench -- --wasm build/mirror-floor.wasm --configs B,C` measures what mirroring through
// proxy_http_call costs in Envoy before the filter does anything of its own (the floor under C).
import { RootContext, StreamContext } from "../abi/context";
import { setRootContextFactory } from "../abi/exports";
import { FilterHeadersStatus, MapType, WasmResult } from "../abi/enums";
import * as raw from "../abi/imports";
import { clearReturnSlots, freeHostBlock, retLen, retPtr, retU32, returnedLen, returnedPtr } from "../abi/memory";

export * from "../abi/module";

const DARK: ArrayBuffer = String.UTF8.encode("dark");

class FloorStream extends StreamContext {
  onRequestHeaders(numHeaders: i32, endOfStream: bool): FilterHeadersStatus {
    clearReturnSlots();
    if (raw.proxy_get_header_map_pairs(MapType.RequestHeaders, retPtr, retLen) == WasmResult.Ok) {
      const ptr = returnedPtr();
      raw.proxy_http_call(changetype<usize>(DARK), DARK.byteLength, ptr, returnedLen(), 0, 0, 0, 0, 5000, retU32);
      freeHostBlock(ptr);
    }
    return FilterHeadersStatus.Continue;
  }
}

class FloorRoot extends RootContext {
  createStreamContext(id: u32): StreamContext | null {
    return new FloorStream(id, this);
  }
}

setRootContextFactory((id: u32): RootContext => new FloorRoot(id));
