// Typed wrappers over the raw imports: strings in, owned values out, host blocks always freed.
import * as raw from "./imports";
import { BufferType, LogLevel, MapType, MetricType, WasmResult } from "./enums";
import { HeaderMap } from "./headers";
import { ByteSink } from "./bytes";
import { clearReturnSlots, enterHostCall, freeHostBlock, leaveHostCall, retLen, retPtr, retU32, retU64, returnedLen, returnedPtr } from "./memory";

/** Copies the block the host just returned (return slots) into managed memory and frees it. */
function takeReturnedBytes(): ArrayBuffer {
  const ptr = returnedPtr();
  const len = <i32>returnedLen();
  const out = new ArrayBuffer(len);
  if (ptr != 0) {
    memory.copy(changetype<usize>(out), ptr, len);
    freeHostBlock(ptr);
  }
  return out;
}

export function log(level: LogLevel, message: string): void {
  const bytes = String.UTF8.encode(message);
  raw.proxy_log(level, changetype<usize>(bytes), <usize>bytes.byteLength);
}

/** Copies `max` bytes from `start` of a buffer; null when the buffer is absent or empty. */
export function getBufferBytes(type: BufferType, start: i32, max: i32): ArrayBuffer | null {
  clearReturnSlots();
  if (raw.proxy_get_buffer_bytes(type, start, max, retPtr, retLen) != WasmResult.Ok) return null;
  if (returnedPtr() == 0) return null;
  return takeReturnedBytes();
}

/**
 * Lends `len` bytes of a buffer to `sink` without copying them into managed memory, reading at
 * most `slice` bytes per host call. Returns the number of bytes lent.
 */
export function streamBufferBytes(type: BufferType, start: i32, len: i32, slice: i32, sink: ByteSink): i32 {
  let done = 0;
  while (done < len) {
    const want = min(slice, len - done);
    clearReturnSlots();
    if (raw.proxy_get_buffer_bytes(type, start + done, want, retPtr, retLen) != WasmResult.Ok) break;
    const ptr = returnedPtr();
    const got = <i32>returnedLen();
    if (ptr == 0) break;
    if (got == 0) {
      freeHostBlock(ptr);
      break;
    }
    sink.write(ptr, got);
    freeHostBlock(ptr);
    done += got;
  }
  return done;
}

/** All pairs of a header map in one host call; an empty map when absent or malformed. */
export function getHeaderMap(map: MapType): HeaderMap {
  clearReturnSlots();
  if (raw.proxy_get_header_map_pairs(map, retPtr, retLen) != WasmResult.Ok) return HeaderMap.empty();
  const ptr = returnedPtr();
  const len = <i32>returnedLen();
  if (ptr == 0) return HeaderMap.empty();
  const decoded = HeaderMap.decode(ptr, len);
  freeHostBlock(ptr);
  return decoded !== null ? decoded : HeaderMap.empty();
}

/** The first value of one header, or null when absent. */
export function getHeaderValue(map: MapType, name: ArrayBuffer): ArrayBuffer | null {
  clearReturnSlots();
  const r = raw.proxy_get_header_map_value(map, changetype<usize>(name), name.byteLength, retPtr, retLen);
  if (r != WasmResult.Ok) return null;
  return takeReturnedBytes();
}

/**
 * The first value of one header left in the host's own block, without a copy: returns -1 when
 * the header is absent, else the block's address << 32 | its length (address 0 for an empty
 * value). The block is the caller's: it frees it with memory.freeHostBlock.
 */
export function lendHeaderValue(map: MapType, name: ArrayBuffer): i64 {
  clearReturnSlots();
  if (raw.proxy_get_header_map_value(map, changetype<usize>(name), name.byteLength, retPtr, retLen) != WasmResult.Ok) return -1;
  return (<i64>returnedPtr() << 32) | <i64>returnedLen();
}

/** A property's raw bytes (path segments joined by NUL, e.g. "xds\0route_name"), or null. */
export function getProperty(path: ArrayBuffer): ArrayBuffer | null {
  clearReturnSlots();
  if (raw.proxy_get_property(changetype<usize>(path), path.byteLength, retPtr, retLen) != WasmResult.Ok) return null;
  return takeReturnedBytes();
}

/** Defines a metric (Envoy names it `wasmcustom.<name>`); returns its id, or -1 when refused. */
export function defineMetric(type: MetricType, name: string): i64 {
  const bytes = String.UTF8.encode(name);
  store<u32>(retU32, 0);
  if (raw.proxy_define_metric(type, changetype<usize>(bytes), bytes.byteLength, retU32) != WasmResult.Ok) return -1;
  return <i64>load<u32>(retU32);
}

// @ts-ignore: decorator
@inline
export function incrementMetric(id: u32, offset: i64): void {
  raw.proxy_increment_metric(id, offset);
}

// @ts-ignore: decorator
@inline
export function recordMetric(id: u32, value: u64): void {
  raw.proxy_record_metric(id, value);
}

