// Starts `darklaunch collect` as a real process (the installed command, on a free loopback port)
// for the collector tests, and stops it; the lead's Envoy tests can use it too.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../tools/lib/envoy.js";

export const CLI_BIN = join(PROJECT_ROOT, "tools", "darklaunch", "bin", "darklaunch.js");

export interface RunningCollector {
  url: string;
  db: string;
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Sends the signal and waits for the exit; resolves with the exit code or signal name. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | string>;
}

/** A fresh directory for a test's database, removed by `cleanup`. */
export function tempDir(t: { after(fn: () => void): void }, prefix = "darklaunch-collector-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Starts `darklaunch collect --listen 127.0.0.1:0 --db DB ...args` and resolves once it listens.
 * The process is killed in `t.after` if the test has not stopped it.
 */
export async function startCollector(
  t: { after(fn: () => void | Promise<void>): void },
  db: string,
  args: string[] = [],
): Promise<RunningCollector> {
  const child = spawn(process.execPath, [CLI_BIN, "collect", "--listen", "127.0.0.1:0", "--db", db, ...args], {
    cwd: PROJECT_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (c: Buffer) => (out += c.toString("utf8")));
  child.stderr!.on("data", (c: Buffer) => (out += c.toString("utf8")));
  const exited = new Promise<number | string>((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal ?? -1)));
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await exited;
    }
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`darklaunch collect did not start within 20 s:\n${out}`)), 20_000);
    const look = (): void => {
      const m = /listening on (http:\/\/[^ ]+)/.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on("data", look);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`darklaunch collect exited (${code}) before listening:\n${out}`));
    });
  });
  return {
    url,
    db,
    child,
    output: () => out,
    async stop(signal = "SIGTERM", timeoutMs = 20_000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}
