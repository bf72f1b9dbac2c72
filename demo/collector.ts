// The demo's sample collector: `darklaunch collect` as its own process (as an operator runs it),
// on the demo's fixed port, with its database under build/demo/ (emptied at every start, so that
// the diff at the end shows this run). Stopped with SIGTERM, which commits and closes the file.

import { spawn } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { supervise } from "./child.js";

export interface DemoCollector {
  readonly pid: number;
  /** http://127.0.0.1:PORT: the diff page, and the source of `darklaunch diff --collector`. */
  readonly url: string;
  /** SIGTERM, then SIGKILL after 10 s. Safe to call more than once. */
  stop(): Promise<void>;
}

/** Starts `darklaunch collect --listen 127.0.0.1:PORT --db DB` and resolves once it listens. */
export async function startDemoCollector(opts: {
  projectRoot: string;
  port: number;
  /** Relative to the project root. */
  db: string;
  /** Called with each line it prints after its start-up lines (refusals, retention, shutdown). */
  onLogLine?: (line: string) => void;
}): Promise<DemoCollector> {
  mkdirSync(dirname(join(opts.projectRoot, opts.db)), { recursive: true });
  for (const suffix of ["", "-wal", "-shm"]) rmSync(join(opts.projectRoot, opts.db + suffix), { force: true });
  const bin = join(opts.projectRoot, "tools", "darklaunch", "bin", "darklaunch.js");
  const child = spawn(process.execPath, [bin, "collect", "--listen", `127.0.0.1:${opts.port}`, "--db", opts.db], {
    cwd: opts.projectRoot,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  let started = false;
  let partial = "";
  const onData = (chunk: Buffer): void => {
    const text = chunk.toString("utf8");
    output += text;
    if (!started || opts.onLogLine === undefined) return;
    const lines = (partial + text).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) opts.onLogLine(line);
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);

  const { exited, stop } = supervise(child, 10_000, (message) => (output += message));

  const deadline = Date.now() + 30_000;
  for (;;) {
    const listening = /listening on (http:\/\/\S+)/.exec(output);
    if (listening !== null && output.includes("\ndarklaunch collect: database")) {
      started = true;
      return { pid: child.pid ?? -1, url: listening[1]!, stop };
    }
    if (exited() || Date.now() > deadline) {
      await stop();
      throw new Error(`darklaunch collect ${exited() ? "exited" : "did not start within 30 s"}:\n${output.slice(-3000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
