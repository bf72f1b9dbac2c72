// Security properties in a real Envoy: credentials listed in remove_headers never reach the dark
// service, a client cannot forge x-dark-launch towards it, nothing a client sends creates a stat
// name, and the mismatch log carries neither bodies nor header values.
// A second Envoy without the filter, in front of the same primary, shows what the primary gets
// when the filter is not there at all.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { renderBootstrap, startEnvoy, type EnvoyProcess } from "../../tools/lib/envoy.js";
import { inBatches, rawStatus, send, sendRaw } from "../support/client.js";
import { prefixRule, startStack, type Stack } from "../support/stack.js";
import {
  GAUGE_SUFFIXES,
  allCallsEnded,
  counterSuffixes,
  settledRuleStats,
  settledStatsValues,
  statsText,
  waitForRuleStats,
} from "../support/stats.js";
import { headerPairs, headerValues, type RecordedRequest } from "../support/upstream.js";
import { HISTOGRAM_SUFFIXES } from "../../assembly/darklaunch/stats_names.js";

/** A per-run secret: a value that must never show up where the test looks for it. */
const secret = (what: string): string => `SECRET-${what}-${randomBytes(6).toString("hex")}`;

const CREDS = {
  auth1: secret("auth1"),
  auth2: secret("auth2"),
  cookie1: secret("cookie1"),
  cookie2: secret("cookie2"),
  key1: secret("key1"),
  key2: secret("key2"),
};

const LOG_SECRETS = {
  requestHeader: secret("request-header"),
  requestCookie: secret("request-cookie"),
  requestBody: secret("request-body"),
  primaryHeader: secret("primary-header"),
  primaryBody: secret("primary-body"),
  darkHeader: secret("dark-header"),
  darkBody: secret("dark-body"),
};

const RULES = [
  prefixRule("s-creds", "/s/creds", { methods: ["GET", "POST"], dark: { remove_headers: ["Authorization", "COOKIE", "X-Api-KEY"] } }),
  prefixRule("s-evil", "/s/evil"),
  prefixRule("s-sticky-cookie", "/s/sticky", { sample: { percent: 50, by: "cookie:session" } }),
  prefixRule("s-sticky-header", "/s/gate", {
    match: { headers: [{ name: "x-dark", exact: "1" }] },
    sample: { percent: 50, by: "header:x-user-id" },
    methods: ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"],
  }),
  prefixRule("s-log-status", "/s/log/status"),
  prefixRule("s-log-headers", "/s/log/headers", { compare: { headers: ["x-secret-resp"] } }),
  prefixRule("s-log-body", "/s/log/body", { methods: ["POST"] }),
  prefixRule("s-any", "/", { match: { headers: [{ name: "x-any", present: true }] } }),
];
const RULE_NAMES = RULES.map((r) => r.name as string);

const PRIMARY_SCRIPTS = {
  "/s/log/": {
    body: `primary body with ${LOG_SECRETS.primaryBody}`,
    headers: { "x-secret-resp": LOG_SECRETS.primaryHeader, "set-cookie": `sid=${LOG_SECRETS.primaryHeader}` },
  },
};
const DARK_SCRIPTS = {
  "/s/log/status": { status: 503, body: `dark body with ${LOG_SECRETS.darkBody}`, headers: { "x-secret-resp": LOG_SECRETS.darkHeader } },
  "/s/log/headers": { body: `primary body with ${LOG_SECRETS.primaryBody}`, headers: { "x-secret-resp": LOG_SECRETS.darkHeader } },
  "/s/log/body": { body: `dark body with ${LOG_SECRETS.darkBody}`, headers: { "x-secret-resp": LOG_SECRETS.primaryHeader } },
};

/** Stat names at /stats (counters, gauges, histograms: everything before the first ": "). */
async function statNames(adminUrl: string): Promise<Set<string>> {
  const names = new Set<string>();
  for (const line of (await statsText(adminUrl)).split("\n")) {
    const i = line.indexOf(": ");
    if (i > 0) names.add(line.slice(0, i));
  }
  return names;
}

