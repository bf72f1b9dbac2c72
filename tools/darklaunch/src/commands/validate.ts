// `darklaunch validate FILE`: the filter's own verdict on a configuration (YAML or JSON).
// Prints the filter's problems one per line, exactly as it words them (and as Envoy logs them).
// Exit code: 0 valid, 1 invalid, 2 unreadable file, syntax error or no filter binary.

import type { CliIO } from "../cli.js";
import { EXIT } from "../errors.js";
import { readConfigFile, resolveWasmPath, validateFilterConfig } from "../validation.js";

export interface ValidateOptions {
  file: string;
  wasmPath: string | undefined;
  json: boolean;
}

export async function validateCommand(opts: ValidateOptions, io: CliIO): Promise<number> {
  const config = readConfigFile(opts.file);
  const wasmPath = resolveWasmPath(opts.wasmPath, io.env);
  const result = await validateFilterConfig(config.jsonText, wasmPath);
  if (opts.json) {
    io.out(JSON.stringify({ file: opts.file, valid: result.valid, problems: result.problems }, null, 2) + "\n");
  } else if (result.valid) {
    io.out(`${opts.file}: valid\n`);
  } else {
    io.err(`${opts.file}: invalid configuration (${result.problems.length} problem${result.problems.length === 1 ? "" : "s"}):\n`);
    io.out(result.problems.map((p) => p + "\n").join(""));
  }
  return result.valid ? EXIT.ok : EXIT.failed;
}
