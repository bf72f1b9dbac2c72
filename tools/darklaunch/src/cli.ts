// `darklaunch <command>`: argument parsing, help, and exit codes. The commands themselves live in
// src/commands/. `runCli` is the whole CLI without the process around it (tests call it);
// `main` binds it to the process: stdout, stderr, Ctrl-C, exit code.

import { parseArgs, type ParseArgsConfig } from "node:util";
import { DEFAULT_AUDIT_FILE } from "./audit.js";
import { collectCommand } from "./commands/collect.js";
import { diffCommand } from "./commands/diff.js";
import { envoyCommand } from "./commands/envoy.js";
import { DEFAULT_IMAGE_DIR, imageCommand } from "./commands/image.js";
import { noiseCommand } from "./commands/noise.js";
import { rampCommand } from "./commands/ramp.js";
import { renderCommand } from "./commands/render.js";
import { setCommand } from "./commands/set.js";
import { validateCommand } from "./commands/validate.js";
import { verdictCommand } from "./commands/verdict.js";
import { watchCommand } from "./commands/watch.js";
import * as collectorFlags from "./collector/options.js";
import { CliError, EXIT, UsageError } from "./errors.js";
import { sampleSource } from "./samples/source.js";
import { DEFAULT_ADMIN, DEFAULT_WINDOW, sourceFromFlags, type Source } from "./sources/index.js";
import { parseDuration } from "./sources/prometheus.js";
import { colourWanted } from "./table.js";

/** Where a command writes, and what it knows about the terminal. */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  /** stdout is a terminal (watch clears the screen only then). */
  isTTY: boolean;
  /** Colour wanted: a terminal and no NO_COLOR. */
  colour: boolean;
  env: NodeJS.ProcessEnv;
  /** Aborted on Ctrl-C: long-running commands (watch, ramp) stop cleanly. */
  signal: AbortSignal;
}

export { DEFAULT_ADMIN };
export const DEFAULT_ECDS = "envoy/ecds/dark-launch-filter.yaml";

const USAGE = `darklaunch: operator tool of the dark-launch Envoy filter

Usage:
  darklaunch verdict  [SOURCE] [--thresholds FILE] [--rule NAME]... [--json]
  darklaunch watch    [SOURCE] [--interval SECONDS] [--iterations N] [--thresholds FILE] [--json]
  darklaunch ramp     RULE --steps P1,P2,... --hold DURATION [SOURCE] (--ecds FILE | --wasmplugin FILE)
                      [--interval SECONDS] [--audit FILE] [--thresholds FILE] [--resource NAME] [--wasm FILE] [--json]
  darklaunch validate FILE [--wasm FILE] [--json]
  darklaunch set      RULE (--percent N | --enable | --disable)... [--ecds FILE | --wasmplugin FILE] [--audit FILE]
                      [--resource NAME] [--wasm FILE] [--dry-run]
  darklaunch set      --all (--enable | --disable) [--ecds FILE | --wasmplugin FILE] [--audit FILE] [--resource NAME] [--wasm FILE] [--dry-run]
  darklaunch render   FILE [--format envoy|ecds|istio] [--image REF] [--wasm FILE] [--no-validate]
  darklaunch image    [--push REF] [--out DIR] [--wasm FILE]
  darklaunch envoy    [ENVOY ARGUMENTS...]
  darklaunch collect  [--listen HOST:PORT] [--db FILE] [--keep DURATION] [--max-samples N] [--token-file FILE]
  darklaunch diff     [--collector URL | --db FILE] [--rule NAME] [--json]
  darklaunch noise    [--collector URL | --db FILE] --rule NAME

SOURCE (one of):
  --admin URL              an Envoy admin endpoint; repeat it to judge several Envoys together
  --prometheus URL         a Prometheus server scraping every Envoy of the fleet, with
    [--window DURATION]    the increase over this window (default ${DEFAULT_WINDOW})
    [--selector MATCHERS]  of the series matching e.g. '{namespace="shop"}'

Commands:
  verdict   judge every rule: PASS / FAIL / NOT ENOUGH DATA, anytime-valid (safe to poll)
            (exit 0 all PASS, 1 any FAIL, 2 otherwise or source unreachable)
  watch     live view of the same figures over the last interval, until Ctrl-C
  ramp      raise a rule's percentage step by step while its verdict is PASS; disable it on FAIL
            (exit 0 done, 1 FAIL: disabled, 2 usage or source, 130 Ctrl-C: setting left as it is)
  validate  check a filter configuration (YAML or JSON) with the filter's own .wasm
            (exit 0 valid, 1 invalid, 2 unreadable)
  set       change a rule's percentage or switch it on/off in an ECDS or WasmPlugin file,
            validated, swapped in atomically; Envoy applies an ECDS file without a restart
  render    from a dark-launch YAML file: the Envoy filter, the ECDS resource or an Istio WasmPlugin
            (--image: the WasmPlugin pulls that OCI image, pinned by its digest)
  image     the filter as an OCI image for Istio (OCI image layout in ${DEFAULT_IMAGE_DIR}); --push sends it
            to a registry with crane and prints its digest
  envoy     run the project's Envoy (.venv) with these arguments, e.g. --mode validate -c FILE
  collect   the mismatch-sample collector: POST /v1/samples into a SQLite file, the diff page at /
  diff      per rule, the parts and JSON paths that differ in the samples, dark and noise counts
  noise     the compare.body.ignore list the samples suggest, as YAML to paste

Defaults: --admin ${DEFAULT_ADMIN}, --ecds ${DEFAULT_ECDS}, --audit ${DEFAULT_AUDIT_FILE} (ramp),
          --wasm build/dark-launch.wasm of this project, --listen ${collectorFlags.DEFAULT_LISTEN},
          --db ${collectorFlags.DEFAULT_DB}, --collector ${collectorFlags.DEFAULT_COLLECTOR_URL}. Details: docs/cli.md.
`;

