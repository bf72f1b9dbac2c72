// The ECDS file Envoy reads the filter's configuration from (a DiscoveryResponse: `version_info`
// and `resources`, each an envoy.config.core.v3.TypedExtensionConfig holding the Wasm filter):
// find the filter's JSON configuration in it, replace it, and swap the file in atomically.
//
// Envoy notices the file only when a new one is *moved* onto its path, so writes go to a
// temporary file in the same directory (same file system), which is then renamed over the old one:
// Envoy never reads a half-written file.

import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { basename, dirname, extname, join } from "node:path";
import { isMap, isSeq, parseDocument, type Document } from "yaml";
import { CliError, EXIT } from "./errors.js";

export const TYPED_EXTENSION_CONFIG_TYPE = "type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig";
export const WASM_FILTER_TYPE = "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm";
export const STRING_VALUE_TYPE = "type.googleapis.com/google.protobuf.StringValue";

/** Where a resource keeps the filter's configuration text. */
const CONFIG_VALUE_PATH = ["typed_config", "config", "configuration", "value"] as const;

type Path = (string | number)[];

/** An ECDS file as read: YAML keeps its comments and layout; JSON is rewritten as JSON. */
export interface EcdsFile {
  path: string;
  format: "yaml" | "json";
  yaml: Document | null;
  json: Record<string, unknown> | null;
}

/** A Wasm filter resource in the file and its configuration. */
export interface WasmResource {
  /** Index in `resources`. */
  index: number;
  name: string;
  /** The filter's configuration as the file holds it (JSON text). */
  configText: string;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function readEcdsFile(path: string): EcdsFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new CliError(`cannot read the ECDS file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, EXIT.other);
  }
  if (extname(path).toLowerCase() === ".json") {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new CliError(`${path}: not valid JSON: ${(err as Error).message}`, EXIT.other);
    }
    if (!isObject(json)) throw new CliError(`${path}: not an ECDS file (expected an object with "resources")`, EXIT.other);
    return { path, format: "json", yaml: null, json };
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new CliError(`${path}: not valid YAML: ${doc.errors[0]!.message.split("\n")[0]}`, EXIT.other);
  if (!isMap(doc.contents)) throw new CliError(`${path}: not an ECDS file (expected a mapping with "resources")`, EXIT.other);
  return { path, format: "yaml", yaml: doc, json: null };
}

function getIn(file: EcdsFile, path: Path): unknown {
  if (file.yaml !== null) {
    const node = file.yaml.getIn(path, false);
    // Collections come back as nodes; turn them into plain values.
    return isMap(node) || isSeq(node) ? node.toJSON() : node;
  }
  let at: unknown = file.json;
  for (const key of path) {
    if (typeof key === "number" ? !Array.isArray(at) : !isObject(at)) return undefined;
    at = (at as Record<string | number, unknown>)[key];
  }
  return at;
}

function setIn(file: EcdsFile, path: Path, value: unknown): void {
  if (file.yaml !== null) {
    // Replacing a scalar keeps its style (a `|` block stays a block) and its comments.
    file.yaml.setIn(path, value);
    return;
  }
  let at = file.json as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
  at[path[path.length - 1]!] = value;
}

/** Every Wasm filter resource of the file. */
export function wasmResources(file: EcdsFile): WasmResource[] {
  const resources = getIn(file, ["resources"]);
  if (!Array.isArray(resources)) throw new CliError(`${file.path}: no "resources" list: not an ECDS file`, EXIT.other);
  const out: WasmResource[] = [];
  resources.forEach((r: unknown, index) => {
    if (!isObject(r) || !isObject(r.typed_config) || r.typed_config["@type"] !== WASM_FILTER_TYPE) return;
    const configText = getIn(file, ["resources", index, ...CONFIG_VALUE_PATH]);
    if (typeof configText !== "string") {
      throw new CliError(
        `${file.path}: resources[${index}] has no configuration text at typed_config.config.configuration.value (a ${STRING_VALUE_TYPE})`,
        EXIT.other,
      );
    }
    out.push({ index, name: typeof r.name === "string" ? r.name : `resources[${index}]`, configText });
  });
  return out;
}

/** Replaces a resource's configuration text. */
export function setResourceConfig(file: EcdsFile, resource: WasmResource, configText: string): void {
  setIn(file, ["resources", resource.index, ...CONFIG_VALUE_PATH], configText);
}

/** Bumps a numeric `version_info` (or starts it at "1"); returns [before, after]. */
export function bumpVersion(file: EcdsFile): [string | null, string] {
  const current = getIn(file, ["version_info"]);
  const before = current === undefined || current === null ? null : String(current);
  const after = before !== null && /^\d+$/.test(before) ? String(BigInt(before) + 1n) : before === null ? "1" : `${before}+1`;
  setIn(file, ["version_info"], after);
  return [before, after];
}

export function serialiseEcds(file: EcdsFile): string {
  return file.yaml !== null ? file.yaml.toString({ lineWidth: 0 }) : `${JSON.stringify(file.json, null, 2)}\n`;
}

/**
 * Replaces `path` with `text` atomically: a temporary file in the same directory, flushed to
 * disk, then renamed over `path` (keeping its permission bits).
 */
export function writeFileAtomically(path: string, text: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  let mode = 0o644;
  try {
    mode = statSync(path).mode & 0o777;
  } catch {
    // A new file: default permissions.
  }
  try {
    const fd = openSync(tmp, "wx", mode);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new CliError(`cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, EXIT.other);
  }
}
