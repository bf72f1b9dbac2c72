// What the filter makes of a value the host does not have: a header map that is absent (or
// malformed) reads as empty, a property that is absent as null. One place for these choices, over
// hostcalls' results (abi/hostcalls.ts: every wrapper returns a WasmResult).
import { MapType, WasmResult } from "proxy-wasm-sdk-as/assembly/enums";
import { HeaderMap } from "proxy-wasm-sdk-as/assembly/headers";
import { getHeaderMap, getProperty } from "proxy-wasm-sdk-as/assembly/hostcalls";
import { Out } from "proxy-wasm-sdk-as/assembly/out";

const EMPTY_MAP = HeaderMap.empty();
const MAP = new Out<HeaderMap>(EMPTY_MAP);
const NO_BYTES = new ArrayBuffer(0);
const BYTES = new Out<ArrayBuffer>(NO_BYTES);

/** Header map `map`, or an empty one when the host has none (or sent one that is malformed). */
export function headerMapOrEmpty(map: MapType): HeaderMap {
  if (getHeaderMap(map, MAP) != WasmResult.Ok) return EMPTY_MAP;
  const value = MAP.value;
  MAP.value = EMPTY_MAP; // the holder keeps no map alive
  return value;
}

/** A property's bytes, or null when the host has none. */
export function propertyOrNull(path: ArrayBuffer): ArrayBuffer | null {
  if (getProperty(path, BYTES) != WasmResult.Ok) return null;
  const value = BYTES.value;
  BYTES.value = NO_BYTES;
  return value;
}