type Options = NonNullable<ParseArgsConfig["options"]>;

const SOURCE_OPTIONS: Options = {
  admin: { type: "string", multiple: true },
  prometheus: { type: "string" },
  window: { type: "string" },
  selector: { type: "string" },
};

const COMMAND_OPTIONS: Record<string, Options> = {
  verdict: {
    ...SOURCE_OPTIONS,
    thresholds: { type: "string" },
    rule: { type: "string", multiple: true },
    json: { type: "boolean" },
  },
  watch: {
    ...SOURCE_OPTIONS,
    thresholds: { type: "string" },
    interval: { type: "string" },
    iterations: { type: "string" },
    json: { type: "boolean" },
  },
  ramp: {
    ...SOURCE_OPTIONS,
    steps: { type: "string" },
    hold: { type: "string" },
    interval: { type: "string" },
    ecds: { type: "string" },
    wasmplugin: { type: "string" },
    audit: { type: "string" },
    thresholds: { type: "string" },
    resource: { type: "string" },
    wasm: { type: "string" },
    json: { type: "boolean" },
  },
  validate: {
    wasm: { type: "string" },
    json: { type: "boolean" },
  },
  set: {
    percent: { type: "string" },
    enable: { type: "boolean" },
    disable: { type: "boolean" },
    all: { type: "boolean" },
    ecds: { type: "string" },
    wasmplugin: { type: "string" },
    audit: { type: "string" },
    resource: { type: "string" },
    wasm: { type: "string" },
    "dry-run": { type: "boolean" },
  },
  render: {
    format: { type: "string" },
    image: { type: "string" },
    wasm: { type: "string" },
    "no-validate": { type: "boolean" },
  },
  image: {
    push: { type: "string" },
    out: { type: "string" },
    wasm: { type: "string" },
  },
  // Every argument goes to Envoy (see dispatch).
  envoy: {},
  collect: {
    listen: { type: "string" },
    db: { type: "string" },
    keep: { type: "string" },
    "max-samples": { type: "string" },
    "token-file": { type: "string" },
  },
  diff: {
    collector: { type: "string" },
    db: { type: "string" },
    rule: { type: "string" },
    json: { type: "boolean" },
  },
  noise: {
    collector: { type: "string" },
    db: { type: "string" },
    rule: { type: "string" },
  },
};

