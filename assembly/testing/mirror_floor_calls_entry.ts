// BENCHMARK-ONLY module build/mirror-floor-20.wasm (`npm run build:floor`): the mirror floor
// plus 20 host calls per request (mirror_floor.ts). Against build/mirror-floor.wasm it prices
// one host call in Envoy.
import { installMirrorFloor } from "./mirror_floor";

export * from "proxy-wasm-sdk-as/assembly/module";

installMirrorFloor(20);
