// The demo (`npm start`, demo/run.ts) as a user runs it: a child process on the demo's fixed ports.
// A short `--duration` run stops by itself with the verdict and the diff of its samples, after which
// `darklaunch noise` suggests the volatile fields; the endless run obeys a live `darklaunch set`
// through the ECDS file, takes the suggested ignore list pasted into it (the divergence drops to
// the real differences), and stops on Ctrl-C; a busy port fails at once. After each run, the
// demo's Envoy and collector are gone and every demo port is free again. `npm start` itself stops on a
// signal to the npm process (a service manager's SIGTERM) and on Ctrl-C (SIGINT to the terminal's
// whole process group).
// Needs `npm run build` first (npm test does it) and the demo ports free (see envoy/demo.yaml).

import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { copyFileSync, existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { before, test } from "node:test";
import { parse as parseYaml } from "yaml";
import { busyPorts, DEMO_SAMPLES_DB, readDemoConfig, type DemoConfig } from "../../demo/demo-config.js";
import { runCli, type CliIO } from "../../tools/darklaunch/src/cli.js";
import { FILTER_WASM_PATH, PROJECT_ROOT } from "../../tools/lib/envoy.js";

const RULES = ["same", "differs", "slow", "flaky", "noisy"] as const;
/** The volatile fields of /api/noisy (demo/services.ts), which differ on every pair, dark and noise. */
const VOLATILE = ["meta.request_id", "meta.served_by"];
/** A demo run of `--duration 8` takes about 12 s; allow a slow, shared machine plenty more. */
const RUN_TIMEOUT_MS = 90_000;

let config: DemoConfig;

interface DemoRun {
  /** Everything the demo wrote so far, stdout and stderr interleaved. */
  output(): string;
  pid: number;
  interrupt(): void;
  /** Resolves with the exit code once the demo exits; rejects (after killing it) on the timeout. */
  exited: Promise<number | null>;
}

function startDemo(args: string[]): DemoRun {
  const child = spawn(process.execPath, ["--import", "tsx", join("demo", "run.ts"), ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  const exited = new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGTERM"); // the demo stops what it started on SIGTERM too
      setTimeout(() => child.kill("SIGKILL"), 10_000).unref();
      reject(new Error(`the demo did not exit within ${RUN_TIMEOUT_MS / 1000} s; its output:\n${output.slice(-4000)}`));
    }, RUN_TIMEOUT_MS);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
  return { output: () => output, pid: child.pid ?? -1, interrupt: () => child.kill("SIGINT"), exited };
}

async function waitForOutput(run: DemoRun, pattern: RegExp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(run.output())) {
    if (Date.now() > deadline) assert.fail(`no ${pattern} in the demo's output within ${timeoutMs} ms:\n${run.output().slice(-4000)}`);
    await sleep(100);
  }
}

/** The pids of the Envoy and the collector the demo started, from its output. */
function childPids(output: string): number[] {
  const envoy = /Envoy \(pid (\d+)\)/.exec(output);
  assert.ok(envoy, `the demo names its Envoy's pid:\n${output.slice(0, 2000)}`);
  const collector = /sample collector `darklaunch collect` \(pid (\d+)\)/.exec(output);
  assert.ok(collector, `the demo names its collector's pid:\n${output.slice(0, 2000)}`);
  return [Number(envoy[1]), Number(collector[1])];
}

