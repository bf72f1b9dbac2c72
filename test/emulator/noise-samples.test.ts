// The noise floor (contract §2.6) and mismatch samples (§2.7) through the compiled filter under
// the emulated host: the noise copy and its counters, the fourth invariant under failures, the
// sample document (checked against the collector's own JSON Schema), the header allow-list, the
// process-wide budget across rules, truncation, and memory with many pairs in flight.

import assert from "node:assert/strict";
import { test } from "node:test";
import type { ProxyWasmHost, HttpCall } from "proxy-wasm-host";
import { filterHost } from "../support/filter-host.ts";
import { validateSample, type SampleDocument } from "../../tools/darklaunch/src/samples/document.ts";
import { Rng } from "./random.ts";
import { assertInvariants, get, ruleStat } from "./scenarios.ts";

const SAMPLES = "wasmcustom.darklaunch.samples.";

async function hostWith(config: object, clusters = ["dark", "noise", "collector"]): Promise<ProxyWasmHost> {
  const host = filterHost({ clusters });
  await host.load();
  assert.equal(host.configure(config), true, host.logs.map((l) => l.message).join("\n"));
  return host;
}

/** A request to `path` whose primary answers `body` (JSON) with extra response headers. */
function request(
  host: ProxyWasmHost,
  path: string,
  body: string,
  extra: [string, string][] = [],
  requestExtra: [string, string][] = [],
): void {
  const s = host.stream();
  s.requestHeaders(get(path, [["x-request-id", `id-${path.split("?")[0]}`], ...requestExtra]));
  s.responseHeaders([[":status", "200"], ["content-type", "application/json"], ...extra]);
  s.responseBody(body);
  s.end();
}

function callsTo(host: ProxyWasmHost, cluster: string): HttpCall[] {
  return host.pendingCalls().filter((c) => c.cluster === cluster);
}

/** The sample documents sent so far (pending collector calls), each checked against the schema. */
function samplesSent(host: ProxyWasmHost): { call: HttpCall; doc: SampleDocument }[] {
  return callsTo(host, "collector").map((call) => {
    const header = (n: string) => call.headers.find(([k]) => k === n)?.[1];
    assert.equal(header(":method"), "POST");
    assert.equal(header(":path"), "/v1/samples");
    assert.equal(header("content-type"), "application/json");
    const v = validateSample(JSON.parse(call.body.toString("utf8")));
    assert.ok(v.ok, `sample document refused by the schema: ${v.ok ? "" : v.problems.join("; ")}\n${call.body}`);
    return { call, doc: v.doc };
  });
}

const NOISY_RULE = { name: "n", dark: { cluster: "dark" }, compare: { noise_cluster: "noise", body: { json: true } } };

test("emulator: the noise copy is the dark copy; its pair counts under noise.*, the dark pair as usual", async () => {
  const host = await hostWith({ rules: [NOISY_RULE] });
  request(host, "/a", '{"v":1,"ts":1}');
  const [dark] = callsTo(host, "dark");
  const [noise] = callsTo(host, "noise");
  assert.ok(dark && noise, "a dark and a noise call");
  assert.deepEqual(noise.headers, dark.headers);
  assert.deepEqual(noise.body, dark.body);
  assert.equal(noise.timeoutMs, dark.timeoutMs);
  host.respond(dark.token, { status: 200, headers: [["content-type", "application/json"]], body: '{"ts":1,"v":1}' });
  host.respond(noise.token, { status: 200, headers: [["content-type", "application/json"]], body: '{"v":1,"ts":2}' });
  host.tick();
  assert.equal(ruleStat(host, "n", "compare.match"), 1);
  assert.equal(ruleStat(host, "n", "noise.mismatch.body"), 1);
  assert.equal(ruleStat(host, "n", "in_flight"), 0);
  assertInvariants(host, "n", true, true);
});

