;; BENCHMARK-ONLY: the no-op floor (noop.wat) plus the one host call the filter's gates make for a
;; request they turn away: proxy_get_header_map_value(request headers, ":method"), whose value the
;; host hands over through malloc. Written in WebAssembly text like the other floors; not a default
;; configuration of the bench: load it in D's place to price that call against F,
;;   tsx bench/run.ts --configs D,F --wasm build/floor-one-value.wasm
;; (bench/README.md, "What bounds the goals").
(module
  (import "env" "proxy_get_header_map_value" (func $get_value (param i32 i32 i32 i32 i32) (result i32)))

  ;; 0..7: return slots (pointer, length); 16..22: the name; 65536..131071: the one block the host
  ;; fills per request (used and done with before the callback returns).
  (memory (export "memory") 2)
  (data (i32.const 16) ":method")

  (func (export "malloc") (param $size i32) (result i32)
    (if (result i32) (i32.gt_u (local.get $size) (i32.const 65536))
      (then (i32.const 0))
      (else (i32.const 65536))))

  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (drop (call $get_value (i32.const 0) (i32.const 16) (i32.const 7) (i32.const 0) (i32.const 4)))
    (i32.const 0))

  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_tick") (param i32))
  (func (export "proxy_on_http_call_response") (param i32 i32 i32 i32 i32))
  (func (export "proxy_on_request_body") (param i32 i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_request_trailers") (param i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_response_body") (param i32 i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_response_trailers") (param i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_log") (param i32))
  (func (export "proxy_on_done") (param i32) (result i32) (i32.const 1))
  (func (export "proxy_on_delete") (param i32)))
