// The true floors under the filter, written in WebAssembly text (bench/floors/*.wat) and
// assembled here with wabt's wat2wasm (the `wabt` npm package, a WebAssembly build of the
// WebAssembly Binary Toolkit) into build/: F, a module whose callbacks do nothing, and G, a module
// that only hands the request headers to proxy_http_call; and, not a default configuration, the
// no-op plus the one header read D's gates make (to load in D's place with --wasm). No language
// runtime in any of them.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import wabtInit from "wabt";
import { PROJECT_ROOT } from "../../tools/lib/envoy.ts";

export interface Floor {
  /** The WebAssembly text, relative to the project. */
  source: string;
  /** The assembled module. */
  wasmPath: string;
  sha256: string;
  bytes: number;
}

export const FLOOR_SOURCES = {
  noop: "bench/floors/noop.wat",
  mirror: "bench/floors/mirror.wat",
  "one-value": "bench/floors/one-value.wat",
} as const;

/** Assembles the floors (validated by wabt) into build/floor-<name>.wasm. */
export async function assembleFloors(): Promise<Record<keyof typeof FLOOR_SOURCES, Floor>> {
  const wabt = await wabtInit();
  const out = {} as Record<keyof typeof FLOOR_SOURCES, Floor>;
  mkdirSync(join(PROJECT_ROOT, "build"), { recursive: true });
  for (const [name, source] of Object.entries(FLOOR_SOURCES) as Array<[keyof typeof FLOOR_SOURCES, string]>) {
    const text = readFileSync(join(PROJECT_ROOT, source), "utf8");
    const module = wabt.parseWat(source, text);
    try {
      module.validate();
      const { buffer } = module.toBinary({});
      const wasmPath = join(PROJECT_ROOT, "build", `floor-${name}.wasm`);
      writeFileSync(wasmPath, buffer);
      out[name] = { source, wasmPath, sha256: createHash("sha256").update(buffer).digest("hex").slice(0, 16), bytes: buffer.length };
    } finally {
      module.destroy();
    }
  }
  return out;
}

/** The wabt package's version (for the results file). */
export function wabtVersion(): string {
  return (JSON.parse(readFileSync(join(PROJECT_ROOT, "node_modules", "wabt", "package.json"), "utf8")) as { version: string }).version;
}
