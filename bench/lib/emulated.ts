// The filter configurations the emulator-side measurements (bench/host-calls.ts,
// bench/wasm-profile.ts) drive, each with its request: C, D and E as in the benchmark, and N, a
// request that no rule matches.
import type { ProxyWasmHost } from "proxy-wasm-host";
import {
  benchFilterConfig,
  emulateBenchRequest,
  emulateJsonBenchRequest,
  jsonBenchFilterConfig,
  unmatchedFilterConfig,
} from "./workload.ts";

export interface EmulatedWorkload {
  title: string;
  config: object;
  request: (host: ProxyWasmHost) => void;
}

export const EMULATED: Record<"C" | "D" | "E" | "N", EmulatedWorkload> = {
  C: { title: "mirror 100% + compare status, body (1 KiB)", config: benchFilterConfig(100), request: emulateBenchRequest },
  D: { title: "sample gate 0%", config: benchFilterConfig(0), request: emulateBenchRequest },
  E: { title: "mirror 100% + compare JSON (4 KiB, gzip vs identity)", config: jsonBenchFilterConfig(), request: emulateJsonBenchRequest },
  N: { title: "no rule matches the request", config: unmatchedFilterConfig(), request: emulateBenchRequest },
};

export type EmulatedId = keyof typeof EMULATED;

export function emulatedIds(arg: string | undefined, fallback: EmulatedId[]): EmulatedId[] {
  if (arg === undefined) return fallback;
  const ids = arg.split(",").map((s) => s.trim().toUpperCase());
  for (const id of ids) if (!(id in EMULATED)) throw new Error(`unknown configuration ${id} (one of ${Object.keys(EMULATED).join(", ")})`);
  return ids as EmulatedId[];
}
