// A real OCI registry for tests: `crane registry serve` (go-containerregistry's in-memory
// registry, the crane that `node scripts/setup.mjs crane` builds into .tools/bin) on a free port of
// 127.0.0.1, and a stop that always ends it.

import { spawn, spawnSync } from "node:child_process";
import { craneBinary } from "../../tools/darklaunch/src/crane.js";

export interface Registry {
  /** 127.0.0.1:<port>, the host part of image references. */
  host: string;
  stop(): Promise<void>;
}

export async function startRegistry(timeoutMs = 20_000): Promise<Registry> {
  // Port 0: the OS picks a free one; the registry says which on stderr.
  const child = spawn(craneBinary(), ["registry", "serve", "--address", "127.0.0.1:0"], { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }
  };
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`crane registry serve did not say its port within ${timeoutMs} ms:\n${log}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer): void => {
      log += chunk.toString("utf8");
      const match = /serving on port (\d+)/.exec(log);
      if (match !== null) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`crane registry serve exited (${code}):\n${log}`));
    });
  }).catch(async (err: unknown) => {
    await stop();
    throw err;
  });
  return { host: `127.0.0.1:${port}`, stop };
}

/** Runs crane to its end; stdout as a Buffer (manifests and blobs are bytes). */
export function craneBytes(args: string[]): Buffer {
  const result = spawnSync(craneBinary(), args, { timeout: 60_000 });
  if (result.status !== 0) throw new Error(`crane ${args.join(" ")}: exit ${result.status}: ${result.stderr?.toString("utf8")}`);
  return result.stdout;
}
