// Waiting between readings in the commands that loop (watch, ramp) until Ctrl-C.

import { setTimeout as sleep } from "node:timers/promises";

/** Sleeps `ms`; resolves false if the signal (Ctrl-C) came first, or had already. */
export async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}
