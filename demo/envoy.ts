// Starts Envoy with one of the project's YAML configs (envoy/*.yaml), from the project root so
// that `build/dark-launch.wasm` in those configs resolves. The demo and the examples test use it.
// (tools/lib/envoy.ts starts Envoy with bootstraps rendered as JSON; this one takes YAML files.)

import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { envoyBinary } from "../tools/lib/envoy.js";
import { supervise } from "./child.js";

export interface EnvoyFromFileOptions {
  /** Envoy runs in this directory. */
  projectRoot: string;
  /** The YAML config, absolute or relative to projectRoot. */
  configPath: string;
  /** Worker threads; default 2. */
  concurrency?: number;
  /** How long to wait for the admin `/ready`; default 20000 ms. */
  readyTimeoutMs?: number;
  /** Called with each complete line Envoy logs (stdout and stderr). */
  onLogLine?: (line: string) => void;
}

export interface EnvoyFromFile {
  readonly pid: number;
  /** http://<admin address>, as Envoy bound it. */
  readonly adminUrl: string;
  /** http://<address of the first listener>. */
  readonly url: string;
  /** Everything Envoy logged so far (the tail, when very long). */
  logs(): string;
  /** SIGTERM, then SIGKILL after 5 s. Safe to call more than once. */
  stop(): Promise<void>;
}

const MAX_LOG_CHARS = 4 * 1024 * 1024;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Starts Envoy and resolves once its admin endpoint says LIVE. Throws, with the log, if not. */
export async function startEnvoyFromFile(options: EnvoyFromFileOptions): Promise<EnvoyFromFile> {
  const workDir = mkdtempSync(join(tmpdir(), "darklaunch-demo-envoy-"));
  const adminAddressFile = join(workDir, "admin-address");
  const args = [
    "-c",
    options.configPath,
    "--concurrency",
    String(options.concurrency ?? 2),
    "--disable-hot-restart", // several Envoys may run side by side
    "--admin-address-path",
    adminAddressFile,
    "--log-level",
    "warn",
    "--component-log-level",
    "wasm:info", // the filter's own log lines
  ];
  const child = spawn(envoyBinary(), args, { cwd: options.projectRoot, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  const partial = { stdout: "", stderr: "" };
  const append = (stream: "stdout" | "stderr", chunk: Buffer): void => {
    const text = chunk.toString("utf8");
    log += text;
    if (log.length > MAX_LOG_CHARS) log = log.slice(log.length - MAX_LOG_CHARS);
    if (options.onLogLine === undefined) return;
    const lines = (partial[stream] + text).split("\n");
    partial[stream] = lines.pop() ?? "";
    for (const line of lines) options.onLogLine(line);
  };
  child.stdout.on("data", (chunk: Buffer) => append("stdout", chunk));
  child.stderr.on("data", (chunk: Buffer) => append("stderr", chunk));

  const { exited, stop } = supervise(
    child,
    5000,
    (message) => (log += message),
    () => rmSync(workDir, { recursive: true, force: true }),
  );

  try {
    const deadline = Date.now() + (options.readyTimeoutMs ?? 20_000);
    let adminUrl = "";
    for (;;) {
      if (exited()) throw new Error(`Envoy exited during start-up (exit code ${child.exitCode}):\n${log.slice(-6000)}`);
      if (Date.now() > deadline) throw new Error(`Envoy was not ready in time:\n${log.slice(-6000)}`);
      if (adminUrl === "" && existsSync(adminAddressFile)) {
        const address = readFileSync(adminAddressFile, "utf8").trim();
        if (address !== "") adminUrl = `http://${address}`;
      }
      if (adminUrl !== "") {
        const ready = await fetch(`${adminUrl}/ready`).catch(() => null);
        if (ready !== null && (await ready.text()).trim() === "LIVE") break;
      }
      await sleep(50);
    }
    const listeners = (await (await fetch(`${adminUrl}/listeners?format=json`)).json()) as {
      listener_statuses: Array<{ local_address: { socket_address: { address: string; port_value: number } } }>;
    };
    const first = listeners.listener_statuses[0]?.local_address.socket_address;
    if (first === undefined) throw new Error("Envoy has no listener");
    return {
      pid: child.pid ?? -1,
      adminUrl,
      url: `http://${first.address}:${first.port_value}`,
      logs: () => log,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
