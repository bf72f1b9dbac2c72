// `darklaunch set`: the kill switch and the ramp, without restarting Envoy.
//   set RULE --percent N     the rule's sample.percent
//   set RULE --disable       the rule's `enabled: false` (requests still counted, never mirrored)
//   set RULE --enable        back on
//   set --all --disable      the top-level `enabled: false` (every rule)
// Reads the ECDS file, edits the filter's JSON configuration, validates the result with the
// filter's own .wasm, and only then swaps the file in atomically; Envoy applies it within about a
// second. Exit code: 0 done (or nothing to change), 1 refused (unknown rule, or the filter rejects
// the result: the file is left as it was), 2 usage error, unreadable file, no filter binary.

import type { CliIO } from "../cli.js";
import {
  bumpVersion,
  readEcdsFile,
  serialiseEcds,
  setResourceConfig,
  wasmResources,
  writeFileAtomically,
  type WasmResource,
} from "../ecds.js";
import { CliError, EXIT } from "../errors.js";
import { formatJson } from "../json-text.js";
import { resolveWasmPath, validateFilterConfig } from "../validation.js";

export interface SetOptions {
  /** The rule to change; null = the top-level switch (--all). */
  rule: string | null;
  percent: number | null;
  enabled: boolean | null;
  ecdsPath: string;
  resource: string | undefined;
  wasmPath: string | undefined;
  dryRun: boolean;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function rulesOf(config: unknown): Json[] {
  if (!isObject(config) || !Array.isArray(config["rules"])) return [];
  return config["rules"].filter(isObject);
}

function ruleNames(config: unknown): string[] {
  return rulesOf(config).map((r) => String(r["name"]));
}

/** The resource to edit: the one named by --resource, else the only one that fits. */
function pickResource(resources: { resource: WasmResource; config: unknown }[], opts: SetOptions, path: string) {
  if (resources.length === 0) throw new CliError(`${path}: no Wasm filter resource (${"envoy.extensions.filters.http.wasm.v3.Wasm"})`, EXIT.other);
  if (opts.resource !== undefined) {
    const named = resources.find((r) => r.resource.name === opts.resource);
    if (named === undefined) {
      throw new CliError(`${path}: no Wasm resource named "${opts.resource}" (there: ${resources.map((r) => r.resource.name).join(", ")})`, EXIT.failed);
    }
    return named;
  }
  const candidates = opts.rule === null ? resources : resources.filter((r) => ruleNames(r.config).includes(opts.rule!));
  if (candidates.length === 1) return candidates[0]!;
  if (candidates.length === 0) {
    const known = resources.flatMap((r) => ruleNames(r.config));
    throw new CliError(`${path}: no rule named "${opts.rule}" (rules: ${known.join(", ") || "none"})`, EXIT.failed);
  }
  throw new CliError(
    `${path}: ${opts.rule === null ? "several Wasm resources" : `rule "${opts.rule}" is in several resources`} (${candidates
      .map((r) => r.resource.name)
      .join(", ")}): choose one with --resource NAME`,
    EXIT.other,
  );
}

const show = (v: unknown): string => (v === undefined ? "(default)" : JSON.stringify(v));

/** Applies the change to a copy of `config`; returns it and what changed ("x: a → b"). */
export function applyChange(config: unknown, opts: Pick<SetOptions, "rule" | "percent" | "enabled">): { config: Json; changes: string[] } {
  if (!isObject(config)) throw new CliError("the filter configuration is not a JSON object", EXIT.failed);
  const next = structuredClone(config);
  const changes: string[] = [];
  const change = (target: Json, key: string, value: unknown, label: string): void => {
    if (target[key] === value) return;
    changes.push(`${label}: ${show(target[key])} → ${JSON.stringify(value)}`);
    target[key] = value;
  };
  if (opts.rule === null) {
    if (opts.enabled !== null) {
      // A new top-level switch goes first, where people look for it.
      const switched: Json = "enabled" in next ? next : { enabled: undefined, ...next };
      change(switched, "enabled", opts.enabled, "enabled");
      return { config: switched, changes };
    }
    return { config: next, changes };
  }
  const rules = rulesOf(next);
  const index = rules.findIndex((r) => r["name"] === opts.rule);
  if (index < 0) throw new CliError(`no rule named "${opts.rule}" (rules: ${ruleNames(next).join(", ") || "none"})`, EXIT.failed);
  let rule = rules[index]!;
  if (opts.enabled !== null) {
    if (!("enabled" in rule)) {
      // A new switch goes right after the rule's name.
      const { name, ...rest } = rule;
      rule = { name, enabled: undefined, ...rest };
      (next["rules"] as unknown[])[(next["rules"] as unknown[]).indexOf(rules[index])] = rule;
    }
    change(rule, "enabled", opts.enabled, `${opts.rule}.enabled`);
  }
  if (opts.percent !== null) {
    if (rule["sample"] === undefined) rule["sample"] = {};
    if (!isObject(rule["sample"])) throw new CliError(`${opts.rule}.sample is not an object`, EXIT.failed);
    change(rule["sample"], "percent", opts.percent, `${opts.rule}.sample.percent`);
  }
  return { config: next, changes };
}

export async function setCommand(opts: SetOptions, io: CliIO): Promise<number> {
  const wasmPath = resolveWasmPath(opts.wasmPath, io.env);
  const file = readEcdsFile(opts.ecdsPath);
  const resources = wasmResources(file).map((resource) => {
    let config: unknown;
    try {
      config = JSON.parse(resource.configText);
    } catch (err) {
      throw new CliError(`${opts.ecdsPath}: the configuration of resource "${resource.name}" is not JSON: ${(err as Error).message}`, EXIT.other);
    }
    return { resource, config };
  });
  const target = pickResource(resources, opts, opts.ecdsPath);
  const { config, changes } = applyChange(target.config, opts);
  if (changes.length === 0) {
    io.out(`${opts.ecdsPath}: nothing to change (resource "${target.resource.name}")\n`);
    return EXIT.ok;
  }

  const configText = formatJson(config);
  const result = await validateFilterConfig(configText, wasmPath);
  if (!result.valid) {
    io.err(`darklaunch: the filter refuses the changed configuration; ${opts.ecdsPath} is left as it was:\n`);
    io.out(result.problems.map((p) => p + "\n").join(""));
    return EXIT.failed;
  }
  setResourceConfig(file, target.resource, configText);
  const [before, after] = bumpVersion(file);
  const text = serialiseEcds(file);
  if (opts.dryRun) {
    io.out(text);
    io.err(`darklaunch: dry run, ${opts.ecdsPath} not written: ${changes.join("; ")}\n`);
    return EXIT.ok;
  }
  writeFileAtomically(opts.ecdsPath, text);
  io.out(`${opts.ecdsPath}: ${changes.join("; ")} (resource "${target.resource.name}", version ${before ?? "-"} → ${after}; validated)\n`);
  if (opts.rule !== null && opts.enabled === true && isObject(config) && config["enabled"] === false) {
    io.err(`darklaunch: note: the top-level switch is off ("enabled": false): nothing is mirrored until "set --all --enable"\n`);
  }
  return EXIT.ok;
}
