// Fuzzing the compiled filter through the emulated host: 10,000 configurations and 10,000
// request/response sequences. The filter must never trap, must keep its memory bounded, must
// accept or refuse each configuration with path-named messages, and must keep the invariants.
// Every case is replayable from its seed; seeds that once failed are kept in fuzz-regressions.json.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import type { ProxyWasmHost, Headers, Stream } from "proxy-wasm-host";
import { filterHost } from "../support/filter-host.ts";
import { Rng } from "./random.ts";
import { garbageConfig, nearValidConfig, oddHeaderName, oddHeaderValue, validConfig } from "./fuzz-gen.ts";
import { assertInvariants } from "./scenarios.ts";

const CONFIG_CASES = Number(process.env.FUZZ_CONFIG_CASES ?? 10_000);
const REQUEST_CASES = Number(process.env.FUZZ_REQUEST_CASES ?? 10_000);
const BASE_SEED = Number(process.env.FUZZ_SEED ?? 20261126);
const regressions = JSON.parse(readFileSync(new URL("./fuzz-regressions.json", import.meta.url), "utf8")) as {
  configSeeds: number[];
  requestSeeds: number[];
};
const MEMORY_CAP = 256 * 1024 * 1024;
const PROBLEM = /^(\(root\)|[A-Za-z_["][^:]*): \S/;

function checkConfig(host: ProxyWasmHost, seed: number): "accepted" | "refused" {
  const r = new Rng(seed);
  const kind = r.int(0, 2);
  const input = kind === 0 ? JSON.stringify(validConfig(r)) : kind === 1 ? JSON.stringify(nearValidConfig(r)) : garbageConfig(r);
  const before = host.logs.length;
  const accepted = host.configure(input);
  const lines = host.logs.slice(before).map((l) => l.message);
  if (kind === 0) assert.equal(accepted, true, `seed ${seed}: a valid configuration was refused: ${lines.join("\n")}`);
  if (accepted) {
    assert.ok(!lines.some((l) => l.includes("invalid configuration")), `seed ${seed}: accepted but logged a problem`);
    return "accepted";
  }
  const refusal = lines.find((l) => l.startsWith("darklaunch: invalid configuration: "));
  assert.ok(refusal, `seed ${seed}: refused without the invalid-configuration line: ${lines.join("\n")}`);
  const problems = refusal.slice("darklaunch: invalid configuration: ".length);
  assert.match(problems, PROBLEM, `seed ${seed}: the first problem is not path-named: ${problems.slice(0, 200)}`);
  assert.ok(refusal.length < 20_000, `seed ${seed}: the refusal line is ${refusal.length} chars long`);
  return "refused";
}

test(`fuzz: ${CONFIG_CASES} configurations are each accepted or refused with path-named problems, without a trap`, async () => {
  let host = filterHost({ clusters: ["dark", "dark2"] });
  await host.load();
  const counts = { accepted: 0, refused: 0 };
  const seeds = [...regressions.configSeeds, ...Array.from({ length: CONFIG_CASES }, (_, i) => BASE_SEED + i)];
  for (const seed of seeds) {
    counts[checkConfig(host, seed)]++;
    assert.ok(host.memoryBytes <= MEMORY_CAP, `seed ${seed}: module memory grew to ${host.memoryBytes} bytes`);
    // The host keeps every log line; start afresh now and then so only the module is measured.
    if (host.logs.length > 5000) host.logs.length = 0;
  }
  assert.ok(counts.accepted > CONFIG_CASES / 5, `enough accepted cases (${counts.accepted})`);
  assert.ok(counts.refused > CONFIG_CASES / 5, `enough refused cases (${counts.refused})`);
  console.log(`config fuzz: ${JSON.stringify(counts)} memory=${host.memoryBytes}`);
  host = undefined as unknown as ProxyWasmHost;
});

const FUZZ_RULES = {
  mismatch_log_per_second: 5,
  rules: [
    {
      name: "sticky",
      match: { path_prefix: "/s" },
      sample: { percent: 50, by: "header:x-user" },
      dark: { cluster: "dark", max_body_bytes: 4096 },
      compare: { headers: ["content-type"] },
    },
    {
      name: "cookie",
      match: { path_prefix: "/c" },
      methods: ["GET", "POST", "PUT"],
      sample: { percent: 70, by: "cookie:session" },
      dark: { cluster: "dark", max_body_bytes: 100000, remove_headers: ["authorization"] },
    },
    {
      name: "limited",
      match: { path_prefix: "/l" },
      methods: ["GET", "POST"],
      dark: { cluster: "dark", max_body_bytes: 0 },
      limits: { max_in_flight: 3, max_per_second: 20 },
      breaker: { min_calls: 5, failure_ratio: 0.5, window_ms: 1000, open_ms: 500 },
    },
    { name: "gone", match: { path_prefix: "/g" }, dark: { cluster: "missing" }, compare: { status: true, body: false } },
    {
      name: "all",
      methods: ["GET", "HEAD", "POST", "DELETE"],
      dark: { cluster: "dark2", set_headers: { "x-env": "dark" } },
      compare: { status: false, headers: [], body: false },
    },
  ],
};
const RULE_NAMES = FUZZ_RULES.rules.map((r) => r.name);

function requestHeaders(r: Rng): Headers {
  const headers: Headers = [
    [":method", r.pick(["GET", "POST", "PUT", "HEAD", "DELETE", "get", "BREW"])],
    [":path", r.pick(["/s", "/c", "/l", "/g", "/x"]) + r.pick(["", "/a?q=1", `/${"p".repeat(r.int(0, 3000))}`])],
    [":scheme", "http"],
  ];
  if (r.chance(0.95)) headers.push([":authority", r.pick(["shop", "shop:8080", "[::1]:80", ""])]);
  const extra = r.int(0, 25);
  for (let i = 0; i < extra; i++) headers.push([oddHeaderName(r), oddHeaderValue(r)]);
  return headers;
}

function bodyChunks(r: Rng): Buffer[] {
  const n = r.int(0, 4);
  return Array.from({ length: n }, () => r.bytes(r.pick([0, 1, 100, 4095, 4096, 30000, 120000])));
}

interface Live {
  stream: Stream;
  steps: Array<() => void>;
}

function plan(host: ProxyWasmHost, r: Rng): Live {
  const stream = host.stream();
  const steps: Array<() => void> = [];
  const body = bodyChunks(r);
  const early = r.chance(0.15); // the stream ends before it is complete
  const cut = early ? r.int(0, body.length + 2) : Infinity;
  const requestSteps: Array<() => void> = [() => stream.requestHeaders(requestHeaders(r), body.length === 0 && !r.chance(0.1))];
  for (const [i, chunk] of body.entries()) requestSteps.push(() => stream.requestBody(chunk, i === body.length - 1));
  if (body.length && r.chance(0.1)) requestSteps.push(() => stream.requestTrailers([["x-t", "1"]]));
  const respBody = bodyChunks(r);
  const responseSteps: Array<() => void> = [
    () =>
      stream.responseHeaders(
        [
          [":status", String(r.pick([200, 201, 204, 301, 404, 500, 503, 99, 999]))],
          ["content-type", r.pick(["text/plain", "application/json"])],
        ],
        respBody.length === 0,
      ),
  ];
  for (const [i, chunk] of respBody.entries()) responseSteps.push(() => stream.responseBody(chunk, i === respBody.length - 1));
  // Responses may start before the request is complete (early answers).
  const all = r.chance(0.1) ? [requestSteps[0], ...responseSteps, ...requestSteps.slice(1)] : [...requestSteps, ...responseSteps];
  for (const s of all.slice(0, cut)) steps.push(s);
  steps.push(() => stream.end());
  return { stream, steps };
}

function answerSomeCalls(host: ProxyWasmHost, r: Rng, all = false): void {
  for (const call of host.pendingCalls()) {
    if (!all && r.chance(0.5)) continue;
    const body = r.pick([Buffer.alloc(0), Buffer.from("ok"), r.bytes(r.int(0, 200000))]);
    switch (r.int(0, 5)) {
      case 0:
        host.fail(call.token);
        break;
      case 1:
        host.timeout(call.token);
        break;
      case 2:
        host.respond(call.token, { status: 503, fromUpstream: false, body: "upstream connect error" });
        break;
      default:
        host.respond(call.token, { status: r.pick([200, 200, 302, 404, 500, 0, 1000]), headers: [["content-type", "text/plain"]], body });
    }
  }
}

function runSequence(host: ProxyWasmHost, seed: number): void {
  const r = new Rng(seed);
  const live = Array.from({ length: r.int(1, 4) }, () => plan(host, r));
  while (live.some((l) => l.steps.length)) {
    const l = r.pick(live.filter((x) => x.steps.length));
    l.steps.shift()!();
    if (r.chance(0.3)) answerSomeCalls(host, r);
    if (r.chance(0.2)) host.advanceMs(r.int(0, 700));
  }
  answerSomeCalls(host, r, true);
}

test(`fuzz: ${REQUEST_CASES} request/response sequences keep the invariants, without a trap, in bounded memory`, async () => {
  const host = filterHost({ clusters: ["dark", "dark2"], properties: { "xds.route_name": "main" } });
  await host.load();
  assert.equal(host.configure(FUZZ_RULES), true, host.logs.map((l) => l.message).join("\n"));
  const seeds = [...regressions.requestSeeds, ...Array.from({ length: REQUEST_CASES }, (_, i) => BASE_SEED + i)];
  let warmMemory = 0;
  seeds.forEach((seed, i) => {
    try {
      runSequence(host, seed);
      host.tick();
      for (const rule of RULE_NAMES) assertInvariants(host, rule, rule !== "all");
    } catch (e) {
      throw new Error(`request fuzz seed ${seed}: ${(e as Error).message}`);
    }
    if (i === Math.floor(seeds.length / 5)) warmMemory = host.memoryBytes;
    if (host.logs.length > 5000) host.logs.length = 0;
  });
  assert.ok(host.memoryBytes <= MEMORY_CAP, `module memory ${host.memoryBytes}`);
  assert.ok(host.memoryBytes <= warmMemory * 1.1 + 1024 * 1024, `memory grew from ${warmMemory} (20%) to ${host.memoryBytes} (100%)`);
  const mirrored = RULE_NAMES.reduce((a, r) => a + host.stat(`wasmcustom.darklaunch.${r}.mirrored`), 0);
  const requests = RULE_NAMES.reduce((a, r) => a + host.stat(`wasmcustom.darklaunch.${r}.requests`), 0);
  assert.ok(mirrored > requests / 20, `the sequences exercised mirroring (${mirrored} copies of ${requests} requests)`);
  console.log(`request fuzz: requests=${requests} mirrored=${mirrored} memory=${host.memoryBytes} (at 20%: ${warmMemory})`);
});
