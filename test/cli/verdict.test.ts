// `darklaunch verdict` against a real Envoy with the filter: one rule per kind of difference
// between the primary and the dark service, a few hundred requests each.
//   same    identical answers                     → PASS (with 5 ms of latency slack: on a loaded
//                                                   test machine 1 ms of jitter is common)
//   body    the dark body differs                 → FAIL on divergence
//   errors  the dark answers 500 on 1 in 5        → FAIL on the error rate (comparison off)
//   slow    the dark answers 50 ms late           → FAIL on latency p95
//   fresh   no traffic at all                     → NOT ENOUGH DATA

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { VerdictDocument } from "../../tools/darklaunch/src/commands/verdict.js";
import { prefixRule, startStack, type Stack } from "../support/stack.js";
import { cli, cliProcess, settledStats, traffic } from "./helpers.js";

// Clean pairs for PASS: divergence under 1% needs 401, the error rate within 0.5 points 804
// (docs/verdict.md); latency FAIL needs about 150 primary samples to bound the primary's p95.
const SAME_PAIRS = 900;
const PER_RULE = 250;
const SLACK = "defaults:\n  latency_p95: { slack_ms: 5 }\n";

const filterConfig = {
  rules: [
    prefixRule("same", "/same"),
    prefixRule("body", "/body"),
    prefixRule("errors", "/errors", { compare: { status: false, headers: [], body: false } }),
    prefixRule("slow", "/slow"),
    prefixRule("fresh", "/fresh"),
  ],
};

function failingChecks(doc: VerdictDocument, rule: string): string[] {
  const r = doc.rules.find((x) => x.rule === rule);
  assert.ok(r, `rule ${rule} in the verdict`);
  return r.checks.filter((c) => c.verdict === "FAIL").map((c) => c.check);
}

function ruleOf(doc: VerdictDocument, rule: string): VerdictDocument["rules"][number] {
  const r = doc.rules.find((x) => x.rule === rule);
  assert.ok(r, `rule ${rule} in the verdict`);
  return r;
}