test("emulator: a failing, timed-out or refused noise call makes only its noise pair incomplete", async () => {
  const host = await hostWith({ rules: [NOISY_RULE] }, ["dark", "noise"]);
  for (const how of ["fail", "timeout"] as const) {
    request(host, "/a", '{"v":1}');
    const [dark] = callsTo(host, "dark");
    const [noise] = callsTo(host, "noise");
    host[how](noise!.token);
    host.respond(dark!.token, { status: 200, body: '{"v":1}' });
  }
  host.tick();
  assert.equal(ruleStat(host, "n", "compare.match"), 2);
  assert.equal(ruleStat(host, "n", "noise.incomplete"), 2);
  assert.equal(ruleStat(host, "n", "dark.failed") + ruleStat(host, "n", "dark.timeout"), 0, "the noise side never counts as the dark side");
  assertInvariants(host, "n", true, true);

  // A noise cluster Envoy does not know: the dark pair goes on, the noise pair is incomplete, an error names the cluster.
  const refused = await hostWith({ rules: [{ ...NOISY_RULE, compare: { noise_cluster: "nowhere" } }] }, ["dark"]);
  request(refused, "/a", '{"v":1}');
  assert.equal(callsTo(refused, "dark").length, 1);
  refused.respond(callsTo(refused, "dark")[0]!.token, { status: 200, body: '{"v":1}' });
  refused.tick();
  assert.equal(ruleStat(refused, "n", "mirrored"), 1);
  assert.equal(ruleStat(refused, "n", "compare.match"), 1);
  assert.equal(ruleStat(refused, "n", "noise.incomplete"), 1);
  assert.ok(refused.logs.some((l) => /noise call to cluster "nowhere" refused by Envoy \(rule n\)/.test(l.message)));
  assertInvariants(refused, "n", true, true);
});

test("emulator: the fourth invariant holds whatever the dark and noise sides do (seeded)", async () => {
  // The breaker would stop mirroring after the first failures: keep it shut.
  const host = await hostWith({ rules: [{ ...NOISY_RULE, breaker: { min_calls: 1000000 } }] }, ["dark", "noise"]);
  const rng = new Rng(7);
  for (let i = 0; i < 2000; i++) {
    const s = host.stream();
    s.requestHeaders(get(`/r/${i}`));
    s.responseHeaders([[":status", "200"]]);
    const primaryEndsFirst = rng.chance(0.5);
    if (primaryEndsFirst) {
      s.responseBody('{"a":1}');
      s.end();
    }
    for (const call of host.pendingCalls()) {
      const r = rng.int(0, 3);
      if (r === 0) host.fail(call.token);
      else if (r === 1) host.timeout(call.token);
      else host.respond(call.token, { status: rng.pick([200, 500]), body: rng.pick(['{"a":1}', '{"a":2}', "not json"]) });
    }
    if (!primaryEndsFirst) {
      if (rng.chance(0.8)) s.responseBody('{"a":1}');
      s.end();
    }
  }
  host.tick();
  assertInvariants(host, "n", true, true);
  assert.equal(ruleStat(host, "n", "mirrored"), 2000);
});

test("emulator: a mismatch is sampled (schema-valid document); a match is not; the collector's answer counts", async () => {
  const host = await hostWith({
    samples: { cluster: "collector", per_second: 100, headers: ["content-type", "x-version"] },
    rules: [{ name: "s", dark: { cluster: "dark" }, compare: { body: { json: true } } }],
  });
  request(host, "/same?q=1", '{"a":1}');
  host.respond(callsTo(host, "dark")[0]!.token, { status: 200, body: '{"a":1}' });
  assert.equal(samplesSent(host).length, 0, "a match is not sampled");

  request(
    host,
    "/items/7?secret=token",
    '{"a":1,"b":[1,2]}',
    [
      ["x-version", "v1"],
      ["set-cookie", "sid=1"],
    ],
    [
      ["authorization", "Bearer t"],
      ["cookie", "c=1"],
    ],
  );
  host.respond(callsTo(host, "dark")[0]!.token, {
    status: 200,
    headers: [
      ["content-type", "application/json"],
      ["x-version", "v2"],
    ],
    body: '{"a":1,"b":[1,3]}',
  });
  const [sample] = samplesSent(host);
  assert.ok(sample, "a sample for the mismatch");
  const doc = sample.doc;
  assert.equal(doc.rule, "s");
  assert.equal(doc.method, "GET");
  assert.equal(doc.path, "/items/7", "the path without its query string");
  assert.equal(doc.x_request_id, "id-/items/7");
  assert.equal(doc.part, "body");
  assert.deepEqual(doc.paths, ["b[1]"]);
  assert.deepEqual(doc.primary.headers, { "content-type": "application/json", "x-version": "v1" });
  assert.deepEqual(doc.dark.headers, { "content-type": "application/json", "x-version": "v2" });
  assert.equal(doc.primary.body, '{"a":1,"b":[1,2]}');
  assert.equal(doc.dark.body, '{"a":1,"b":[1,3]}');
  assert.equal(doc.noise, null);
  const text = sample.call.body.toString("utf8");
  for (const secret of ["secret=token", "Bearer t", "c=1", "sid=1"]) assert.ok(!text.includes(secret), `${secret} must never be sent`);

  host.respond(sample.call.token, { status: 201, body: '{"id":1}' });
  host.tick();
  assert.equal(host.stat(`${SAMPLES}sent`), 1);
  request(host, "/x", '{"a":1}');
  host.respond(callsTo(host, "dark")[0]!.token, { status: 500, body: "oops" });
  host.respond(samplesSent(host)[0]!.call.token, { status: 500, body: "db down" });
  request(host, "/y", '{"a":1}');
  host.respond(callsTo(host, "dark")[0]!.token, { status: 503, body: "oops" });
  host.fail(samplesSent(host)[0]!.call.token);
  host.tick();
  assert.equal(host.stat(`${SAMPLES}failed`), 2);
  assert.equal(host.stat(`${SAMPLES}dropped`), 0);
});

