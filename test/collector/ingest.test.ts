// darklaunch collect as a real process: what it refuses (with a 4xx and a reason, storing
// nothing), the bearer token, the 1 MiB limit, and 10,000 samples posted at once all stored.

import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { Agent } from "node:http";
import { join } from "node:path";
import { test } from "node:test";
import { SampleStore } from "../../tools/darklaunch/src/samples/store.js";
import { cliProcess } from "../cli/helpers.js";
import { startCollector, tempDir, type RunningCollector } from "./collector-process.js";
import { getJson, post, postSample } from "./post.js";
import { response, sampleDoc } from "./samples.js";

const MIB = 1024 * 1024;

async function storedCount(c: RunningCollector): Promise<number> {
  const info = await getJson(`${c.url}/api/info`);
  return info.body.samples as number;
}

/** The stored x-request-ids, read from the database file after the collector has stopped. */
function storedIds(db: string): (string | null)[] {
  const store = SampleStore.open(db, { readonly: true });
  try {
    return store.requestIds();
  } finally {
    store.close();
  }
}

/** A valid document whose JSON text is exactly `bytes` long (padding in the dark body). */
function documentOfSize(bytes: number, requestId = "sized"): string {
  const doc = sampleDoc({ x_request_id: requestId, dark: response("") });
  const base = JSON.stringify(doc).length;
  doc.dark.body = "x".repeat(bytes - base);
  const text = JSON.stringify(doc);
  assert.equal(Buffer.byteLength(text), bytes);
  return text;
}

test("bad input gets a 4xx with a reason, and nothing is stored", async (t) => {
  const c = await startCollector(t, join(tempDir(t), "samples.db"));
  const url = `${c.url}/v1/samples`;
  const valid = sampleDoc();

  const cases: { name: string; send: () => ReturnType<typeof post>; status: number; reason: RegExp; problem?: RegExp }[] = [
    { name: "not JSON", send: () => post(url, '{"version": 1, "rule":'), status: 400, reason: /^not JSON/ },
    {
      name: "JSON but not an object",
      send: () => post(url, "[1, 2]"),
      status: 422,
      reason: /not a sample document/,
      problem: /^\(document\): must be object$/,
    },
    {
      name: "wrong shape",
      send: () => postSample(c.url, { ...valid, part: "everything", request_headers: { cookie: "x" } }),
      status: 422,
      reason: /not a sample document/,
      problem: /^request_headers: unknown field$/,
    },
    {
      name: "a query string in the path",
      send: () => postSample(c.url, { ...valid, path: "/api/cart?user=42" }),
      status: 422,
      reason: /not a sample document/,
      problem: /^path: must start with \/ \(or be \*\) and carry no query string$/,
    },
    {
      name: "over 1 MiB (content-length)",
      send: () => post(url, documentOfSize(MIB + 1)),
      status: 413,
      reason: /over the limit of 1048576 bytes/,
    },
    {
      name: "over 1 MiB (chunked)",
      send: () => post(url, documentOfSize(MIB + 100), { chunked: true }),
      status: 413,
      reason: /over the limit of 1048576 bytes/,
    },
    {
      name: "not application/json",
      send: () => post(url, JSON.stringify(valid), { headers: { "content-type": "text/plain" } }),
      status: 415,
      reason: /content-type must be application\/json/,
    },
    { name: "GET on /v1/samples", send: () => post(url, "", { method: "GET" }), status: 405, reason: /GET is not allowed here/ },
  ];
  for (const k of cases) {
    const res = await k.send();
    assert.equal(res.status, k.status, `${k.name}: ${JSON.stringify(res.body)}`);
    assert.match(String(res.body.error), k.reason, k.name);
    if (k.problem !== undefined) {
      const problems = res.body.problems as string[];
      assert.ok(
        problems.some((p) => k.problem!.test(p)),
        `${k.name}: ${JSON.stringify(problems)}`,
      );
    }
  }
  const shape = await postSample(c.url, { ...valid, part: "everything" });
  assert.deepEqual(shape.body.problems, ['part: must be one of "status", "headers", "body", "match"']);
  assert.equal(await storedCount(c), 0);

  // The limit is 1 MiB: a document of exactly 1,048,576 bytes is taken.
  const atLimit = await post(url, documentOfSize(MIB, "at-the-limit"));
  assert.equal(atLimit.status, 201, JSON.stringify(atLimit.body));
  assert.equal(await storedCount(c), 1);

  assert.equal(await c.stop(), 0);
  assert.deepEqual(storedIds(c.db), ["at-the-limit"]);
  assert.match(c.output(), /refused a sample: 400 not JSON/);
});

