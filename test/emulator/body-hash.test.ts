// The body hashes in the mismatch log line are XXH64 (seed 0) of each side's whole body, however
// the body arrived in chunks: what `xxhsum -H64` prints for the same bytes (docs/operating.md).
import { test } from "node:test";
import assert from "node:assert/strict";
import { filterHost } from "../support/filter-host.ts";
import { xxh64Hex } from "../support/xxh64.ts";
import { Rng } from "./random.ts";
import { get } from "./scenarios.ts";

test("the test's reference XXH64 agrees with xxhsum -H64", () => {
  // printf '' | xxhsum -H64; printf 'abc' | xxhsum -H64; printf 'hello world' | xxhsum -H64
  assert.equal(xxh64Hex(""), "ef46db3751d8e999");
  assert.equal(xxh64Hex("abc"), "44bc2cf5ad770999");
  assert.equal(xxh64Hex("hello world"), "45ab6734b21e6968");
  // The byte pattern (i * 7 + 3) & 255 of assembly/__tests__/body_hash.spec.ts, same vectors.
  const pattern = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 255);
  const vectors: Array<[number, string]> = [
    [4, "9bb64b7d66ee9fda"],
    [12, "d52e407833af5133"],
    [31, "a2aa5f33cc4a6119"],
    [32, "23c3c17ef790fd97"],
    [33, "50a7cfc7ba588784"],
    [65, "a383b724b2bd12f1"],
    [1024, "e6816a6e134b7a33"],
    [4099, "6243e90ade852967"],
  ];
  for (const [n, hex] of vectors) assert.equal(xxh64Hex(pattern(n)), hex, `length ${n}`);
});

test("emulator: the logged body hashes are XXH64 of each whole body, whatever the chunks", async () => {
  const host = filterHost({ clusters: ["dark"] });
  await host.load();
  // Every mismatch logged: one line per second, and the test moves the clock a second each time.
  assert.ok(host.configure({ mismatch_log_per_second: 1, rules: [{ name: "h", dark: { cluster: "dark" } }] }));
  const rng = new Rng(20261126);
  for (let i = 0; i < 40; i++) {
    const primaryBody = rng.bytes(rng.int(0, 3000));
    const darkBody = Buffer.concat([primaryBody, Buffer.from([i])]);
    const s = host.stream();
    s.requestHeaders(get(`/h/${i}`, [["x-request-id", `hash-${i}`]]));
    s.responseHeaders([[":status", "200"]], primaryBody.length === 0);
    // The primary body in random chunks (empty ones included).
    for (let at = 0; at < primaryBody.length; ) {
      const next = Math.min(primaryBody.length, at + rng.int(0, 700));
      s.responseBody(primaryBody.subarray(at, next), next === primaryBody.length);
      at = next;
    }
    s.end();
    const [call] = host.pendingCalls();
    assert.ok(call, "a dark call");
    host.respond(call.token, { status: 200, body: darkBody });
    const line = host.logs.find((l) => l.message.includes(`x-request-id=hash-${i} `));
    assert.ok(line, `mismatch line for request ${i}`);
    const m = /primary_body_hash=([0-9a-f]{16}) dark_body_hash=([0-9a-f]{16})$/.exec(line.message);
    assert.deepEqual([m?.[1], m?.[2]], [xxh64Hex(primaryBody), xxh64Hex(darkBody)], `request ${i}`);
    host.advanceMs(1001);
  }
});