test("emulator: one budget for all rules of the process; match_percent samples matches as a baseline", async () => {
  const host = await hostWith({
    samples: { cluster: "collector", per_second: 3, match_percent: 100 },
    rules: [
      { name: "a", match: { path_prefix: "/a" }, dark: { cluster: "dark" } },
      { name: "b", match: { path_prefix: "/b" }, dark: { cluster: "dark" } },
    ],
  });
  for (let i = 0; i < 10; i++) {
    request(host, i % 2 === 0 ? "/a" : "/b", "same");
    host.respond(callsTo(host, "dark")[0]!.token, { status: 200, body: "same" });
  }
  const sent = samplesSent(host);
  assert.equal(sent.length, 3, "a burst of per_second");
  assert.ok(sent.every((s) => s.doc.part === "match" && s.doc.paths.length === 0));
  host.tick();
  assert.equal(host.stat(`${SAMPLES}dropped`), 7);
  host.advanceMs(1000);
  request(host, "/b", "same");
  host.respond(callsTo(host, "dark")[0]!.token, { status: 200, body: "same" });
  assert.equal(samplesSent(host).length, 4, "the budget refills with time");
});

test("emulator: bodies are cut to max_body_bytes after decoding, marked truncated, and stay UTF-8", async () => {
  const host = await hostWith({
    samples: { cluster: "collector", per_second: 100, max_body_bytes: 10 },
    rules: [{ name: "t", dark: { cluster: "dark" } }],
  });
  request(host, "/t", "ééééééééé-primary");
  host.respond(callsTo(host, "dark")[0]!.token, { status: 200, body: Buffer.from([0xff, 0xfe, 0x00, 0x01]) });
  const [{ doc }] = samplesSent(host);
  assert.equal(doc.primary.truncated, true);
  assert.equal(doc.primary.body, "ééééé", "10 bytes of é, no half character");
  assert.equal(doc.primary.body_base64, false);
  assert.equal(doc.dark.truncated, false);
  assert.equal(doc.dark.body_base64, true);
  assert.deepEqual(Buffer.from(doc.dark.body, "base64"), Buffer.from([0xff, 0xfe, 0x00, 0x01]));
});

test("emulator: with a noise cluster, the sample carries the noise response and its own comparison", async () => {
  const host = await hostWith({ samples: { cluster: "collector", per_second: 100 }, rules: [NOISY_RULE] });
  request(host, "/n", '{"v":1,"ts":1}');
  host.respond(callsTo(host, "dark")[0]!.token, { status: 200, body: '{"v":2,"ts":1}' });
  assert.equal(samplesSent(host).length, 0, "the sample waits for the noise side");
  host.respond(callsTo(host, "noise")[0]!.token, { status: 200, body: '{"v":1,"ts":9}' });
  const [{ doc }] = samplesSent(host);
  assert.deepEqual(doc.paths, ["v"]);
  assert.ok(doc.noise !== null && doc.noise.part === "body");
  assert.deepEqual((doc.noise as { paths: string[] }).paths, ["ts"]);

  request(host, "/n2", '{"v":1}');
  host.respond(callsTo(host, "dark")[0]!.token, { status: 500, body: "x" });
  host.timeout(callsTo(host, "noise")[0]!.token);
  const second = samplesSent(host).at(-1)!.doc;
  assert.deepEqual(second.noise, { part: "incomplete" });
});

