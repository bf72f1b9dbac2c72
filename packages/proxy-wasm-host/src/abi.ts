// The numbers of the proxy-wasm ABI 0.2.1 the host uses (proxy-wasm/spec, abi-versions/v0.2.1),
// as constant objects: erasable TypeScript, usable both as values (WasmResult.Ok) and as types.

export const WasmResult = {
  Ok: 0,
  NotFound: 1,
  BadArgument: 2,
  SerializationFailure: 3,
  ParseFailure: 4,
  BadExpression: 5,
  InvalidMemoryAccess: 6,
  Empty: 7,
  CasMismatch: 8,
  ResultMismatch: 9,
  InternalFailure: 10,
  BrokenConnection: 11,
  Unimplemented: 12,
} as const;
export type WasmResult = (typeof WasmResult)[keyof typeof WasmResult];

export const BufferType = {
  HttpRequestBody: 0,
  HttpResponseBody: 1,
  DownstreamData: 2,
  UpstreamData: 3,
  HttpCallResponseBody: 4,
  GrpcReceiveBuffer: 5,
  VmConfiguration: 6,
  PluginConfiguration: 7,
} as const;
export type BufferType = (typeof BufferType)[keyof typeof BufferType];

export const MapType = {
  RequestHeaders: 0,
  RequestTrailers: 1,
  ResponseHeaders: 2,
  ResponseTrailers: 3,
  HttpCallResponseHeaders: 6,
  HttpCallResponseTrailers: 7,
} as const;
export type MapType = (typeof MapType)[keyof typeof MapType];

export const StreamType = {
  HttpRequest: 0,
  HttpResponse: 1,
  Downstream: 2,
  Upstream: 3,
} as const;
export type StreamType = (typeof StreamType)[keyof typeof StreamType];

export const MetricType = {
  Counter: 0,
  Gauge: 1,
  Histogram: 2,
} as const;
export type MetricType = (typeof MetricType)[keyof typeof MetricType];

export const LogLevel = {
  Trace: 0,
  Debug: 1,
  Info: 2,
  Warn: 3,
  Error: 4,
  Critical: 5,
} as const;
export type LogLevel = (typeof LogLevel)[keyof typeof LogLevel];

/** What a stream callback returns about the stream: go on, or hold it (until proxy_continue_stream). */
export const Action = {
  Continue: 0,
  StopIteration: 1,
} as const;
export type Action = (typeof Action)[keyof typeof Action];
