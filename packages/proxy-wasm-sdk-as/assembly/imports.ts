// Raw host imports of proxy-wasm ABI 0.2.1 (module "env") and the WASI calls Envoy provides.
// Every `env` call returns a WasmResult. Pointer arguments written by the host ("**ptr", "*len")
// point into module memory; see memory.ts for the scratch slots used for them.

// @ts-ignore: decorator
@external("env", "proxy_log")
export declare function proxy_log(level: i32, ptr: usize, len: usize): i32;

// @ts-ignore: decorator
@external("env", "proxy_get_buffer_bytes")
export declare function proxy_get_buffer_bytes(type: i32, start: usize, max: usize, retPtr: usize, retLen: usize): i32;

// @ts-ignore: decorator
@external("env", "proxy_get_header_map_pairs")
export declare function proxy_get_header_map_pairs(map: i32, retPtr: usize, retLen: usize): i32;

// @ts-ignore: decorator
@external("env", "proxy_get_header_map_value")
export declare function proxy_get_header_map_value(map: i32, keyPtr: usize, keyLen: usize, retPtr: usize, retLen: usize): i32;

// @ts-ignore: decorator
@external("env", "proxy_http_call")
export declare function proxy_http_call(
  upstreamPtr: usize, upstreamLen: usize,
  headersPtr: usize, headersLen: usize,
  bodyPtr: usize, bodyLen: usize,
  trailersPtr: usize, trailersLen: usize,
  timeoutMs: u32, retToken: usize,
): i32;

// @ts-ignore: decorator
@external("env", "proxy_define_metric")
export declare function proxy_define_metric(type: i32, namePtr: usize, nameLen: usize, retId: usize): i32;

// @ts-ignore: decorator
@external("env", "proxy_increment_metric")
export declare function proxy_increment_metric(id: u32, offset: i64): i32;

// @ts-ignore: decorator
@external("env", "proxy_record_metric")
export declare function proxy_record_metric(id: u32, value: u64): i32;

// @ts-ignore: decorator
@external("env", "proxy_get_property")
export declare function proxy_get_property(pathPtr: usize, pathLen: usize, retPtr: usize, retLen: usize): i32;

// @ts-ignore: decorator
@external("env", "proxy_set_property")
export declare function proxy_set_property(pathPtr: usize, pathLen: usize, valuePtr: usize, valueLen: usize): i32;

// @ts-ignore: decorator
@external("env", "proxy_get_shared_data")
export declare function proxy_get_shared_data(keyPtr: usize, keyLen: usize, retPtr: usize, retLen: usize, retCas: usize): i32;

// @ts-ignore: decorator
@external("env", "proxy_set_shared_data")
export declare function proxy_set_shared_data(keyPtr: usize, keyLen: usize, valuePtr: usize, valueLen: usize, cas: u32): i32;

// @ts-ignore: decorator
@external("env", "proxy_set_tick_period_milliseconds")
export declare function proxy_set_tick_period_milliseconds(periodMs: u32): i32;

// @ts-ignore: decorator
@external("env", "proxy_done")
export declare function proxy_done(): i32;

// @ts-ignore: decorator
@external("env", "proxy_get_status")
export declare function proxy_get_status(retCode: usize, retPtr: usize, retLen: usize): i32;

// @ts-ignore: decorator
@external("env", "proxy_get_current_time_nanoseconds")
export declare function proxy_get_current_time_nanoseconds(retTime: usize): i32;

// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "clock_time_get")
export declare function wasi_clock_time_get(clockId: u32, precision: u64, retTime: usize): u16;

// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "random_get")
export declare function wasi_random_get(buf: usize, len: usize): u16;

// @ts-ignore: decorator
@external("env", "proxy_get_log_level")
export declare function proxy_get_log_level(retLevel: usize): i32;

// @ts-ignore: decorator
@external("env", "proxy_set_buffer_bytes")
export declare function proxy_set_buffer_bytes(type: i32, start: usize, size: usize, valuePtr: usize, valueLen: usize): i32;

// @ts-ignore: decorator
@external("env", "proxy_set_header_map_pairs")
export declare function proxy_set_header_map_pairs(map: i32, ptr: usize, len: usize): i32;

// @ts-ignore: decorator
@external("env", "proxy_add_header_map_value")
export declare function proxy_add_header_map_value(map: i32, keyPtr: usize, keyLen: usize, valuePtr: usize, valueLen: usize): i32;

// @ts-ignore: decorator
@external("env", "proxy_replace_header_map_value")
export declare function proxy_replace_header_map_value(map: i32, keyPtr: usize, keyLen: usize, valuePtr: usize, valueLen: usize): i32;

// @ts-ignore: decorator
@external("env", "proxy_remove_header_map_value")
export declare function proxy_remove_header_map_value(map: i32, keyPtr: usize, keyLen: usize): i32;

// @ts-ignore: decorator
@external("env", "proxy_send_local_response")
export declare function proxy_send_local_response(
  statusCode: u32,
  detailsPtr: usize, detailsLen: usize,
  bodyPtr: usize, bodyLen: usize,
  headersPtr: usize, headersLen: usize,
  grpcStatus: i32,
): i32;

// @ts-ignore: decorator
@external("env", "proxy_continue_stream")
export declare function proxy_continue_stream(type: i32): i32;

// @ts-ignore: decorator
@external("env", "proxy_close_stream")
export declare function proxy_close_stream(type: i32): i32;

// @ts-ignore: decorator
@external("env", "proxy_set_effective_context")
export declare function proxy_set_effective_context(contextId: u32): i32;

// @ts-ignore: decorator
@external("env", "proxy_get_metric")
export declare function proxy_get_metric(id: u32, retValue: usize): i32;

// @ts-ignore: decorator
@external("env", "proxy_register_shared_queue")
export declare function proxy_register_shared_queue(namePtr: usize, nameLen: usize, retId: usize): i32;

// @ts-ignore: decorator
@external("env", "proxy_resolve_shared_queue")
export declare function proxy_resolve_shared_queue(vmIdPtr: usize, vmIdLen: usize, namePtr: usize, nameLen: usize, retId: usize): i32;

// @ts-ignore: decorator
@external("env", "proxy_enqueue_shared_queue")
export declare function proxy_enqueue_shared_queue(id: u32, valuePtr: usize, valueLen: usize): i32;

// @ts-ignore: decorator
@external("env", "proxy_dequeue_shared_queue")
export declare function proxy_dequeue_shared_queue(id: u32, retPtr: usize, retLen: usize): i32;
