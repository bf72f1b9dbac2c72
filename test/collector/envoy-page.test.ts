// The diff page filled by a real Envoy run: the filter in the real Envoy, with a primary, a dark
// and a noise upstream whose answers differ in known ways, sends its mismatch samples to a real
// `darklaunch collect` process; then headless Chromium loads the page and the test checks the
// rules, the tree of paths with its percentages (computed from the requests sent) and a pair view
// with the differences highlighted. Screenshots go to build/test-output/collector/envoy-*.png
// (docs/images/ holds those of page.test.ts, which look the same).
//
//   catalog (a noise cluster, JSON bodies), request i of CATALOG_REQUESTS:
//     meta.generated_at  a timestamp, new on every answer         dark and noise differ in every pair
//     items[0].etag      per instance when i is even              dark and noise differ when i % 2 == 0
//     items[1].price     the dark version's price when i % 4 == 0  dark only
//   search (no noise cluster, HTML bodies), request i of SEARCH_REQUESTS:
//     the dark side answers 502 when i % 3 == 0, another page otherwise
//   same: identical answers, never sampled

import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { Page } from "playwright-core";
import { send } from "../support/client.js";
import { prefixRule, startStack } from "../support/stack.js";
import { assertInvariants, nonZero, statsValues, waitFor } from "../support/stats.js";
import { startUpstream, type RecordedRequest, type Reply } from "../support/upstream.js";
import { launchBrowser, TEST_OUTPUT } from "./browser.js";
import { startCollector, tempDir } from "./collector-process.js";
import { getJson } from "./post.js";

const CATALOG_REQUESTS = 40;
const SEARCH_REQUESTS = 9;
const SAME_REQUESTS = 5;

type Side = "primary" | "dark" | "noise";

/** Strictly increasing across every upstream of this process: no two answers share a timestamp. */
let lastTick = 0;
function generatedAt(): string {
  lastTick = Math.max(Date.now(), lastTick + 1);
  return new Date(lastTick).toISOString();
}

const indexOf = (req: RecordedRequest): number => Number(new URL(req.path, "http://x").searchParams.get("i"));

const etagDiffers = (i: number): boolean => i % 2 === 0;
const priceDiffers = (i: number): boolean => i % 4 === 0;
const searchStatusDiffers = (i: number): boolean => i % 3 === 0;

