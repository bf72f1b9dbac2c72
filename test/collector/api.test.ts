// The collector's read API (what the page and `diff --collector` use): listings and paging, one
// sample, the tree, and the refusals for what is not there.

import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { startCollector, tempDir } from "./collector-process.js";
import { getJson, postSample } from "./post.js";
import { sampleDoc } from "./samples.js";

test("listings page by id, a key selects the samples differing there or under it, unknown things are 404", async (t) => {
  const c = await startCollector(t, join(tempDir(t), "samples.db"));
  for (let i = 0; i < 7; i++) {
    const paths = i % 2 === 0 ? [`items[${i}].price`] : ["total"];
    assert.equal((await postSample(c.url, sampleDoc({ x_request_id: `a-${i}`, paths }))).status, 201);
  }
  const first = (await getJson(`${c.url}/api/samples?rule=checkout&limit=3`)).body.samples as { id: number; x_request_id: string }[];
  assert.deepEqual(
    first.map((s) => s.x_request_id),
    ["a-6", "a-5", "a-4"],
  );
  const next = (await getJson(`${c.url}/api/samples?rule=checkout&limit=3&before=${first[2]!.id}`)).body.samples as {
    x_request_id: string;
  }[];
  assert.deepEqual(
    next.map((s) => s.x_request_id),
    ["a-3", "a-2", "a-1"],
  );
  const under = (await getJson(`${c.url}/api/samples?rule=checkout&key=items`)).body.samples as { x_request_id: string }[];
  assert.deepEqual(
    under.map((s) => s.x_request_id),
    ["a-6", "a-4", "a-2", "a-0"],
  );
  const exact = (await getJson(`${c.url}/api/samples?rule=checkout&key=${encodeURIComponent("items[*].price")}`)).body.samples as unknown[];
  assert.equal(exact.length, 4);
  assert.equal(
    ((await getJson(`${c.url}/api/samples?rule=checkout&key=item`)).body.samples as unknown[]).length,
    0,
    "a key is a whole segment, not a prefix of a name",
  );

  const one = await getJson(`${c.url}/api/samples/${first[0]!.id}`);
  assert.equal(one.status, 200);
  assert.equal(one.body.doc.x_request_id, "a-6");
  assert.deepEqual(one.body.doc.paths, ["items[6].price"]);

  const tree = await getJson(`${c.url}/api/tree?rule=checkout`);
  assert.deepEqual(
    tree.body.nodes.map((n: { path: string; dark: number }) => [n.path, n.dark]),
    [
      ["items", 4],
      ["total", 3],
    ],
  );

  const refusals: [string, number, RegExp][] = [
    ["/api/samples/999999", 404, /no sample 999999/],
    ["/api/samples?before=abc", 400, /before must be a sample id/],
    ["/api/tree", 400, /rule=NAME is required/],
    ["/api/tree?rule=nope", 404, /no samples for rule nope \(rules with samples: checkout\)/],
    ["/api/diff?rule=nope", 404, /no samples for rule nope/],
    ["/api/nothing", 404, /no API at \/api\/nothing/],
    ["/nothing.html", 404, /nothing at \/nothing\.html/],
  ];
  for (const [path, status, message] of refusals) {
    const res = await getJson(`${c.url}${path}`);
    assert.equal(res.status, status, path);
    assert.match(res.body.error, message, path);
  }
  const page = await fetch(`${c.url}/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get("content-security-policy") ?? "", /default-src 'self'/);
  assert.match(await page.text(), /<script type="module" src="\/page\.js">/);
  assert.equal((await fetch(`${c.url}/healthz`)).status, 200);
  assert.equal(await c.stop(), 0);
});
