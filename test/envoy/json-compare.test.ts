// Body comparison as JSON values (contract §2.3) and content decoding (§2.4) in the real Envoy:
// volatile fields ignored, member order and whitespace irrelevant, real changes named by their
// JSON path in the mismatch log line, bodies that are not JSON compared as bytes, gzip and
// deflate decoded before comparing (the client still gets the primary's bytes untouched), other
// encodings compared as received.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from "node:zlib";
import { after, before, describe, test } from "node:test";
import { send } from "../support/client.js";
import { prefixRule, startStack, type Stack } from "../support/stack.js";
import { assertInvariants, nonZero, type RuleStats } from "../support/stats.js";

const ORDER = {
  id: 42,
  status: "paid",
  items: [
    { sku: "a", price: 10 },
    { sku: "b", price: 2.5 },
  ],
  meta: { version: 3 },
};

/** The same order as another instance would serialise it: its own ids and times, members reordered, pretty-printed. */
function volatileOrder(): string {
  return JSON.stringify(
    { updated_at: new Date().toISOString(), ...ORDER, meta: { request_id: randomUUID(), version: 3 }, uuid: randomUUID() },
    null,
    2,
  );
}

const REORDERED =
  '{ "meta": {"version": 3.0}, "items": [ {"price": 1e1, "sku": "a"}, {"sku": "\\u0062", "price": 25E-1} ], "status": "paid", "id": 42 }';
const CHANGED_PRICE = JSON.stringify({
  ...ORDER,
  items: [
    { sku: "a", price: 10 },
    { sku: "b", price: 3 },
  ],
});
const JSON_TYPE = { "content-type": "application/json" };
const TEXT = "the same text in every encoding, repeated to give the compressor something to do. ".repeat(40);

const PRIMARY = {
  "/j/volatile": () => ({ body: volatileOrder(), headers: JSON_TYPE }),
  "/j/": { body: JSON.stringify(ORDER), headers: JSON_TYPE },
  "/e/": { body: TEXT },
  "/e/gzip-vs-identity": { body: gzipSync(TEXT), headers: { "content-encoding": "gzip" } },
  "/e/levels": { body: gzipSync(TEXT, { level: 1 }), headers: { "content-encoding": "gzip" } },
  "/e/deflate": { body: deflateSync(TEXT), headers: { "content-encoding": "deflate" } },
  "/e/br": { body: brotliCompressSync(TEXT), headers: { "content-encoding": "br" } },
  "/e/json-gzip": { body: gzipSync(JSON.stringify(ORDER)), headers: { ...JSON_TYPE, "content-encoding": "gzip" } },
};
const DARK = {
  "/j/volatile": () => ({ body: volatileOrder(), headers: JSON_TYPE }),
  "/j/reordered": { body: REORDERED, headers: JSON_TYPE },
  "/j/changed": { body: CHANGED_PRICE, headers: JSON_TYPE },
  "/j/html": { body: "<html><body>oops</body></html>", headers: { "content-type": "text/html" } },
  "/j/same": { body: JSON.stringify(ORDER), headers: JSON_TYPE },
  "/e/gzip-vs-identity": { body: TEXT },
  "/e/levels": { body: gzipSync(TEXT, { level: 9 }), headers: { "content-encoding": "gzip" } },
  "/e/deflate": { body: deflateRawSync(TEXT), headers: { "content-encoding": "deflate" } },
  "/e/br": { body: TEXT },
  // The stream without its last 6 bytes (part of the CRC-32 and ISIZE trailer).
  "/e/truncated": { body: gzipSync(TEXT).subarray(0, -6), headers: { "content-encoding": "gzip" } },
  "/e/nodecode": { body: gzipSync(TEXT), headers: { "content-encoding": "gzip" } },
  "/e/json-gzip": { body: JSON.stringify(ORDER, null, 1) },
};

const JSON_BODY = { body: { json: true, ignore: ["uuid", "updated_at", "meta.request_id"] } };

