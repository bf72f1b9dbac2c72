// BENCHMARK-ONLY: the least a proxy-wasm filter can do to mirror a request — read the request
// headers, hand them unchanged to proxy_http_call (cluster "dark"), ignore the answer. No gates,
// no comparison, no stats. `extraHostCalls` adds that many host calls of the kinds the filter
// makes most (half counter increments, half shared-data reads, which also call back into
// `malloc`), to price one host call in Envoy (bench/README.md, "What bounds the goals").
import { RootContext, StreamContext } from "proxy-wasm-sdk-as/assembly/context";
import { setRootContextFactory } from "proxy-wasm-sdk-as/assembly/exports";
import { FilterHeadersStatus, MapType, MetricType, WasmResult } from "proxy-wasm-sdk-as/assembly/enums";
import { defineMetric, getSharedDataInto, incrementMetric, setSharedDataFrom } from "proxy-wasm-sdk-as/assembly/hostcalls";
import * as raw from "proxy-wasm-sdk-as/assembly/imports";
import { Out } from "proxy-wasm-sdk-as/assembly/out";
import { clearReturnSlots, freeHostBlock, retLen, retPtr, retU32, returnedLen, returnedPtr } from "proxy-wasm-sdk-as/assembly/memory";

const DARK: ArrayBuffer = String.UTF8.encode("dark");
const SHARED_KEY: ArrayBuffer = String.UTF8.encode("mirror_floor/words");
const SCRATCH: usize = memory.data(64);
let extraHostCalls: i32 = 0;
const CAS = new Out<u32>(0);
const ID = new Out<u32>(0);

class FloorStream extends StreamContext {
  onRequestHeaders(numHeaders: i32, endOfStream: bool): FilterHeadersStatus {
    clearReturnSlots();
    if (raw.proxy_get_header_map_pairs(MapType.RequestHeaders, retPtr, retLen) == WasmResult.Ok) {
      const ptr = returnedPtr();
      raw.proxy_http_call(changetype<usize>(DARK), DARK.byteLength, ptr, returnedLen(), 0, 0, 0, 0, 5000, retU32);
      freeHostBlock(ptr);
    }
    for (let i = 0; i < extraHostCalls; i++) {
      if (i & 1) getSharedDataInto(SHARED_KEY, SCRATCH, 64, CAS);
      else incrementMetric(ID.value, 1);
    }
    return FilterHeadersStatus.Continue;
  }
}

class FloorRoot extends RootContext {
  onConfigure(pluginConfigurationSize: i32): bool {
    if (extraHostCalls > 0) {
      defineMetric(MetricType.Counter, "mirror_floor.extra", ID);
      setSharedDataFrom(SHARED_KEY, SCRATCH, 64, 0);
    }
    return true;
  }

  createStreamContext(id: u32): StreamContext | null {
    return new FloorStream(id, this);
  }
}

/** Installs the floor module, making `extra` more host calls per request. */
export function installMirrorFloor(extra: i32): void {
  extraHostCalls = extra;
  setRootContextFactory((id: u32): RootContext => new FloorRoot(id));
}
