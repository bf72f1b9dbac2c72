// crane (go-containerregistry's registry client), which `image` pushes with and `render --image`
// asks for an image's digest. Found in the project's .tools/bin (`node scripts/setup.mjs crane`
// builds it there) or on PATH. Registries on localhost / 127.0.0.1 are spoken to over plain HTTP,
// as crane does by itself; credentials are crane's (`crane auth login`, or a docker config).

import { spawnSync } from "node:child_process";
import { findTool } from "../../../scripts/tool-paths.mjs";
import { CliError, EXIT } from "./errors.js";

export function craneBinary(env: NodeJS.ProcessEnv = process.env): string {
  const path = findTool("crane", env);
  if (path === null) {
    throw new CliError('crane not found in .tools/bin or on PATH: run "node scripts/setup.mjs crane" (builds it with Go)', EXIT.other);
  }
  return path;
}

/** Runs crane; its stdout, trimmed. A failure is a CliError with crane's own message. */
export function crane(args: string[], env: NodeJS.ProcessEnv = process.env): string {
  const result = spawnSync(craneBinary(env), args, { encoding: "utf8", env, timeout: 120_000 });
  if (result.error !== undefined) throw new CliError(`crane ${args[0]}: ${result.error.message}`, EXIT.other);
  if (result.status !== 0) {
    const why = (result.stderr || result.stdout).trim().split("\n").slice(-3).join(" / ");
    throw new CliError(`crane ${args.join(" ")} failed: ${why}`, EXIT.other);
  }
  return result.stdout.trim();
}

/** The digest ("sha256:<hex>") the registry has for `ref`. */
export function imageDigest(ref: string, env?: NodeJS.ProcessEnv): string {
  const digest = crane(["digest", ref], env);
  if (!/^sha256:[0-9a-f]{64}$/.test(digest))
    throw new CliError(`crane digest ${ref}: unexpected answer ${JSON.stringify(digest)}`, EXIT.other);
  return digest;
}
