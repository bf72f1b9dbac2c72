// `darklaunch watch` against a real Envoy: figures over the last interval, one block per interval
// off a terminal, a redrawn screen on one, and a clean stop on Ctrl-C (SIGINT).

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { PROJECT_ROOT } from "../../tools/lib/envoy.js";
import type { WatchBlock } from "../../tools/darklaunch/src/commands/watch.js";
import { prefixRule, startStack, type Stack } from "../support/stack.js";
import { CLI_BIN, cli, traffic } from "./helpers.js";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("darklaunch watch against a real Envoy", () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack({
      filterConfig: { rules: [prefixRule("live", "/live"), prefixRule("idle", "/idle")] },
      primaryScripts: { "/": { body: "same" } },
      darkScripts: { "/": { body: "same" } },
      bootstrap: { statsFlushIntervalMs: 1000 },
    });
  });

  after(async () => {
    await stack?.stop();
  });

  test("counts exactly the traffic of the interval, per rule (--json: one line per interval)", async () => {
    const watching = cli(["watch", "--admin", stack.envoy.adminUrl, "--interval", "2", "--iterations", "1", "--json"]);
    // The baseline reading is taken at once; the requests fall inside the 2 s interval.
    await sleep(300);
    await traffic(stack.envoy.url, 30, (i) => ({ path: `/live/${i}` }));
    const run = await watching;
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split("\n");
    assert.equal(lines.length, 1);
    const block = JSON.parse(lines[0]!) as WatchBlock;
    assert.ok(block.interval_s >= 1.9 && block.interval_s < 5, `interval ${block.interval_s}`);
    const live = block.rules.find((r) => r.rule === "live")!;
    assert.equal(live.interval.requests, 30);
    assert.equal(live.interval.mirrored, 30);
    assert.ok(Math.abs(live.rates.requests * block.interval_s - 30) < 1e-6);
    assert.equal(live.interval.coverage, 1);
    assert.equal(live.verdict_so_far, "NOT_ENOUGH_DATA");
    const idle = block.rules.find((r) => r.rule === "idle")!;
    assert.equal(idle.interval.requests, 0);
    assert.equal(idle.rates.requests, 0);
  });

  test("--thresholds applies to the verdict so far", async () => {
    const dir = mkdtempSync(join(tmpdir(), "darklaunch-watch-"));
    try {
      const path = join(dir, "t.yaml");
      const off = "{ enabled: false }";
      writeFileSync(path, `rules:\n  live: { divergence: ${off}, error_rate: ${off}, latency_p95: ${off} }\n`);
      const run = await cli([
        "watch",
        "--admin",
        stack.envoy.adminUrl,
        "--interval",
        "0.2",
        "--iterations",
        "1",
        "--json",
        "--thresholds",
        path,
      ]);
      assert.equal(run.code, 0, run.stderr);
      const block = JSON.parse(run.stdout) as WatchBlock;
      assert.equal(block.rules.find((r) => r.rule === "live")!.verdict_so_far, "PASS");
      assert.equal(block.rules.find((r) => r.rule === "idle")!.verdict_so_far, "NOT_ENOUGH_DATA");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("off a terminal: one plain block per interval, no screen clearing, no colour", async () => {
    const run = await cli(["watch", "--admin", stack.envoy.adminUrl, "--interval", "0.2", "--iterations", "3"]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.match(/^darklaunch watch {2}Envoy admin /gm)?.length, 3);
    assert.equal(run.stdout.match(/^RULE +REQ\/S +MIRRORED\/S/gm)?.length, 3);
    assert.match(run.stdout, /^live +0\.0 +0\.0 +-/m);
    assert.doesNotMatch(run.stdout, /\x1b/);
  });

  test("on a terminal: the screen is cleared before each block", async () => {
    const run = await cli(["watch", "--admin", stack.envoy.adminUrl, "--interval", "0.2", "--iterations", "2"], { isTTY: true });
    assert.equal(run.code, 0);
    assert.equal(run.stdout.split("\x1b[2J\x1b[H").length - 1, 2);
    const noColor = await cli(["watch", "--admin", stack.envoy.adminUrl, "--interval", "0.2", "--iterations", "1"], {
      isTTY: true,
      env: { NO_COLOR: "1" },
    });
    assert.doesNotMatch(noColor.stdout.replace("\x1b[2J\x1b[H", ""), /\x1b\[/);
  });

  test("Ctrl-C (SIGINT) stops the real command cleanly, exit code 0", async () => {
    const child = spawn(process.execPath, [CLI_BIN, "watch", "--admin", stack.envoy.adminUrl, "--interval", "0.2"], {
      cwd: PROJECT_ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
      child.on("exit", (code, signal) => r({ code, signal })),
    );
    try {
      const deadline = Date.now() + 20000;
      while (!/darklaunch watch/.test(stdout) && Date.now() < deadline) await sleep(50);
      assert.match(stdout, /darklaunch watch/, `no block within 20 s; stderr: ${stderr}`);
      const sentAt = Date.now();
      child.kill("SIGINT");
      const { code, signal } = await exited;
      const stoppedMs = Date.now() - sentAt;
      assert.equal(signal, null);
      assert.equal(code, 0, stderr);
      assert.equal(stderr, "");
      assert.ok(stoppedMs < 2000, `stopped after ${stoppedMs} ms`);
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
        await exited;
      }
    }
  });

  test("an AbortSignal (what Ctrl-C triggers) ends the loop in-process", async () => {
    const controller = new AbortController();
    const watching = cli(["watch", "--admin", stack.envoy.adminUrl, "--interval", "0.2"], { signal: controller.signal });
    await sleep(700);
    controller.abort();
    const run = await watching;
    assert.equal(run.code, 0);
    assert.ok((run.stdout.match(/^darklaunch watch/gm)?.length ?? 0) >= 1);
  });
});

describe("darklaunch watch without an Envoy", () => {
  test("admin unreachable at the start: exit code 2 with a clear error", async () => {
    const run = await cli(["watch", "--admin", "http://127.0.0.1:1", "--iterations", "1"]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /cannot reach the Envoy admin endpoint at http:\/\/127\.0\.0\.1:1: ECONNREFUSED/);
  });

  test("bad --interval and --iterations are usage errors", async () => {
    assert.equal((await cli(["watch", "--interval", "0"])).code, 2);
    assert.match((await cli(["watch", "--iterations", "1.5"])).stderr, /--iterations must be a whole number > 0/);
  });
});
