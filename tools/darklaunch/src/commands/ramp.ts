// `darklaunch ramp RULE --steps 1,5,25,100 --hold DURATION`: raises a rule's percentage step by
// step while its verdict stays PASS, and disables it at once on FAIL (the kill switch).
//
// At each step: set the percentage (validated, in the ECDS or WasmPlugin file), then judge the
// rule every --interval on the traffic since the ramp started; after PASS has held for --hold,
// the next step. FAIL at any time: `enabled: false` for the rule, exit 1. After the last step has
// held: exit 0. Ctrl-C: the setting stays as it is, exit 130. Every change is appended to the
// audit file.
//
// One test over the whole ramp: the traffic since the ramp began, judged anytime-valid, so
// polling every second and moving through the steps keeps the verdict's error rates (a dark
// version that only breaks under load is still seen: its new failures outweigh the earlier clean
// pairs within a few dozen requests, docs/verdict.md).

import type { CliIO } from "../cli.js";
import { readFilterConfigFile } from "../config-file.js";
import { pause } from "../pause.js";
import { CliError, EXIT } from "../errors.js";
import type { Verdict } from "../judge.js";
import { emptyRule, type StatsReading } from "../reading.js";
import type { Source } from "../sources/source.js";
import { Painter, verdictWord } from "../table.js";
import { loadThresholds } from "../thresholds.js";
import { resolveWasmPath } from "../validation.js";
import { changeRule, pickResource } from "./set.js";
import { ruleReport, sourceText } from "./verdict.js";

export interface RampOptions {
  rule: string;
  /** Percentages, increasing, each in (0, 100]. */
  steps: number[];
  holdMs: number;
  intervalMs: number;
  source: Source;
  file: string;
  fileKind: "ecds" | "wasmplugin";
  resource: string | undefined;
  wasmPath: string | undefined;
  auditPath: string;
  thresholdsPath: string | undefined;
  json: boolean;
}

/** What `--json` prints, one object per line. */
export type RampEvent =
  | { event: "start"; at: string; rule: string; steps: number[]; hold_s: number; source: string; file: string; percent: number | null }
  | { event: "percent"; at: string; rule: string; from: number | null; to: number; verdict: Verdict | null; reasons: string[] }
  | { event: "verdict"; at: string; rule: string; percent: number; verdict: Verdict; reasons: string[]; held_s: number }
  | { event: "disable"; at: string; rule: string; verdict: Verdict; reasons: string[] }
  | { event: "done"; at: string; rule: string; percent: number }
  | { event: "interrupted"; at: string; rule: string; percent: number | null }
  | { event: "error"; at: string; rule: string; error: string };

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** The rule's percent and switches as the file has them now. */
function ruleState(opts: RampOptions): { percent: number; enabled: boolean; allEnabled: boolean } {
  const file = readFilterConfigFile(opts.file, opts.fileKind);
  const config = file.resources[pickResource(file, opts.rule, opts.resource)]!.config;
  const rules = isObject(config) && Array.isArray(config.rules) ? (config.rules as unknown[]).filter(isObject) : [];
  const rule = rules.find((r) => r.name === opts.rule)!;
  const sample = rule.sample;
  const percent = isObject(sample) && typeof sample.percent === "number" ? sample.percent : 100;
  return { percent, enabled: rule.enabled !== false, allEnabled: !isObject(config) || config.enabled !== false };
}