describe("JSON comparison and content decoding", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      primaryScripts: PRIMARY,
      darkScripts: DARK,
      filterConfig: {
        mismatch_log_per_second: 100,
        rules: [
          // Rules are tried in order: the longer prefix first.
          prefixRule("j-volatile-bytes", "/j/volatile-bytes"),
          prefixRule("j-volatile", "/j/volatile", { compare: JSON_BODY }),
          prefixRule("j-reordered", "/j/reordered", { compare: JSON_BODY }),
          prefixRule("j-changed", "/j/changed", { compare: JSON_BODY }),
          prefixRule("j-html", "/j/html", { compare: JSON_BODY }),
          prefixRule("j-same", "/j/same", { compare: JSON_BODY }),
          prefixRule("e-gzip", "/e/gzip-vs-identity"),
          prefixRule("e-levels", "/e/levels"),
          prefixRule("e-deflate", "/e/deflate"),
          prefixRule("e-br", "/e/br"),
          prefixRule("e-broken", "/e/truncated"),
          prefixRule("e-nodecode", "/e/nodecode", { compare: { body: { decode: false } } }),
          prefixRule("e-json-gzip", "/e/json-gzip", { compare: JSON_BODY }),
        ],
      },
    });
    // j-volatile-bytes compares the volatile bodies byte for byte: the scripts of /j/volatile
    // serve both paths (the upstreams pick the longest matching prefix).
  });
  after(() => stack?.stop());

  /** Sends `n` GETs to `path`, then waits for the rule's invariants and returns its non-zero counters. */
  async function run(rule: string, path: string, n = 3): Promise<RuleStats> {
    for (let i = 0; i < n; i++) assert.equal((await send(stack.envoy.url, { path })).status, 200);
    return nonZero(await assertInvariants(stack.envoy.adminUrl, rule));
  }

  const counted = (n: number, rest: RuleStats): RuleStats => ({
    requests: n,
    mirrored: n,
    "dark.status.2xx": n,
    "primary.status.2xx": n,
    ...rest,
  });

  test("two instances differing only in ignored volatile fields (and member order, whitespace): match", async () => {
    assert.deepEqual(await run("j-volatile", "/j/volatile"), counted(3, { "compare.match": 3 }));
  });

  test("the same volatile bodies compared as bytes: every pair a body mismatch", async () => {
    assert.deepEqual(await run("j-volatile-bytes", "/j/volatile-bytes"), counted(3, { "compare.mismatch.body": 3 }));
  });

  test("member order, pretty-printing, escapes and number spellings: match", async () => {
    assert.deepEqual(await run("j-reordered", "/j/reordered"), counted(3, { "compare.match": 3 }));
  });

  test("a real change in a field that is not ignored: mismatch.body, and the log line names its path", async () => {
    assert.deepEqual(await run("j-changed", "/j/changed", 1), counted(1, { "compare.mismatch.body": 1 }));
    const line = await stack.envoy.waitForLog(/darklaunch: mismatch rule=j-changed /);
    assert.match(line, / part=body /);
    assert.match(line, / paths=items\[1\]\.price$/);
    assert.ok(!line.includes("2.5") && !line.includes('"3"'), "values never appear in the log line");
  });

  test("a body that is not JSON: compared as bytes and counted in json_invalid", async () => {
    assert.deepEqual(await run("j-html", "/j/html", 2), counted(2, { "compare.mismatch.body": 2, "compare.json_invalid": 2 }));
  });

  test("the same JSON on both sides: match, nothing invalid", async () => {
    assert.deepEqual(await run("j-same", "/j/same", 2), counted(2, { "compare.match": 2 }));
  });

  test("gzip on one side, identity on the other: match; the client gets the primary's gzip bytes untouched", async () => {
    const res = await send(stack.envoy.url, { path: "/e/gzip-vs-identity", headers: [["accept-encoding", "gzip"]] });
    assert.deepEqual(res.body, PRIMARY["/e/gzip-vs-identity"].body);
    assert.deepEqual(await run("e-gzip", "/e/gzip-vs-identity", 2), counted(3, { "compare.match": 3 }));
  });

  test("gzip level 1 against level 9: match", async () => {
    assert.deepEqual(await run("e-levels", "/e/levels"), counted(3, { "compare.match": 3 }));
  });

  test("deflate zlib-wrapped against raw deflate: match", async () => {
    assert.deepEqual(await run("e-deflate", "/e/deflate"), counted(3, { "compare.match": 3 }));
  });

  test("br is compared as received: a mismatch against identity, counted in undecoded", async () => {
    assert.deepEqual(await run("e-br", "/e/br", 2), counted(2, { "compare.mismatch.body": 2, "compare.undecoded": 2 }));
  });

  test("a gzip body that fails to decompress: compared as received, counted in undecoded", async () => {
    assert.deepEqual(await run("e-broken", "/e/truncated", 2), counted(2, { "compare.mismatch.body": 2, "compare.undecoded": 2 }));
  });

  test("decode: false compares the bytes as received and counts nothing undecoded", async () => {
    assert.deepEqual(await run("e-nodecode", "/e/nodecode", 2), counted(2, { "compare.mismatch.body": 2 }));
  });

  test("JSON mode on a gzip body against an identity pretty-printed one: match", async () => {
    assert.deepEqual(await run("e-json-gzip", "/e/json-gzip"), counted(3, { "compare.match": 3 }));
  });
});
