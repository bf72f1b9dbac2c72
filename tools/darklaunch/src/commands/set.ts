// `darklaunch set`: the kill switch and the ramp, without restarting Envoy.
//   set RULE --percent N     the rule's sample.percent
//   set RULE --disable       the rule's `enabled: false` (requests still counted, never mirrored)
//   set RULE --enable        back on
//   set --all --disable      the top-level `enabled: false` (every rule)
// Reads the ECDS file (or an Istio WasmPlugin file), edits the filter's configuration, validates
// the result with the filter's own .wasm, and only then swaps the file in atomically; Envoy applies
// an ECDS file within about a second. With --audit FILE each change is appended as a JSON line.
// Exit code: 0 done (or nothing to change), 1 refused (unknown rule, or the filter rejects the
// result: the file is left as it was), 2 usage error, unreadable file, no filter binary.

import { appendAudit, type AuditEntry } from "../audit.js";
import type { CliIO } from "../cli.js";
import {
  readFilterConfigFile,
  writeFilterConfigFile,
  type ConfigEdit,
  type ConfigResource,
  type FilterConfigFile,
} from "../config-file.js";
import { CliError, EXIT } from "../errors.js";
import type { Verdict } from "../judge.js";
import { resolveWasmPath, validateFilterConfig } from "../validation.js";

