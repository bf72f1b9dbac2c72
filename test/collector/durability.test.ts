// Nothing acknowledged is lost: samples are posted continuously while the collector is stopped
// with SIGTERM (graceful) or killed with SIGKILL (a crash); afterwards every sample that got its
// 201 is in the database file.

import assert from "node:assert/strict";
import { existsSync, statSync } from "node:fs";
import { Agent } from "node:http";
import { join } from "node:path";
import { test } from "node:test";
import { SampleStore } from "../../tools/darklaunch/src/samples/store.js";
import { startCollector, tempDir, type RunningCollector } from "./collector-process.js";
import { postSample } from "./post.js";
import { sampleDoc } from "./samples.js";

interface Outcome {
  acknowledged: string[];
  refused: number;
  failed: number;
}

/**
 * Posts samples `concurrency` at a time until `stopAfterAcks` have been acknowledged, then calls
 * `interrupt` and keeps posting until every worker has hit an error (the collector is gone).
 */
async function postThrough(c: RunningCollector, stopAfterAcks: number, interrupt: () => void, prefix = "durable"): Promise<Outcome> {
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  const outcome: Outcome = { acknowledged: [], refused: 0, failed: 0 };
  let next = 0;
  let interrupted = false;
  const gone = (): boolean => c.child.exitCode !== null || c.child.signalCode !== null;
  const worker = async (): Promise<void> => {
    // Bounded: 20,000 samples at most; after the interruption a worker stops at its first
    // failure (the collector is gone) or once the process has exited.
    while (next < 20_000 && !(interrupted && gone())) {
      const id = `${prefix}-${next++}`;
      try {
        const res = await postSample(c.url, sampleDoc({ x_request_id: id }), { agent });
        if (res.status === 201) outcome.acknowledged.push(id);
        else outcome.refused++;
      } catch {
        outcome.failed++;
        if (interrupted) return;
      }
      if (!interrupted && outcome.acknowledged.length >= stopAfterAcks) {
        interrupted = true;
        // A little later, not right on an acknowledgement: the signal lands at a moment unrelated
        // to any one sample's commit.
        setTimeout(interrupt, 3 + Math.random() * 10);
      }
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  agent.destroy();
  return outcome;
}

function storedIds(db: string): Set<string | null> {
  // Opened for writing, as a restarted collector would: after a crash SQLite replays the WAL.
  const store = SampleStore.open(db);
  try {
    return new Set(store.requestIds());
  } finally {
    store.close();
  }
}

test("SIGTERM while samples arrive: the collector stops cleanly and loses nothing it acknowledged", async (t) => {
  const c = await startCollector(t, join(tempDir(t), "samples.db"));
  let exit: Promise<number | string> | null = null;
  const outcome = await postThrough(c, 1500, () => (exit = c.stop("SIGTERM")));
  assert.ok(exit !== null, "SIGTERM was sent");
  assert.equal(await exit, 0, c.output());
  assert.ok(outcome.acknowledged.length >= 1500, `acknowledged ${outcome.acknowledged.length}`);
  const stored = storedIds(c.db);
  const lost = outcome.acknowledged.filter((id) => !stored.has(id));
  assert.deepEqual(lost, [], `${lost.length} acknowledged samples missing of ${outcome.acknowledged.length}`);
  assert.match(c.output(), /stopping: finishing the requests in hand/);
  assert.match(c.output(), /stopped; .*samples\.db closed/);
});

test("kill -9 while samples arrive, four times over: everything acknowledged is in the database (write-ahead log)", async (t) => {
  const db = join(tempDir(t), "samples.db");
  const acknowledged: string[] = [];
  let cutOff = 0;
  // Each round restarts the collector on the same file (SQLite replays the WAL the crash left)
  // and kills it again; four rounds give the kill four chances to land inside a commit.
  for (let round = 0; round < 4; round++) {
    const c = await startCollector(t, db);
    let exit: Promise<number | string> | null = null;
    const outcome = await postThrough(c, 400, () => (exit = c.stop("SIGKILL")), `round${round}`);
    assert.ok(exit !== null, "SIGKILL was sent");
    assert.equal(await exit, "SIGKILL");
    // The crash left the write-ahead log behind, with the commits not yet folded into the file.
    assert.ok(existsSync(`${db}-wal`) && statSync(`${db}-wal`).size > 0, "a non-empty WAL after the kill");
    assert.ok(outcome.acknowledged.length >= 400, `round ${round}: acknowledged ${outcome.acknowledged.length}`);
    acknowledged.push(...outcome.acknowledged);
    cutOff += outcome.failed;
  }
  assert.ok(cutOff > 0, "some posts were cut off by the kills");
  const stored = storedIds(db);
  const lost = acknowledged.filter((id) => !stored.has(id));
  assert.deepEqual(lost, [], `${lost.length} acknowledged samples missing of ${acknowledged.length}`);

  // And the file serves again: a restarted collector opens it and counts what is there.
  const again = await startCollector(t, db);
  const info = (await (await fetch(`${again.url}/api/info`)).json()) as { samples: number };
  assert.equal(info.samples, stored.size);
  assert.equal(await again.stop(), 0);
});
