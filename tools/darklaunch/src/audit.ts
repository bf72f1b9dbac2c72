// The audit log of `set --audit` and `ramp`: one JSON line per change to a rule, appended to a
// file (operator-tools contract: time, rule, action, from, to, verdict, reasons). A line is
// written only once the change is in the file Envoy (or Istio) reads.

import { appendFileSync } from "node:fs";
import { CliError, EXIT } from "./errors.js";
import type { Verdict } from "./judge.js";

export const DEFAULT_AUDIT_FILE = "darklaunch-audit.jsonl";

export interface AuditEntry {
  /** ISO 8601. */
  time: string;
  /** The rule; null for the top-level switch (`set --all`). */
  rule: string | null;
  /** `percent` (sample.percent), `disable` / `enable` (the rule's `enabled`). */
  action: "percent" | "disable" | "enable";
  /** The value before and after (a percent, or the `enabled` switch); null when it was not set (its default). */
  from: number | boolean | null;
  to: number | boolean;
  /** The verdict that led to the change; null when a person made it (`set`). */
  verdict: Verdict | null;
  reasons: string[];
  /** Which command made it, and in which file. */
  command: "set" | "ramp";
  file: string;
}

/** Appends one line; an unwritable audit file is an error (exit 2), after the change was made. */
export function appendAudit(path: string, entry: AuditEntry): void {
  try {
    appendFileSync(path, `${JSON.stringify(entry)}\n`, { encoding: "utf8", flag: "a" });
  } catch (err) {
    throw new CliError(
      `cannot append to the audit file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      EXIT.other,
    );
  }
}
