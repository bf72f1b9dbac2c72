// `darklaunch ramp` against the project's ECDS example in a real Envoy, run as the real command:
//   the steps advance while the verdict is PASS, and the last one holding ends it (exit 0);
//   a dark service that starts failing mid-ramp is disabled at once (exit 1): measured from the
//   verdict turning FAIL to Envoy no longer mirroring, which must be under 2 s;
//   the audit file has every change; Ctrl-C leaves the setting as it is (exit 130).

import assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parse } from "yaml";
import { PROJECT_ROOT } from "../../tools/lib/envoy.js";
import type { RampEvent } from "../../tools/darklaunch/src/commands/ramp.js";
import type { AuditEntry } from "../../tools/darklaunch/src/audit.js";
import { send } from "../support/client.js";
import { ruleStats } from "../support/stats.js";
import { startEcdsStack, type EcdsStack } from "./ecds-stack.js";
import { CLI_BIN, cli } from "./helpers.js";

const RULE = "checkout"; // the example's rule: route checkout_route (/api/checkout), sticky by x-user-id
const ANSWER = { body: "the same answer", headers: { "content-type": "text/plain" } };
/**
 * Limits a test's traffic can show in seconds (2 points of errors and divergence: about 200 clean
 * pairs; 5 ms of latency slack for a loaded machine). The method is the default one.
 */
const THRESHOLDS =
  "defaults:\n  divergence: { max_percent: 2 }\n  error_rate: { max_points_over_primary: 2 }\n  latency_p95: { slack_ms: 5 }\n";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The running command: its JSON events as they come, its exit code. */
interface Ramp {
  child: ChildProcessWithoutNullStreams;
  events: RampEvent[];
  stderr(): string;
  /** Resolves with the first event that fits (also one that came already). */
  waitFor(pred: (e: RampEvent) => boolean, timeoutMs: number): Promise<RampEvent>;
  exited: Promise<number>;
}

/** Every ramp started, stopped after the tests whatever happened. */
const ramps: Ramp[] = [];

function startRamp(args: string[]): Ramp {
  const child = spawn(process.execPath, [CLI_BIN, "ramp", ...args, "--json"], { cwd: PROJECT_ROOT, stdio: ["pipe", "pipe", "pipe"] });
  const events: RampEvent[] = [];
  let out = "";
  let err = "";
  const waiters: (() => void)[] = [];
  child.stdout.on("data", (c: Buffer) => {
    out += c.toString("utf8");
    for (let nl = out.indexOf("\n"); nl >= 0; nl = out.indexOf("\n")) {
      const line = out.slice(0, nl);
      out = out.slice(nl + 1);
      if (line.trim() !== "") events.push(JSON.parse(line) as RampEvent);
    }
    for (const w of waiters) w();
  });
  child.stderr.on("data", (c: Buffer) => (err += c.toString("utf8")));
  const exited = new Promise<number>((resolve) => child.on("close", (code, signal) => resolve(code ?? (signal === "SIGINT" ? 130 : -1))));
  const ramp: Ramp = {
    child,
    events,
    stderr: () => err,
    exited,
    waitFor: (pred, timeoutMs) =>
      new Promise((resolve, reject) => {
        const check = (): boolean => {
          const hit = events.find(pred);
          if (hit !== undefined) resolve(hit);
          return hit !== undefined;
        };
        if (check()) return;
        const timer = setTimeout(
          () =>
            reject(new Error(`no such ramp event within ${timeoutMs} ms; events: ${JSON.stringify(events.map((e) => e.event))}\n${err}`)),
          timeoutMs,
        );
        waiters.push(() => {
          if (check()) clearTimeout(timer);
        });
        void exited.then(() => {
          if (!check()) {
            clearTimeout(timer);
            reject(new Error(`the ramp exited; events: ${JSON.stringify(events)}\n${err}`));
          }
        });
      }),
  };
  ramps.push(ramp);
  return ramp;
}

/** Steady traffic from many users (the rule samples by x-user-id) until stopped. */
function startTraffic(stack: EcdsStack): { stop(): Promise<void>; sent(): number } {
  let running = true;
  let sent = 0;
  const worker = async (w: number): Promise<void> => {
    for (let i = 0; running; i++) {
      await send(stack.envoy.url, { path: `/api/checkout/${w}-${i}`, headers: [["x-user-id", `user-${w}-${i}`]] });
      sent++;
    }
  };
  const workers = Array.from({ length: 8 }, (_, w) => worker(w));
  return {
    sent: () => sent,
    stop: async () => {
      running = false;
      await Promise.all(workers);
    },
  };
}

