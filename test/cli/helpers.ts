// Shared by the CLI tests: running `darklaunch` in this process (runCli, output captured) or as
// the real command (bin/darklaunch.js in a child process), sending traffic, and waiting until
// Envoy's stats have settled (dark calls ended, histograms merged).

import { spawn } from "node:child_process";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../tools/lib/envoy.js";
import { runCli, type CliIO } from "../../tools/darklaunch/src/cli.js";
import { sampleCount } from "../../tools/darklaunch/src/histogram.js";
import type { StatsReading } from "../../tools/darklaunch/src/reading.js";
import { AdminSource } from "../../tools/darklaunch/src/sources/admin.js";
import { send, type ClientRequest } from "../support/client.js";

export const CLI_BIN = join(PROJECT_ROOT, "tools", "darklaunch", "bin", "darklaunch.js");

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in this process, as if on a pipe (no TTY, no colour) unless told otherwise. */
export async function cli(argv: string[], opts: { isTTY?: boolean; env?: NodeJS.ProcessEnv; signal?: AbortSignal } = {}): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const isTTY = opts.isTTY ?? false;
  const env = opts.env ?? {};
  const noColor = env.NO_COLOR;
  const io: CliIO = {
    out: (t) => {
      stdout += t;
    },
    err: (t) => {
      stderr += t;
    },
    isTTY,
    colour: isTTY && (noColor === undefined || noColor === ""),
    env,
    signal: opts.signal ?? new AbortController().signal,
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

/** Runs the real command (`node tools/darklaunch/bin/darklaunch.js ...`) to its end. */
export function cliProcess(argv: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...argv], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...(opts.env ?? {}) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`darklaunch ${argv.join(" ")}: still running after ${opts.timeoutMs ?? 30000} ms\n${stdout}\n${stderr}`));
    }, opts.timeoutMs ?? 30000);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** Sends `count` requests, `concurrency` at a time; every answer must be 200. */
export async function traffic(baseUrl: string, count: number, request: (i: number) => ClientRequest, concurrency = 4): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const res = await send(baseUrl, request(i));
      if (res.status !== 200) throw new Error(`request ${i} (${request(i).path}): status ${res.status}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until every rule's dark calls have ended and Envoy's latency histograms hold every
 * mirrored request (they are merged once per stats flush interval); resolves with that reading.
 */
export async function settledStats(adminUrl: string | string[], timeoutMs = 15000): Promise<StatsReading> {
  const deadline = Date.now() + timeoutMs;
  const source = new AdminSource(Array.isArray(adminUrl) ? adminUrl : [adminUrl]);
  for (;;) {
    const reading = await source.read();
    const settled = reading.rules.every((r) => {
      const mirrored = r.counters.mirrored ?? 0;
      const ended = Object.entries(r.counters)
        .filter(([k]) => k.startsWith("dark.status.") || k === "dark.failed" || k === "dark.timeout")
        .reduce((a, [, v]) => a + v, 0);
      const primarySamples = sampleCount(r.histograms["primary.latency_ms"] ?? []);
      const darkSamples = sampleCount(r.histograms["dark.latency_ms"] ?? []);
      return (r.gauges.in_flight ?? 0) === 0 && ended === mirrored && primarySamples >= mirrored && darkSamples >= mirrored;
    });
    if (settled) return reading;
    if (Date.now() > deadline)
      throw new Error(
        `stats did not settle within ${timeoutMs} ms: ${JSON.stringify(reading.rules.map((r) => ({ rule: r.rule, counters: r.counters, in_flight: r.gauges, samples: Object.fromEntries(Object.entries(r.histograms).map(([k, h]) => [k, sampleCount(h)])) })))}`,
      );
    await sleep(200);
  }
}
