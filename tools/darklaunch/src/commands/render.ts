// `darklaunch render FILE [--format envoy|ecds|istio] [--image REF]`: from one dark-launch file,
// the Envoy http filter (configuration inline), the ECDS file, or an Istio WasmPlugin, on stdout.
// For Istio, dark clusters are written as Istio's cluster names, and --image pins the OCI image
// by its digest (asking the registry when REF has none).
// The filter configuration the target gets is validated with the filter's own .wasm first
// (--no-validate skips that). Exit code: 0 rendered, 1 invalid (dark-launch fields, a cluster
// Istio cannot have, or the filter refuses the configuration), 2 usage error, unreadable file,
// YAML syntax error, no filter binary, registry unreachable.

import type { CliIO } from "../cli.js";
import { readDeployment } from "../deployment.js";
import { EXIT } from "../errors.js";
import { pinImage } from "../istio.js";
import { istioPluginConfig, renderText } from "../render.js";
import { resolveWasmPath, validateFilterConfig } from "../validation.js";

export interface RenderOptions {
  file: string;
  format: "envoy" | "ecds" | "istio";
  /** --image: the OCI image the WasmPlugin pulls (istio only). */
  image?: string | undefined;
  wasmPath: string | undefined;
  validate: boolean;
}

export async function renderCommand(opts: RenderOptions, io: CliIO): Promise<number> {
  const deployment = readDeployment(opts.file);
  const config = opts.format === "istio" ? istioPluginConfig(deployment, opts.file) : deployment.filter;
  if (opts.validate) {
    const result = await validateFilterConfig(JSON.stringify(config), resolveWasmPath(opts.wasmPath, io.env));
    if (!result.valid) {
      io.err(`darklaunch: ${opts.file}: the filter refuses its configuration ("filter:"):\n`);
      io.err(result.problems.map((p) => `  ${p}\n`).join(""));
      return EXIT.failed;
    }
  }
  const image = opts.image === undefined ? undefined : pinImage(opts.image, io.env);
  io.out(renderText(deployment, opts.format, opts.file, image));
  return EXIT.ok;
}
