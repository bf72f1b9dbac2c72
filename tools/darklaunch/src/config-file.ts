// The files `set` and `ramp` change the filter's configuration in, behind one interface:
//   an ECDS file (a DiscoveryResponse whose Wasm resources hold the configuration as JSON text,
//     src/ecds.ts): the text is replaced and version_info bumped; Envoy watches the file;
//   an Istio WasmPlugin file (YAML, one or more documents; the configuration is the object
//     spec.pluginConfig): only the changed values are set, so comments and layout stay; Istio
//     applies it once it reaches the cluster (kubectl apply, or a GitOps controller syncing it).
// Either way the file is replaced atomically (a temporary file renamed over it).

import { readFileSync } from "node:fs";
import { isMap, isScalar, isSeq, parseAllDocuments, Pair, Scalar, type Document, type YAMLMap } from "yaml";
import {
  bumpVersion,
  readEcdsFile,
  serialiseEcds,
  setResourceConfig,
  wasmResources,
  writeFileAtomically,
  type EcdsFile,
  type WasmResource,
} from "./ecds.js";
import { CliError, EXIT } from "./errors.js";
import { formatJson } from "./json-text.js";

type Json = Record<string, unknown>;
/** A path inside the filter's configuration, e.g. ["rules", 0, "sample", "percent"]. */
export type ConfigPath = (string | number)[];

/** One value set in the filter's configuration; `after`: a new key goes right after this one. */
export interface ConfigEdit {
  path: ConfigPath;
  value: unknown;
  after?: string;
}

/** A filter configuration inside the file. */
export interface ConfigResource {
  name: string;
  config: unknown;
}

export interface FilterConfigFile {
  readonly path: string;
  readonly kind: "ecds" | "wasmplugin";
  readonly resources: ConfigResource[];
  /** Applies the edits to resource `index` (whose configuration becomes `config`). */
  apply(index: number, edits: ConfigEdit[], config: Json): void;
  /** The version change the write makes ("3 → 4"), or null. */
  readonly versionChange: string | null;
  serialise(): string;
}

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

class EcdsConfigFile implements FilterConfigFile {
  readonly kind = "ecds" as const;
  readonly resources: ConfigResource[];
  versionChange: string | null = null;
  private readonly wasm: WasmResource[];

  constructor(
    readonly path: string,
    private readonly file: EcdsFile,
  ) {
    this.wasm = wasmResources(file);
    this.resources = this.wasm.map((w) => {
      let config: unknown;
      try {
        config = JSON.parse(w.configText);
      } catch (err) {
        throw new CliError(`${path}: the configuration of resource "${w.name}" is not JSON: ${(err as Error).message}`, EXIT.other);
      }
      return { name: w.name, config };
    });
  }

  apply(index: number, _edits: ConfigEdit[], config: Json): void {
    // The configuration is one JSON string here: written whole.
    setResourceConfig(this.file, this.wasm[index]!, formatJson(config));
    const [before, after] = bumpVersion(this.file);
    this.versionChange = `version ${before ?? "-"} → ${after}`;
  }

  serialise(): string {
    return serialiseEcds(this.file);
  }
}

class WasmPluginFile implements FilterConfigFile {
  readonly kind = "wasmplugin" as const;
  readonly resources: ConfigResource[] = [];
  readonly versionChange = null;
  /** The document of each resource. */
  private readonly docs: Document[] = [];

  constructor(
    readonly path: string,
    private readonly all: Document[],
  ) {
    all.forEach((doc, i) => {
      const value = doc.toJS() as unknown;
      if (!isObject(value) || value.kind !== "WasmPlugin") return;
      const spec = value.spec;
      const meta = value.metadata;
      const name = isObject(meta) && typeof meta.name === "string" ? meta.name : `document ${i + 1}`;
      if (!isObject(spec) || !isObject(spec.pluginConfig)) {
        throw new CliError(`${path}: WasmPlugin ${name} has no spec.pluginConfig object (the filter's configuration)`, EXIT.other);
      }
      this.resources.push({ name, config: spec.pluginConfig });
      this.docs.push(doc);
    });
    if (this.resources.length === 0) throw new CliError(`${path}: no WasmPlugin (kind: WasmPlugin) in the file`, EXIT.other);
  }

  apply(index: number, edits: ConfigEdit[]): void {
    const doc = this.docs[index]!;
    for (const edit of edits) {
      const full = ["spec", "pluginConfig", ...edit.path];
      const parent = doc.getIn(full.slice(0, -1), true);
      const key = full[full.length - 1]!;
      if (isMap(parent) && !parent.has(key) && edit.after !== undefined) {
        // A new switch goes where people look for it (after the rule's name; first at the top).
        insertAfter(parent, String(key), edit.value, edit.after);
        continue;
      }
      if (!isMap(parent) && !isSeq(parent)) {
        // A missing object on the way (e.g. no `sample:` yet): created with the value.
        doc.setIn(full, edit.value);
        continue;
      }
      const existing = parent.get(key, true);
      if (isScalar(existing))
        existing.value = edit.value; // keeps its comment
      else parent.set(key, edit.value);
    }
  }

  serialise(): string {
    // Each document writes its own `---` marker as it had one (every one after the first).
    return this.all.map((d) => d.toString({ lineWidth: 0 })).join("");
  }
}

function insertAfter(map: YAMLMap, key: string, value: unknown, after: string): void {
  const pair = new Pair(new Scalar(key), new Scalar(value));
  const at = after === "" ? 0 : map.items.findIndex((p) => isScalar(p.key) && p.key.value === after) + 1;
  map.items.splice(Math.max(0, at), 0, pair);
}

export function readFilterConfigFile(path: string, kind: "ecds" | "wasmplugin"): FilterConfigFile {
  if (kind === "ecds") return new EcdsConfigFile(path, readEcdsFile(path));
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new CliError(
      `cannot read the WasmPlugin file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      EXIT.other,
    );
  }
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) throw new CliError(`${path}: not YAML`, EXIT.other);
  const broken = docs.find((d) => d.errors.length > 0);
  if (broken !== undefined) throw new CliError(`${path}: not valid YAML: ${broken.errors[0]!.message.split("\n")[0]}`, EXIT.other);
  return new WasmPluginFile(path, docs);
}

export function writeFilterConfigFile(file: FilterConfigFile): void {
  writeFileAtomically(file.path, file.serialise());
}
