// `darklaunch render FILE [--format envoy|ecds|istio]`: from one dark-launch file, the Envoy
// http filter (configuration inline), the ECDS file, or an Istio WasmPlugin, on stdout.
// The filter configuration is validated with the filter's own .wasm first (--no-validate skips
// that). Exit code: 0 rendered, 1 invalid (dark-launch fields, or the filter refuses the
// configuration), 2 usage error, unreadable file, YAML syntax error, no filter binary.

import type { CliIO } from "../cli.js";
import { readDeployment } from "../deployment.js";
import { EXIT } from "../errors.js";
import { renderText } from "../render.js";
import { resolveWasmPath, validateFilterConfig } from "../validation.js";

export interface RenderOptions {
  file: string;
  format: "envoy" | "ecds" | "istio";
  wasmPath: string | undefined;
  validate: boolean;
}

export async function renderCommand(opts: RenderOptions, io: CliIO): Promise<number> {
  const deployment = readDeployment(opts.file);
  if (opts.validate) {
    const result = await validateFilterConfig(JSON.stringify(deployment.filter), resolveWasmPath(opts.wasmPath, io.env));
    if (!result.valid) {
      io.err(`darklaunch: ${opts.file}: the filter refuses its configuration ("filter:"):\n`);
      io.err(result.problems.map((p) => `  ${p}\n`).join(""));
      return EXIT.failed;
    }
  }
  io.out(renderText(deployment, opts.format, opts.file));
  return EXIT.ok;
}
