// Installs the load generators the benchmark needs, and nothing that is already there:
//   wrk    (closed loop)  from Debian/Ubuntu: apt-get install wrk;
//   vegeta (open loop)    from the Go module proxy into bench/.bin (kept out of git).
// Fails with a clear message when one cannot be installed.
//
//   tsx bench/setup.ts          # also run first by bench/run.ts
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PROJECT_ROOT } from "../tools/lib/envoy.ts";
import { hasCommand } from "./lib/system.ts";

/** The vegeta release the results were measured with. */
export const VEGETA_MODULE = "github.com/tsenart/vegeta/v12";
export const VEGETA_VERSION = "v12.13.0";

export const BENCH_BIN_DIR = join(PROJECT_ROOT, "bench", ".bin");

export interface BenchTools {
  wrk: string;
  vegeta: string;
}

const say = (message: string): void => console.log(`bench setup: ${message}`);

class SetupError extends Error {}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): boolean {
  say(`$ ${command} ${args.join(" ")}`);
  const r = spawnSync(command, args, { stdio: "inherit", env });
  return r.status === 0;
}

function ensureWrk(): string {
  if (hasCommand("wrk")) return "wrk";
  const isRoot = process.getuid?.() === 0;
  const sudo = !isRoot && hasCommand("sudo") && spawnSync("sudo", ["-n", "true"], { stdio: "ignore" }).status === 0;
  if (!hasCommand("apt-get") || (!isRoot && !sudo)) {
    throw new SetupError(
      "wrk is missing and cannot be installed here (needs apt-get as root or passwordless sudo). " +
        "Install it yourself (Debian/Ubuntu: apt-get install wrk; elsewhere: https://github.com/wg/wrk) and rerun.",
    );
  }
  const aptGet = sudo ? ["sudo", "-n", "apt-get"] : ["apt-get"];
  const apt = (args: string[]): boolean =>
    run(aptGet[0]!, [...aptGet.slice(1), ...args], { ...process.env, DEBIAN_FRONTEND: "noninteractive" });
  if (!apt(["update"]) || !apt(["install", "-y", "wrk"]) || !hasCommand("wrk")) {
    throw new SetupError("apt-get could not install wrk (see the output above).");
  }
  return "wrk";
}

function ensureVegeta(): string {
  const local = join(BENCH_BIN_DIR, "vegeta");
  if (existsSync(local)) return local;
  if (!hasCommand("go")) {
    throw new SetupError(
      `vegeta is missing and Go is not installed: install Go (https://go.dev/dl/) and rerun, or put a vegeta ${VEGETA_VERSION} binary at ${local}.`,
    );
  }
  mkdirSync(BENCH_BIN_DIR, { recursive: true });
  if (!run("go", ["install", `${VEGETA_MODULE}@${VEGETA_VERSION}`], { ...process.env, GOBIN: BENCH_BIN_DIR }) || !existsSync(local)) {
    throw new SetupError(`go install ${VEGETA_MODULE}@${VEGETA_VERSION} failed (see the output above; is the Go module proxy reachable?).`);
  }
  return local;
}

/** Makes sure wrk and vegeta are installed; returns how to run them. Throws with a clear message. */
export function ensureBenchTools(): BenchTools {
  const wrk = ensureWrk();
  const vegeta = ensureVegeta();
  return { wrk, vegeta };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    const tools = ensureBenchTools();
    say(`ready: wrk (${tools.wrk}), vegeta (${tools.vegeta})`);
  } catch (err) {
    console.error(`bench setup: error: ${(err as Error).message}`);
    process.exit(1);
  }
}
