// BENCHMARK-ONLY module build/mirror-floor.wasm (`npm run build:floor`): see mirror_floor.ts.
// `npm run bench -- --wasm build/mirror-floor.wasm --configs B,C` measures what mirroring through
// proxy_http_call costs in Envoy before the filter does anything of its own (the floor under C).
import { installMirrorFloor } from "./mirror_floor";

export * from "proxy-wasm-sdk-as/assembly/module";

installMirrorFloor(0);
