// One test setup: a recording primary, a recording dark service (with a marker), and a real
// Envoy in front of them. `stop()` stops all of it in reverse order, also after a failed start.

import { renderBootstrap, startEnvoy, type BootstrapOptions, type EnvoyProcess } from "../../tools/lib/envoy.js";
import { startUpstream, type Script, type Upstream } from "./upstream.js";

export interface StackOptions {
  /** The filter configuration; null = Envoy without the filter. */
  filterConfig: unknown | null;
  /** Scripts of the primary / dark upstream by path prefix. */
  primaryScripts?: Record<string, Script>;
  darkScripts?: Record<string, Script>;
  /** Cluster name of the dark service; default "dark". */
  darkCluster?: string;
  /** More clusters: name → port. */
  clusters?: Record<string, number>;
  concurrency?: number;
  logLevel?: string;
  bootstrap?: Partial<BootstrapOptions>;
}

export interface Stack {
  envoy: EnvoyProcess;
  primary: Upstream;
  dark: Upstream;
  stop(): Promise<void>;
}

export async function startStack(opts: StackOptions): Promise<Stack> {
  const cleanups: (() => Promise<void>)[] = [];
  const stop = async (): Promise<void> => {
    while (cleanups.length > 0) await cleanups.pop()!().catch(() => undefined);
  };
  try {
    const primary = await startUpstream({ name: "primary", scripts: opts.primaryScripts });
    cleanups.push(() => primary.close());
    const dark = await startUpstream({ name: "dark", marker: true, scripts: opts.darkScripts });
    cleanups.push(() => dark.close());
    const envoy = await startEnvoy({
      bootstrap: renderBootstrap({
        primaryPort: primary.port,
        filterConfig: opts.filterConfig,
        clusters: { [opts.darkCluster ?? "dark"]: dark.port, ...(opts.clusters ?? {}) },
        ...(opts.bootstrap ?? {}),
      }),
      concurrency: opts.concurrency ?? 1,
      logLevel: opts.logLevel,
    });
    cleanups.push(() => envoy.stop());
    return { envoy, primary, dark, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** A filter rule matched by path prefix, sending to cluster "dark"; `extra` is merged in. */
export function prefixRule(name: string, prefix: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const { match, dark, ...rest } = extra as { match?: object; dark?: object };
  return {
    name,
    match: { path_prefix: prefix, ...(match ?? {}) },
    dark: { cluster: "dark", ...(dark ?? {}) },
    ...rest,
  };
}
