// Bad configuration (contract section 2): the filter refuses to load, Envoy does not start, and
// the log says `darklaunch: invalid configuration:` with every problem, each with its JSON path.

import assert from "node:assert/strict";
import { test } from "node:test";
import { renderBootstrap, startEnvoy, startEnvoyExpectingFailure, type FailedStart } from "../../tools/lib/envoy.js";
import { freePort } from "../support/client.js";

async function start(filterConfig: unknown, filterConfigText?: string): Promise<FailedStart> {
  const port = await freePort();
  return startEnvoyExpectingFailure({
    bootstrap: renderBootstrap({ primaryPort: port, filterConfig, filterConfigText, clusters: { dark: port } }),
  });
}

/** The filter's one line listing the problems. */
function problemLine(log: string): string {
  const line = log.split("\n").find((l) => l.includes("darklaunch: invalid configuration:"));
  assert.ok(line, `no "darklaunch: invalid configuration:" line in:\n${log.slice(-3000)}`);
  return line.slice(line.indexOf("darklaunch: invalid configuration:") + "darklaunch: invalid configuration:".length);
}

/** The problems, split on "; " before a path (a message may itself contain "; "). */
function problems(line: string): string[] {
  return line.trim().split(/; (?=[a-z_[])/);
}

test("sample.percent 150: Envoy refuses to start; the log names the path and the value", async () => {
  const result = await start({ rules: [{ name: "checkout", sample: { percent: 150 }, dark: { cluster: "dark" } }] });
  assert.equal(result.started, false, "Envoy started with an invalid configuration");
  assert.notEqual(result.exitCode, 0);
  assert.ok(
    result.log.includes("darklaunch: invalid configuration: rules[0].sample.percent: must be a number from 0 to 100 (got 150)"),
    result.log.slice(-3000),
  );
  assert.match(result.log, /\[error\].*darklaunch: invalid configuration:/);
});

test("every problem is reported at once, each with its JSON path (typos are errors, not defaults)", async () => {
  const result = await start({
    enabled: true,
    mismatch_log_per_secnd: 1, // typo at the top level
    rules: [
      { name: "Bad Name!", dark: { cluster: "dark" } },
      { name: "dup", smaple: { percent: 10 }, dark: { cluster: "dark" } }, // typo in a rule: must not mean "mirror 100%"
      { name: "dup", dark: { cluster: "dark", timeout_ms: 0 } },
      { name: "nocluster", dark: {} },
      { name: "hdr", match: { headers: [{ name: "x-a", exact: "1", prefix: "2" }] }, dark: { cluster: "dark" } },
    ],
  });
  assert.equal(result.started, false);
  assert.notEqual(result.exitCode, 0);
  const found = problems(problemLine(result.log));
  const paths = [
    "mismatch_log_per_secnd",
    "rules[0].name",
    "rules[1].smaple",
    "rules[2].name",
    "rules[2].dark.timeout_ms",
    "rules[3].dark.cluster",
    "rules[4].match.headers[0]",
  ];
  for (const path of paths) {
    assert.ok(
      found.some((p) => p.startsWith(`${path}:`) || p.startsWith(`${path}.`)),
      `no problem at ${path} in ${JSON.stringify(found)}`,
    );
  }
  assert.ok(found.length >= paths.length, JSON.stringify(found));
});

test("no rules and a wrong type: refused, with paths", async () => {
  const empty = await start({ rules: [] });
  assert.equal(empty.started, false);
  assert.match(problemLine(empty.log), /(^| )rules: /);

  const typed = await start({ enabled: "yes", rules: [{ name: "r", methods: "GET", dark: { cluster: "dark", max_body_bytes: -1 } }] });
  assert.equal(typed.started, false);
  const found = problems(problemLine(typed.log));
  for (const path of ["enabled", "rules[0].methods", "rules[0].dark.max_body_bytes"]) {
    assert.ok(
      found.some((p) => p.startsWith(`${path}:`)),
      `no problem at ${path} in ${JSON.stringify(found)}`,
    );
  }
});

test("not JSON at all: refused", async () => {
  const result = await start(null, "{not json");
  assert.equal(result.started, false);
  problemLine(result.log);
});

test("the smallest valid configuration loads (rule name, dark cluster) and Envoy starts", async (t) => {
  const port = await freePort();
  const envoy = await startEnvoy({
    bootstrap: renderBootstrap({
      primaryPort: port,
      filterConfig: { rules: [{ name: "min", dark: { cluster: "dark" } }] },
      clusters: { dark: port },
    }),
  });
  t.after(() => envoy.stop());
  assert.doesNotMatch(envoy.logs(), /invalid configuration/);
});
