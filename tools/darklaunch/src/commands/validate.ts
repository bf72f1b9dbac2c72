// `darklaunch validate FILE`: the filter's own verdict on the configuration in a file of any of the
// four shapes people have: a bare configuration (YAML or JSON), a `render` input file, an ECDS
// file, an Istio WasmPlugin (src/validation.ts, readFilterConfigs). Prints the filter's problems one
// per line, exactly as it words them (and as Envoy logs them); a file holding several
// configurations (ECDS resources, WasmPlugin documents) prefixes each problem with where it is.
// Exit code: 0 valid, 1 invalid, 2 unreadable file, syntax error or no filter binary.

import type { CliIO } from "../cli.js";
import { EXIT } from "../errors.js";
import { readFilterConfigs, resolveWasmPath, SHAPE_NAMES, validateFilterConfig } from "../validation.js";

export interface ValidateOptions {
  file: string;
  wasmPath: string | undefined;
  json: boolean;
}

export async function validateCommand(opts: ValidateOptions, io: CliIO): Promise<number> {
  const found = readFilterConfigs(opts.file);
  const wasmPath = resolveWasmPath(opts.wasmPath, io.env);
  const several = found.length > 1;
  const problems: string[] = [];
  for (const config of found) {
    const prefix = several && config.where !== null ? `${config.where}: ` : "";
    if (config.jsonText === null) {
      problems.push(prefix + (config.missing ?? "no filter configuration"));
      continue;
    }
    const result = await validateFilterConfig(config.jsonText, wasmPath);
    problems.push(...result.problems.map((p) => prefix + p));
  }
  const valid = problems.length === 0;
  const shape = found[0]!.shape;
  if (opts.json) {
    io.out(`${JSON.stringify({ file: opts.file, valid, problems, shape }, null, 2)}\n`);
  } else if (valid) {
    const what = shape === "config" ? "" : ` (${SHAPE_NAMES[shape]}${several ? `, ${found.length} configurations` : ""})`;
    io.out(`${opts.file}: valid${what}\n`);
  } else {
    io.err(`${opts.file}: invalid configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n`);
    io.out(problems.map((p) => `${p}\n`).join(""));
  }
  return valid ? EXIT.ok : EXIT.failed;
}
