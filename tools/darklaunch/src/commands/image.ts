// `darklaunch image [--push REF]`: the filter as an OCI image that Istio's WasmPlugin pulls
// (the compat variant of the Wasm image specification: src/oci-image.ts, docs/istio.md), written
// as an OCI image layout directory (default build/image), and with --push sent to a registry by
// crane. Prints the image digest, which `render --format istio --image REF@<digest>` pins.
// Exit code: 0 built (and pushed), 2 no filter binary, crane missing or the push failed.

import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { PROJECT_ROOT } from "../../../lib/envoy.js";
import type { CliIO } from "../cli.js";
import { crane } from "../crane.js";
import { EXIT } from "../errors.js";
import { buildWasmImage, writeImageLayout } from "../oci-image.js";
import { FILTER_ROOT_ID } from "../render.js";
import { resolveWasmPath } from "../validation.js";

export const DEFAULT_IMAGE_DIR = join("build", "image");

export interface ImageOptions {
  wasmPath: string | undefined;
  outDir: string;
  push: string | undefined;
}

function projectVersion(): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(PROJECT_ROOT, "package.json"), "utf8")) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

export async function imageCommand(opts: ImageOptions, io: CliIO): Promise<number> {
  const wasmPath = resolveWasmPath(opts.wasmPath, io.env);
  const image = buildWasmImage(readFileSync(wasmPath), { rootId: FILTER_ROOT_ID, version: projectVersion() });
  writeImageLayout(image, opts.outDir, projectVersion());
  io.out(`image of ${relative(process.cwd(), wasmPath) || wasmPath} (Wasm image specification, compat variant)\n`);
  io.out(`  OCI image layout  ${opts.outDir}\n`);
  io.out(`  image digest      ${image.manifestDigest}\n`);
  io.out(`  layer             ${image.layerDigest} (plugin.wasm, runtime-config.json)\n`);
  if (opts.push === undefined) {
    io.out(`push it with: npx darklaunch image --push REGISTRY/REPOSITORY:TAG\n`);
    return EXIT.ok;
  }
  const pushed = crane(["push", opts.outDir, opts.push], io.env);
  const ref = pushed.split("\n").pop() ?? pushed;
  io.out(`pushed ${ref}\n`);
  io.out(`for Istio: npx darklaunch render FILE --format istio --image ${ref}\n`);
  return EXIT.ok;
}
