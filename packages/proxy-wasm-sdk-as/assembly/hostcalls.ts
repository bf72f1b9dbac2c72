// Typed wrappers over the raw imports: strings and buffers in, owned values out, host blocks
// always freed.
//
// One convention for errors: every wrapper returns the WasmResult of its host call (Ok, or why
// not: NotFound for a header, property, key or buffer that is not there, BadArgument for a
// refused call, ...), and a wrapper that reads a value writes it into a holder the caller passes
// (out.ts: Out<T>, HostBlock, SharedValue), only when it returns Ok. As with Result<T, Status> in
// the Rust SDK and (value, error) in the Go SDK, absence is a result, never a sentinel value
// (no null, -1, empty map or 0 standing for "not there"). A few wrappers report their own
// results in the same terms: a malformed header map from the host is ParseFailure, a buffer
// that ends early is NotFound, a WASI call that fails is InternalFailure.
import * as raw from "./imports";
import { BufferType, LogLevel, MapType, MetricType, StreamType, WasmResult } from "./enums";
import { HeaderMap } from "./headers";
import { ByteSink } from "./bytes";
import { HostBlock, Out, SharedValue } from "./out";
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

// @ts-ignore: decorator
@inline
function wasi(errno: u16): WasmResult {
  return errno == 0 ? WasmResult.Ok : WasmResult.InternalFailure;
}

/** Writes `message` to the host's log at `level`. */
export function log(level: LogLevel, message: string): WasmResult {
  const bytes = String.UTF8.encode(message);
  return <WasmResult>raw.proxy_log(level, changetype<usize>(bytes), <usize>bytes.byteLength);
}

/** The host's log level for this plugin into `out` (messages below it are dropped by the host). */
export function getLogLevel(out: Out<LogLevel>): WasmResult {
  store<u32>(retU32, 0);
  const r = <WasmResult>raw.proxy_get_log_level(retU32);
  if (r == WasmResult.Ok) out.value = <LogLevel>load<u32>(retU32);
  return r;
}

/** Copies at most `max` bytes from `start` of a buffer into `out` (an empty buffer is Ok with 0 bytes). */
export function getBufferBytes(type: BufferType, start: i32, max: i32, out: Out<ArrayBuffer>): WasmResult {
  clearReturnSlots();
  const r = <WasmResult>raw.proxy_get_buffer_bytes(type, start, max, retPtr, retLen);
  if (r != WasmResult.Ok) return r;
  out.value = takeReturnedBytes();
  return WasmResult.Ok;
}

/**
 * Lends `len` bytes of a buffer from `start` to `sink`, at most `slice` bytes per host call,
 * without copying them into managed memory. Ok when all `len` were lent; else the host's result,
 * or NotFound when the buffer ended first (the sink has what came before).
 */
export function streamBufferBytes(type: BufferType, start: i32, len: i32, slice: i32, sink: ByteSink): WasmResult {
  let done = 0;
  while (done < len) {
    const want = min(slice, len - done);
    clearReturnSlots();
    const r = <WasmResult>raw.proxy_get_buffer_bytes(type, start + done, want, retPtr, retLen);
    if (r != WasmResult.Ok) return r;
    const ptr = returnedPtr();
    const got = <i32>returnedLen();
    if (ptr == 0 || got == 0) {
      freeHostBlock(ptr);
      return WasmResult.NotFound;
    }
    sink.write(ptr, got);
    freeHostBlock(ptr);
    done += got;
  }
  return WasmResult.Ok;
}

/**
 * Replaces `size` bytes at `start` of a buffer (the body of the current callback) with `value`:
 * start 0 and size 0 prepends, start at or past the end appends, start 0 and size at least the
 * buffer's length replaces it all.
 */
export function setBufferBytes(type: BufferType, start: i32, size: i32, value: ArrayBuffer): WasmResult {
  return <WasmResult>raw.proxy_set_buffer_bytes(type, start, size, changetype<usize>(value), value.byteLength);
}

/** All pairs of a header map in one host call, decoded into `out`; ParseFailure if the host's bytes are malformed. */
export function getHeaderMap(map: MapType, out: Out<HeaderMap>): WasmResult {
  clearReturnSlots();
  const r = <WasmResult>raw.proxy_get_header_map_pairs(map, retPtr, retLen);
  if (r != WasmResult.Ok) return r;
  const ptr = returnedPtr();
  if (ptr == 0) {
    out.value = HeaderMap.empty();
    return WasmResult.Ok;
  }
  const decoded = HeaderMap.decode(ptr, <i32>returnedLen());
  freeHostBlock(ptr);
  if (decoded === null) return WasmResult.ParseFailure;
  out.value = decoded;
  return WasmResult.Ok;
}

