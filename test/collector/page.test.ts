// The diff page in a real headless Chromium, served by a real collector filled with the realistic
// samples: the rules with their shares, a rule's tree of paths with % differing and % noise and
// Diffy's judgement, the suggested ignore list, and pair views with the differences highlighted
// (JSON-aware and as a text diff). Screenshots go to build/test-output/collector/; with
// UPDATE_DOCS_SCREENSHOT=1 the rule view and a pair view are also written to docs/images/.

import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { Page } from "playwright-core";
import { PROJECT_ROOT } from "../../tools/lib/envoy.js";
import { launchBrowser, TEST_OUTPUT } from "./browser.js";
import { startCollector, tempDir } from "./collector-process.js";
import { getJson, postSample } from "./post.js";
import { realisticSamples, response, sampleDoc } from "./samples.js";

/** The visible text of each cell of the row matching `selector`. */
async function cells(page: Page, selector: string): Promise<string[]> {
  return page
    .locator(`${selector} td`)
    .allInnerTexts()
    .then((texts) => texts.map((t) => t.replace(/\s+/g, " ").trim()));
}

/** The screenshots docs/collector.md shows. */
const DOCS_SCREENSHOTS = ["diff-page", "diff-page-pair"];

async function screenshot(page: Page, name: string): Promise<string> {
  const file = join(TEST_OUTPUT, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  assert.ok(statSync(file).size > 10_000, `${file} holds a picture`);
  if (process.env.UPDATE_DOCS_SCREENSHOT === "1" && DOCS_SCREENSHOTS.includes(name)) {
    mkdirSync(join(PROJECT_ROOT, "docs", "images"), { recursive: true });
    copyFileSync(file, join(PROJECT_ROOT, "docs", "images", `${name}.png`));
  }
  return file;
}

test("the diff page shows the rules, the tree of paths with percentages and highlighted pairs", async (t) => {
  const c = await startCollector(t, join(tempDir(t), "samples.db"));
  for (const doc of realisticSamples()) assert.equal((await postSample(c.url, doc)).status, 201);
  const browser = await launchBrowser(t);
  const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  const problems: string[] = [];
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`console: ${msg.text()}`);
  });

  // The rules.
  await page.goto(`${c.url}/`);
  await page.waitForSelector("body[data-view=rules] #rules tbody tr");
  assert.deepEqual(await page.locator("#rules tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-rule"))), [
    "catalog",
    "checkout",
    "search",
  ]);
  const catalogRow = await cells(page, "#rules tr[data-rule=catalog]");
  assert.deepEqual(catalogRow.slice(0, 8), ["catalog", "40", "100.0% 40", "100.0% 38 of 38", "0", "0", "40", "0"]);
  assert.match(catalogRow[8]!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
  assert.deepEqual((await cells(page, "#rules tr[data-rule=search]")).slice(0, 8), [
    "search",
    "7",
    "100.0% 7",
    "no noise cluster",
    "4",
    "1",
    "2",
    "0",
  ]);
  assert.match(await page.locator("#notice").innerText(), /stored samples.*not of the traffic/s);
  assert.match(await page.locator("#info").innerText(), /^71 samples stored · kept 7 d, at most 100,000$/);
  await screenshot(page, "diff-page-rules");

  // A rule: its tree of differences.
  await page.click("#rules tr[data-rule=catalog] a");
  await page.waitForSelector("body[data-view=rule] #tree");
  const tree = await page.locator("#tree tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-path")));
  assert.deepEqual(tree, ["meta", "meta.generated_at", "items", "items[*]", "items[*].etag", "items[*].price"]);
  assert.deepEqual(await cells(page, '#tree tr[data-path="meta.generated_at"]'), ["generated_at", "100.0%", "40", "100.0%", "38", "noise"]);
  assert.deepEqual(await cells(page, '#tree tr[data-path="items"]'), ["items", "50.0%", "20", "50.0%", "19", ""]);
  assert.deepEqual(await cells(page, '#tree tr[data-path="items[*].etag"]'), ["etag", "50.0%", "20", "50.0%", "19", "noise"]);
  assert.deepEqual(await cells(page, '#tree tr[data-path="items[*].price"]'), ["price", "25.0%", "10", "0.0%", "0", "real"]);
  assert.equal(await page.locator("#suggestion pre").innerText(), 'ignore:\n  - meta.generated_at\n  - "items[*].etag"');

  // The samples that differ at a path, then one pair.
  await page.click('#tree tr[data-path="items[*].price"]');
  await page.waitForSelector(
    `body[data-shown="#/rule/catalog/key/${encodeURIComponent("items[*].price")}"] #tree tr.selected[data-path="items[*].price"]`,
  );
  await page.waitForSelector("#examples tr");
  const examples = await page.locator("#examples tr").allInnerTexts();
  assert.equal(examples.length, 10);
  assert.match(examples[0]!, /GET \/api\/catalog\/shoes\s+catalog-036/);
  await screenshot(page, "diff-page");

  await page.click("#examples tr >> nth=0");
  await page.waitForSelector("body[data-view=sample] .pair");
  assert.match(page.url(), /#\/sample\/[0-9]+$/);
  assert.equal(await page.locator("#dark-part").innerText(), "differs: body at meta.generated_at, items[0].etag, items[1].price");
  assert.equal(await page.locator("#noise-part").innerText(), "differs: body at meta.generated_at, items[0].etag");
  assert.deepEqual(await page.locator(".side h3").allInnerTexts(), ["Primary", "Dark", "Noise"]);
  const line = (side: string, path: string) => page.locator(`[data-side=${side}] pre.json div[data-path="${path}"]`);
  // The price the dark side changed: highlighted on both sides, marked as reported on the dark one.
  assert.equal(await line("dark", "items[1].price").innerText(), '      "price": "84.90",');
  assert.match((await line("dark", "items[1].price").getAttribute("class"))!, /\bdiff-dark\b.*\breported\b/);
  assert.equal(await line("primary", "items[1].price").innerText(), '      "price": "89.00",');
  assert.match((await line("primary", "items[1].price").getAttribute("class"))!, /\bdiff-dark\b/);
  assert.doesNotMatch((await line("noise", "items[1].price").getAttribute("class"))!, /diff-/);
  // The timestamp differs on both copies: dark and noise colours on the primary.
  assert.match((await line("primary", "meta.generated_at").getAttribute("class"))!, /\bdiff-dark\b.*\bdiff-noise\b/);
  assert.match((await line("noise", "meta.generated_at").getAttribute("class"))!, /\bdiff-noise\b.*\breported-noise\b/);
  // What does not differ is not highlighted.
  assert.equal(await line("dark", "items[0].sku").getAttribute("class"), "ln");
  const highlighted = await page
    .locator("[data-side=dark] pre.json div.diff-dark")
    .evaluateAll((els) => els.map((e) => e.getAttribute("data-path")));
  assert.deepEqual(highlighted, ["items[0].etag", "items[1].price", "meta.generated_at"]);
  const highlight = await line("dark", "items[1].price").evaluate((el) => getComputedStyle(el).backgroundColor);
  assert.notEqual(highlight, "rgba(0, 0, 0, 0)", "the highlight has a colour");
  await screenshot(page, "diff-page-pair");

  // A text body: a line diff.
  const bodyDiff = (await getJson(`${c.url}/api/samples?rule=search&key=${encodeURIComponent("(body)")}`)).body.samples as { id: number }[];
  await page.goto(`${c.url}/#/sample/${bodyDiff[0]!.id}`);
  await page.waitForSelector(`body[data-shown="#/sample/${bodyDiff[0]!.id}"] [data-side=dark] pre.text`);
  // Primary: 3 results, Trail / Road / Hiking; dark: 4 results, Trail / Hiking / Road / Sandal.
  assert.deepEqual(await page.locator("[data-side=dark] pre.text div.diff-dark").allInnerTexts(), [
    "<h1>4 results</h1>",
    "  <li>Road shoe</li>",
    "  <li>Sandal</li>",
  ]);
  assert.deepEqual(await page.locator("[data-side=primary] pre.text div.diff-dark").allInnerTexts(), [
    "<h1>3 results</h1>",
    "  <li>Road shoe</li>",
  ]);
  assert.equal(await page.locator("[data-side=dark] pre.text div.ln").count(), 10); // 9 lines and the empty one after the last newline

  // A status mismatch: the dark status highlighted, and its plain-text body against the HTML page.
  const statusDiff = (await getJson(`${c.url}/api/samples?rule=search&key=${encodeURIComponent("(status)")}`)).body.samples as {
    id: number;
  }[];
  await page.goto(`${c.url}/#/sample/${statusDiff[0]!.id}`);
  await page.waitForSelector(`body[data-shown="#/sample/${statusDiff[0]!.id}"] [data-side=dark] tr[data-field=status]`);
  assert.equal(await page.locator("[data-side=dark] tr[data-field=status] td").innerText(), "502");
  assert.equal(await page.locator("[data-side=dark] tr[data-field=status] td").getAttribute("class"), "diff-dark");
  assert.equal(await page.locator("[data-side=primary] tr[data-field=status] td").getAttribute("class"), null);

  assert.deepEqual(problems, []);
  assert.equal(await c.stop(), 0);
});