function isRunning(pid: number): boolean {
  try {
    // A zombie (exited, not yet reaped by its new parent) does not count.
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/** Who holds the demo's ports, for the failure message. */
function portHolders(ports: number[]): string {
  try {
    const lines = execFileSync("ss", ["-ltnp"], { encoding: "utf8" }).split("\n");
    return lines.filter((line) => ports.some((port) => line.includes(`:${port} `))).join("\n") || "(ss shows none)";
  } catch {
    return "(ss not available)";
  }
}

async function assertNothingLeft(pids: number[]): Promise<void> {
  // Envoy and the collector are stopped before the demo exits; allow the kernel a moment to release the ports.
  const deadline = Date.now() + 5000;
  for (;;) {
    const busy = await busyPorts(config);
    const alive = pids.filter(isRunning);
    if (busy.length === 0 && alive.length === 0) return;
    if (Date.now() > deadline) {
      assert.deepEqual(alive, [], `the demo's Envoy and collector (pids ${pids.join(", ")}) are still running`);
      assert.deepEqual(busy, [], `demo ports still in use:\n${portHolders(busy.map((p) => p.port))}`);
    }
    await sleep(200);
  }
}

function quietIO(): CliIO & { text(): string } {
  let text = "";
  return {
    out: (t) => {
      text += t;
    },
    err: (t) => {
      text += t;
    },
    isTTY: false,
    colour: false,
    env: process.env,
    signal: new AbortController().signal,
    text: () => text,
  };
}

/** The `ignore:` list of `darklaunch noise` output (YAML). */
function ignoreList(yaml: string): string[] {
  return (parseYaml(yaml) as { ignore: string[] }).ignore;
}

async function counter(adminUrl: string, name: string): Promise<number> {
  const escaped = name.replace(/\./g, "\\.");
  const text = await (await fetch(`${adminUrl}/stats?filter=${encodeURIComponent(`^${escaped}$`)}`)).text();
  const match = new RegExp(`^${escaped}: (\\d+)$`, "m").exec(text);
  return match ? Number(match[1]) : 0;
}

before(async () => {
  assert.ok(existsSync(FILTER_WASM_PATH), "build/dark-launch.wasm is missing: run `npm run build` first");
  config = readDemoConfig();
  const busy = await busyPorts(config);
  assert.deepEqual(
    busy,
    [],
    `the demo's fixed ports must be free for this test (is a demo running?):\n${portHolders(busy.map((p) => p.port))}`,
  );
});

test("--duration 8: watch while the traffic runs, then the stats, the verdict and the diff of the samples; exits 0 by itself; noise suggests the volatile fields", async () => {
  const run = startDemo(["--duration", "8"]);
  const code = await run.exited;
  const out = run.output();
  assert.equal(code, 0, out.slice(-4000));

  assert.match(out, /darklaunch set differs --disable --ecds build\/demo\/dark-launch-filter\.yaml/, "the hint for the kill switch");
  assert.match(out, /darklaunch watch {2}Envoy admin/, "darklaunch watch ran");
  assert.match(out, /client: every response came from the primary service/);
  assert.match(out, /^invariants\s+ok\s+ok\s+ok\s+ok\s+ok$/m, "the per-rule stats table, every invariant holding (noisy's fourth too)");
  // Columns in Envoy's order: differs flaky noisy same slow. Only noisy has a noise cluster; every
  // one of its pairs differs on the noise side too (the volatile fields).
  const mirrored = /^mirrored +\d+ +\d+ +(\d+) +\d+ +\d+$/m.exec(out);
  const noiseBody = /^noise\.mismatch\.body +- +- +(\d+) +- +-$/m.exec(out);
  assert.ok(mirrored !== null && noiseBody !== null, `the noise rows in the stats table:\n${out.slice(-6000)}`);
  assert.ok(Number(mirrored[1]) > 0);
  assert.equal(noiseBody[1], mirrored[1], "noisy: every noise pair differs in the body");
  const samples = /^samples \(per Envoy process, all rules\): sent (\d+), dropped \d+, failed 0$/m.exec(out);
  assert.ok(samples !== null && Number(samples[1]) > 0, "samples were sent, none failed");

  assert.match(out, /darklaunch verdict {2}Envoy admin/, "the verdict is printed");
  const verdicts = new Map<string, string>();
  for (const match of out.matchAll(/^(\w+)\s+(PASS|FAIL|NOT ENOUGH DATA)\s+\d+\s+\d+/gm)) verdicts.set(match[1]!, match[2]!);
  assert.deepEqual([...verdicts.keys()].sort(), [...RULES].sort(), `one verdict row per demo rule:\n${out.slice(-3000)}`);
  assert.equal(verdicts.get("differs"), "FAIL");
  assert.equal(verdicts.get("flaky"), "FAIL");
  // 8 s gives `same` fewer than the 401 clean pairs a PASS at 1% divergence needs, but timing varies.
  assert.ok(["PASS", "NOT ENOUGH DATA"].includes(verdicts.get("same")!), `same: ${verdicts.get("same")}`);
  // A latency FAIL needs the primary's p95 bounded first, about 150 primary samples; 8 s gives
  // `slow` about 90 (docs/verdict.md). Never PASS, and its latency is what it is judged on.
  assert.ok(["FAIL", "NOT ENOUGH DATA"].includes(verdicts.get("slow")!), `slow: ${verdicts.get("slow")}`);
  assert.match(out, /^differs: FAIL\n {2}divergence {3}FAIL/m, "differs fails on divergence");
  assert.match(
    out,
    /^slow: (FAIL|NOT ENOUGH DATA)\n(?: .*\n)*? {2}latency p95 {2}(FAIL|NOT ENOUGH DATA) +dark p95 ≈ \d+ ms/m,
    "slow is judged on latency",
  );
  assert.match(out, /^flaky: FAIL\n(?: .*\n)*? {2}error rate {3}FAIL/m, "flaky fails on its error rate");
  assert.match(
    out,
    /^noisy: NOT ENOUGH DATA\n {2}divergence {3}NOT ENOUGH DATA +divergence over noise \+0\.00 points \(dark 100\.00% of \d+ pairs, noise 100\.00%/m,
    "noisy: the noise hides everything",
  );
  assert.match(out, /^verdict: FAIL .*exit code 1$/m);

  // The diff of the samples, and where the page was.
  assert.match(out, /^\$ npx darklaunch diff --collector http:\/\/127\.0\.0\.1:9977$/m);
  assert.match(out, /^differs +\d+ samples: \d+ differ \(status 0, headers 0, body \d+\)$/m);
  assert.match(out, /^ {2}discount +\d+ +100\.0% +\S+$/m, "differs: the added field, in every sample");
  assert.match(out, /^ {2}\(status\) +\d+ +100\.0% +\S+$/m, "flaky: its status differences");
  const noisy = /^noisy +(\d+) samples: \1 differ \(status 0, headers 0, body \1\); noise: \1 of \1 differ$/m.exec(out);
  assert.ok(noisy, `the diff of noisy:\n${out.slice(-3000)}`);
  for (const path of VOLATILE)
    assert.match(
      out,
      new RegExp(`^ {2}${path.replace(".", "\\.")} +${noisy[1]} +100\\.0% +${noisy[1]} +100\\.0% +noise +\\S+$`, "m"),
      path,
    );
  assert.match(out, /^ {2}price +\d+ +\d+\.\d% +0 +0\.0% +real +\S+$/m, "the changed price is real, not noise");
  assert.match(out, /the diff page was at http:\/\/127\.0\.0\.1:9977\/ while the demo ran/);

  assert.match(out, /demo: stopped everything it started/);
  await assertNothingLeft(childPids(out));

  // After the run, its samples stay: `darklaunch noise` suggests the volatile fields, not the price.
  const io = quietIO();
  assert.equal(await runCli(["noise", "--rule", "noisy", "--db", join(PROJECT_ROOT, DEMO_SAMPLES_DB)], io), 0, io.text());
  assert.deepEqual(ignoreList(io.text()).sort(), VOLATILE, io.text());
});

test("no --duration: `darklaunch set` on the ECDS copy takes effect while it runs; Ctrl-C stops everything", async () => {
  const run = startDemo([]);
  try {
    await waitForOutput(run, /darklaunch watch {2}Envoy admin/, 30_000);
    const adminUrl = `http://127.0.0.1:${config.admin.port}`;
    assert.equal(await counter(adminUrl, "wasmcustom.darklaunch.differs.skipped.disabled"), 0);

    const io = quietIO();
    const setCode = await runCli(
      ["set", "differs", "--disable", "--ecds", join(PROJECT_ROOT, "build", "demo", "dark-launch-filter.yaml")],
      io,
    );
    assert.equal(setCode, 0, io.text());
    const deadline = Date.now() + 10_000;
    while ((await counter(adminUrl, "wasmcustom.darklaunch.differs.skipped.disabled")) === 0) {
      assert.ok(Date.now() < deadline, "the disabled rule shows skipped.disabled within 10 s");
      await sleep(200);
    }
    await waitForOutput(run, /differs: disabled [\d.]+\/s/, 5000); // and watch shows it
  } finally {
    run.interrupt();
  }
  const code = await run.exited;
  const out = run.output();
  assert.equal(code, 0, `Ctrl-C is the endless demo's normal end:\n${out.slice(-3000)}`);
  assert.match(out, /demo: SIGINT, stopping everything/);
  assert.match(out, /demo: stopped everything it started/);
  await assertNothingLeft(childPids(out));
});

/** The rule `noisy`'s counters at the admin endpoint: [dark compared, dark mismatched, noise compared, noise mismatched]. */
async function noisyCounts(adminUrl: string): Promise<[number, number, number, number]> {
  const c = (suffix: string): Promise<number> => counter(adminUrl, `wasmcustom.darklaunch.noisy.${suffix}`);
  const parts = ["status", "headers", "body"];
  const darkMismatched = (await Promise.all(parts.map((p) => c(`compare.mismatch.${p}`)))).reduce((a, b) => a + b, 0);
  const noiseMismatched = (await Promise.all(parts.map((p) => c(`noise.mismatch.${p}`)))).reduce((a, b) => a + b, 0);
  return [(await c("compare.match")) + darkMismatched, darkMismatched, (await c("noise.match")) + noiseMismatched, noiseMismatched];
}

test("no --duration: the ignore list `darklaunch noise` suggests, pasted into the ECDS copy, drops the divergence to the price changes", async (t) => {
  const run = startDemo([]);
  try {
    await waitForOutput(run, /darklaunch watch {2}Envoy admin/, 30_000);
    await waitForOutput(run, /^noisy .*100\.00% \(noise 100\.00%\)/m, 10_000); // watch: every pair differs on both sides
    assert.match(run.output(), /the diff page http:\/\/127\.0\.0\.1:9977\//, "the live view says where the page is");
    const adminUrl = `http://127.0.0.1:${config.admin.port}`;

    // The suggestion, once the collector has a few dozen of noisy's samples.
    let suggestion = "";
    const deadline = Date.now() + 30_000;
    for (;;) {
      const io = quietIO();
      const code = await runCli(["noise", "--rule", "noisy"], io); // the default --collector: the demo's
      suggestion = io.text();
      const samples = /, (\d+) samples, /.exec(suggestion);
      if (code === 0 && samples !== null && Number(samples[1]) >= 40) break;
      assert.ok(Date.now() < deadline, `no 40 samples of noisy within 30 s:\n${suggestion}`);
      await sleep(500);
    }
    assert.deepEqual(ignoreList(suggestion).sort(), VOLATILE, suggestion);

    // Pasted as README.md says: edit a copy, validate it, move it over the file Envoy watches.
    const ecds = join(PROJECT_ROOT, "build", "demo", "dark-launch-filter.yaml");
    const edit = join(PROJECT_ROOT, "build", "demo", "edit.yaml");
    copyFileSync(ecds, edit);
    const text = readFileSync(edit, "utf8");
    const noisyBody = /("name": "noisy",[\s\S]*?)"body": \{ "json": true \}/;
    assert.match(text, noisyBody);
    const ignore = JSON.stringify(ignoreList(suggestion)).replace(/","/g, '", "');
    writeFileSync(edit, text.replace(noisyBody, `$1"body": { "json": true, "ignore": ${ignore} }`));
    const validate = quietIO();
    assert.equal(await runCli(["validate", edit], validate), 0, validate.text());
    const [, , noiseComparedBefore, noiseMismatchedBefore] = await noisyCounts(adminUrl);
    renameSync(edit, ecds);

    // Applied: the noise side matches now. Pairs still in flight under the old configuration end
    // within the dark timeout (1 s); then count afresh.
    const applied = Date.now() + 10_000;
    for (;;) {
      const [, , noiseCompared, noiseMismatched] = await noisyCounts(adminUrl);
      if (noiseCompared - noiseComparedBefore > noiseMismatched - noiseMismatchedBefore) break;
      assert.ok(Date.now() < applied, "the ignore list takes effect within 10 s (noise.match counts)");
      await sleep(200);
    }
    await sleep(1500);
    const before = await noisyCounts(adminUrl);
    await sleep(5000);
    const after = await noisyCounts(adminUrl);
    const [darkCompared, darkMismatched, noiseCompared, noiseMismatched] = after.map((n, i) => n - before[i]!);
    assert.ok(darkCompared >= 20 && noiseCompared >= 20, `pairs compared in 5 s: dark ${darkCompared}, noise ${noiseCompared}`);
    assert.equal(noiseMismatched, 0, "two instances of the same version no longer differ");
    // The dark side prices one item in four differently (demo/services.ts): about 25% of the pairs.
    const share = darkMismatched / darkCompared;
    t.diagnostic(
      `after the ignore list, 5 s: dark ${darkMismatched} of ${darkCompared} pairs differ, noise ${noiseMismatched} of ${noiseCompared}`,
    );
    assert.ok(share > 0.05 && share < 0.6, `dark divergence after the ignore list: ${darkMismatched} of ${darkCompared}`);
    await waitForOutput(run, /^noisy .* [\d.]+% \(noise 0\.00%\)/m, 5000); // and watch shows it
  } finally {
    run.interrupt();
  }
  const code = await run.exited;
  const out = run.output();
  assert.equal(code, 0, out.slice(-3000));
  await assertNothingLeft(childPids(out));
});

test("a demo port in use: the demo says which and exits 1 at once, starting nothing", async (t) => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(config.dark.port, "127.0.0.1", resolve));
  t.after(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
  const run = startDemo(["--duration", "1"]);
  const code = await run.exited;
  const out = run.output();
  assert.equal(code, 1, out);
  assert.match(out, new RegExp(`port.* in use on 127\\.0\\.0\\.1: ${config.dark.port} \\(demo dark service\\)`));
  assert.doesNotMatch(out, /Envoy \(pid/);
});

/** `npm start` as a user runs it, in a process group of its own (as a terminal would). */
function startNpm(): { child: ReturnType<typeof spawn>; output: () => string; exited: Promise<number | null> } {
  const child = spawn("npm", ["start"], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  const exited = new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
      reject(new Error(`npm start did not exit within ${RUN_TIMEOUT_MS / 1000} s; its output:\n${output.slice(-4000)}`));
    }, RUN_TIMEOUT_MS);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
  return { child, output: () => output, exited };
}

for (const [how, signal, toGroup, expectedCode] of [
  ["SIGTERM to the npm process", "SIGTERM", false, 143],
  ["Ctrl-C (SIGINT to the process group, which npm also forwards)", "SIGINT", true, 0],
] as const) {
  test(`npm start stops on ${how}: the demo stops everything it started`, async (t) => {
    const run = startNpm();
    t.after(() => {
      // Whatever happened, nothing of this run survives the test.
      try {
        process.kill(-run.child.pid!, "SIGKILL");
      } catch {
        // the group is gone: the normal case
      }
    });
    const deadline = Date.now() + 60_000;
    while (!/darklaunch watch {2}Envoy admin/.test(run.output())) {
      assert.ok(Date.now() < deadline, `npm start did not reach the live view:\n${run.output().slice(-3000)}`);
      await sleep(200);
    }
    if (toGroup) process.kill(-run.child.pid!, signal);
    else run.child.kill(signal);
    const code = await run.exited;
    const out = run.output();
    assert.equal(code, expectedCode, out.slice(-3000));
    assert.match(out, new RegExp(`demo: ${signal}, stopping everything`));
    assert.doesNotMatch(out, /again, exiting now/, "one signal (even delivered twice) is one orderly stop");
    assert.match(out, /demo: stopped everything it started/);
    // Envoy's own warnings are shown, the expected ones explained.
    assert.match(out, /^envoy warning \[misc\]: Deprecated field: .*fail_open.*\n {2}\(expected: /m);
    await assertNothingLeft(childPids(out));
  });
}
