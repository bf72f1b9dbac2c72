// A small proxy-wasm module written in WebAssembly text and assembled with wabt, so the host's
// tests depend on no SDK and no filter. What it does, per callback:
//   vm_start        registers the shared queue "q"
//   configure       logs its configuration (the bytes of proxy_get_buffer_bytes), defines the
//                   counter "ticks", asks for a 100 ms tick; refuses a configuration "no"
//   tick            increments "ticks"
//   queue_ready     dequeues one item and logs it
//   request_headers copies header x-echo to x-seen and to shared data "echo"; with x-call,
//                   calls cluster "up" (remembering the stream) and pauses the request
//   http_call_resp  makes the stream that called effective and resumes its request
//   response_headers replaces `server` with "wat"
//   done            returns 0 for a root whose configuration was "wait" (it calls proxy_done at
//                   its next tick), else 1
import wabtInit from "wabt";
import { encodeHeaderMap } from "../src/header-map.ts";

/** Bytes as a WAT data string. */
function data(bytes: Uint8Array | string): string {
  const b = typeof bytes === "string" ? Buffer.from(bytes) : bytes;
  return `"${[...b].map((x) => `\\${x.toString(16).padStart(2, "0")}`).join("")}"`;
}

const CALL_HEADERS = encodeHeaderMap([
  [":method", "GET"],
  [":path", "/"],
  [":authority", "up"],
]);

// Memory: 0..15 return slots; 16.. strings; 1024.. the call's headers; 4096.. the bump heap.
export const WAT_FILTER = `(module
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_buffer_bytes" (func $get_buffer (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_value" (func $get_header (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_add_header_map_value" (func $add_header (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_replace_header_map_value" (func $replace_header (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_shared_data" (func $set_shared (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_http_call" (func $http_call (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_effective_context" (func $set_effective (param i32) (result i32)))
  (import "env" "proxy_continue_stream" (func $continue (param i32) (result i32)))
  (import "env" "proxy_define_metric" (func $define_metric (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_increment_metric" (func $increment (param i32 i64) (result i32)))
  (import "env" "proxy_set_tick_period_milliseconds" (func $tick_period (param i32) (result i32)))
  (import "env" "proxy_register_shared_queue" (func $register_queue (param i32 i32 i32) (result i32)))
  (import "env" "proxy_dequeue_shared_queue" (func $dequeue (param i32 i32 i32) (result i32)))
  (import "env" "proxy_done" (func $done (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "x-echo")
  (data (i32.const 24) "x-seen")
  (data (i32.const 32) "echo")
  (data (i32.const 40) "x-call")
  (data (i32.const 48) "up")
  (data (i32.const 56) "server")
  (data (i32.const 64) "wat")
  (data (i32.const 72) "ticks")
  (data (i32.const 80) "q")
  (data (i32.const 1024) ${data(CALL_HEADERS)})
  (global $heap (mut i32) (i32.const 4096))
  (global $ticks (mut i32) (i32.const 0))
  (global $caller (mut i32) (i32.const 0))
  (global $waiting (mut i32) (i32.const 0))
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "malloc") (param $n i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $n)))
    (if (i32.gt_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536)))
      (then (drop (memory.grow (i32.const 1)))))
    (local.get $p))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32)
    (drop (call $register_queue (i32.const 80) (i32.const 1) (i32.const 8)))
    (i32.const 1))
  (func (export "proxy_on_configure") (param $root i32) (param $size i32) (result i32)
    (drop (call $get_buffer (i32.const 7) (i32.const 0) (local.get $size) (i32.const 0) (i32.const 4)))
    (drop (call $log (i32.const 2) (i32.load (i32.const 0)) (i32.load (i32.const 4))))
    ;; "no" (0x6f6e little-endian) is refused; "wait" makes the root wait for proxy_done
    (if (i32.and (i32.eq (local.get $size) (i32.const 2)) (i32.eq (i32.load16_u (i32.load (i32.const 0))) (i32.const 0x6f6e)))
      (then (return (i32.const 0))))
    (if (i32.and (i32.eq (local.get $size) (i32.const 4)) (i32.eq (i32.load (i32.load (i32.const 0))) (i32.const 0x74696177)))
      (then (global.set $waiting (local.get $root))))
    (drop (call $define_metric (i32.const 0) (i32.const 72) (i32.const 5) (i32.const 12)))
    (global.set $ticks (i32.load (i32.const 12)))
    (drop (call $tick_period (i32.const 100)))
    (i32.const 1))
  (func (export "proxy_on_tick") (param $root i32)
    (drop (call $increment (global.get $ticks) (i64.const 1)))
    (if (i32.eq (local.get $root) (global.get $waiting)) (then (drop (call $done)))))
  (func (export "proxy_on_queue_ready") (param i32 i32)
    (if (i32.eqz (call $dequeue (local.get 1) (i32.const 0) (i32.const 4)))
      (then (drop (call $log (i32.const 2) (i32.load (i32.const 0)) (i32.load (i32.const 4)))))))
  (func (export "proxy_on_request_headers") (param $ctx i32) (param i32 i32) (result i32)
    (if (i32.eqz (call $get_header (i32.const 0) (i32.const 16) (i32.const 6) (i32.const 0) (i32.const 4)))
      (then
        (drop (call $add_header (i32.const 0) (i32.const 24) (i32.const 6) (i32.load (i32.const 0)) (i32.load (i32.const 4))))
        (drop (call $set_shared (i32.const 32) (i32.const 4) (i32.load (i32.const 0)) (i32.load (i32.const 4)) (i32.const 0)))))
    (if (i32.eqz (call $get_header (i32.const 0) (i32.const 40) (i32.const 6) (i32.const 0) (i32.const 4)))
      (then
        (if (i32.eqz (call $http_call (i32.const 48) (i32.const 2) (i32.const 1024) (i32.const ${CALL_HEADERS.length})
                                      (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 500) (i32.const 8)))
          (then (global.set $caller (local.get $ctx)) (return (i32.const 1))))))
    (i32.const 0))
  (func (export "proxy_on_http_call_response") (param i32 i32 i32 i32 i32)
    (drop (call $set_effective (global.get $caller)))
    (drop (call $continue (i32.const 0))))
  (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32)
    (drop (call $replace_header (i32.const 2) (i32.const 56) (i32.const 6) (i32.const 64) (i32.const 3)))
    (i32.const 0))
  (func (export "proxy_on_done") (param $ctx i32) (result i32)
    (i32.ne (local.get $ctx) (global.get $waiting)))
  (func (export "proxy_on_delete") (param i32))
)`;

/** Assembles a WAT text into a binary module. */
export async function assemble(wat: string): Promise<Uint8Array<ArrayBuffer>> {
  const wabt = await wabtInit();
  const module = wabt.parseWat("filter.wat", wat);
  try {
    module.validate();
    return new Uint8Array(module.toBinary({}).buffer).slice();
  } finally {
    module.destroy();
  }
}
