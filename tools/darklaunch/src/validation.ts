// The filter's own validation, run in Node: the compiled build/dark-launch.wasm is loaded into the
// TypeScript proxy-wasm host (tools/lib/wasm-host.ts) and configured with the JSON text, exactly as
// Envoy does. A refusal comes with the line the filter logs,
//   darklaunch: invalid configuration: <path>: <problem>; <path>: <problem>; ...
// so the problems printed here are the ones Envoy's log would show.

import { existsSync, readFileSync } from "node:fs";
import { extname } from "node:path";
import { parse } from "yaml";
import { FILTER_WASM_PATH } from "../../lib/envoy.js";
import { ProxyWasmHost } from "../../lib/wasm-host.js";
import { CliError, EXIT } from "./errors.js";

/** The prefix of the filter's refusal line (docs/behaviour-decisions.md, "Logs"). */
export const INVALID_CONFIG_PREFIX = "darklaunch: invalid configuration: ";
/** How the filter separates the problems on that line. */
const PROBLEM_SEPARATOR = "; ";

export interface ValidationResult {
  valid: boolean;
  /** Each problem as the filter words it (`rules[0].sample.percent: ...`); empty when valid. */
  problems: string[];
  /** Every line the filter logged while configuring. */
  logs: string[];
}

/** `--wasm`, else DARKLAUNCH_WASM, else this project's build/dark-launch.wasm; must exist. */
export function resolveWasmPath(option: string | undefined, env: NodeJS.ProcessEnv): string {
  const path = option ?? env["DARKLAUNCH_WASM"] ?? FILTER_WASM_PATH;
  if (!existsSync(path)) {
    throw new CliError(`the filter binary ${path} does not exist: run "npm run build" or pass --wasm FILE`, EXIT.other);
  }
  return path;
}

/** Problems of the filter's refusal line, or null if `line` is not one. */
export function problemsOfLogLine(line: string): string[] | null {
  const at = line.indexOf(INVALID_CONFIG_PREFIX);
  if (at < 0) return null;
  return line
    .slice(at + INVALID_CONFIG_PREFIX.length)
    .trimEnd()
    .split(PROBLEM_SEPARATOR);
}

/** Configures a fresh instance of the filter with `jsonText`. */
export async function validateFilterConfig(jsonText: string, wasmPath: string): Promise<ValidationResult> {
  const host = new ProxyWasmHost({ wasmPath });
  try {
    await host.load();
  } catch (err) {
    throw new CliError(`cannot load the filter ${wasmPath}: ${(err as Error).message}`, EXIT.other);
  }
  const accepted = host.configure(jsonText);
  const logs = host.logs.map((l) => l.message);
  if (accepted) return { valid: true, problems: [], logs };
  for (const line of logs) {
    const problems = problemsOfLogLine(line);
    if (problems !== null) return { valid: false, problems, logs };
  }
  return { valid: false, problems: [`the filter refused the configuration without saying why (log: ${logs.join(" | ") || "empty"})`], logs };
}

/** A filter configuration read from a file: the parsed value and the JSON text the filter gets. */
export interface ConfigFile {
  value: unknown;
  /** A .json file's own text (byte for byte what Envoy would get); YAML converted to JSON. */
  jsonText: string;
}

/** Reads a YAML or JSON filter configuration. Unreadable file or syntax error: CliError, exit 2. */
export function readConfigFile(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new CliError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, EXIT.other);
  }
  if (extname(path).toLowerCase() === ".json") {
    try {
      return { value: JSON.parse(text), jsonText: text };
    } catch (err) {
      throw new CliError(`${path}: not valid JSON: ${(err as Error).message}`, EXIT.other);
    }
  }
  let value: unknown;
  try {
    value = parse(text);
  } catch (err) {
    throw new CliError(`${path}: not valid YAML: ${(err as Error).message.split("\n")[0]}`, EXIT.other);
  }
  return { value, jsonText: JSON.stringify(value) ?? "null" };
}