/** The first value of header `name` (NotFound when absent), copied into `out`. */
export function getHeaderValue(map: MapType, name: ArrayBuffer, out: Out<ArrayBuffer>): WasmResult {
  clearReturnSlots();
  const r = <WasmResult>raw.proxy_get_header_map_value(map, changetype<usize>(name), name.byteLength, retPtr, retLen);
  if (r != WasmResult.Ok) return r;
  out.value = takeReturnedBytes();
  return WasmResult.Ok;
}

/**
 * The first value of header `name` (NotFound when absent) left in the host's own block, without
 * a copy: `out` gets the block, which the caller owns and frees with memory.freeHostBlock.
 */
export function lendHeaderValue(map: MapType, name: ArrayBuffer, out: HostBlock): WasmResult {
  clearReturnSlots();
  const r = <WasmResult>raw.proxy_get_header_map_value(map, changetype<usize>(name), name.byteLength, retPtr, retLen);
  if (r != WasmResult.Ok) return r;
  out.ptr = returnedPtr();
  out.len = <i32>returnedLen();
  return WasmResult.Ok;
}

/** Replaces every pair of a header map with `pairs` (HeaderMapWriter.encode()). */
export function setHeaderMap(map: MapType, pairs: ArrayBuffer): WasmResult {
  return <WasmResult>raw.proxy_set_header_map_pairs(map, changetype<usize>(pairs), pairs.byteLength);
}

/** Adds a pair `name: value` (a header already there keeps its values; this one is added). */
export function addHeaderValue(map: MapType, name: ArrayBuffer, value: ArrayBuffer): WasmResult {
  return <WasmResult>raw.proxy_add_header_map_value(map, changetype<usize>(name), name.byteLength, changetype<usize>(value), value.byteLength);
}

/** Sets header `name` to `value` alone (replacing every value it had, or adding it). */
export function replaceHeaderValue(map: MapType, name: ArrayBuffer, value: ArrayBuffer): WasmResult {
  return <WasmResult>raw.proxy_replace_header_map_value(map, changetype<usize>(name), name.byteLength, changetype<usize>(value), value.byteLength);
}

/** Removes every value of header `name` (Ok also when there was none). */
export function removeHeaderValue(map: MapType, name: ArrayBuffer): WasmResult {
  return <WasmResult>raw.proxy_remove_header_map_value(map, changetype<usize>(name), name.byteLength);
}

/**
 * Answers the current stream's request with a response of the host's making (the upstream is not
 * called, or its answer is dropped): `status`, `headers` (an encoded map, HeaderMapWriter), `body`,
 * `details` for Envoy's response code details (no spaces), and a gRPC status (-1: none).
 */
export function sendLocalResponse(status: u32, details: ArrayBuffer, body: ArrayBuffer, headers: ArrayBuffer, grpcStatus: i32 = -1): WasmResult {
  return <WasmResult>raw.proxy_send_local_response(
    status,
    changetype<usize>(details), details.byteLength,
    changetype<usize>(body), body.byteLength,
    changetype<usize>(headers), headers.byteLength,
    grpcStatus,
  );
}

/** Resumes the current stream's request or response after a callback returned StopIteration. */
export function continueStream(type: StreamType): WasmResult {
  return <WasmResult>raw.proxy_continue_stream(type);
}

/** Resets the current stream's request or response. */
export function closeStream(type: StreamType): WasmResult {
  return <WasmResult>raw.proxy_close_stream(type);
}

/**
 * Makes context `id` the one later host calls in this callback act for (e.g. a stream's, in the
 * root's onHttpCallResponse); BadArgument for an unknown context.
 */
export function setEffectiveContext(id: u32): WasmResult {
  return <WasmResult>raw.proxy_set_effective_context(id);
}

/** A property's raw bytes (path segments joined by NUL, e.g. "xds\0route_name") into `out`. */
export function getProperty(path: ArrayBuffer, out: Out<ArrayBuffer>): WasmResult {
  clearReturnSlots();
  const r = <WasmResult>raw.proxy_get_property(changetype<usize>(path), path.byteLength, retPtr, retLen);
  if (r != WasmResult.Ok) return r;
  out.value = takeReturnedBytes();
  return WasmResult.Ok;
}

/**
 * Sets a property of the current stream (Envoy keeps it in the stream's filter state, under
 * `wasm.` and the path; getProperty with the same path reads it back); NotFound outside a stream.
 */