/** A small deterministic generator (mulberry32), so a failing run can be replayed. */
function generator(seed: number): { int(n: number): number; pick<T>(xs: readonly T[]): T; token(len: number, alphabet?: string): string } {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  return {
    int,
    pick: (xs) => xs[int(xs.length)]!,
    token: (len, alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-_.") =>
      Array.from({ length: len }, () => alphabet[int(alphabet.length)]).join(""),
  };
}

describe("security", () => {
  let stack: Stack;
  let baseline: EnvoyProcess;

  before(async () => {
    stack = await startStack({
      primaryScripts: PRIMARY_SCRIPTS,
      darkScripts: DARK_SCRIPTS,
      filterConfig: { mismatch_log_per_second: 1000, rules: RULES },
    });
    baseline = await startEnvoy({ bootstrap: renderBootstrap({ primaryPort: stack.primary.port, filterConfig: null }) });
  });
  after(async () => {
    await baseline?.stop();
    await stack?.stop();
  });

  /** The only copy of `path` the dark service got (waits for it, then makes sure no second one comes). */
  async function onlyCopy(path: string): Promise<RecordedRequest> {
    const [copy] = await stack.dark.waitForRequests(path, 1);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(stack.dark.requestsTo(path).length, 1, `exactly one copy of ${path}`);
    return copy!;
  }

  /** The request the primary got for exactly `path`. */
  function primaryGot(path: string): RecordedRequest {
    const got = stack.primary.requests.filter((r) => r.path === path);
    assert.equal(got.length, 1, `the primary got ${path} once`);
    return got[0]!;
  }

  test("remove_headers (authorization, cookie, x-api-key; any case, repeated) never reach the dark service; the primary still gets them", async () => {
    const requestLines = (path: string): string =>
      `POST ${path} HTTP/1.1\r\n` +
      "host: shop.example\r\n" +
      "x-request-id: sec-creds-1\r\n" +
      `AUTHORIZATION: Bearer ${CREDS.auth1}\r\n` +
      `Cookie: session=${CREDS.cookie1}\r\n` +
      `X-Api-Key: ${CREDS.key1}\r\n` +
      "x-kept: visible\r\n" +
      `authorization: Basic ${CREDS.auth2}\r\n` +
      `cOOKIE: other=${CREDS.cookie2}\r\n` +
      `x-API-key: ${CREDS.key2}\r\n` +
      "content-length: 9\r\n" +
      "connection: close\r\n\r\n" +
      "body=okay";
    const withFilter = await sendRaw(stack.envoy.port, requestLines("/s/creds/with"));
    const without = await sendRaw(baseline.port, requestLines("/s/creds/without"));
    assert.equal(rawStatus(withFilter), 200);
    assert.equal(rawStatus(without), 200);

    const copy = await onlyCopy("/s/creds/with");
    const names = headerPairs(copy.rawHeaders).map(([k]) => k);
    for (const removed of ["authorization", "cookie", "x-api-key"])
      assert.ok(!names.includes(removed), `${removed} reached the dark service`);
    const darkText = `${copy.rawHeaders.join("\n")}\n${copy.body.toString("latin1")}`;
    for (const [what, value] of Object.entries(CREDS)) assert.ok(!darkText.includes(value), `${what} reached the dark service`);
    assert.deepEqual(headerValues(copy.rawHeaders, "x-kept"), ["visible"], "other headers are copied");
    assert.equal(copy.body.toString(), "body=okay");

    // The primary gets every credential, exactly as it does without the filter.
    const primaryWith = primaryGot("/s/creds/with");
    const primaryWithout = primaryGot("/s/creds/without");
    const primaryText = primaryWith.rawHeaders.join("\n");
    for (const [what, value] of Object.entries(CREDS)) assert.ok(primaryText.includes(value), `${what} missing at the primary`);
    assert.deepEqual(
      headerPairs(primaryWith.rawHeaders),
      headerPairs(primaryWithout.rawHeaders),
      "the primary's headers with the filter = without it",
    );
  });

  test("a client-sent x-dark-launch never reaches the dark side (exactly one, the rule name); the primary gets the client's values as without the filter", async () => {
    const headers: [string, string][] = [
      ["host", "shop.example"],
      ["x-request-id", "sec-evil-1"],
      ["x-dark-launch", "evil"],
      ["X-Dark-Launch", "s-creds"],
      ["X-DARK-LAUNCH", "evil, s-evil"],
    ];
    const res = await send(stack.envoy.url, { path: "/s/evil/with", headers });
    const base = await send(baseline.url, { path: "/s/evil/without", headers });
    assert.equal(res.status, 200);
    assert.equal(base.status, 200);

    const copy = await onlyCopy("/s/evil/with");
    assert.deepEqual(headerValues(copy.rawHeaders, "x-dark-launch"), ["s-evil"]);
    assert.ok(!copy.rawHeaders.join("\n").includes("evil,"), "no client value anywhere in the copy's headers");

    // The filter does not touch the primary's headers: a client value reaches the primary, as
    // it would without the filter (stripping it there is the operator's choice, not the filter's).
    const primaryWith = primaryGot("/s/evil/with");
    const primaryWithout = primaryGot("/s/evil/without");
    assert.deepEqual(headerValues(primaryWith.rawHeaders, "x-dark-launch"), ["evil", "s-creds", "evil, s-evil"]);
    assert.deepEqual(headerPairs(primaryWith.rawHeaders), headerPairs(primaryWithout.rawHeaders));
  });

  test("nothing a client sends creates a stat name: 400 random requests leave the set of wasmcustom.* names as the rules define it", async () => {
    const expectedPerRule = counterSuffixes().length + GAUGE_SUFFIXES.length + HISTOGRAM_SUFFIXES.length;
    const rulePattern = new RegExp(`^wasmcustom\\.darklaunch\\.(${RULE_NAMES.join("|")})\\.[a-z0-9_.]+$`);
    const wasmNames = (all: Set<string>): string[] => [...all].filter((n) => n.startsWith("wasmcustom.")).sort();

    const beforeAll = await statNames(stack.envoy.adminUrl);
    const beforeWasm = wasmNames(beforeAll);
    assert.equal(beforeWasm.length, RULE_NAMES.length * expectedPerRule, "every rule's stats exist from the start");
    for (const n of beforeWasm) assert.match(n, rulePattern);

    const rng = generator(0x5ec0de);
    // Every client-chosen token carries this, so its appearance in any stat name is detectable.
    const tag = "zqx";
    const tokenOf = (len: number): string => tag + rng.token(len);
    const methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "PROPFIND", "MKCOL", "TRACE"] as const;
    const prefixes = [
      "/s/creds",
      "/s/evil",
      "/s/sticky",
      "/s/gate",
      "/s/log/status",
      "/s/log/headers",
      "/s/log/body",
      "/",
      "/other",
    ] as const;
    const oddDarkLaunch = () =>
      rng.pick([
        "",
        "evil",
        "s-any",
        "s-creds.requests",
        "../../etc/passwd",
        "wasmcustom.darklaunch.x.requests",
        "a b c",
        "%00%ff",
        "x".repeat(2000),
        `${tokenOf(8)}.${tokenOf(8)}`,
        '{"rule":"x"}',
        "\t",
      ]);
    const requests = Array.from({ length: 400 }, (_, i) => {
      const method = rng.pick(methods);
      const segments = Array.from({ length: 1 + rng.int(4) }, () => rng.pick([tokenOf(6), "%2e%2e", "..", "%F0%9F%92%A9", tokenOf(30)]));
      const query = rng.int(2) === 0 ? `?${tokenOf(4)}=${tokenOf(12)}&rule=${tokenOf(5)}` : "";
      const headers: [string, string][] = [["x-request-id", `sec-card-${i}`]];
      for (let h = rng.int(6); h > 0; h--)
        headers.push([tokenOf(1 + rng.int(20)), rng.token(rng.int(60), " !#$%&'()*+,./:;<=>?@[]^_`{|}~abcXYZ0189")]);
      if (rng.int(2) === 0) headers.push(["x-dark-launch", oddDarkLaunch()]);
      if (rng.int(2) === 0) headers.push(["cookie", `session=${tokenOf(10)}; ${tokenOf(4)}=${tokenOf(6)}`]);
      if (rng.int(2) === 0) headers.push(["x-user-id", tokenOf(rng.int(40))]);
      if (rng.int(2) === 0) headers.push(["x-dark", rng.pick(["1", "0", tokenOf(3)])]);
      if (rng.int(3) === 0) headers.push(["x-any", tokenOf(3)]);
      const body = ["POST", "PUT", "PATCH"].includes(method) && rng.int(2) === 0 ? `${tokenOf(20)}=${tokenOf(200)}` : undefined;
      return { method, path: `${rng.pick(prefixes)}/${segments.join("/")}${query}`, headers, body };
    });
    const statuses = await inBatches(requests, 8, async (req) => {
      try {
        return (await send(stack.envoy.url, req)).status;
      } catch (err) {
        return `error: ${(err as Error).message}`;
      }
    });
    const answered = statuses.filter((s) => typeof s === "number").length;
    assert.ok(
      answered >= 390,
      `Envoy answered ${answered} of ${requests.length}: ${JSON.stringify(statuses.filter((s) => typeof s !== "number").slice(0, 3))}`,
    );

    const afterAll = await statNames(stack.envoy.adminUrl);
    const afterWasm = wasmNames(afterAll);
    await settledStatsValues(stack.envoy.adminUrl); // the last counts reach Envoy at the workers' ticks
    const requestsSeen = (await statsText(stack.envoy.adminUrl))
      .split("\n")
      .filter((l) => /^wasmcustom\.darklaunch\.[^.]+\.requests: [1-9]/.test(l)).length;
    assert.ok(requestsSeen >= 5, `the random traffic reached the filter's rules (${requestsSeen} rules counted requests)`);
    assert.deepEqual(afterWasm, beforeWasm, "the set of wasmcustom.* stat names changed");
    const leaked = [...afterAll].filter((n) => n.toLowerCase().includes(tag));
    assert.deepEqual(leaked, [], "a client-chosen string became part of a stat name");
    const troubles = stack.envoy
      .logs()
      .split("\n")
      .filter((l) => /\[(error|critical)\]/.test(l) || /Uncaught|RuntimeError/.test(l));
    assert.deepEqual(troubles, [], "the random traffic made the filter fail");
  });

  test("the mismatch log never contains bodies or header values (only the x-request-id, which is not secret here)", async () => {
    const cookie = `session=${LOG_SECRETS.requestCookie}`;
    const secretHeaders = (id: string): [string, string][] => [
      ["x-request-id", id],
      ["x-api-token", LOG_SECRETS.requestHeader],
      ["cookie", cookie],
      ["authorization", `Bearer ${LOG_SECRETS.requestHeader}`],
    ];
    const n = 3;
    const expectations = [
      ["s-log-status", "status"],
      ["s-log-headers", "headers"],
      ["s-log-body", "body"],
    ] as const;
    const before = new Map<string, number>();
    for (const [rule, part] of expectations)
      before.set(rule, (await settledRuleStats(stack.envoy.adminUrl, rule))[`compare.mismatch.${part}`]!);
    for (let i = 0; i < n; i++) {
      await send(stack.envoy.url, { path: `/s/log/status/${i}`, headers: secretHeaders(`sec-log-status-${i}`) });
      await send(stack.envoy.url, { path: `/s/log/headers/${i}`, headers: secretHeaders(`sec-log-headers-${i}`) });
      await send(stack.envoy.url, {
        method: "POST",
        path: `/s/log/body/${i}`,
        headers: secretHeaders(`sec-log-body-${i}`),
        body: `payload=${LOG_SECRETS.requestBody}`,
      });
    }
    for (const [rule, part] of expectations) {
      const want = before.get(rule)! + n;
      await waitForRuleStats(
        stack.envoy.adminUrl,
        rule,
        (s) => s[`compare.mismatch.${part}`] === want && allCallsEnded(s),
        `${n} more mismatches of ${part}`,
      );
    }
    // The secrets really went through: the dark copies carried the request's header and body.
    const bodyCopy = stack.dark.requests.find((r) => r.path === "/s/log/body/0");
    assert.ok(bodyCopy !== undefined, "the dark side got the POST");
    assert.ok(bodyCopy.body.toString().includes(LOG_SECRETS.requestBody), "the copy carried the secret body");
    assert.deepEqual(headerValues(bodyCopy.rawHeaders, "x-api-token"), [LOG_SECRETS.requestHeader], "the copy carried the secret header");

    const lines = stack.envoy
      .logs()
      .split("\n")
      .filter((l) => l.includes("darklaunch: mismatch") && l.includes(" x-request-id=sec-log-"));
    for (const [rule, part] of expectations) {
      const ruleLines = lines.filter((l) => l.includes(`rule=${rule} `));
      assert.equal(ruleLines.length, n, `${rule}: one mismatch line per mismatch (mismatch_log_per_second 1000)`);
      for (const l of ruleLines) {
        assert.match(l, new RegExp(`part=${part} x-request-id=sec-log-${part}-\\d `));
        assert.match(l, /primary_body_hash=[0-9a-f]{16} dark_body_hash=[0-9a-f]{16}$/);
      }
    }
    const log = stack.envoy.logs();
    for (const [what, value] of Object.entries(LOG_SECRETS)) assert.ok(!log.includes(value), `${what} appears in Envoy's log`);
    // Fragments too: nothing of a secret's random part.
    for (const [what, value] of Object.entries(LOG_SECRETS))
      assert.ok(!log.includes(value.slice(-12)), `part of ${what} appears in Envoy's log`);
  });
});