test("emulator: memory stays bounded with 10,000 sampled pairs in flight", async () => {
  /** Linear memory grown while 10,000 pairs wait for their dark answers, then the invariants. */
  async function heldFor(samples: object | null): Promise<number> {
    const host = await hostWith({
      ...(samples !== null ? { samples } : {}),
      rules: [{ name: "m", dark: { cluster: "dark" }, limits: { max_in_flight: 20000 } }],
    });
    const body = "x".repeat(4096);
    const before = host.memoryBytes;
    for (let i = 0; i < 10000; i++) request(host, `/m/${i}`, body);
    const held = host.memoryBytes - before;
    assert.equal(callsTo(host, "dark").length, 10000);
    for (const call of callsTo(host, "dark")) host.respond(call.token, { status: 200, body });
    host.tick();
    assertInvariants(host, "m");
    return held;
  }
  const without = await heldFor(null);
  const withSamples = await heldFor({ cluster: "collector", per_second: 1000, max_body_bytes: 1024 });
  // Each waiting pair keeps at most max_body_bytes of the primary's body for its sample (the dark
  // side has not answered yet), plus its bookkeeping objects (about 1.5 KiB with the allocator's
  // block headers and garbage not yet collected); the 4 KiB bodies are never kept whole.
  const perPair = (withSamples - without) / 10000;
  assert.ok(perPair <= 1024 + 2048, `samples cost ${perPair.toFixed(0)} bytes per pair in flight (without: ${without} bytes in all)`);
});

test("emulator: no value at a redacted path ever reaches a sent document (seeded, 1,000 samples)", async () => {
  const host = await hostWith({
    samples: { cluster: "collector", per_second: 1000, max_body_bytes: 65536, redact: ["password", "**.email", "items[*].card"] },
    rules: [{ name: "r", dark: { cluster: "dark" }, limits: { max_in_flight: 100000 } }],
  });
  const rng = new Rng(42);
  const secret = (): unknown => {
    const s = `SECRET-${rng.ascii(8)}`;
    return rng.pick([s, { inner: s, n: [1, s] }, [s, s], `${s}\n\u00e9`]);
  };
  const plain = (depth: number): unknown => {
    if (depth > 3 || rng.chance(0.4)) return rng.pick([1, "text", null, true, 2.5]);
    const out: Record<string, unknown> = {};
    for (let k = 0; k < rng.int(1, 4); k++)
      out[rng.pick(["a", "b", "meta", "user", "email", "list"])] = rng.chance(0.3) ? secretIfEmail(depth) : plain(depth + 1);
    return out;
  };
  const secretIfEmail = (depth: number): unknown => (rng.chance(0.5) ? { email: secret(), other: plain(depth + 1) } : plain(depth + 1));
  let sent = 0;
  for (let i = 0; i < 1000; i++) {
    const doc = {
      password: secret(),
      user: { email: secret(), name: "n" },
      items: [{ card: secret(), sku: "a" }, { card: secret() }],
      extra: plain(0),
    };
    const text = rng.chance(0.5) ? JSON.stringify(doc) : JSON.stringify(doc, null, rng.int(1, 3));
    const s = host.stream();
    s.requestHeaders(get(`/r/${i}`));
    s.responseHeaders([
      [":status", "200"],
      ["content-type", "application/json"],
    ]);
    // Random chunks, split anywhere (inside a secret too).
    const bytes = Buffer.from(text);
    let at = 0;
    while (at < bytes.length) {
      const n = rng.int(1, 64);
      s.responseBody(bytes.subarray(at, at + n), at + n >= bytes.length);
      at += n;
    }
    s.end();
    const [dark] = callsTo(host, "dark");
    host.respond(dark!.token, { status: 200, body: JSON.stringify({ ...doc, changed: i }) });
    for (const { call, doc: sample } of samplesSent(host)) {
      const body = call.body.toString("utf8");
      assert.ok(!body.includes("SECRET"), `a redacted value was sent:\n${body}`);
      assert.equal(sample.primary.redacted, true);
      assert.equal(sample.dark.redacted, true);
      host.respond(call.token, { status: 201, body: "{}" });
      sent++;
    }
  }
  assert.equal(sent, 1000);
  host.tick();
  assert.equal(host.stat(`${SAMPLES}sent`), 1000);
});