export function setProperty(path: ArrayBuffer, value: ArrayBuffer): WasmResult {
  return <WasmResult>raw.proxy_set_property(changetype<usize>(path), path.byteLength, changetype<usize>(value), value.byteLength);
}

/** Defines a metric (Envoy names it `wasmcustom.<name>`); its id goes to `id`. */
export function defineMetric(type: MetricType, name: string, id: Out<u32>): WasmResult {
  const bytes = String.UTF8.encode(name);
  store<u32>(retU32, 0);
  const r = <WasmResult>raw.proxy_define_metric(type, changetype<usize>(bytes), bytes.byteLength, retU32);
  if (r != WasmResult.Ok) return r;
  id.value = load<u32>(retU32);
  return WasmResult.Ok;
}

/** Adds `offset` to a counter (offset > 0) or a gauge. */
// @ts-ignore: decorator
@inline
export function incrementMetric(id: u32, offset: i64): WasmResult {
  return <WasmResult>raw.proxy_increment_metric(id, offset);
}

/** Sets a gauge, or records a histogram sample. */
// @ts-ignore: decorator
@inline
export function recordMetric(id: u32, value: u64): WasmResult {
  return <WasmResult>raw.proxy_record_metric(id, value);
}

/** A counter's or gauge's current value into `out`. */
export function getMetric(id: u32, out: Out<u64>): WasmResult {
  store<u64>(retU64, 0);
  const r = <WasmResult>raw.proxy_get_metric(id, retU64);
  if (r == WasmResult.Ok) out.value = load<u64>(retU64);
  return r;
}

/**
 * Starts a call to `cluster` with `headers` (an encoded map with :method, :path, :authority) and
 * `body`; its token goes to `token`. The answer comes to the root context of the calling context
 * (onHttpCallResponse). A call the host refused (BadArgument: unknown cluster, missing pseudo-
 * headers) gets no callback.
 */
export function httpCall(cluster: ArrayBuffer, headers: ArrayBuffer, body: ArrayBuffer | null, timeoutMs: u32, token: Out<u32>): WasmResult {
  store<u32>(retU32, 0);
  const bodyPtr = body !== null ? changetype<usize>(body) : 0;
  const bodyLen = body !== null ? <usize>body.byteLength : 0;
  // An Envoy that completed the call inline would call proxy_on_http_call_response from inside it.
  enterHostCall();
  const r = <WasmResult>raw.proxy_http_call(
    changetype<usize>(cluster), cluster.byteLength,
    changetype<usize>(headers), headers.byteLength,
    bodyPtr, bodyLen,
    0, 0,
    timeoutMs, retU32,
  );
  leaveHostCall();
  if (r != WasmResult.Ok) return r;
  token.value = load<u32>(retU32);
  return WasmResult.Ok;
}

/** Reads a shared-data key (NotFound when it does not exist yet) into `out`: its bytes and version. */
export function getSharedData(key: ArrayBuffer, out: SharedValue): WasmResult {
  clearReturnSlots();
  store<u32>(retU32, 0);
  const r = <WasmResult>raw.proxy_get_shared_data(changetype<usize>(key), key.byteLength, retPtr, retLen, retU32);
  if (r != WasmResult.Ok) return r;
  out.bytes = takeReturnedBytes();
  out.cas = load<u32>(retU32);
  return WasmResult.Ok;
}

/**
 * Reads a shared-data key into the `n` bytes at `into` without allocating (zero-filled past the
 * value; all zero when the key does not exist: NotFound); its version goes to `cas`.
 */
export function getSharedDataInto(key: ArrayBuffer, into: usize, n: i32, cas: Out<u32>): WasmResult {
  clearReturnSlots();
  store<u32>(retU32, 0);
  memory.fill(into, 0, n);
  const r = <WasmResult>raw.proxy_get_shared_data(changetype<usize>(key), key.byteLength, retPtr, retLen, retU32);
  if (r != WasmResult.Ok) return r;
  const ptr = returnedPtr();
  if (ptr != 0) {
    memory.copy(into, ptr, min(<usize>n, returnedLen()));
    freeHostBlock(ptr);
  }
  cas.value = load<u32>(retU32);
  return WasmResult.Ok;
}

/** Writes `n` bytes at `ptr` to a shared-data key if its version is still `cas` (0: unconditionally); CasMismatch if not. */
export function setSharedDataFrom(key: ArrayBuffer, ptr: usize, n: i32, cas: u32): WasmResult {
  return <WasmResult>raw.proxy_set_shared_data(changetype<usize>(key), key.byteLength, ptr, n, cas);
}

