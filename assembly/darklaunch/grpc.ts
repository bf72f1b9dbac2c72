// gRPC responses (contract §2.5): recognising them and the HTTP status their grpc-status means.
import { lowerAscii } from "proxy-wasm-sdk-as/assembly/headers";
import { parseDecimal } from "proxy-wasm-sdk-as/assembly/bytes";

const GRPC_CONTENT_TYPE: ArrayBuffer = String.UTF8.encode("application/grpc");
const GRPC_WEB_CONTENT_TYPE: ArrayBuffer = String.UTF8.encode("application/grpc-web");

/** HTTP status by gRPC code 0..16, as Envoy maps them (Grpc::Utility::grpcToHttpStatus). */
const HTTP_STATUS_OF_GRPC: StaticArray<i32> = [200, 499, 500, 400, 504, 404, 409, 403, 429, 400, 409, 400, 501, 500, 503, 500, 401];

/** The status a gRPC response without a (valid) grpc-status counts as. */
// @ts-ignore: decorator
@inline export const GRPC_STATUS_MISSING_HTTP: i32 = 500;

function startsWithIgnoreCase(ptr: usize, len: i32, prefix: ArrayBuffer): bool {
  const n = prefix.byteLength;
  if (len < n) return false;
  const p = changetype<usize>(prefix);
  for (let i = 0; i < n; i++) {
    if (lowerAscii(load<u8>(ptr + i)) != <u32>load<u8>(p + i)) return false;
  }
  return true;
}

/** Whether a content-type value names a gRPC response: `application/grpc…` but not gRPC-Web. */
export function isGrpcContentType(ptr: usize, len: i32): bool {
  return startsWithIgnoreCase(ptr, len, GRPC_CONTENT_TYPE) && !startsWithIgnoreCase(ptr, len, GRPC_WEB_CONTENT_TYPE);
}

/** A grpc-status value (1 to 10 decimal digits), or -1 when it is not one. */
export function parseGrpcStatus(ptr: usize, len: i32): i32 {
  const v = parseDecimal(ptr, len, 10);
  return v > <i64>i32.MAX_VALUE ? -1 : <i32>v;
}

/** The HTTP status a gRPC code maps to; codes outside 0..16 map to 500, as Envoy does. */
export function httpStatusOfGrpc(code: i32): i32 {
  if (code < 0 || code >= HTTP_STATUS_OF_GRPC.length) return 500;
  return unchecked(HTTP_STATUS_OF_GRPC[code]);
}
