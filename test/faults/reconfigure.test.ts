// A new configuration (ECDS) while dark calls are in flight: the old root context stays until
// its calls have called back, so their slots, outcomes and comparisons are all settled, and the
// in-flight limit is not left holding slots of calls nobody will answer for. And a stream open
// across the update: Envoy keeps it, and its calls, with the old root, which it shuts down only
// once the stream is gone (the same scenario under the emulator: test/emulator/lifecycle.test.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { dirname, join } from "node:path";
import { startEcdsStack } from "../cli/ecds-stack.ts";
import { send } from "../support/client.ts";
import { headerValues } from "../support/upstream.ts";
import { assertInvariants, waitForRuleStats } from "../support/stats.ts";

const RULE = "checkout";

test("an ECDS update during dark calls: they still settle, their slots come back, mirroring goes on", async (t) => {
  const stack = await startEcdsStack({ darkScripts: { "/api/checkout": { body: "dark", delayMs: 2000 } } });
  t.after(() => stack.stop());
  let version = 100;
  const swap = (mismatchLogPerSecond: number): void => {
    const config = {
      mismatch_log_per_second: mismatchLogPerSecond,
      rules: [
        {
          name: RULE,
          match: { route: "checkout_route" },
          dark: { cluster: "checkout_v2", timeout_ms: 5000 },
          limits: { max_in_flight: 3 },
        },
      ],
    };
    let text = readFileSync(stack.ecdsPath, "utf8");
    text = text.replace(/version_info: "[^"]*"/, `version_info: "${version++}"`);
    text = text.replace(/value: \|\n[\s\S]*$/, `value: |\n            ${JSON.stringify(config)}\n`);
    const tmp = join(dirname(stack.ecdsPath), "next.yaml");
    writeFileSync(tmp, text);
    renameSync(tmp, stack.ecdsPath);
  };
  const reloads = async (): Promise<number> => {
    const text = await (await fetch(`${stack.envoy.adminUrl}/stats?filter=extension_config_discovery.*config_reload$`)).text();
    return [...text.matchAll(/: (\d+)/g)].reduce((a, m) => a + Number(m[1]), 0);
  };

  swap(1);
  const first = await reloads();
  await waitForRuleStats(stack.envoy.adminUrl, RULE, () => true, "stats");
  for (let i = 0; i < 3; i++) assert.equal((await send(stack.envoy.url, { path: `/api/checkout/a${i}` })).status, 200);
  // The gauge moves at the worker's next tick; the dark side takes 2 s.
  const busy = await waitForRuleStats(stack.envoy.adminUrl, RULE, (s) => s.in_flight! >= 3, "in_flight = 3", 1500);
  assert.equal(busy.in_flight, 3, "three dark calls in flight (the dark side takes 2 s)");

  const before = await reloads();
  swap(2); // any change: a new root context; the old one is shut down with its calls in flight
  const deadline = Date.now() + 10_000;
  while ((await reloads()) <= before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.ok((await reloads()) > before, `Envoy applied the update (reloads ${first} → ${await reloads()})`);

  const settled = await waitForRuleStats(
    stack.envoy.adminUrl,
    RULE,
    (s) => s.in_flight === 0 && s["dark.status.2xx"] === 3,
    "the old root's calls settled",
    10_000,
  );
  assert.equal(settled["compare.mismatch.body"], 3, "their comparisons were counted");

  for (let i = 0; i < 3; i++) assert.equal((await send(stack.envoy.url, { path: `/api/checkout/b${i}` })).status, 200);
  const after = await assertInvariants(stack.envoy.adminUrl, RULE, { timeoutMs: 10_000 });
  assert.equal(after["skipped.in_flight_limit"], 0, "no slot is held by calls from before the update");
  assert.equal(after.mirrored, 6);
});

test("a stream open across an ECDS update stays with the old configuration: counted there, its dark answer settled there, the old root done after", async (t) => {
  const released = { primary: () => {}, dark: () => {} };
  const primaryHeld = new Promise<void>((r) => (released.primary = r));
  const darkHeld = new Promise<void>((r) => (released.dark = r));
  const stack = await startEcdsStack({
    primaryScripts: { "/api/checkout/open": { body: "same", hold: primaryHeld }, "/api/checkout": { body: "same" } },
    darkScripts: { "/api/checkout/open": { body: "same", hold: darkHeld }, "/api/checkout": { body: "same" } },
  });
  t.after(() => {
    released.primary();
    released.dark();
    return stack.stop();
  });
  const rule = (name: string): object => ({
    name,
    match: { route: "checkout_route" },
    methods: ["POST"],
    dark: { cluster: "checkout_v2", timeout_ms: 30000 },
    compare: { status: true, body: true },
    limits: { max_in_flight: 1 },
  });
  let version = 200;
  const swap = async (config: object): Promise<void> => {
    const before = await reloads(stack.envoy.adminUrl);
    let text = readFileSync(stack.ecdsPath, "utf8");
    text = text.replace(/version_info: "[^"]*"/, `version_info: "${version++}"`);
    text = text.replace(/value: \|\n[\s\S]*$/, `value: |\n            ${JSON.stringify(config)}\n`);
    const tmp = join(dirname(stack.ecdsPath), "next.yaml");
    writeFileSync(tmp, text);
    renameSync(tmp, stack.ecdsPath);
    const deadline = Date.now() + 10_000;
    while ((await reloads(stack.envoy.adminUrl)) <= before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok((await reloads(stack.envoy.adminUrl)) > before, "Envoy applied the update");
  };
  const lines = (re: RegExp): string[] =>
    stack.envoy
      .logs()
      .split("\n")
      .filter((l) => re.test(l));
  const WAITING = /darklaunch: configuration retiring: waiting for 1 mirrored request\(s\) and 0 sample\(s\)/;
  const DONE_AFTER = /darklaunch: configuration retired after its last call/;

  await swap({ rules: [rule("before")] });
  await waitForRuleStats(stack.envoy.adminUrl, "before", () => true, "stats");

  // The request headers under the old configuration; the body is held back.
  const client = openPost(stack.envoy.url, "/api/checkout/open", 4);
  await waitUntil(() => stack.primary.started.includes("/api/checkout/open"), "the primary got the headers");

  await swap({ rules: [rule("after")] });
  await waitForRuleStats(stack.envoy.adminUrl, "after", () => true, "stats");
  const swappedAt = stack.envoy.logs().length;

  // The rest of the request under the new configuration: the old rule still makes the copy.
  client.finish("body");
  await waitUntil(() => stack.dark.started.includes("/api/checkout/open"), "the copy reached the dark service");
  await new Promise((r) => setTimeout(r, 1000));
  const whileOpen = stack.envoy.logs().slice(swappedAt);

  released.primary();
  const response = await client.response;
  assert.equal(response.status, 200);
  assert.equal(response.body, "same");
  // The stream is gone: the old root is shut down, with its dark call still held.
  const waiting = await stack.envoy.waitForLog(WAITING, 10_000);
  // Only now, on the worker that ran the stream (the thread id in Envoy's log prefix): while the
  // stream was open, that worker's old root got no proxy_on_done (which would have logged
  // "retired": its copy was already sent and it would have had nothing else to wait for).
  const worker = threadOf(waiting);
  const earlier = whileOpen.split("\n").filter((l) => /darklaunch: configuration retir/.test(l) && threadOf(l) === worker);
  assert.deepEqual(earlier, [], "the old root of the worker with the open stream is not shut down while the stream lives");
  assert.deepEqual(lines(DONE_AFTER), []);

  released.dark();
  await stack.envoy.waitForLog(DONE_AFTER, 10_000);

  const before = await assertInvariants(stack.envoy.adminUrl, "before", { timeoutMs: 10_000 });
  for (const [suffix, value] of [
    ["requests", 1],
    ["mirrored", 1],
    ["dark.status.2xx", 1],
    ["primary.status.2xx", 1],
    ["compare.match", 1],
  ] as const) {
    assert.equal(before[suffix], value, `before: ${suffix} (${JSON.stringify(before)})`);
  }
  const copyHeader = stack.dark.requestsTo("/api/checkout/open")[0]!.rawHeaders;
  assert.equal(headerValues(copyHeader, "x-dark-launch")[0], "before", "the old rule made the copy");

  // Nothing of the old root holds a slot: the new rule mirrors at its limit of 1.
  assert.equal((await send(stack.envoy.url, { method: "POST", path: "/api/checkout/next", body: "next" })).status, 200);
  const after = await assertInvariants(stack.envoy.adminUrl, "after", { timeoutMs: 10_000 });
  assert.equal(after.requests, 1, `after: ${JSON.stringify(after)}`);
  assert.equal(after.mirrored, 1);
  assert.equal(after["skipped.in_flight_limit"], 0);
});

test("an ECDS update that changes only version_info reloads nothing: no new root context (the emulator's reconfigure does the same)", async (t) => {
  const stack = await startEcdsStack();
  t.after(() => stack.stop());
  const discovery = async (): Promise<Record<string, number>> => {
    const text = await (
      await fetch(`${stack.envoy.adminUrl}/stats?filter=extension_config_discovery.http_filter.dark_launch.(update_success|config_reload)$`)
    ).text();
    return Object.fromEntries([...text.matchAll(/\.(\w+): (\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
  };
  await waitUntilAsync(async () => (await discovery()).update_success === 1, "the first update");
  const configured = (): number =>
    stack.envoy
      .logs()
      .split("\n")
      .filter((l) => l.includes("darklaunch: configured")).length;
  const before = configured();
  const text = readFileSync(stack.ecdsPath, "utf8").replace(/version_info: "[^"]*"/, 'version_info: "2"');
  const tmp = join(dirname(stack.ecdsPath), "next.yaml");
  writeFileSync(tmp, text);
  renameSync(tmp, stack.ecdsPath);
  await waitUntilAsync(async () => (await discovery()).update_success === 2, "the second update");
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(await discovery(), { update_success: 2, config_reload: 1 }, "accepted, not reloaded");
  assert.equal(configured(), before, "no root context was configured again");
});

async function waitUntilAsync(pred: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The thread id of an Envoy log line (`[time][thread][level][logger] ...`). */
function threadOf(line: string): string {
  const m = /^\[[^\]]*\]\[(\d+)\]/.exec(line.trim());
  assert.ok(m, `no thread id in ${line}`);
  return m[1]!;
}

async function reloads(adminUrl: string): Promise<number> {
  const text = await (await fetch(`${adminUrl}/stats?filter=extension_config_discovery.*config_reload$`)).text();
  return [...text.matchAll(/: (\d+)/g)].reduce((a, m) => a + Number(m[1]), 0);
}

async function waitUntil(pred: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A POST whose headers go out now and whose body (of `length` bytes) only when finish() is called. */
function openPost(
  baseUrl: string,
  path: string,
  length: number,
): { finish(body: string): void; response: Promise<{ status: number; body: string }> } {
  const url = new URL(baseUrl);
  const req = httpRequest({
    host: url.hostname,
    port: Number(url.port),
    method: "POST",
    path,
    agent: false,
    headers: { "content-length": String(length) },
  });
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on("error", reject);
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
  });
  req.flushHeaders();
  return { finish: (body) => req.end(body), response };
}
