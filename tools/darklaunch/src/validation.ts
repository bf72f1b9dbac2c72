// The filter's own validation, run in Node: the compiled build/dark-launch.wasm is loaded into the
// TypeScript proxy-wasm host (the proxy-wasm-host package) and configured with the JSON text, exactly as
// Envoy does. A refusal comes with the line the filter logs,
//   darklaunch: invalid configuration: <path>: <problem>; <path>: <problem>; ...
// so the problems printed here are the ones Envoy's log would show.

import { existsSync, readFileSync } from "node:fs";
import { extname } from "node:path";
import { parseAllDocuments } from "yaml";
import { FILTER_WASM_PATH } from "../../lib/envoy.js";
import { ProxyWasmHost } from "proxy-wasm-host";
import { deploymentFromObject } from "./deployment.js";
import { readEcdsFile, wasmResources } from "./ecds.js";
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
  const path = option ?? env.DARKLAUNCH_WASM ?? FILTER_WASM_PATH;
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
  const host = new ProxyWasmHost({ wasm: wasmPath });
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
  return {
    valid: false,
    problems: [`the filter refused the configuration without saying why (log: ${logs.join(" | ") || "empty"})`],
    logs,
  };
}

// ---- the filter configurations inside a file --------------------------------------------------

/** The kinds of file that hold a filter configuration (operator-tools: `validate FILE`). */
export type FileShape = "config" | "render-input" | "ecds" | "wasmplugin";

export const SHAPE_NAMES: Record<FileShape, string> = {
  config: "a filter configuration",
  "render-input": "a dark-launch file (render input)",
  ecds: "an ECDS file",
  wasmplugin: "an Istio WasmPlugin",
};

export interface FoundConfig {
  shape: FileShape;
  /** Where in the file, for files that can hold several (`resources[0] dark_launch`); null otherwise. */
  where: string | null;
  /** The JSON text the filter gets; null when the file has a place for it but none is there. */
  jsonText: string | null;
  /** Why jsonText is null. */
  missing?: string;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** One parsed document: which shape it is and the configuration(s) in it. */
function configsOfDocument(doc: unknown, path: string, rawJson: string | null, docLabel: string | null): FoundConfig[] {
  const at = (where: string | null): string | null => (docLabel === null ? where : where === null ? docLabel : `${docLabel} ${where}`);
  if (isObject(doc) && doc.kind === "WasmPlugin") {
    const spec = isObject(doc.spec) ? doc.spec : {};
    const name = isObject(doc.metadata) && typeof doc.metadata.name === "string" ? doc.metadata.name : null;
    const where = at(name === null ? "WasmPlugin" : `WasmPlugin ${name}`);
    const pluginConfig = spec.pluginConfig;
    // Istio hands pluginConfig to the filter as JSON text.
    if (isObject(pluginConfig)) return [{ shape: "wasmplugin", where, jsonText: JSON.stringify(pluginConfig) }];
    return [
      {
        shape: "wasmplugin",
        where,
        jsonText: null,
        missing: "spec.pluginConfig: missing or not a mapping: the WasmPlugin carries no filter configuration",
      },
    ];
  }
  if (isObject(doc) && Array.isArray(doc.resources)) {
    // The ECDS reader keeps the configuration text exactly as the file holds it.
    const resources = wasmResources(readEcdsFile(path));
    if (resources.length === 0) {
      return [
        {
          shape: "ecds",
          where: at(null),
          jsonText: null,
          missing: `resources: no ${"envoy.extensions.filters.http.wasm.v3.Wasm"} resource in the ECDS file`,
        },
      ];
    }
    return resources.map((r) => ({ shape: "ecds" as const, where: at(`resources[${r.index}] ${r.name}`), jsonText: r.configText }));
  }
  if (isObject(doc) && "filter" in doc) {
    // The dark-launch fields are checked as render checks them (unknown keys, bad values: exit 1).
    const deployment = deploymentFromObject(doc, path);
    return [{ shape: "render-input", where: at(null), jsonText: JSON.stringify(deployment.filter) }];
  }
  return [{ shape: "config", where: at(null), jsonText: rawJson ?? JSON.stringify(doc) ?? "null" }];
}

/**
 * The filter configurations in a file of any of the four shapes: a bare configuration (YAML or
 * JSON), a `render` input file (its `filter:`), an ECDS file (each Wasm resource's
 * `typed_config.config.configuration.value`), an Istio WasmPlugin (`spec.pluginConfig`; several
 * `---` documents allowed). Unreadable file or syntax error: CliError, exit 2.
 */
export function readFilterConfigs(path: string): FoundConfig[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new CliError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, EXIT.other);
  }
  if (extname(path).toLowerCase() === ".json") {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new CliError(`${path}: not valid JSON: ${(err as Error).message}`, EXIT.other);
    }
    // A bare .json configuration goes to the filter byte for byte.
    return configsOfDocument(value, path, text, null);
  }
  const docs = parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [docs];
  for (const doc of list) {
    if (doc.errors.length > 0) throw new CliError(`${path}: not valid YAML: ${doc.errors[0]!.message.split("\n")[0]}`, EXIT.other);
  }
  const values = list.map((d) => d.toJS() as unknown).filter((v) => v !== null && v !== undefined);
  if (values.length === 0) return configsOfDocument(null, path, null, null);
  return values.flatMap((value, i) => configsOfDocument(value, path, null, values.length > 1 ? `document ${i + 1}` : null));
}