/**
 * Starts a call to `cluster`; headers and body are sent as given. Returns the call's token, or
 * -(WasmResult) when the host refused it (no callback will come for a refused call).
 */
export function httpCall(cluster: ArrayBuffer, headers: ArrayBuffer, body: ArrayBuffer | null, timeoutMs: u32): i64 {
  store<u32>(retU32, 0);
  const bodyPtr = body !== null ? changetype<usize>(body) : 0;
  const bodyLen = body !== null ? <usize>body.byteLength : 0;
  // An Envoy that completed the call inline would call proxy_on_http_call_response from inside it.
  enterHostCall();
  const r = raw.proxy_http_call(
    changetype<usize>(cluster), cluster.byteLength,
    changetype<usize>(headers), headers.byteLength,
    bodyPtr, bodyLen,
    0, 0,
    timeoutMs, retU32,
  );
  leaveHostCall();
  if (r != WasmResult.Ok) return -(<i64>r);
  return <i64>load<u32>(retU32);
}

/** A shared-data value and its compare-and-swap version. */
export class SharedValue {
  constructor(public bytes: ArrayBuffer | null, public cas: u32) {}
}

/** Reads a shared-data key; `bytes` is null (cas 0) when the key does not exist yet. */
export function getSharedData(key: ArrayBuffer): SharedValue {
  clearReturnSlots();
  store<u32>(retU32, 0);
  const r = raw.proxy_get_shared_data(changetype<usize>(key), key.byteLength, retPtr, retLen, retU32);
  if (r != WasmResult.Ok) return new SharedValue(null, 0);
  return new SharedValue(takeReturnedBytes(), load<u32>(retU32));
}

/**
 * Reads a shared-data key into `n` bytes at `out` (zero-filled past the value, or entirely when
 * the key does not exist) without allocating; returns its compare-and-swap version (0 if absent).
 */
export function getSharedDataInto(key: ArrayBuffer, out: usize, n: i32): u32 {
  clearReturnSlots();
  store<u32>(retU32, 0);
  memory.fill(out, 0, n);
  if (raw.proxy_get_shared_data(changetype<usize>(key), key.byteLength, retPtr, retLen, retU32) != WasmResult.Ok) return 0;
  const ptr = returnedPtr();
  if (ptr != 0) {
    memory.copy(out, ptr, min(<usize>n, returnedLen()));
    freeHostBlock(ptr);
  }
  return load<u32>(retU32);
}

/** Writes `n` bytes at `ptr` to a shared-data key if its version is still `cas` (0: unconditionally). */
export function setSharedDataFrom(key: ArrayBuffer, ptr: usize, n: i32, cas: u32): WasmResult {
  return <WasmResult>raw.proxy_set_shared_data(changetype<usize>(key), key.byteLength, ptr, n, cas);
}

/** Writes a shared-data key if its version is still `cas` (0: unconditionally). */
export function setSharedData(key: ArrayBuffer, value: ArrayBuffer, cas: u32): WasmResult {
  return <WasmResult>raw.proxy_set_shared_data(changetype<usize>(key), key.byteLength, changetype<usize>(value), value.byteLength, cas);
}

/**
 * Asks for proxy_on_tick on the current root context every `periodMs` (0 stops it). Call it from
 * a callback of that root (onVmStart, onConfigure). Envoy's timer re-arms after each tick.
 */
export function setTickPeriod(periodMs: u32): WasmResult {
  return <WasmResult>raw.proxy_set_tick_period_milliseconds(periodMs);
}

/**
 * Tells the host that the context whose onDone returned false (the one current now: call it from
 * a callback of that context) has finished; the host then deletes it.
 */
export function done(): void {
  raw.proxy_done();
}

/** The status code of the last failed host operation (e.g. why an http call got no response). */
export function getStatusCode(): u32 {
  clearReturnSlots();
  store<u32>(retU32, 0);
  if (raw.proxy_get_status(retU32, retPtr, retLen) != WasmResult.Ok) return 0;
  freeHostBlock(returnedPtr());
  return load<u32>(retU32);
}

/** Monotonic clock in nanoseconds (WASI clock 1). */
export function monotonicNanos(): u64 {
  store<u64>(retU64, 0);
  raw.wasi_clock_time_get(1, 1000, retU64);
  return load<u64>(retU64);
}

/** Wall clock in nanoseconds since the Unix epoch (Envoy's real time); 0 if the host refuses. */
export function wallClockNanos(): u64 {
  store<u64>(retU64, 0);
  if (raw.proxy_get_current_time_nanoseconds(retU64) != WasmResult.Ok) return 0;
  return load<u64>(retU64);
}

/** 64 random bits from the host. */
export function randomU64(): u64 {
  store<u64>(retU64, 0);
  raw.wasi_random_get(retU64, 8);
  return load<u64>(retU64);
}
