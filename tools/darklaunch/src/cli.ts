// `darklaunch <command>`: argument parsing, help, and exit codes. The commands themselves live in
// src/commands/. `runCli` is the whole CLI without the process around it (tests call it);
// `main` binds it to the process: stdout, stderr, Ctrl-C, exit code.

import { parseArgs, type ParseArgsConfig } from "node:util";
import { normaliseAdminUrl } from "./admin.js";
import { collectCommand } from "./commands/collect.js";
import { diffCommand } from "./commands/diff.js";
import { envoyCommand } from "./commands/envoy.js";
import { DEFAULT_IMAGE_DIR, imageCommand } from "./commands/image.js";
import { noiseCommand } from "./commands/noise.js";
import { renderCommand } from "./commands/render.js";
import { setCommand } from "./commands/set.js";
import { validateCommand } from "./commands/validate.js";
import { verdictCommand } from "./commands/verdict.js";
import { watchCommand } from "./commands/watch.js";
import * as collectorFlags from "./collector/options.js";
import { CliError, EXIT, UsageError } from "./errors.js";
import { sampleSource } from "./samples/source.js";
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
  /** Aborted on Ctrl-C: long-running commands (watch) stop cleanly. */
  signal: AbortSignal;
}

export const DEFAULT_ADMIN = "http://127.0.0.1:9901";
export const DEFAULT_ECDS = "envoy/ecds/dark-launch-filter.yaml";

const USAGE = `darklaunch: operator tool of the dark-launch Envoy filter

Usage:
  darklaunch verdict  [--admin URL] [--thresholds FILE] [--rule NAME]... [--json]
  darklaunch watch    [--admin URL] [--interval SECONDS] [--iterations N] [--thresholds FILE] [--json]
  darklaunch validate FILE [--wasm FILE] [--json]
  darklaunch set      RULE (--percent N | --enable | --disable)... [--ecds FILE] [--resource NAME] [--wasm FILE] [--dry-run]
  darklaunch set      --all (--enable | --disable) [--ecds FILE] [--resource NAME] [--wasm FILE] [--dry-run]
  darklaunch render   FILE [--format envoy|ecds|istio] [--image REF] [--wasm FILE] [--no-validate]
  darklaunch image    [--push REF] [--out DIR] [--wasm FILE]
  darklaunch envoy    [ENVOY ARGUMENTS...]
  darklaunch collect  [--listen HOST:PORT] [--db FILE] [--keep DURATION] [--max-samples N] [--token-file FILE]
  darklaunch diff     [--collector URL | --db FILE] [--rule NAME] [--json]
  darklaunch noise    [--collector URL | --db FILE] --rule NAME

Commands:
  verdict   judge every rule from Envoy's admin stats: PASS / FAIL / NOT ENOUGH DATA
            (exit 0 all PASS, 1 any FAIL, 2 otherwise or Envoy unreachable)
  watch     live view of the same figures over the last interval, until Ctrl-C
  validate  check a filter configuration (YAML or JSON) with the filter's own .wasm
            (exit 0 valid, 1 invalid, 2 unreadable)
  set       change a rule's percentage or switch it on/off in an ECDS file, validated,
            swapped in atomically; Envoy applies it without a restart
  render    from a dark-launch YAML file: the Envoy filter, the ECDS resource or an Istio WasmPlugin
            (--image: the WasmPlugin pulls that OCI image, pinned by its digest)
  image     the filter as an OCI image for Istio (OCI image layout in ${DEFAULT_IMAGE_DIR}); --push sends it
            to a registry with crane and prints its digest
  envoy     run the project's Envoy (.venv) with these arguments, e.g. --mode validate -c FILE
  collect   the mismatch-sample collector: POST /v1/samples into a SQLite file, the diff page at /
  diff      per rule, the parts and JSON paths that differ in the samples, dark and noise counts
  noise     the compare.body.ignore list the samples suggest, as YAML to paste

Defaults: --admin ${DEFAULT_ADMIN}, --ecds ${DEFAULT_ECDS},
          --wasm build/dark-launch.wasm of this project, --listen ${collectorFlags.DEFAULT_LISTEN},
          --db ${collectorFlags.DEFAULT_DB}, --collector ${collectorFlags.DEFAULT_COLLECTOR_URL}. Details: docs/cli.md.
`;

type Options = NonNullable<ParseArgsConfig["options"]>;

const COMMAND_OPTIONS: Record<string, Options> = {
  verdict: {
    admin: { type: "string" },
    thresholds: { type: "string" },
    rule: { type: "string", multiple: true },
    json: { type: "boolean" },
  },
  watch: {
    admin: { type: "string" },
    thresholds: { type: "string" },
    interval: { type: "string" },
    iterations: { type: "string" },
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
  if (values["help"] === true) {
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
          adminUrl: normaliseAdminUrl(str("admin") ?? DEFAULT_ADMIN),
          thresholdsPath: str("thresholds"),
          rules: (values["rule"] as string[] | undefined) ?? [],
          json: bool("json"),
        },
        io,
      );
    case "watch":
      noPositionals(command, positionals);
      return watchCommand(
        {
          adminUrl: normaliseAdminUrl(str("admin") ?? DEFAULT_ADMIN),
          thresholdsPath: str("thresholds"),
          intervalMs: Math.round(positiveNumber("interval", str("interval"), 1) * 1000),
          iterations: str("iterations") === undefined ? null : positiveNumber("iterations", str("iterations"), 1, true),
          json: bool("json"),
        },
        io,
      );
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
        if (percentText.trim() === "" || !Number.isFinite(percent)) throw new UsageError(`--percent must be a number (got ${JSON.stringify(percentText)})`);
      }
      if (bool("enable") && bool("disable")) throw new UsageError("--enable and --disable exclude each other");
      const enabled = bool("enable") ? true : bool("disable") ? false : null;
      if (all && percent !== null) throw new UsageError("--all only switches every rule on or off (--enable / --disable); set --percent per rule");
      if (percent === null && enabled === null) throw new UsageError("set needs --percent N, --enable or --disable");
      return setCommand(
        {
          rule,
          percent,
          enabled,
          ecdsPath: str("ecds") ?? DEFAULT_ECDS,
          resource: str("resource"),
          wasmPath: str("wasm"),
          dryRun: bool("dry-run"),
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
        { file: onePositional(command, positionals, "FILE"), format, image: str("image"), wasmPath: str("wasm"), validate: !bool("no-validate") },
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
  } else if (argv[0] === "watch") {
    // Ctrl-C ends watch's loop cleanly (exit 0); a second Ctrl-C stops at once.
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