/** Writes a shared-data key if its version is still `cas` (0: unconditionally); CasMismatch if not. */
export function setSharedData(key: ArrayBuffer, value: ArrayBuffer, cas: u32): WasmResult {
  return <WasmResult>raw.proxy_set_shared_data(changetype<usize>(key), key.byteLength, changetype<usize>(value), value.byteLength, cas);
}

/**
 * Registers (or opens, if it exists) the shared queue `name` of this VM's vm_id; its id goes to
 * `id`. Items enqueued on it from any VM call onQueueReady of the root context that registered it.
 */
export function registerSharedQueue(name: string, id: Out<u32>): WasmResult {
  const bytes = String.UTF8.encode(name);
  store<u32>(retU32, 0);
  const r = <WasmResult>raw.proxy_register_shared_queue(changetype<usize>(bytes), bytes.byteLength, retU32);
  if (r == WasmResult.Ok) id.value = load<u32>(retU32);
  return r;
}

/** The id of the shared queue `name` registered by a VM with `vmId` (NotFound if none) into `id`. */
export function resolveSharedQueue(vmId: string, name: string, id: Out<u32>): WasmResult {
  const vm = String.UTF8.encode(vmId);
  const bytes = String.UTF8.encode(name);
  store<u32>(retU32, 0);
  const r = <WasmResult>raw.proxy_resolve_shared_queue(changetype<usize>(vm), vm.byteLength, changetype<usize>(bytes), bytes.byteLength, retU32);
  if (r == WasmResult.Ok) id.value = load<u32>(retU32);
  return r;
}

/** Adds an item at the end of shared queue `id`. */
export function enqueueSharedQueue(id: u32, value: ArrayBuffer): WasmResult {
  return <WasmResult>raw.proxy_enqueue_shared_queue(id, changetype<usize>(value), value.byteLength);
}

/** Takes the item at the front of shared queue `id` into `out`; Empty when there is none. */
export function dequeueSharedQueue(id: u32, out: Out<ArrayBuffer>): WasmResult {
  clearReturnSlots();
  const r = <WasmResult>raw.proxy_dequeue_shared_queue(id, retPtr, retLen);
  if (r != WasmResult.Ok) return r;
  out.value = takeReturnedBytes();
  return WasmResult.Ok;
}

/**
 * Asks for proxy_on_tick on the calling context's root context every `periodMs` (0 stops it).
 * Envoy re-arms its timer after each tick.
 */
export function setTickPeriod(periodMs: u32): WasmResult {
  return <WasmResult>raw.proxy_set_tick_period_milliseconds(periodMs);
}

/**
 * Tells the host that the root context whose onDone returned false has finished; callable from
 * any callback of that root or of its streams. NotFound if that root is not waiting to be done.
 * The host deletes it once the callback has returned.
 */
export function done(): WasmResult {
  return <WasmResult>raw.proxy_done();
}

/**
 * The status of the last failed host operation (e.g. why an http call got no response:
 * BrokenConnection) into `code`, and its message into `message` when one is given.
 */
export function getStatus(code: Out<u32>, message: Out<ArrayBuffer> | null = null): WasmResult {
  clearReturnSlots();
  store<u32>(retU32, 0);
  const r = <WasmResult>raw.proxy_get_status(retU32, retPtr, retLen);
  if (r != WasmResult.Ok) return r;
  code.value = load<u32>(retU32);
  if (message !== null) message.value = takeReturnedBytes();
  else freeHostBlock(returnedPtr());
  return WasmResult.Ok;
}

/** Monotonic clock in nanoseconds (WASI clock 1) into `out`. */
export function monotonicNanos(out: Out<u64>): WasmResult {
  store<u64>(retU64, 0);
  const r = wasi(raw.wasi_clock_time_get(1, 1000, retU64));
  if (r == WasmResult.Ok) out.value = load<u64>(retU64);
  return r;
}

/** Wall clock in nanoseconds since the Unix epoch (Envoy's real time) into `out`. */
export function wallClockNanos(out: Out<u64>): WasmResult {
  store<u64>(retU64, 0);
  const r = <WasmResult>raw.proxy_get_current_time_nanoseconds(retU64);
  if (r == WasmResult.Ok) out.value = load<u64>(retU64);
  return r;
}

/** 64 random bits from the host into `out`. */
export function randomU64(out: Out<u64>): WasmResult {
  store<u64>(retU64, 0);
  const r = wasi(raw.wasi_random_get(retU64, 8));
  if (r == WasmResult.Ok) out.value = load<u64>(retU64);
  return r;
}