function ruleInFile(path: string): Record<string, unknown> {
  const doc = parse(readFileSync(path, "utf8")) as { resources: { typed_config: { config: { configuration: { value: string } } } }[] };
  const config = JSON.parse(doc.resources[0]!.typed_config.config.configuration.value) as { rules: Record<string, unknown>[] };
  return config.rules.find((r) => r.name === RULE)!;
}

function auditLines(path: string): AuditEntry[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as AuditEntry);
}

describe("darklaunch ramp (ECDS, real Envoy)", () => {
  let stack: EcdsStack;
  let thresholds: string;

  before(async () => {
    stack = await startEcdsStack({ primaryScripts: { "/api/checkout": ANSWER }, darkScripts: { "/api/checkout": ANSWER } });
    thresholds = join(stack.dir, "thresholds.yaml");
    writeFileSync(thresholds, THRESHOLDS);
  });
  after(async () => {
    for (const r of ramps) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill("SIGKILL");
    await Promise.all(ramps.map((r) => r.exited));
    await stack?.stop();
  });

  /** Each test starts from the example's setting: the rule on, at 5%. */
  const reset = async (): Promise<void> => {
    const run = await cli(["set", RULE, "--enable", "--percent", "5", "--ecds", stack.ecdsPath]);
    assert.equal(run.code, 0, run.stderr);
  };

  const args = (audit: string, steps: string, hold: string): string[] => [
    RULE,
    "--steps",
    steps,
    "--hold",
    hold,
    "--interval",
    "0.25",
    "--admin",
    stack.envoy.adminUrl,
    "--ecds",
    stack.ecdsPath,
    "--audit",
    audit,
    "--thresholds",
    thresholds,
  ];

  test("the steps advance while PASS; the last one holding ends the ramp (exit 0); the audit has each step", async () => {
    await reset();
    const audit = join(stack.dir, "audit-pass.jsonl");
    const traffic = startTraffic(stack);
    try {
      const ramp = startRamp(args(audit, "20,60,100", "1s"));
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([ramp.exited, new Promise<number>((r) => (timer = setTimeout(() => r(-2), 90000)))]);
      clearTimeout(timer);
      assert.equal(code, 0, `${JSON.stringify(ramp.events)}\n${ramp.stderr()}`);
      const steps = ramp.events.filter((e) => e.event === "percent").map((e) => (e as { to: number }).to);
      assert.deepEqual(steps, [20, 60, 100]);
      const done = ramp.events.at(-1)!;
      assert.equal(done.event, "done");
      // Each step after the first came only after a PASS that held.
      const percents = ramp.events.filter((e): e is Extract<RampEvent, { event: "percent" }> => e.event === "percent");
      assert.equal(percents[0]!.from, 5);
      for (const p of percents.slice(1)) assert.equal(p.verdict, "PASS");
      const lines = auditLines(audit);
      assert.deepEqual(
        lines.map((l) => [l.rule, l.action, l.from, l.to, l.verdict, l.command]),
        [
          [RULE, "percent", 5, 20, null, "ramp"],
          [RULE, "percent", 20, 60, "PASS", "ramp"],
          [RULE, "percent", 60, 100, "PASS", "ramp"],
        ],
      );
      for (const l of lines) {
        assert.ok(!Number.isNaN(Date.parse(l.time)));
        assert.equal(l.file, stack.ecdsPath);
        assert.ok(Array.isArray(l.reasons));
      }
      assert.deepEqual((ruleInFile(stack.ecdsPath).sample as Record<string, unknown>).percent, 100);
    } finally {
      await traffic.stop();
    }
  });

  test("a dark service that starts failing mid-ramp is disabled within 2 s of the verdict turning FAIL (exit 1)", async (t) => {
    await reset();
    await cli(["set", RULE, "--percent", "10", "--ecds", stack.ecdsPath]);
    const audit = join(stack.dir, "audit-fail.jsonl");
    const traffic = startTraffic(stack);
    try {
      const ramp = startRamp(args(audit, "20,60,100", "60s"));
      // The second step is reached only after PASS held, so the dark service was fine until then.
      await ramp.waitFor((e) => e.event === "percent" && e.to === 20, 30000);
      await ramp.waitFor((e) => e.event === "verdict" && e.verdict === "PASS", 60000);
      stack.dark.script("/api/checkout", { status: 503, body: "down" });
      const failed = (await ramp.waitFor((e) => e.event === "verdict" && e.verdict === "FAIL", 30000)) as Extract<
        RampEvent,
        { event: "verdict" }
      >;
      // From the verdict on: when does Envoy stop mirroring? Its skipped.disabled counter moves
      // (the count reaches Envoy at the worker's next tick: up to 250 ms are included here).
      const before = (await ruleStats(stack.envoy.adminUrl, RULE))["skipped.disabled"]!;
      let disabledAt: number | null = null;
      const deadline = Date.parse(failed.at) + 10000;
      while (disabledAt === null && Date.now() < deadline) {
        if ((await ruleStats(stack.envoy.adminUrl, RULE))["skipped.disabled"]! > before) disabledAt = Date.now();
        else await sleep(10);
      }
      assert.ok(disabledAt !== null, "Envoy never skipped a request as disabled");
      const killMs = disabledAt - Date.parse(failed.at);
      t.diagnostic(
        `kill switch: Envoy skipped requests as disabled ${killMs} ms after the ramp's FAIL verdict (reading at ${failed.at}): ${failed.reasons.join("; ")}`,
      );
      assert.ok(killMs < 2000, `disabled ${killMs} ms after the FAIL verdict`);
      assert.equal(await ramp.exited, 1, ramp.stderr());
      assert.equal(ramp.events.at(-1)!.event, "disable");
      assert.equal(ruleInFile(stack.ecdsPath).enabled, false);
      const lines = auditLines(audit);
      assert.deepEqual(
        lines.map((l) => [l.action, l.from, l.to, l.verdict]),
        [
          ["percent", 10, 20, null],
          ["disable", true, false, "FAIL"],
        ],
      );
      assert.ok(
        lines[1]!.reasons.some((r) => /^error_rate: /.test(r)),
        lines[1]!.reasons.join(" | "),
      );
    } finally {
      await traffic.stop();
      stack.dark.script("/api/checkout", ANSWER);
    }
  });

  test("Ctrl-C leaves the setting as it is (exit 130); the audit has only the change made", async () => {
    await reset();
    const audit = join(stack.dir, "audit-interrupt.jsonl");
    const ramp = startRamp(args(audit, "30,100", "10m"));
    await ramp.waitFor((e) => e.event === "percent" && e.to === 30, 30000);
    ramp.child.kill("SIGINT");
    assert.equal(await ramp.exited, 130);
    assert.equal(ramp.events.at(-1)!.event, "interrupted");
    assert.deepEqual((ruleInFile(stack.ecdsPath).sample as Record<string, unknown>).percent, 30);
    assert.deepEqual(
      auditLines(audit).map((l) => [l.action, l.from, l.to]),
      [["percent", 5, 30]],
    );
  });

  test("refusals: a rule switched off, steps that do not increase, both sources, no --hold (exit 2, nothing changed)", async () => {
    await reset();
    await cli(["set", RULE, "--disable", "--ecds", stack.ecdsPath]);
    const off = await cli(["ramp", ...args(join(stack.dir, "audit-x.jsonl"), "10,100", "1s")]);
    assert.equal(off.code, 2);
    assert.match(off.stderr, /rule "checkout" is switched off .*darklaunch set checkout --enable --percent 0/);
    await cli(["set", RULE, "--enable", "--ecds", stack.ecdsPath]);
    const cases: [string[], RegExp][] = [
      [[RULE, "--steps", "10,5", "--hold", "1s", "--ecds", stack.ecdsPath], /--steps must increase/],
      [[RULE, "--steps", "0,50", "--hold", "1s", "--ecds", stack.ecdsPath], /percentages in \(0, 100\]/],
      [[RULE, "--steps", "10", "--ecds", stack.ecdsPath], /ramp needs --hold DURATION/],
      [[RULE, "--steps", "10", "--hold", "soon", "--ecds", stack.ecdsPath], /--hold "soon" is not a duration/],
      [
        [
          RULE,
          "--steps",
          "10",
          "--hold",
          "1s",
          "--admin",
          "http://127.0.0.1:1",
          "--prometheus",
          "http://127.0.0.1:1",
          "--ecds",
          stack.ecdsPath,
        ],
        /--admin and --prometheus exclude each other/,
      ],
      [
        [RULE, "--steps", "10", "--hold", "1s", "--ecds", stack.ecdsPath, "--wasmplugin", "x.yaml"],
        /--ecds and --wasmplugin exclude each other/,
      ],
    ];
    for (const [argv, message] of cases) {
      const run = await cli(["ramp", ...argv]);
      assert.equal(run.code, 2, argv.join(" "));
      assert.match(run.stderr, message);
    }
    assert.equal(ruleInFile(stack.ecdsPath).enabled, true);
    assert.deepEqual((ruleInFile(stack.ecdsPath).sample as Record<string, unknown>).percent, 5);
  });
});