function parse(command: string, args: string[]): { values: Record<string, unknown>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args,
      options: { ...COMMAND_OPTIONS[command], help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
    return { values: values as Record<string, unknown>, positionals };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function positiveNumber(name: string, text: string | undefined, fallback: number, integer = false): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${name} must be a ${integer ? "whole number" : "number"} > 0 (got ${JSON.stringify(text)})`);
  }
  return n;
}

function onePositional(command: string, positionals: string[], what: string): string {
  if (positionals.length !== 1) {
    throw new UsageError(`${command} takes one ${what} (got ${positionals.length === 0 ? "none" : positionals.join(" ")})`);
  }
  return positionals[0]!;
}

/** The source flags of a judging command. */
function sourceOf(values: Record<string, unknown>): Source {
  return sourceFromFlags({
    admin: values.admin as string[] | undefined,
    prometheus: values.prometheus as string | undefined,
    window: values.window as string | undefined,
    selector: values.selector as string | undefined,
  });
}

/** --ecds FILE or --wasmplugin FILE (not both); the ECDS default when neither. */
function configFileOf(values: Record<string, unknown>): { file: string; fileKind: "ecds" | "wasmplugin" } {
  const ecds = values.ecds as string | undefined;
  const wasmplugin = values.wasmplugin as string | undefined;
  if (ecds !== undefined && wasmplugin !== undefined)
    throw new UsageError("--ecds and --wasmplugin exclude each other: one file holds the rule");
  return wasmplugin !== undefined ? { file: wasmplugin, fileKind: "wasmplugin" } : { file: ecds ?? DEFAULT_ECDS, fileKind: "ecds" };
}

/** `1,5,25,100` → [1, 5, 25, 100]: increasing, each in (0, 100]. */
function parseSteps(text: string | undefined): number[] {
  if (text === undefined) throw new UsageError("ramp needs --steps, e.g. --steps 1,5,25,100");
  const steps = text.split(",").map((p) => p.trim());
  const numbers = steps.map(Number);
  if (steps.some((p) => p === "") || numbers.some((n) => !Number.isFinite(n) || n <= 0 || n > 100)) {
    throw new UsageError(`--steps must be percentages in (0, 100] separated by commas (got ${JSON.stringify(text)})`);
  }
  if (numbers.some((n, i) => i > 0 && n <= numbers[i - 1]!)) throw new UsageError(`--steps must increase (got ${JSON.stringify(text)})`);
  return numbers;
}

function noPositionals(command: string, positionals: string[]): void {
  if (positionals.length > 0) throw new UsageError(`${command} takes no arguments (got ${positionals.join(" ")})`);
}

async function dispatch(argv: string[], io: CliIO): Promise<number> {
  const [command, ...args] = argv;
  if (command === undefined || command === "help" || command === "--help" || command === "-h") {
    io.out(USAGE);
    return command === undefined ? EXIT.other : EXIT.ok;
  }
  if (!(command in COMMAND_OPTIONS)) throw new UsageError(`unknown command "${command}"`);
  if (command === "envoy") return envoyCommand(args, io);
  const { values, positionals } = parse(command, args);
  if (values.help === true) {
    io.out(USAGE);
    return EXIT.ok;
  }
  const str = (name: string): string | undefined => values[name] as string | undefined;
  const bool = (name: string): boolean => values[name] === true;

  switch (command) {
    case "verdict":
      noPositionals(command, positionals);
      return verdictCommand(
        {
          source: sourceOf(values),
          thresholdsPath: str("thresholds"),
          rules: (values.rule as string[] | undefined) ?? [],
          json: bool("json"),
        },
        io,
      );
    case "watch": {
      noPositionals(command, positionals);
      const source = sourceOf(values);
      return watchCommand(
        {
          source,
          thresholdsPath: str("thresholds"),
          // Prometheus moves only when it scrapes: a longer default interval there.
          intervalMs: Math.round(positiveNumber("interval", str("interval"), str("prometheus") !== undefined ? 15 : 1) * 1000),
          iterations: str("iterations") === undefined ? null : positiveNumber("iterations", str("iterations"), 1, true),
          json: bool("json"),
        },
        io,
      );
    }
    case "validate":
      return validateCommand({ file: onePositional(command, positionals, "FILE"), wasmPath: str("wasm"), json: bool("json") }, io);
    case "set": {
      const all = bool("all");
      if (all && positionals.length > 0) throw new UsageError("set takes either a RULE or --all, not both");
      const rule = all ? null : onePositional(command, positionals, "RULE (or --all)");
      const percentText = str("percent");
      let percent: number | null = null;
      if (percentText !== undefined) {
        percent = Number(percentText);
        if (percentText.trim() === "" || !Number.isFinite(percent))
          throw new UsageError(`--percent must be a number (got ${JSON.stringify(percentText)})`);
      }
      if (bool("enable") && bool("disable")) throw new UsageError("--enable and --disable exclude each other");
      const enabled = bool("enable") ? true : bool("disable") ? false : null;
      if (all && percent !== null)
        throw new UsageError("--all only switches every rule on or off (--enable / --disable); set --percent per rule");
      if (percent === null && enabled === null) throw new UsageError("set needs --percent N, --enable or --disable");
      return setCommand(
        {
          rule,
          percent,
          enabled,
          ...configFileOf(values),
          resource: str("resource"),
          wasmPath: str("wasm"),
          dryRun: bool("dry-run"),
          auditPath: str("audit") ?? null,
        },
        io,
      );
    }
    case "ramp": {
      const rule = onePositional(command, positionals, "RULE");
      const steps = parseSteps(str("steps"));
      const holdText = str("hold");
      if (holdText === undefined) throw new UsageError("ramp needs --hold DURATION: how long PASS must hold at each step, e.g. --hold 10m");
      const holdMs = Math.round(parseDuration(holdText, "--hold") * 1000);
      return rampCommand(
        {
          rule,
          steps,
          holdMs,
          intervalMs: Math.round(positiveNumber("interval", str("interval"), str("prometheus") !== undefined ? 15 : 1) * 1000),
          source: sourceOf(values),
          ...configFileOf(values),
          resource: str("resource"),
          wasmPath: str("wasm"),
          auditPath: str("audit") ?? DEFAULT_AUDIT_FILE,
          thresholdsPath: str("thresholds"),
          json: bool("json"),
        },
        io,
      );
    }
    case "render": {
      const format = str("format") ?? "envoy";
      if (format !== "envoy" && format !== "ecds" && format !== "istio") {
        throw new UsageError(`--format must be envoy, ecds or istio (got ${JSON.stringify(format)})`);
      }
      if (str("image") !== undefined && format !== "istio") throw new UsageError("--image is for --format istio");
      return renderCommand(
        {
          file: onePositional(command, positionals, "FILE"),
          format,
          image: str("image"),
          wasmPath: str("wasm"),
          validate: !bool("no-validate"),
        },
        io,
      );
    }
    case "image":
      noPositionals(command, positionals);
      return imageCommand({ wasmPath: str("wasm"), outDir: str("out") ?? DEFAULT_IMAGE_DIR, push: str("push") }, io);
    case "collect": {
      noPositionals(command, positionals);
      const keepText = str("keep") ?? collectorFlags.DEFAULT_KEEP;
      const tokenFile = str("token-file");
      return collectCommand(
        {
          ...collectorFlags.parseListen(str("listen") ?? collectorFlags.DEFAULT_LISTEN),
          dbFile: str("db") ?? collectorFlags.DEFAULT_DB,
          keepMs: collectorFlags.durationOption("keep", keepText),
          keepText,
          maxSamples: positiveNumber("max-samples", str("max-samples"), collectorFlags.DEFAULT_MAX_SAMPLES, true),
          token: tokenFile === undefined ? null : collectorFlags.readTokenFile(tokenFile),
        },
        io,
      );
    }
    case "diff":
    case "noise": {
      noPositionals(command, positionals);
      const source = sampleSource(str("collector"), str("db"), collectorFlags.DEFAULT_COLLECTOR_URL);
      if (command === "diff") return diffCommand({ source, rule: str("rule"), json: bool("json") }, io);
      const rule = str("rule");
      if (rule === undefined) throw new UsageError("noise needs --rule NAME");
      return noiseCommand({ source, rule }, io);
    }
  }
  throw new UsageError(`unknown command "${command}"`);
}

/** Runs the CLI with `argv` (without node and the script); resolves with the exit code. */
export async function runCli(argv: string[], io: CliIO): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`darklaunch: ${err.message}\nRun "darklaunch --help" for usage.\n`);
      return err.exitCode;
    }
    if (err instanceof CliError) {
      io.err(`darklaunch: ${err.message}\n`);
      return err.exitCode;
    }
    io.err(`darklaunch: unexpected error: ${(err as Error).stack ?? String(err)}\n`);
    return EXIT.other;
  }
}

/** The process entry (bin/darklaunch.js). */
export async function main(): Promise<void> {
  const controller = new AbortController();
  const argv = process.argv.slice(2);
  if (argv[0] === "envoy") {
    // Envoy gets the signal (it is in the same process group on a terminal, too) and exits.
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => controller.abort());
  } else if (argv[0] === "watch" || argv[0] === "ramp") {
    // Ctrl-C ends the loop cleanly (watch: exit 0; ramp: 130, the setting left as it is); a
    // second Ctrl-C stops at once.
    process.once("SIGINT", () => {
      controller.abort();
      process.once("SIGINT", () => process.exit(130));
    });
  } else if (argv[0] === "collect") {
    // SIGTERM or Ctrl-C: the collector finishes the requests in hand, commits, closes (exit 0).
    for (const signal of ["SIGTERM", "SIGINT"] as const) process.once(signal, () => controller.abort());
  }
  const isTTY = process.stdout.isTTY === true;
  const io: CliIO = {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    isTTY,
    colour: colourWanted(isTTY, process.env),
    env: process.env,
    signal: controller.signal,
  };
  process.exitCode = await runCli(argv, io);
}