export async function rampCommand(opts: RampOptions, io: CliIO): Promise<number> {
  const thresholds = loadThresholds(opts.thresholdsPath);
  const wasmPath = resolveWasmPath(opts.wasmPath, io.env);
  const painter = new Painter(io.colour);
  const state = ruleState(opts);
  if (!state.allEnabled || !state.enabled) {
    throw new CliError(
      `${opts.file}: ${state.allEnabled ? `rule "${opts.rule}" is` : "the filter is"} switched off ("enabled": false); ramp only changes the percentage: ` +
        `switch it on first (darklaunch set ${state.allEnabled ? `${opts.rule} --enable --percent 0` : "--all --enable"})`,
      EXIT.other,
    );
  }
  const now = (): string => new Date().toISOString();
  const clock = (iso: string): string => iso.slice(11, 19);
  const emit = (e: RampEvent, text: string): void => {
    if (opts.json) io.out(`${JSON.stringify(e)}\n`);
    else io.out(`${text}\n`);
  };

  // The baseline: the traffic before the ramp is not its evidence. An unreachable source: exit 2.
  const baseline: StatsReading = await opts.source.read();
  let percent: number | null = state.percent;
  emit(
    {
      event: "start",
      at: now(),
      rule: opts.rule,
      steps: opts.steps,
      hold_s: opts.holdMs / 1000,
      source: opts.source.label,
      file: opts.file,
      percent,
    },
    `${painter.paint("darklaunch ramp", "bold")} ${opts.rule}: steps ${opts.steps.join(", ")} %, each held ${opts.holdMs / 1000} s at PASS; ` +
      `${sourceText(baseline.source)}; ${opts.file}; audit ${opts.auditPath}; now at ${percent} %`,
  );

  let verdict: Verdict | null = null;
  let reasons: string[] = ["the ramp starts"];
  for (const [i, step] of opts.steps.entries()) {
    if (percent !== step) {
      const applied = await changeRule(
        {
          rule: opts.rule,
          percent: step,
          enabled: null,
          file: opts.file,
          fileKind: opts.fileKind,
          resource: opts.resource,
          wasmPath: opts.wasmPath,
          auditPath: opts.auditPath,
        },
        wasmPath,
        { verdict, reasons, command: "ramp" },
      );
      const at = now();
      emit(
        { event: "percent", at, rule: opts.rule, from: percent, to: step, verdict, reasons },
        `${clock(at)} ${applied.made.map((m) => m.text).join("; ")}${applied.versionChange !== null ? ` (${applied.versionChange})` : ""}` +
          `${i === 0 ? "" : ` after ${opts.holdMs / 1000} s of PASS`}`,
      );
      percent = step;
    }
    let passSince: number | null = null;
    let shown = "";
    for (;;) {
      if (!(await pause(opts.intervalMs, io.signal))) {
        emit({ event: "interrupted", at: now(), rule: opts.rule, percent }, `Ctrl-C: the rule stays at ${percent} % (nothing changed)`);
        return 130;
      }
      let data: StatsReading;
      try {
        data = await opts.source.between(baseline, await opts.source.read());
      } catch (err) {
        if (!(err instanceof CliError)) throw err;
        // The source went away for a moment: the setting stays, the ramp waits.
        emit(
          { event: "error", at: now(), rule: opts.rule, error: err.message },
          `${clock(now())} ${err.message} (the rule stays at ${percent} %)`,
        );
        passSince = null;
        continue;
      }
      const reading = data.rules.find((r) => r.rule === opts.rule) ?? emptyRule(opts.rule, false);
      const report = ruleReport(reading, thresholds);
      verdict = report.verdict;
      reasons = report.reasons;
      const at = new Date(data.takenAt).toISOString();
      if (verdict === "FAIL") {
        emit(
          { event: "verdict", at, rule: opts.rule, percent, verdict, reasons, held_s: 0 },
          `${clock(at)} ${painter.verdict(verdict)}  ${reasons.join("; ")}`,
        );
        await changeRule(
          {
            rule: opts.rule,
            percent: null,
            enabled: false,
            file: opts.file,
            fileKind: opts.fileKind,
            resource: opts.resource,
            wasmPath: opts.wasmPath,
            auditPath: opts.auditPath,
          },
          wasmPath,
          { verdict, reasons, command: "ramp" },
        );
        emit(
          { event: "disable", at: now(), rule: opts.rule, verdict, reasons },
          `${clock(now())} ${opts.rule} disabled ("enabled": false) at ${percent} %: the kill switch`,
        );
        return EXIT.failed;
      }
      passSince = verdict === "PASS" ? (passSince ?? data.takenAt) : null;
      const held = passSince === null ? 0 : data.takenAt - passSince;
      const line = `${verdictWord(verdict)} ${reasons.join("; ")}`;
      if (opts.json) emit({ event: "verdict", at, rule: opts.rule, percent, verdict, reasons, held_s: held / 1000 }, "");
      else if (line !== shown) {
        io.out(
          `${clock(at)} ${painter.verdict(verdict)}  ${verdict === "PASS" ? `held until ${clock(new Date(passSince! + opts.holdMs).toISOString())}` : reasons.join("; ")}\n`,
        );
        shown = line;
      }
      if (verdict === "PASS" && held >= opts.holdMs) break;
    }
  }
  emit(
    { event: "done", at: now(), rule: opts.rule, percent: percent! },
    `${clock(now())} ${opts.rule}: the last step (${percent} %) held PASS for ${opts.holdMs / 1000} s: done`,
  );
  return EXIT.ok;
}
