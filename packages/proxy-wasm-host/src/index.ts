// proxy-wasm-host: a proxy-wasm ABI 0.2.1 host for testing Wasm modules in Node.
export { ProxyWasmHost, FilterTrap } from "./host.ts";
export type { CallResponse, HostOptions, HttpCall, LogLine, Metric, RootPhase, SharedQueue } from "./host.ts";
export { Stream } from "./stream.ts";
export type { LocalResponse } from "./stream.ts";
export { Action, BufferType, LogLevel, MapType, MetricType, StreamType, WasmResult } from "./abi.ts";
export { decodeHeaderMap, encodeHeaderMap } from "./header-map.ts";
export type { Headers } from "./header-map.ts";
export { abiProblems } from "./abi-exports.ts";
export { readExports } from "./wasm-exports.ts";
export type { ExportEntry, ValType } from "./wasm-exports.ts";
