// The package's entry for `import { ... } from "proxy-wasm-sdk-as"`: asc 0.27 resolves a bare
// package import to <package>/index.ts in node_modules (it does not read `ascMain`).
export * from "./assembly/index";