test("the page names values as the filter does: a root array, quoted names, a member named $, (root)", async (t) => {
  const c = await startCollector(t, join(tempDir(t), "samples.db"));
  // Paths exactly as the comparator writes them (docs/json-comparison.md, "Naming what differs").
  const shapes = sampleDoc({
    rule: "shapes",
    x_request_id: "shapes-1",
    paths: ["[1].id", '[1]["a\\u0020b"]', "[1].$"],
    primary: response([{ id: 1 }, { id: 2, "a b": "x", $: true }]),
    dark: response([{ id: 1 }, { id: 3, "a b": "y", $: false }]),
  });
  const root = sampleDoc({
    rule: "shapes",
    x_request_id: "shapes-2",
    paths: ["(root)"],
    primary: response({ items: [1] }),
    dark: response([1]),
  });
  for (const doc of [shapes, root]) assert.equal((await postSample(c.url, doc)).status, 201);
  const browser = await launchBrowser(t);
  const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  const problems: string[] = [];
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));

  await page.goto(`${c.url}/#/rule/shapes`);
  await page.waitForSelector("body[data-view=rule] #tree");
  const tree = await page.locator("#tree tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-path")));
  assert.deepEqual(tree.sort(), ["(root)", "[*]", "[*].$", "[*].id", '[*]["a\\u0020b"]'].sort());
  // (root) is a JSON path (the root value), not a part such as (status).
  assert.equal(await page.locator('#tree tr[data-path="(root)"] .seg').getAttribute("class"), "seg");
  assert.equal(await page.locator('#tree tr[data-path="(root)"] .seg').innerText(), "(root)");

  const id = async (xRequestId: string) =>
    ((await getJson(`${c.url}/api/samples?rule=shapes&limit=10`)).body.samples as { id: number; x_request_id: string }[]).find(
      (s) => s.x_request_id === xRequestId,
    )!.id;
  const line = (side: string, path: string) =>
    page.locator(`[data-side=${side}] pre.json div[data-path="${path.replace(/["\\]/g, "\\$&")}"]`);
  const shapesId = await id("shapes-1");
  await page.goto(`${c.url}/#/sample/${shapesId}`);
  await page.waitForSelector(`body[data-shown="#/sample/${shapesId}"] [data-side=dark] pre.json`);
  for (const path of ["[1].id", '[1]["a\\u0020b"]', "[1].$"]) {
    assert.match((await line("dark", path).getAttribute("class"))!, /\bdiff-dark\b.*\breported\b/, path);
  }
  assert.equal(await line("dark", "[0].id").getAttribute("class"), "ln");
  const reported = await page
    .locator("[data-side=dark] pre.json div.reported")
    .evaluateAll((els) => els.map((e) => e.getAttribute("data-path")));
  assert.deepEqual(reported, ["[1].id", '[1]["a\\u0020b"]', "[1].$"]);

  const rootId = await id("shapes-2");
  await page.goto(`${c.url}/#/sample/${rootId}`);
  await page.waitForSelector(`body[data-shown="#/sample/${rootId}"] [data-side=dark] pre.json`);
  const darkLines = await page
    .locator("[data-side=dark] pre.json div.ln")
    .evaluateAll((els) => els.map((e) => [e.getAttribute("data-path"), e.className]));
  assert.deepEqual(darkLines, [
    ["(root)", "ln diff-dark reported"],
    ["[0]", "ln diff-dark reported"],
    ["(root)", "ln diff-dark reported"],
  ]);
  assert.deepEqual(problems, []);
  assert.equal(await c.stop(), 0);
});
