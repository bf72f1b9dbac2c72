// The project's filter under the proxy-wasm-host test kit, as the emulator tier runs it:
// build/dark-launch.wasm, a `dark` cluster, and counters read only after a tick (the filter hands
// its counts to Envoy at its ticks; see docs/contributing.md).
import { ProxyWasmHost, type HostOptions } from "proxy-wasm-host";
import { FILTER_WASM_PATH } from "../../tools/lib/envoy.ts";

export function filterHost(options: Partial<HostOptions> = {}): ProxyWasmHost {
  return new ProxyWasmHost({ wasm: FILTER_WASM_PATH, clusters: ["dark"], countsFlushedAtTicks: true, ...options });
}