function catalog(side: Side): (req: RecordedRequest) => Reply {
  return (req) => {
    const i = indexOf(req);
    const etag = etagDiffers(i) && side !== "primary" ? `"${side}-${i}"` : `"v1-${i}"`;
    const body = {
      items: [
        { sku: "A-100", name: "Trail runner", price: "89.00", etag },
        { sku: "B-220", name: "Road shoe", price: side === "dark" && priceDiffers(i) ? "84.90" : "79.00", etag: `"v1-b-${i}"` },
      ],
      meta: { generated_at: generatedAt(), version: "v1" },
    };
    return { headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
  };
}

function search(side: Side): (req: RecordedRequest) => Reply {
  return (req) => {
    const i = indexOf(req);
    if (side === "dark" && searchStatusDiffers(i))
      return { status: 502, headers: { "content-type": "text/plain" }, body: "upstream connect error\n" };
    const results = side === "dark" ? ["Trail runner", "Hiking boot", "Road shoe"] : ["Trail runner", "Road shoe"];
    const html = `<!doctype html>\n<title>Results</title>\n<h1>${results.length} results</h1>\n<ul>\n${results.map((r) => `  <li>${r}</li>\n`).join("")}</ul>\n`;
    return { headers: { "content-type": "text/html; charset=utf-8" }, body: html };
  };
}

const same = (): Reply => ({ headers: { "content-type": "application/json" }, body: '{"stock":3}' });

/** How many of `n` requests satisfy `when`. */
const count = (n: number, when: (i: number) => boolean): number => Array.from({ length: n }, (_, i) => i).filter(when).length;

/** `40.0%` as the page writes a share. */
const pct = (part: number, whole: number): string => `${((100 * part) / whole).toFixed(1)}%`;

async function cells(page: Page, selector: string): Promise<string[]> {
  return page
    .locator(`${selector} td`)
    .allInnerTexts()
    .then((texts) => texts.map((t) => t.replace(/\s+/g, " ").trim()));
}

async function screenshot(page: Page, name: string): Promise<void> {
  const file = join(TEST_OUTPUT, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  assert.ok(statSync(file).size > 10_000, `${file} holds a picture`);
}

test("the diff page, filled by a real Envoy with a noise cluster: rules, the tree with its percentages, a highlighted pair", async (t) => {
  const cleanups: (() => Promise<unknown>)[] = [];
  t.after(async () => {
    while (cleanups.length > 0) await cleanups.pop()!().catch(() => undefined);
  });
  const collector = await startCollector(t, join(tempDir(t), "samples.db"));
  const noise = await startUpstream({
    name: "noise",
    scripts: { "/api/catalog/": catalog("noise"), "/search": search("noise"), "/same": same },
  });
  cleanups.push(() => noise.close());
  const stack = await startStack({
    primaryScripts: { "/api/catalog/": catalog("primary"), "/search": search("primary"), "/same": same },
    darkScripts: { "/api/catalog/": catalog("dark"), "/search": search("dark"), "/same": same },
    clusters: { noise: noise.port, collector: Number(new URL(collector.url).port) },
    filterConfig: {
      // A budget above what the test sends (one request at a time): every mismatch is sampled.
      samples: { cluster: "collector", per_second: 1000, headers: ["content-type"] },
      rules: [
        prefixRule("catalog", "/api/catalog/", { compare: { noise_cluster: "noise", headers: ["content-type"], body: { json: true } } }),
        prefixRule("search", "/search"),
        prefixRule("same", "/same"),
      ],
    },
  });
  cleanups.push(() => stack.stop());

  // The traffic: one request at a time, each with its own x-request-id.
  for (let i = 0; i < CATALOG_REQUESTS; i++) {
    const res = await send(stack.envoy.url, { path: `/api/catalog/shoes?i=${i}`, headers: [["x-request-id", `catalog-${i}`]] });
    assert.equal(res.status, 200);
  }
  for (let i = 0; i < SEARCH_REQUESTS; i++) {
    assert.equal((await send(stack.envoy.url, { path: `/search?i=${i}&q=shoes`, headers: [["x-request-id", `search-${i}`]] })).status, 200);
  }
  for (let i = 0; i < SAME_REQUESTS; i++) assert.equal((await send(stack.envoy.url, { path: `/same?i=${i}` })).status, 200);

  // What the filter counted, and every sample stored.
  const catalogStats = await assertInvariants(stack.envoy.adminUrl, "catalog");
  assert.deepEqual(nonZero(catalogStats), {
    requests: CATALOG_REQUESTS,
    mirrored: CATALOG_REQUESTS,
    "dark.status.2xx": CATALOG_REQUESTS,
    "primary.status.2xx": CATALOG_REQUESTS,
    "compare.mismatch.body": CATALOG_REQUESTS,
    "noise.mismatch.body": CATALOG_REQUESTS,
  });
  const searchStatus = count(SEARCH_REQUESTS, searchStatusDiffers);
  const searchBody = SEARCH_REQUESTS - searchStatus;
  const samples = CATALOG_REQUESTS + SEARCH_REQUESTS;
  const stats = await waitFor(
    () => statsValues(stack.envoy.adminUrl),
    (s) => s.get("wasmcustom.darklaunch.samples.sent") === samples,
    `${samples} samples sent`,
  );
  assert.equal(stats.get("wasmcustom.darklaunch.samples.dropped"), 0);
  assert.equal(stats.get("wasmcustom.darklaunch.samples.failed"), 0);
  assert.equal((await getJson(`${collector.url}/api/info`)).body.samples, samples);

  const browser = await launchBrowser(t);
  const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  const problems: string[] = [];
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`console: ${msg.text()}`);
  });

  // The rules: the two that mismatched (matching pairs are not sampled).
  await page.goto(`${collector.url}/`);
  await page.waitForSelector("body[data-view=rules] #rules tbody tr");
  assert.deepEqual(await page.locator("#rules tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-rule"))), [
    "catalog",
    "search",
  ]);
  const all = `${pct(CATALOG_REQUESTS, CATALOG_REQUESTS)} ${CATALOG_REQUESTS}`;
  assert.deepEqual((await cells(page, "#rules tr[data-rule=catalog]")).slice(0, 8), [
    "catalog",
    String(CATALOG_REQUESTS),
    all,
    `${all} of ${CATALOG_REQUESTS}`,
    "0",
    "0",
    String(CATALOG_REQUESTS),
    "0",
  ]);
  assert.deepEqual((await cells(page, "#rules tr[data-rule=search]")).slice(0, 8), [
    "search",
    String(SEARCH_REQUESTS),
    `${pct(SEARCH_REQUESTS, SEARCH_REQUESTS)} ${SEARCH_REQUESTS}`,
    "no noise cluster",
    String(searchStatus),
    "0",
    String(searchBody),
    "0",
  ]);
  assert.match(await page.locator("#info").innerText(), new RegExp(`^${samples} samples stored`));
  await screenshot(page, "envoy-diff-page-rules");

  // catalog: the tree of differing paths, with the share of samples and of noise samples.
  await page.click("#rules tr[data-rule=catalog] a");
  await page.waitForSelector("body[data-view=rule] #tree");
  assert.deepEqual(await page.locator("#tree tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-path"))), [
    "meta",
    "meta.generated_at",
    "items",
    "items[*]",
    "items[*].etag",
    "items[*].price",
  ]);
  const n = CATALOG_REQUESTS;
  const etag = count(n, etagDiffers);
  const price = count(n, priceDiffers);
  // Every price change falls on a request whose etag differs too: `items` counts each sample once.
  const items = count(n, (i) => etagDiffers(i) || priceDiffers(i));
  const row = (label: string, dark: number, noiseCount: number, diffy: string): string[] => [
    label,
    pct(dark, n),
    String(dark),
    pct(noiseCount, n),
    String(noiseCount),
    diffy,
  ];
  assert.deepEqual(await cells(page, '#tree tr[data-path="meta"]'), row("meta", n, n, ""));
  assert.deepEqual(await cells(page, '#tree tr[data-path="meta.generated_at"]'), row("generated_at", n, n, "noise"));
  assert.deepEqual(await cells(page, '#tree tr[data-path="items"]'), row("items", items, etag, ""));
  assert.deepEqual(await cells(page, '#tree tr[data-path="items[*].etag"]'), row("etag", etag, etag, "noise"));
  assert.deepEqual(await cells(page, '#tree tr[data-path="items[*].price"]'), row("price", price, 0, "real"));
  assert.equal(await page.locator("#suggestion pre").innerText(), 'ignore:\n  - meta.generated_at\n  - "items[*].etag"');

  // The samples that differ at the price, newest first, then one pair.
  await page.click('#tree tr[data-path="items[*].price"]');
  await page.waitForSelector(
    `body[data-shown="#/rule/catalog/key/${encodeURIComponent("items[*].price")}"] #tree tr.selected[data-path="items[*].price"]`,
  );
  await page.waitForSelector("#examples tr");
  const examples = await page.locator("#examples tr").allInnerTexts();
  assert.equal(examples.length, price);
  const newest = Math.max(...Array.from({ length: n }, (_, i) => i).filter(priceDiffers));
  assert.match(examples[0]!, new RegExp(`GET /api/catalog/shoes\\s+catalog-${newest}\\b`), "the path without its query, the x-request-id");
  await screenshot(page, "envoy-diff-page");

  await page.click("#examples tr >> nth=0");
  await page.waitForSelector("body[data-view=sample] .pair");
  assert.equal(await page.locator("#dark-part").innerText(), "differs: body at items[0].etag, items[1].price, meta.generated_at");
  assert.equal(await page.locator("#noise-part").innerText(), "differs: body at items[0].etag, meta.generated_at");
  assert.deepEqual(await page.locator(".side h3").allInnerTexts(), ["Primary", "Dark", "Noise"]);
  const line = (side: Side, path: string) => page.locator(`[data-side=${side}] pre.json div[data-path="${path}"]`);
  // The dark version's price: highlighted on the dark side and the primary's, reported by the filter.
  assert.equal(await line("dark", "items[1].price").innerText(), '      "price": "84.90",');
  assert.match((await line("dark", "items[1].price").getAttribute("class"))!, /\bdiff-dark\b.*\breported\b/);
  assert.equal(await line("primary", "items[1].price").innerText(), '      "price": "79.00",');
  assert.match((await line("primary", "items[1].price").getAttribute("class"))!, /\bdiff-dark\b/);
  assert.doesNotMatch((await line("noise", "items[1].price").getAttribute("class"))!, /diff-/);
  // The timestamp differs on both copies.
  assert.match((await line("primary", "meta.generated_at").getAttribute("class"))!, /\bdiff-dark\b.*\bdiff-noise\b/);
  assert.match((await line("noise", "meta.generated_at").getAttribute("class"))!, /\bdiff-noise\b.*\breported-noise\b/);
  assert.equal(await line("dark", "items[0].sku").getAttribute("class"), "ln");
  const highlighted = await page
    .locator("[data-side=dark] pre.json div.diff-dark")
    .evaluateAll((els) => els.map((e) => e.getAttribute("data-path")));
  assert.deepEqual(highlighted, ["items[0].etag", "items[1].price", "meta.generated_at"]);
  assert.notEqual(await line("dark", "items[1].price").evaluate((el) => getComputedStyle(el).backgroundColor), "rgba(0, 0, 0, 0)");
  await screenshot(page, "envoy-diff-page-pair");

  // search: a status difference, the dark status highlighted.
  const statusSamples = (await getJson(`${collector.url}/api/samples?rule=search&key=${encodeURIComponent("(status)")}`)).body.samples as {
    id: number;
  }[];
  assert.equal(statusSamples.length, searchStatus);
  await page.goto(`${collector.url}/#/sample/${statusSamples[0]!.id}`);
  await page.waitForSelector(`body[data-shown="#/sample/${statusSamples[0]!.id}"] [data-side=dark] tr[data-field=status]`);
  assert.equal(await page.locator("[data-side=dark] tr[data-field=status] td").innerText(), "502");
  assert.equal(await page.locator("[data-side=dark] tr[data-field=status] td").getAttribute("class"), "diff-dark");

  assert.deepEqual(problems, []);
  assert.equal(await collector.stop(), 0);
});
