// The project's ECDS example (envoy/ecds/bootstrap.yaml + envoy/ecds/dark-launch-filter.yaml)
// running for a test: the two files copied into a temporary directory with what must change to
// run there (free ports, absolute paths to the ECDS file and the .wasm), everything else as
// shipped. A recording primary (cluster checkout_v1) and dark service (checkout_v2) behind it.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, parseDocument } from "yaml";
import { FILTER_WASM_PATH, PROJECT_ROOT, startEnvoy, type EnvoyProcess } from "../../tools/lib/envoy.js";
import { startUpstream, type Script, type Upstream } from "../support/upstream.js";

export const EXAMPLE_BOOTSTRAP = join(PROJECT_ROOT, "envoy", "ecds", "bootstrap.yaml");
export const EXAMPLE_ECDS = join(PROJECT_ROOT, "envoy", "ecds", "dark-launch-filter.yaml");

export interface EcdsStack {
  envoy: EnvoyProcess;
  primary: Upstream;
  dark: Upstream;
  /** The ECDS file Envoy watches (a copy of the example). */
  ecdsPath: string;
  dir: string;
  stop(): Promise<void>;
}

interface SocketAddress {
  socket_address: { address: string; port_value: number };
}

type Bootstrap = {
  admin: { address: SocketAddress };
  static_resources: {
    listeners: {
      address: SocketAddress;
      filter_chains: {
        filters: { typed_config: { http_filters: { config_discovery?: { config_source: { path_config_source: { path: string } } } }[] } }[];
      }[];
    }[];
    clusters: { name: string; load_assignment: { endpoints: { lb_endpoints: { endpoint: { address: SocketAddress } }[] }[] } }[];
  };
};

/** The example bootstrap with free ports and `ecdsPath`, as JSON text. */
export function exampleBootstrap(ecdsPath: string, ports: Record<string, number>): string {
  const b = parse(readFileSync(EXAMPLE_BOOTSTRAP, "utf8")) as Bootstrap;
  b.admin.address.socket_address.port_value = 0;
  for (const listener of b.static_resources.listeners) {
    listener.address.socket_address.port_value = 0;
    for (const chain of listener.filter_chains) {
      for (const filter of chain.filters) {
        for (const http of filter.typed_config.http_filters) {
          if (http.config_discovery !== undefined) http.config_discovery.config_source.path_config_source.path = ecdsPath;
        }
      }
    }
  }
  for (const cluster of b.static_resources.clusters) {
    const port = ports[cluster.name];
    if (port === undefined) throw new Error(`no port for cluster ${cluster.name}`);
    for (const group of cluster.load_assignment.endpoints)
      for (const lb of group.lb_endpoints) lb.endpoint.address.socket_address.port_value = port;
  }
  return JSON.stringify(b, null, 2);
}

/** The example ECDS file with the .wasm at its absolute path (comments and layout kept). */
export function exampleEcdsText(): string {
  const doc = parseDocument(readFileSync(EXAMPLE_ECDS, "utf8"));
  doc.setIn(["resources", 0, "typed_config", "config", "vm_config", "code", "local", "filename"], FILTER_WASM_PATH);
  return doc.toString({ lineWidth: 0 });
}

export async function startEcdsStack(
  opts: { primaryScripts?: Record<string, Script>; darkScripts?: Record<string, Script> } = {},
): Promise<EcdsStack> {
  const cleanups: (() => Promise<void> | void)[] = [];
  const stop = async (): Promise<void> => {
    while (cleanups.length > 0) await Promise.resolve(cleanups.pop()!()).catch(() => undefined);
  };
  try {
    const dir = mkdtempSync(join(tmpdir(), "darklaunch-ecds-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const primary = await startUpstream({ name: "primary", scripts: opts.primaryScripts });
    cleanups.push(() => primary.close());
    const dark = await startUpstream({ name: "dark", marker: true, scripts: opts.darkScripts });
    cleanups.push(() => dark.close());
    const ecdsPath = join(dir, "dark-launch-filter.yaml");
    writeFileSync(ecdsPath, exampleEcdsText());
    const envoy = await startEnvoy({ bootstrap: exampleBootstrap(ecdsPath, { checkout_v1: primary.port, checkout_v2: dark.port }) });
    cleanups.push(() => envoy.stop());
    return { envoy, primary, dark, ecdsPath, dir, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
