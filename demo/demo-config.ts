// What the demo runs, read from envoy/demo.yaml so that the ports and file names live in one
// place: the fixed ports (the collector's too: its cluster), the ECDS file with the filter's configuration, and the working copies
// under build/demo/ that Envoy actually runs on (made afresh at every start, so that
// `darklaunch set` during a demo never edits a file under version control and each run starts
// from the checked-in rules).

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { basename, join } from "node:path";
import { parse } from "yaml";
import { PROJECT_ROOT } from "../tools/lib/envoy.js";

/** The demo's Envoy bootstrap, relative to the project root. */
export const DEMO_BOOTSTRAP = join("envoy", "demo.yaml");
/** Where the working copies go, relative to the project root (build/ is not under version control). */
export const DEMO_RUN_DIR = join("build", "demo");
/** The thresholds the demo's verdict uses, relative to the project root. */
export const DEMO_THRESHOLDS = join("demo", "thresholds.yaml");
/** The sample collector's database, relative to the project root (emptied at every start). */
export const DEMO_SAMPLES_DB = join(DEMO_RUN_DIR, "samples.db");

export interface DemoPort {
  port: number;
  /** What listens there, for people. */
  what: string;
}

export interface DemoConfig {
  listener: DemoPort;
  admin: DemoPort;
  primary: DemoPort;
  dark: DemoPort;
  /** A second instance of the primary's version, the rule `noisy`'s noise cluster. */
  noise: DemoPort;
  /** `darklaunch collect`, where the filter sends its mismatch samples (and the diff page). */
  collector: DemoPort;
  /** The checked-in ECDS file the bootstrap subscribes to, relative to the project root. */
  ecdsSource: string;
}

interface SocketAddress {
  socket_address?: { address?: string; port_value?: number };
}

interface HttpFilterEntry {
  name?: string;
  config_discovery?: { config_source?: { path_config_source?: { path?: string } } };
}

interface DemoBootstrap {
  admin?: { address?: SocketAddress };
  static_resources?: {
    listeners?: Array<{
      address?: SocketAddress;
      filter_chains?: Array<{ filters?: Array<{ typed_config?: { http_filters?: HttpFilterEntry[] } }> }>;
    }>;
    clusters?: Array<{
      name?: string;
      load_assignment?: { endpoints?: Array<{ lb_endpoints?: Array<{ endpoint?: { address?: SocketAddress } }> }> };
    }>;
  };
}

function portOf(address: SocketAddress | undefined, where: string): number {
  const port = address?.socket_address?.port_value;
  if (typeof port !== "number" || port <= 0) throw new Error(`${DEMO_BOOTSTRAP}: no fixed port for ${where}`);
  return port;
}

/** Reads the ports and the ECDS file of envoy/demo.yaml. */
export function readDemoConfig(): DemoConfig {
  const bootstrap = parse(readFileSync(join(PROJECT_ROOT, DEMO_BOOTSTRAP), "utf8")) as DemoBootstrap;
  const listener = bootstrap.static_resources?.listeners?.[0];
  const clusterPort = (name: string): number => {
    const cluster = bootstrap.static_resources?.clusters?.find((c) => c.name === name);
    return portOf(cluster?.load_assignment?.endpoints?.[0]?.lb_endpoints?.[0]?.endpoint?.address, `cluster ${name}`);
  };
  const ecdsPaths = (listener?.filter_chains ?? [])
    .flatMap((chain) => chain.filters ?? [])
    .flatMap((filter) => filter.typed_config?.http_filters ?? [])
    .map((entry) => entry.config_discovery?.config_source?.path_config_source?.path)
    .filter((path): path is string => path !== undefined);
  if (ecdsPaths.length !== 1) {
    throw new Error(`${DEMO_BOOTSTRAP}: expected one http filter from an ECDS file, found ${ecdsPaths.length}`);
  }
  return {
    listener: { port: portOf(listener?.address, "the listener"), what: "Envoy listener" },
    admin: { port: portOf(bootstrap.admin?.address, "the admin endpoint"), what: "Envoy admin" },
    primary: { port: clusterPort("demo_primary"), what: "demo primary service" },
    dark: { port: clusterPort("demo_dark"), what: "demo dark service" },
    noise: { port: clusterPort("demo_noise"), what: "demo noise service" },
    collector: { port: clusterPort("demo_collector"), what: "sample collector" },
    ecdsSource: ecdsPaths[0]!,
  };
}

export interface DemoRunFiles {
  /** The bootstrap Envoy runs on, relative to the project root. */
  bootstrap: string;
  /** The ECDS file Envoy watches (the one `darklaunch set --ecds` changes), relative to the project root. */
  ecds: string;
}

/**
 * Writes build/demo/envoy.yaml (envoy/demo.yaml with its ECDS path moved to the working copy) and
 * build/demo/<ECDS file> (a fresh copy of the checked-in one). Paths stay relative: Envoy runs in
 * the project root.
 */
export function writeDemoRunFiles(config: DemoConfig): DemoRunFiles {
  mkdirSync(join(PROJECT_ROOT, DEMO_RUN_DIR), { recursive: true });
  const ecds = join(DEMO_RUN_DIR, basename(config.ecdsSource));
  writeFileSync(
    join(PROJECT_ROOT, ecds),
    `# Copied by demo/run.ts from ${config.ecdsSource} at every start: the file the demo's Envoy watches.\n` +
      readFileSync(join(PROJECT_ROOT, config.ecdsSource), "utf8"),
  );

  const text = readFileSync(join(PROJECT_ROOT, DEMO_BOOTSTRAP), "utf8");
  const pathLine = new RegExp(`^(\\s*path:\\s*)${config.ecdsSource.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\s*$`, "gm");
  const matches = text.match(pathLine)?.length ?? 0;
  if (matches !== 1) throw new Error(`${DEMO_BOOTSTRAP}: expected one "path: ${config.ecdsSource}" line, found ${matches}`);
  const bootstrap = join(DEMO_RUN_DIR, "envoy.yaml");
  writeFileSync(
    join(PROJECT_ROOT, bootstrap),
    `# Written by demo/run.ts from ${DEMO_BOOTSTRAP} at every start; edits here are lost.\n${text.replace(pathLine, `$1${ecds}`)}`,
  );
  return { bootstrap, ecds };
}

/** Resolves true if nothing listens on 127.0.0.1:`port` (tried by listening there briefly). */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen({ port, host: "127.0.0.1", exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/** The demo ports that are in use right now. */
export async function busyPorts(config: DemoConfig): Promise<DemoPort[]> {
  const all = [config.listener, config.admin, config.primary, config.dark, config.noise, config.collector];
  const free = await Promise.all(all.map((p) => portIsFree(p.port)));
  return all.filter((_, i) => !free[i]);
}
