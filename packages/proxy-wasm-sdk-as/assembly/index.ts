// proxy-wasm-sdk-as: the public API in one import (`import { ... } from "proxy-wasm-sdk-as"`).
// A module's entry file also re-exports "proxy-wasm-sdk-as/assembly/module" (the functions the
// host calls) and registers its root context with setRootContextFactory.
export { RootContext, StreamContext, RootContextFactory } from "./context";
export { setRootContextFactory } from "./exports";
export * from "./enums";
export * from "./hostcalls";
export { Out, HostBlock, SharedValue } from "./out";
export { HeaderMap, HeaderMapWriter, MAX_HEADER_MAP_BYTES, MAX_HEADER_PAIRS, equalsBytes, equalsIgnoreCase, lowerAscii } from "./headers";
export { BoundedBytes, ByteSink, parseDecimal } from "./bytes";
export { freeHostBlock, collectGarbageIfDue, noteGarbage } from "./memory";