describe("darklaunch verdict against a real Envoy", () => {
  let stack: Stack;
  let fresh: { code: number; doc: VerdictDocument };
  let dir: string;
  let slack: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "darklaunch-verdict-"));
    slack = join(dir, "slack.yaml");
    writeFileSync(slack, SLACK);
    stack = await startStack({
      filterConfig,
      primaryScripts: { "/": { body: "same answer" } },
      darkScripts: {
        "/": { body: "same answer" },
        "/body": { body: "a different answer" },
        "/errors": (req) => ({ status: Number(req.path.split("/")[2]) % 5 === 0 ? 500 : 200, body: "same answer" }),
        "/slow": { body: "same answer", delayMs: 50 },
      },
      // Histograms reach the admin endpoint at each flush: once a second instead of every 5 s.
      bootstrap: { statsFlushIntervalMs: 1000 },
    });
    // A fresh start, before any traffic.
    const first = await cli(["verdict", "--admin", stack.envoy.adminUrl, "--json"]);
    fresh = { code: first.code, doc: JSON.parse(first.stdout) as VerdictDocument };

    await traffic(stack.envoy.url, SAME_PAIRS, (i) => ({ path: `/same/${i}` }));
    await traffic(stack.envoy.url, PER_RULE, (i) => ({ path: `/body/${i}` }));
    await traffic(stack.envoy.url, PER_RULE, (i) => ({ path: `/errors/${i}` }));
    await traffic(stack.envoy.url, PER_RULE, (i) => ({ path: `/slow/${i}` }));
    await settledStats(stack.envoy.adminUrl);
  });

  after(async () => {
    await stack?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  test("a fresh start: every rule NOT ENOUGH DATA, exit code 2", () => {
    assert.equal(fresh.code, 2);
    assert.equal(fresh.doc.verdict, "NOT_ENOUGH_DATA");
    assert.deepEqual(
      fresh.doc.rules.map((r) => r.rule),
      ["body", "errors", "fresh", "same", "slow"],
    );
    for (const r of fresh.doc.rules) {
      assert.equal(r.verdict, "NOT_ENOUGH_DATA", r.rule);
      assert.equal(r.figures.requests, 0);
      assert.ok(
        r.reasons.some((reason) => /^divergence: no compared pairs yet/.test(reason)),
        r.reasons.join(" | "),
      );
    }
  });

  test("identical services PASS on every check", async () => {
    const run = await cli(["verdict", "--admin", stack.envoy.adminUrl, "--rule", "same", "--thresholds", slack, "--json"]);
    const doc = JSON.parse(run.stdout) as VerdictDocument;
    const same = ruleOf(doc, "same");
    assert.equal(same.verdict, "PASS", same.reasons.join(" | "));
    assert.deepEqual(
      same.checks.map((c) => [c.check, c.verdict]),
      [
        ["divergence", "PASS"],
        ["error_rate", "PASS"],
        ["latency_p95", "PASS"],
      ],
    );
    assert.equal(same.figures.divergence.compared, SAME_PAIRS);
    assert.equal(same.figures.divergence.mismatched, 0);
    assert.ok(same.checks[0]!.bounds!.high < 0.01);
    assert.ok(
      same.checks.every((c) => c.p_values.under_limit <= 0.05),
      JSON.stringify(same.checks.map((c) => c.p_values)),
    );
    assert.equal(run.code, 0);
    assert.equal(doc.exit_code, 0);
  });

  test("a differing body FAILs on divergence, and only on it", async () => {
    const doc = JSON.parse((await cli(["verdict", "--admin", stack.envoy.adminUrl, "--json"])).stdout) as VerdictDocument;
    const body = ruleOf(doc, "body");
    assert.equal(body.verdict, "FAIL");
    assert.deepEqual(failingChecks(doc, "body"), ["divergence"]);
    assert.equal(body.figures.divergence.byPart.body, PER_RULE);
    assert.equal(body.figures.divergence.rate, 1);
    assert.match(
      body.reasons[0]!,
      /^divergence: divergence 100\.00% \(250 of 250 pairs; bounds .*\) is over the 1% limit beyond chance; mismatched parts: status 0, headers 0, body 250$/,
    );
  });

  test("dark 5xx answers FAIL on the error rate, and only on it", async () => {
    const doc = JSON.parse((await cli(["verdict", "--admin", stack.envoy.adminUrl, "--json"])).stdout) as VerdictDocument;
    const errors = ruleOf(doc, "errors");
    assert.equal(errors.verdict, "FAIL");
    assert.deepEqual(failingChecks(doc, "errors"), ["error_rate"]);
    assert.equal(errors.figures.errors.dark.status5xx, PER_RULE / 5);
    assert.equal(errors.figures.errors.dark.rate, 0.2);
    assert.equal(errors.figures.errors.primary.rate, 0);
    assert.match(
      errors.reasons[0]!,
      /^error_rate: dark error rate 20\.00% \(5xx 50, failed 0, timeout 0 of 250\) against primary 0\.00% \(0 of 250\); .*: over primary \+ 0\.5 points beyond chance$/,
    );
  });

  test("a slower dark service FAILs on latency p95, and only on it", async () => {
    const doc = JSON.parse((await cli(["verdict", "--admin", stack.envoy.adminUrl, "--json"])).stdout) as VerdictDocument;
    const slow = ruleOf(doc, "slow");
    assert.equal(slow.verdict, "FAIL");
    assert.deepEqual(failingChecks(doc, "slow"), ["latency_p95"]);
    assert.ok(slow.figures.latency.dark.p95! >= 50, `dark p95 ${slow.figures.latency.dark.p95}`);
    assert.ok(slow.figures.latency.primary.p95! < 25, `primary p95 ${slow.figures.latency.primary.p95}`);
    assert.match(
      slow.reasons[0]!,
      /^latency_p95: dark p95 ≈ \d+ ms, primary p95 ≈ [\d.]+ ms \(250 dark, 250 primary samples\): \d+ dark samples \(\d+\.\d%\) are above [\d.]+ ms, .*over the limit beyond chance$/,
    );
  });

  test("no traffic on a rule: NOT ENOUGH DATA; the run FAILs (exit 1) as soon as one rule fails", async () => {
    const run = await cli(["verdict", "--admin", stack.envoy.adminUrl, "--json"]);
    const doc = JSON.parse(run.stdout) as VerdictDocument;
    assert.equal(ruleOf(doc, "fresh").verdict, "NOT_ENOUGH_DATA");
    assert.equal(doc.verdict, "FAIL");
    assert.equal(run.code, 1);
    const onlyFresh = await cli(["verdict", "--admin", stack.envoy.adminUrl, "--rule", "fresh"]);
    assert.equal(onlyFresh.code, 2);
    const passAndLacking = await cli([
      "verdict",
      "--admin",
      stack.envoy.adminUrl,
      "--rule",
      "same",
      "--rule",
      "fresh",
      "--thresholds",
      slack,
    ]);
    assert.equal(passAndLacking.code, 2);
  });

  test("--json: the document's shape", async () => {
    const doc = JSON.parse((await cli(["verdict", "--admin", stack.envoy.adminUrl, "--json"])).stdout) as Record<string, unknown>;
    assert.deepEqual(Object.keys(doc).sort(), ["exit_code", "rules", "source", "taken_at", "thresholds_file", "verdict"]);
    assert.deepEqual(doc.source, { kind: "admin", urls: [stack.envoy.adminUrl] });
    assert.ok(!Number.isNaN(Date.parse(doc.taken_at as string)));
    assert.equal(doc.thresholds_file, null);
    const rule = (doc.rules as Record<string, unknown>[]).find((r) => r.rule === "same")!;
    assert.deepEqual(Object.keys(rule).sort(), ["checks", "expired", "figures", "reasons", "rule", "thresholds", "verdict"]);
    assert.equal(rule.expired, false);
    const figures = rule.figures as Record<string, unknown>;
    assert.deepEqual(Object.keys(figures).sort(), [
      "coverage",
      "divergence",
      "errors",
      "expired",
      "inFlight",
      "latency",
      "mirrored",
      "requests",
      "skipped",
    ]);
    assert.equal(figures.coverage, 1);
    const latency = figures.latency as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(latency.dark!).sort(), ["p50", "p95", "p99", "samples"]);
    assert.equal(latency.dark!.samples, SAME_PAIRS);
    const check = (rule.checks as Record<string, unknown>[])[0]!;
    assert.deepEqual(Object.keys(check).sort(), [
      "bounds",
      "check",
      "limit",
      "minSamples",
      "observed",
      "p_values",
      "reason",
      "samples",
      "verdict",
    ]);
  });

  test("a thresholds file overrides per rule (divergence off for `body` makes it PASS)", async () => {
    const path = join(dir, "thresholds.yaml");
    // 250 clean pairs show an error rate within 2 points (not yet within 0.5).
    writeFileSync(
      path,
      "rules:\n  body:\n    divergence: { enabled: false }\n    error_rate: { max_points_over_primary: 2 }\n    latency_p95: { slack_ms: 5 }\n",
    );
    const run = await cli(["verdict", "--admin", stack.envoy.adminUrl, "--rule", "body", "--thresholds", path, "--json"]);
    const doc = JSON.parse(run.stdout) as VerdictDocument;
    assert.equal(doc.thresholds_file, path);
    assert.equal(ruleOf(doc, "body").verdict, "PASS", ruleOf(doc, "body").reasons.join(" | "));
    assert.equal(run.code, 0);
  });

  test("the table for people: a row per rule, the reasons, no colour off a terminal or with NO_COLOR", async () => {
    const plain = await cli(["verdict", "--admin", stack.envoy.adminUrl, "--thresholds", slack]);
    assert.equal(plain.code, 1);
    assert.doesNotMatch(plain.stdout, /\x1b\[/);
    assert.match(plain.stdout, /^RULE +VERDICT +REQUESTS +MIRRORED +COVERAGE/m);
    assert.match(plain.stdout, /^same +PASS +900 +900 +100\.0%/m);
    assert.match(plain.stdout, /^fresh +NOT ENOUGH DATA +0 +0/m);
    assert.match(plain.stdout, /^ {2}latency p95 +FAIL +dark p95/m);
    assert.match(plain.stdout, /^verdict: FAIL \(1 PASS, 3 FAIL, 1 NOT ENOUGH DATA\), exit code 1$/m);
    const tty = await cli(["verdict", "--admin", stack.envoy.adminUrl, "--thresholds", slack], { isTTY: true });
    assert.match(tty.stdout, /\x1b\[32mPASS\x1b\[0m/);
    assert.match(tty.stdout, /\x1b\[31mFAIL\x1b\[0m/);
    const noColor = await cli(["verdict", "--admin", stack.envoy.adminUrl], { isTTY: true, env: { NO_COLOR: "1" } });
    assert.doesNotMatch(noColor.stdout, /\x1b\[/);
  });

  test("the real command exits with the verdict's code", async () => {
    const pass = await cliProcess(["verdict", "--admin", stack.envoy.adminUrl, "--rule", "same", "--thresholds", slack]);
    assert.equal(pass.code, 0, pass.stderr);
    assert.match(pass.stdout, /verdict: PASS/);
    const fail = await cliProcess(["verdict", "--admin", stack.envoy.adminUrl]);
    assert.equal(fail.code, 1, fail.stderr);
  });

  test("an unknown --rule is an error naming the rules there (exit 2)", async () => {
    const run = await cli(["verdict", "--admin", stack.envoy.adminUrl, "--rule", "nope"]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /no stats for rule\(s\) nope .*rules there: body, errors, fresh, same, slow/);
  });
});

describe("darklaunch verdict without an Envoy", () => {
  test("admin unreachable: a clear one-line error, exit code 2", async () => {
    // A port nothing listens on: bind one, note it, close it.
    const { createServer } = await import("node:net");
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((r) => server.close(() => r()));
    const run = await cliProcess(["verdict", "--admin", `http://127.0.0.1:${port}`]);
    assert.equal(run.code, 2);
    assert.equal(run.stdout, "");
    assert.equal(run.stderr, `darklaunch: cannot reach the Envoy admin endpoint at http://127.0.0.1:${port}: ECONNREFUSED\n`);
  });

  test("a bad --admin URL or an unknown option is a usage error (exit 2)", async () => {
    const bad = await cli(["verdict", "--admin", "not a url"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--admin "not a url" is not a URL/);
    const unknown = await cli(["verdict", "--bogus"]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /Unknown option '--bogus'[\s\S]*darklaunch --help/);
  });
});