export interface SetOptions {
  /** The rule to change; null = the top-level switch (--all). */
  rule: string | null;
  percent: number | null;
  enabled: boolean | null;
  /** The file and its kind (--ecds or --wasmplugin). */
  file: string;
  fileKind: "ecds" | "wasmplugin";
  resource: string | undefined;
  wasmPath: string | undefined;
  dryRun: boolean;
  /** Append each change here (--audit FILE). */
  auditPath: string | null;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function rulesOf(config: unknown): Json[] {
  if (!isObject(config) || !Array.isArray(config.rules)) return [];
  return config.rules.filter(isObject);
}

export function ruleNames(config: unknown): string[] {
  return rulesOf(config).map((r) => String(r.name));
}

/** The resource holding `rule` (null: the top-level switch): the one named by --resource, else the only one that fits. */
export function pickResource(file: FilterConfigFile, rule: string | null, resource: string | undefined): number {
  const resources = file.resources;
  const what = file.kind === "ecds" ? "Wasm filter resource (envoy.extensions.filters.http.wasm.v3.Wasm)" : "WasmPlugin";
  if (resources.length === 0) throw new CliError(`${file.path}: no ${what}`, EXIT.other);
  if (resource !== undefined) {
    const index = resources.findIndex((r) => r.name === resource);
    if (index < 0) {
      throw new CliError(
        `${file.path}: no ${file.kind === "ecds" ? "Wasm resource" : "WasmPlugin"} named "${resource}" (there: ${resources.map((r) => r.name).join(", ")})`,
        EXIT.failed,
      );
    }
    return index;
  }
  const candidates = resources
    .map((r, i): [ConfigResource, number] => [r, i])
    .filter(([r]) => rule === null || ruleNames(r.config).includes(rule));
  if (candidates.length === 1) return candidates[0]![1];
  if (candidates.length === 0) {
    const known = resources.flatMap((r) => ruleNames(r.config));
    throw new CliError(`${file.path}: no rule named "${rule}" (rules: ${known.join(", ") || "none"})`, EXIT.failed);
  }
  throw new CliError(
    `${file.path}: ${rule === null ? "several Wasm resources" : `rule "${rule}" is in several resources`} (${candidates
      .map(([r]) => r.name)
      .join(", ")}): choose one with --resource NAME`,
    EXIT.other,
  );
}

const show = (v: unknown): string => (v === undefined ? "(default)" : JSON.stringify(v));

/** One changed value: what people read ("x: a → b") and what the audit log records. */
export interface ChangeMade {
  text: string;
  action: AuditEntry["action"];
  rule: string | null;
  from: number | boolean | null;
  to: number | boolean;
}

/**
 * Applies the change to a copy of `config`; returns it, what changed and the edits that make it
 * (the ECDS file takes the whole configuration, a WasmPlugin file only the edits).
 */
export function applyChange(
  config: unknown,
  opts: Pick<SetOptions, "rule" | "percent" | "enabled">,
): { config: Json; changes: string[]; made: ChangeMade[]; edits: ConfigEdit[] } {
  if (!isObject(config)) throw new CliError("the filter configuration is not a JSON object", EXIT.failed);
  const next = structuredClone(config);
  const made: ChangeMade[] = [];
  const edits: ConfigEdit[] = [];
  const change = (
    target: Json,
    path: (string | number)[],
    key: string,
    value: number | boolean,
    label: string,
    action: ChangeMade["action"],
    after?: string,
  ): void => {
    const before = target[key];
    if (before === value) return;
    made.push({
      text: `${label}: ${show(before)} → ${JSON.stringify(value)}`,
      action,
      rule: opts.rule,
      from: typeof before === "number" || typeof before === "boolean" ? before : null,
      to: value,
    });
    edits.push({ path: [...path, key], value, ...(before === undefined && after !== undefined ? { after } : {}) });
    target[key] = value;
  };
  if (opts.rule === null) {
    if (opts.enabled === null) return { config: next, changes: [], made, edits };
    // A new top-level switch goes first, where people look for it.
    const target: Json = "enabled" in next ? next : { enabled: undefined, ...next };
    change(target, [], "enabled", opts.enabled, "enabled", opts.enabled ? "enable" : "disable", "");
    return { config: target, changes: made.map((m) => m.text), made, edits };
  }
  const rules = rulesOf(next);
  const index = rules.findIndex((r) => r.name === opts.rule);
  if (index < 0) throw new CliError(`no rule named "${opts.rule}" (rules: ${ruleNames(next).join(", ") || "none"})`, EXIT.failed);
  const position = (next.rules as unknown[]).indexOf(rules[index]);
  let rule = rules[index]!;
  if (opts.enabled !== null) {
    if (!("enabled" in rule)) {
      // A new switch goes right after the rule's name.
      const { name, ...rest } = rule;
      rule = { name, enabled: undefined, ...rest };
      (next.rules as unknown[])[position] = rule;
    }
    change(rule, ["rules", position], "enabled", opts.enabled, `${opts.rule}.enabled`, opts.enabled ? "enable" : "disable", "name");
  }
  if (opts.percent !== null) {
    if (rule.sample === undefined) rule.sample = {};
    if (!isObject(rule.sample)) throw new CliError(`${opts.rule}.sample is not an object`, EXIT.failed);
    change(rule.sample, ["rules", position, "sample"], "percent", opts.percent, `${opts.rule}.sample.percent`, "percent");
  }
  return { config: next, changes: made.map((m) => m.text), made, edits };
}

export interface AppliedChange {
  made: ChangeMade[];
  resource: string;
  versionChange: string | null;
}

/**
 * Reads the file, applies the change, validates it with the filter, writes the file (unless a dry
 * run) and appends to the audit log. Returns what changed (nothing: `made` is empty, the file is
 * untouched). Throws CliError if the filter refuses the result (the file stays as it was).
 */
export async function changeRule(
  opts: Omit<SetOptions, "dryRun"> & { dryRun?: boolean },
  wasmPath: string,
  audit: { verdict: Verdict | null; reasons: string[]; command: AuditEntry["command"] } = { verdict: null, reasons: [], command: "set" },
): Promise<AppliedChange & { text: string }> {
  const file = readFilterConfigFile(opts.file, opts.fileKind);
  const index = pickResource(file, opts.rule, opts.resource);
  const target = file.resources[index]!;
  const { config, made, edits } = applyChange(target.config, opts);
  if (made.length === 0) return { made, resource: target.name, versionChange: null, text: "" };
  const result = await validateFilterConfig(JSON.stringify(config), wasmPath);
  if (!result.valid) {
    throw new CliError(
      `the filter refuses the changed configuration; ${opts.file} is left as it was:\n  ${result.problems.join("\n  ")}`,
      EXIT.failed,
    );
  }
  file.apply(index, edits, config);
  const text = file.serialise();
  if (opts.dryRun === true) return { made, resource: target.name, versionChange: file.versionChange, text };
  writeFilterConfigFile(file);
  if (opts.auditPath !== null) {
    const time = new Date().toISOString();
    for (const m of made) {
      appendAudit(opts.auditPath, {
        time,
        rule: m.rule,
        action: m.action,
        from: m.from,
        to: m.to,
        verdict: audit.verdict,
        reasons: audit.reasons,
        command: audit.command,
        file: opts.file,
      });
    }
  }
  return { made, resource: target.name, versionChange: file.versionChange, text };
}

export async function setCommand(opts: SetOptions, io: CliIO): Promise<number> {
  const wasmPath = resolveWasmPath(opts.wasmPath, io.env);
  let applied: AppliedChange & { text: string };
  try {
    applied = await changeRule(opts, wasmPath);
  } catch (err) {
    if (err instanceof CliError && err.exitCode === EXIT.failed && err.message.startsWith("the filter refuses")) {
      const [first, ...problems] = err.message.split("\n");
      io.err(`darklaunch: ${first}\n`);
      io.out(problems.map((p) => `${p.trim()}\n`).join(""));
      return EXIT.failed;
    }
    throw err;
  }
  const changes = applied.made.map((m) => m.text);
  if (changes.length === 0) {
    io.out(`${opts.file}: nothing to change (resource "${applied.resource}")\n`);
    return EXIT.ok;
  }
  if (opts.dryRun) {
    io.out(applied.text);
    io.err(`darklaunch: dry run, ${opts.file} not written: ${changes.join("; ")}\n`);
    return EXIT.ok;
  }
  const details = [`resource "${applied.resource}"`, ...(applied.versionChange !== null ? [applied.versionChange] : []), "validated"];
  io.out(`${opts.file}: ${changes.join("; ")} (${details.slice(0, -1).join(", ")}; ${details.at(-1)})\n`);
  if (opts.fileKind === "wasmplugin")
    io.err(`darklaunch: note: apply the WasmPlugin for it to take effect (kubectl apply -f ${opts.file}, or your GitOps sync)\n`);
  if (opts.rule !== null && opts.enabled === true) {
    const file = readFilterConfigFile(opts.file, opts.fileKind);
    const config = file.resources.find((r) => r.name === applied.resource)?.config;
    if (isObject(config) && config.enabled === false) {
      io.err(`darklaunch: note: the top-level switch is off ("enabled": false): nothing is mirrored until "set --all --enable"\n`);
    }
  }
  return EXIT.ok;
}
