// A dark-launch file: the filter's configuration plus what it takes to deploy it, one source for
// the Envoy filter, the ECDS resource and the Istio WasmPlugin that `render` writes.
//
//   name: dark-launch              # filter / ECDS resource / WasmPlugin name; default dark-launch
//   wasm:
//     path: build/dark-launch.wasm # Envoy: a local file (relative to Envoy's working directory)
//     url: oci://registry.example/dark-launch:0.1.0   # Istio: oci://, https:// or file://
//     sha256: <64 hex digits>      # optional: Istio checks the module against it
//   istio:
//     namespace: shop              # optional
//     selector: { matchLabels: { app: checkout } }    # optional: default every workload
//     phase: UNSPECIFIED_PHASE     # AUTHN | AUTHZ | STATS | UNSPECIFIED_PHASE (default)
//     priority: 10                 # optional
//   filter:                        # the filter's configuration (contract, section 2)
//     rules: [...]
//
// Unknown keys are errors here too.

import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { CliError, EXIT } from "./errors.js";

export const ISTIO_PHASES = ["AUTHN", "AUTHZ", "STATS", "UNSPECIFIED_PHASE"] as const;
export type IstioPhase = (typeof ISTIO_PHASES)[number];

export interface Deployment {
  name: string;
  wasm: { path: string | null; url: string | null; sha256: string | null };
  istio: {
    namespace: string | null;
    selector: { matchLabels: Record<string, string> } | null;
    phase: IstioPhase;
    priority: number | null;
  };
  /** The filter configuration, as given. */
  filter: Record<string, unknown>;
}

export const DEFAULT_DEPLOYMENT_NAME = "dark-launch";
/** A Kubernetes object name (RFC 1123 label), which also suits Envoy. */
const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SHA256 = /^[0-9a-f]{64}$/;
const WASM_URL = /^(oci|https?|file):\/\/\S+$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function unknownKeys(obj: Record<string, unknown>, allowed: string[], path: string, problems: string[]): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) problems.push(`${path}${key}: unknown key (expected ${allowed.join(", ")})`);
  }
}

function optionalString(
  obj: Record<string, unknown>,
  key: string,
  path: string,
  problems: string[],
  pattern?: RegExp,
  expect?: string,
): string | null {
  const v = obj[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== "string" || (pattern !== undefined && !pattern.test(v))) {
    problems.push(`${path}${key}: must be ${expect ?? "a string"} (got ${JSON.stringify(v)})`);
    return null;
  }
  return v;
}

/** A deployment from a parsed dark-launch file; CliError (exit 1) listing every problem. */
export function deploymentFromObject(doc: unknown, source: string): Deployment {
  const problems: string[] = [];
  if (!isObject(doc)) throw new CliError(`${source}: must be a mapping with at least "filter"`, EXIT.failed);
  unknownKeys(doc, ["name", "wasm", "istio", "filter"], "", problems);

  const name = optionalString(doc, "name", "", problems, NAME, "a lower-case name of letters, digits and '-'") ?? DEFAULT_DEPLOYMENT_NAME;

  const wasm = { path: null as string | null, url: null as string | null, sha256: null as string | null };
  if (doc.wasm !== undefined) {
    const w = doc.wasm;
    if (!isObject(w)) problems.push("wasm: must be a mapping");
    else {
      unknownKeys(w, ["path", "url", "sha256"], "wasm.", problems);
      wasm.path = optionalString(w, "path", "wasm.", problems);
      wasm.url = optionalString(w, "url", "wasm.", problems, WASM_URL, "an oci://, https:// or file:// URL");
      wasm.sha256 = optionalString(w, "sha256", "wasm.", problems, SHA256, "64 lower-case hex digits");
    }
  }

  const istio: Deployment["istio"] = { namespace: null, selector: null, phase: "UNSPECIFIED_PHASE", priority: null };
  if (doc.istio !== undefined) {
    const i = doc.istio;
    if (!isObject(i)) problems.push("istio: must be a mapping");
    else {
      unknownKeys(i, ["namespace", "selector", "phase", "priority"], "istio.", problems);
      istio.namespace = optionalString(i, "namespace", "istio.", problems, NAME, "a Kubernetes namespace name");
      const phase = optionalString(i, "phase", "istio.", problems);
      if (phase !== null) {
        if ((ISTIO_PHASES as readonly string[]).includes(phase)) istio.phase = phase as IstioPhase;
        else problems.push(`istio.phase: must be one of ${ISTIO_PHASES.join(", ")} (got ${JSON.stringify(phase)})`);
      }
      const priority = i.priority;
      if (priority !== undefined && priority !== null) {
        if (typeof priority === "number" && Number.isInteger(priority)) istio.priority = priority;
        else problems.push(`istio.priority: must be a whole number (got ${JSON.stringify(priority)})`);
      }
      const selector = i.selector;
      if (selector !== undefined && selector !== null) {
        const labels = isObject(selector) ? selector.matchLabels : undefined;
        if (
          !isObject(selector) ||
          Object.keys(selector).some((k) => k !== "matchLabels") ||
          !isObject(labels) ||
          Object.values(labels).some((v) => typeof v !== "string")
        ) {
          problems.push("istio.selector: must be { matchLabels: { <label>: <value>, ... } } with string values");
        } else {
          istio.selector = { matchLabels: labels as Record<string, string> };
        }
      }
    }
  }

  const filter = doc.filter;
  if (!isObject(filter)) problems.push("filter: required, the filter's configuration (a mapping with rules)");

  if (problems.length > 0) throw new CliError(`${source}: invalid dark-launch file:\n  ${problems.join("\n  ")}`, EXIT.failed);
  return { name, wasm, istio, filter: filter as Record<string, unknown> };
}

export function readDeployment(path: string): Deployment {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new CliError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, EXIT.other);
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new CliError(`${path}: not valid YAML: ${(err as Error).message.split("\n")[0]}`, EXIT.other);
  }
  return deploymentFromObject(doc, path);
}