test("with --token-file, samples need the bearer token: missing or wrong → 401, nothing stored", async (t) => {
  const dir = tempDir(t);
  const tokenFile = join(dir, "token");
  writeFileSync(tokenFile, "s3cret-token\n");
  const c = await startCollector(t, join(dir, "samples.db"), ["--token-file", tokenFile]);
  const doc = sampleDoc({ x_request_id: "with-token" });

  const missing = await postSample(c.url, doc);
  assert.equal(missing.status, 401);
  assert.match(String(missing.body.error), /missing bearer token/);
  assert.equal(missing.headers["www-authenticate"], 'Bearer realm="darklaunch"');
  const wrong = await postSample(c.url, doc, { headers: { authorization: "Bearer s3cret-tokem" } });
  assert.equal(wrong.status, 401);
  assert.match(String(wrong.body.error), /wrong bearer token/);
  const basic = await postSample(c.url, doc, { headers: { authorization: "Basic czNjcmV0LXRva2Vu" } });
  assert.equal(basic.status, 401);
  assert.equal(await storedCount(c), 0);

  const right = await postSample(c.url, doc, { headers: { authorization: "Bearer s3cret-token" } });
  assert.equal(right.status, 201, JSON.stringify(right.body));
  assert.equal(await c.stop(), 0);
  assert.deepEqual(storedIds(c.db), ["with-token"]);
});

test("collect refuses unusable flags with exit code 2", async (t) => {
  const dir = tempDir(t);
  const empty = join(dir, "empty-token");
  writeFileSync(empty, "\n");
  const cases: [string[], RegExp][] = [
    [["--token-file", empty], /--token-file .* must hold one token/],
    [["--token-file", join(dir, "absent")], /cannot read --token-file .*ENOENT/],
    [["--keep", "7days"], /--keep must be a duration/],
    [["--max-samples", "0"], /--max-samples must be a whole number > 0/],
    [["--listen", "localhost"], /--listen must be HOST:PORT/],
  ];
  for (const [args, message] of cases) {
    const run = await cliProcess(["collect", "--db", join(dir, "x.db"), ...args]);
    assert.equal(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
    assert.match(run.stderr, message);
  }
});

test("10,000 samples posted concurrently are all stored", async (t) => {
  const c = await startCollector(t, join(tempDir(t), "samples.db"));
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  t.after(() => agent.destroy());
  const ids = Array.from({ length: 10_000 }, (_, i) => `concurrent-${i}`);
  const results = await Promise.all(
    ids.map((id, i) => postSample(c.url, sampleDoc({ x_request_id: id, rule: `rule-${i % 7}` }), { agent })),
  );
  const statuses = new Map<number, number>();
  for (const r of results) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
  assert.deepEqual([...statuses], [[201, 10_000]]);
  const sampleIds = new Set(results.map((r) => r.body.id));
  assert.equal(sampleIds.size, 10_000, "every sample got its own id");
  assert.equal(await storedCount(c), 10_000);

  assert.equal(await c.stop(), 0);
  const stored = storedIds(c.db);
  assert.equal(stored.length, 10_000);
  assert.deepEqual(new Set(stored), new Set(ids));
});
