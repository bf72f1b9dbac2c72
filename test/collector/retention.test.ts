// Retention: by count (--max-samples keeps the newest N) and by age (--keep), on the database
// itself with chosen arrival times, and in the running collector.

import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { SampleStore } from "../../tools/darklaunch/src/samples/store.js";
import { startCollector, tempDir } from "./collector-process.js";
import { getJson, postSample } from "./post.js";
import { sampleDoc } from "./samples.js";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test("the store deletes by arrival time and keeps the newest N, with their differences", (t) => {
  const store = SampleStore.open(join(tempDir(t), "samples.db"));
  t.after(() => store.close());
  const at = (ms: number, n: number, prefix: string) =>
    store.insert(
      Array.from({ length: n }, (_, i) => sampleDoc({ x_request_id: `${prefix}-${i}`, paths: ["total", `lines[${i}].qty`] })),
      ms,
      1_000,
    );
  at(1_000, 3, "old");
  at(5_000, 2, "mid");
  at(9_000, 4, "new");
  assert.equal(store.size, 9);
  assert.equal(store.deleteReceivedBefore(5_000), 3);
  assert.deepEqual(store.requestIds(), ["mid-0", "mid-1", "new-0", "new-1", "new-2", "new-3"]);
  assert.equal(store.deleteReceivedBefore(5_000), 0);
  // The differences of deleted samples go with them: total is counted once per remaining sample.
  assert.deepEqual(
    store.keyCounts("checkout").find((k) => k.key === "total"),
    { key: "total", dark: 6, noise: 0, example_id: 9, example_x_request_id: "new-3" },
  );
  // Count: inserting beyond the maximum drops the oldest in the same transaction.
  store.insert([sampleDoc({ x_request_id: "newest" })], 10_000, 4);
  assert.deepEqual(store.requestIds(), ["new-1", "new-2", "new-3", "newest"]);
  assert.equal(store.size, 4);
  assert.equal(store.keyCounts("checkout").find((k) => k.key === "total")?.dark, 4);
  assert.equal(store.keyCounts("checkout").find((k) => k.key === "lines[*].qty")?.dark, 3);

  // A reader (darklaunch diff --db) cannot change the file.
  const reader = SampleStore.open(store.file, { readonly: true });
  t.after(() => reader.close());
  assert.throws(() => reader.insert([sampleDoc()], 11_000, 10), /readonly|query_only|attempt to write/i);
  assert.throws(() => reader.deleteReceivedBefore(20_000), /readonly|query_only|attempt to write/i);
  assert.equal(reader.size, 4);
});

test("--max-samples: the collector keeps the newest N samples", async (t) => {
  const c = await startCollector(t, join(tempDir(t), "samples.db"), ["--max-samples", "50"]);
  for (let i = 0; i < 120; i++) {
    const res = await postSample(c.url, sampleDoc({ x_request_id: `n-${i}` }));
    assert.equal(res.status, 201);
  }
  assert.equal((await getJson(`${c.url}/api/info`)).body.samples, 50);
  const listed = (await getJson(`${c.url}/api/samples?limit=500`)).body.samples as { x_request_id: string }[];
  assert.deepEqual(
    listed.map((s) => s.x_request_id),
    Array.from({ length: 50 }, (_, i) => `n-${119 - i}`),
  );
  assert.equal(await c.stop(), 0);
});

test("--keep: samples older than the duration are deleted, younger ones stay", async (t) => {
  const c = await startCollector(t, join(tempDir(t), "samples.db"), ["--keep", "4s"]);
  for (let i = 0; i < 5; i++) assert.equal((await postSample(c.url, sampleDoc({ x_request_id: `early-${i}` }))).status, 201);
  await sleep(2_000);
  for (let i = 0; i < 3; i++) assert.equal((await postSample(c.url, sampleDoc({ x_request_id: `late-${i}` }))).status, 201);
  // The early ones go between 4 s and about 5 s after they came (the check runs every 1 s here);
  // the late ones are 2 s younger and must still be there at that moment.
  const deadline = Date.now() + 15_000;
  let ids: string[] = [];
  for (;;) {
    ids = ((await getJson(`${c.url}/api/samples?limit=500`)).body.samples as { x_request_id: string }[]).map((s) => s.x_request_id);
    if (!ids.some((id) => id.startsWith("early-")) || Date.now() > deadline) break;
    await sleep(100);
  }
  assert.deepEqual(ids, ["late-2", "late-1", "late-0"]);
  assert.match(c.output(), /retention: deleted [1-5] samples? older than --keep/);
  assert.equal(await c.stop(), 0);
});
