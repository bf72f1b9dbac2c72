// A child process of the demo (Envoy, the sample collector): its exit watched, its stop (SIGTERM,
// then SIGKILL after a grace period) idempotent, and never outliving the demo.

import type { ChildProcess } from "node:child_process";

export interface Supervised {
  /** Whether the child has exited (or failed to start). */
  exited(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. Safe to call more than once. */
  stop(): Promise<void>;
}

/** Watches `child`; `onSpawnError` gets the message when it could not be started at all. */
export function supervise(
  child: ChildProcess,
  graceMs: number,
  onSpawnError: (message: string) => void,
  afterStop?: () => void,
): Supervised {
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once("exit", () => {
      exited = true;
      resolve();
    });
    child.once("error", (error) => {
      onSpawnError(`\nspawn failed: ${error.message}\n`);
      exited = true;
      resolve();
    });
  });
  // Whatever happens to the demo, the child does not outlive it.
  const killOnExit = (): void => {
    if (!exited) child.kill("SIGKILL");
  };
  process.on("exit", killOnExit);
  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      if (!exited) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
        await exitedPromise;
        clearTimeout(timer);
      }
      process.removeListener("exit", killOnExit);
      afterStop?.();
    })());
  return { exited: () => exited, stop };
}
