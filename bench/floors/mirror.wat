;; BENCHMARK-ONLY: the least a proxy-wasm 0.2.1 module can do to mirror, written directly in
;; WebAssembly text (no language runtime): on the request headers, read the whole header map
;; (proxy_get_header_map_pairs) and hand it unchanged to proxy_http_call (cluster "dark",
;; timeout 5 s); the answer is ignored. No gates, no comparison, no stats. Every other callback
;; does nothing; the exports are the filter's. Assembled at bench time (bench/lib/floors.ts);
;; configuration G of bench/run.ts.
(module
  (import "env" "proxy_get_header_map_pairs" (func $get_pairs (param i32 i32 i32) (result i32)))
  (import "env" "proxy_http_call"
    (func $http_call (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))

  ;; 0..15: return slots (pointer, length, token); 16..19: the cluster name; 64 KiB from 65536:
  ;; the one block the host fills per request (used and done with before the callback returns).
  (memory (export "memory") 3)
  (data (i32.const 16) "dark")
  (global $RET_PTR i32 (i32.const 0))
  (global $RET_LEN i32 (i32.const 4))
  (global $TOKEN i32 (i32.const 8))
  (global $CLUSTER i32 (i32.const 16))
  (global $BLOCK i32 (i32.const 65536))
  (global $BLOCK_SIZE i32 (i32.const 131072))

  ;; Only one value is ever outstanding: the request's header map, read and passed on at once.
  (func (export "malloc") (param $size i32) (result i32)
    (if (result i32) (i32.gt_u (local.get $size) (global.get $BLOCK_SIZE))
      (then (i32.const 0))
      (else (global.get $BLOCK))))

  (func (export "proxy_on_request_headers") (param $ctx i32) (param $n i32) (param $eos i32) (result i32)
    (if (i32.eqz (call $get_pairs (i32.const 0) (global.get $RET_PTR) (global.get $RET_LEN)))
      (then
        (drop (call $http_call
          (global.get $CLUSTER) (i32.const 4)
          (i32.load (global.get $RET_PTR)) (i32.load (global.get $RET_LEN))
          (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
          (i32.const 5000) (global.get $TOKEN)))))
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
