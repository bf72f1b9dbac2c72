// darklaunch diff and darklaunch noise against known samples: a running collector filled with the
// realistic set (exact paths, counts, examples, suggestions), the database file read directly,
// Diffy's rule exactly at its thresholds, "nearly every pair" without noise, and usage errors.

import assert from "node:assert/strict";
import { createServer } from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import { parse as parseYaml } from "yaml";
import { diffyJudgement, type DiffDocument } from "../../tools/darklaunch/src/samples/analysis.js";
import type { SampleDocument } from "../../tools/darklaunch/src/samples/document.js";
import { SampleStore } from "../../tools/darklaunch/src/samples/store.js";
import { cli } from "../cli/helpers.js";
import { startCollector, tempDir } from "./collector-process.js";
import { postSample } from "./post.js";
import { noiseResponse, realisticSamples, response, sampleDoc } from "./samples.js";

/** The rows of one rule as [what, dark, noise, diffy, example x-request-id]. */
function rows(doc: DiffDocument, rule: string): [string, number, number, string | null, string | null][] {
  const r = doc.rules.find((x) => x.rule === rule);
  assert.ok(r !== undefined, `rule ${rule} in ${doc.rules.map((x) => x.rule).join(", ")}`);
  return r.differences.map((d) => [d.what, d.dark, d.noise, d.diffy, d.example_x_request_id]);
}

test("diff and noise against a collector with the realistic samples", async (t) => {
  const c = await startCollector(t, join(tempDir(t), "samples.db"));
  for (const doc of realisticSamples()) assert.equal((await postSample(c.url, doc)).status, 201);

  const json = await cli(["diff", "--collector", c.url, "--json"]);
  assert.equal(json.code, 0, json.stderr);
  const doc = JSON.parse(json.stdout) as DiffDocument;
  assert.equal(doc.samples, 71);
  assert.deepEqual(
    doc.rules.map((r) => [r.rule, r.samples, r.noise_samples, r.parts, r.noise_parts.incomplete]),
    [
      ["catalog", 40, 38, { status: 0, headers: 0, body: 40, match: 0 }, 2],
      ["checkout", 24, 0, { status: 0, headers: 0, body: 24, match: 0 }, 0],
      ["search", 7, 0, { status: 4, headers: 1, body: 2, match: 0 }, 0],
    ],
  );
  assert.deepEqual(rows(doc, "catalog"), [
    ["meta.generated_at", 40, 38, "noise", "catalog-039"],
    ["items[*].etag", 20, 19, "noise", "catalog-038"],
    ["items[*].price", 10, 0, "real", "catalog-036"],
  ]);
  assert.deepEqual(rows(doc, "checkout"), [
    ["meta.request_id", 24, 0, null, "checkout-023"],
    ["total", 6, 0, null, "checkout-020"],
  ]);
  assert.deepEqual(rows(doc, "search"), [
    ["(status)", 4, 0, null, "search-3"],
    ["(body)", 2, 0, null, "search-5"],
    ["(headers)", 1, 0, null, "search-6"],
  ]);
  const catalog = doc.rules[0]!;
  assert.deepEqual(
    catalog.differences.map((d) => [d.dark_percent, d.noise_percent]),
    [
      [100, 100],
      [50, 50],
      [25, 0],
    ],
  );
  assert.deepEqual(
    doc.rules.map((r) => [r.rule, r.suggestion.basis, r.suggestion.ignore]),
    [
      ["catalog", "noise", ["meta.generated_at", "items[*].etag"]],
      ["checkout", "nearly_every_pair", ["meta.request_id"]],
      ["search", "not_enough_samples", []],
    ],
  );

  // The text report: the same rows, most frequent first, with counts and shares.
  const text = await cli(["diff", "--collector", c.url, "--rule", "catalog"]);
  assert.equal(text.code, 0, text.stderr);
  const lines = text.stdout.split("\n");
  assert.match(lines[0]!, new RegExp(`^darklaunch diff  collector ${c.url}  \\d{4}-`));
  assert.deepEqual(lines.slice(4), [
    "catalog  40 samples: 40 differ (status 0, headers 0, body 40); noise: 38 of 38 differ, 2 incomplete",
    "  WHAT               DARK          NOISE          DIFFY  EXAMPLE x-request-id",
    "  meta.generated_at    40  100.0%     38  100.0%  noise  catalog-039",
    "  items[*].etag        20   50.0%     19   50.0%  noise  catalog-038",
    "  items[*].price       10   25.0%      0    0.0%  real   catalog-036",
    "  suggested compare.body.ignore: meta.generated_at, items[*].etag  (darklaunch noise --rule catalog)",
    "",
  ]);

  // noise: YAML to paste, with the counts as comments.
  const noise = await cli(["noise", "--collector", c.url, "--rule", "catalog"]);
  assert.equal(noise.code, 0, noise.stderr);
  assert.deepEqual(parseYaml(noise.stdout), { ignore: ["meta.generated_at", "items[*].etag"] });
  assert.deepEqual(noise.stdout.split("\n").slice(3), [
    "ignore:",
    "  - meta.generated_at  # dark 40 of 40, noise 38 of 38",
    '  - "items[*].etag"    # dark 20 of 40, noise 19 of 38',
    "",
  ]);
  const checkout = await cli(["noise", "--collector", c.url, "--rule", "checkout"]);
  assert.deepEqual(parseYaml(checkout.stdout), { ignore: ["meta.request_id"] });
  assert.match(checkout.stdout, /no noise samples: paths that differ in nearly every sample \(at least 95%, 23 of 24\)/);
  const search = await cli(["noise", "--collector", c.url, "--rule", "search"]);
  assert.deepEqual(parseYaml(search.stdout), { ignore: [] });
  assert.match(search.stdout, /7 samples are too few to tell volatile paths \(at least 20 needed\)/);

  // The database file read directly, while the collector runs, says the same.
  const fromFile = await cli(["diff", "--db", c.db, "--json"]);
  assert.equal(fromFile.code, 0, fromFile.stderr);
  const fileDoc = JSON.parse(fromFile.stdout) as DiffDocument;
  assert.deepEqual(fileDoc.rules, doc.rules);
  assert.equal(await c.stop(), 0);
  const afterStop = await cli(["noise", "--db", c.db, "--rule", "catalog"]);
  assert.deepEqual(parseYaml(afterStop.stdout), { ignore: ["meta.generated_at", "items[*].etag"] });
});

test("Diffy's rule at its thresholds: relative > 20 %, absolute > 0.03 %, raw > noise", () => {
  assert.deepEqual(diffyJudgement(6, 4, 100), { relative: 20, absolute: 2, real: false });
  assert.equal(diffyJudgement(7, 4, 100).real, true);
  assert.deepEqual(diffyJudgement(4, 1, 10_000), { relative: 60, absolute: 0.03, real: false });
  assert.equal(diffyJudgement(5, 1, 10_000).real, true);
  assert.equal(diffyJudgement(3, 3, 10).real, false);
  assert.equal(diffyJudgement(2, 9, 10).real, false);
  assert.equal(diffyJudgement(1, 0, 1).real, true);
});

/** A rule's samples with the given dark and noise paths, each sample as its own document. */
function thresholdSamples(): SampleDocument[] {
  // Among 10,000 samples: how many differ at each path on the dark and on the noise side.
  const counts: [string, number, number][] = [
    ["rel_at", 60, 40], // relative exactly 20 % (absolute 0.2 %): not above it → noise, suggested
    ["rel_above", 70, 40], // relative 27 % → real, not suggested
    ["abs_at", 4, 1], // absolute exactly 0.03 % of 10,000 → noise, suggested
    ["abs_above", 5, 1], // absolute 0.04 % → real
    ["equal", 3, 3], // raw = noise → noise, suggested
    ["noise_only", 0, 2], // differs only between the two copies of the current version → suggested
  ];
  const docs: SampleDocument[] = [];
  for (let i = 0; i < 10_000; i++) {
    const dark = counts.filter(([, d]) => i < d).map(([p]) => p);
    const noise = counts.filter(([, , n]) => i >= 100 && i - 100 < n).map(([p]) => p);
    docs.push(
      sampleDoc({
        rule: "thresholds",
        x_request_id: `t-${i}`,
        part: dark.length > 0 ? "body" : "match",
        paths: dark,
        primary: response({ v: 1 }),
        dark: response({ v: 1 }),
        noise: noiseResponse({ v: 1 }, noise.length > 0 ? "body" : "match", noise),
      }),
    );
  }
  return docs;
}

test("noise from the database file: Diffy's rule at the thresholds over 10,000 samples", async (t) => {
  const db = join(tempDir(t), "samples.db");
  const store = SampleStore.open(db);
  store.insert(thresholdSamples(), Date.now(), 100_000);
  store.close();

  const json = await cli(["diff", "--db", db, "--json"]);
  assert.equal(json.code, 0, json.stderr);
  const doc = JSON.parse(json.stdout) as DiffDocument;
  assert.deepEqual(rows(doc, "thresholds"), [
    ["rel_above", 70, 40, "real", "t-69"],
    ["rel_at", 60, 40, "noise", "t-59"],
    ["abs_above", 5, 1, "real", "t-4"],
    ["abs_at", 4, 1, "noise", "t-3"],
    ["equal", 3, 3, "noise", "t-2"],
    ["noise_only", 0, 2, "noise", "t-101"],
  ]);
  const noise = await cli(["noise", "--db", db, "--rule", "thresholds"]);
  assert.equal(noise.code, 0, noise.stderr);
  assert.deepEqual(parseYaml(noise.stdout), { ignore: ["rel_at", "abs_at", "equal", "noise_only"] });
  assert.match(noise.stdout, /2 such paths left out as real/);
});

test("without noise samples: paths in at least 95 % of at least 20 samples; indexes as [*]; never the root or a cut name", async (t) => {
  const db = join(tempDir(t), "samples.db");
  const store = SampleStore.open(db);
  const docs: SampleDocument[] = [];
  for (let i = 0; i < 40; i++) {
    // 38 of 40 = 95 %: suggested; 37 of 40: not. Indexes vary: one path items[*].etag.
    const paths = [...(i < 38 ? [`items[${i % 5}].etag`] : []), ...(i < 37 ? ['["x.y"].z'] : [])];
    docs.push(sampleDoc({ rule: "volatile", x_request_id: `v-${i}`, part: paths.length > 0 ? "body" : "match", paths }));
  }
  for (let i = 0; i < 20; i++) docs.push(sampleDoc({ rule: "rootarray", x_request_id: `ra-${i}`, paths: [`[${i % 3}].id`] }));
  for (let i = 0; i < 20; i++) docs.push(sampleDoc({ rule: "root", x_request_id: `r-${i}`, paths: ["(root)"] }));
  // "$" is a member name like any other; a name cut at 63 bytes ("...") names no one path.
  const cut = `meta.${"k".repeat(58)}...`;
  for (let i = 0; i < 20; i++) docs.push(sampleDoc({ rule: "dollar", x_request_id: `d-${i}`, paths: [`$.items[${i % 4}].ts`, cut] }));
  for (let i = 0; i < 19; i++) docs.push(sampleDoc({ rule: "few", x_request_id: `f-${i}`, paths: ["stamp"] }));
  store.insert(docs, Date.now(), 100_000);
  store.close();

  const volatile = await cli(["noise", "--db", db, "--rule", "volatile"]);
  assert.deepEqual(parseYaml(volatile.stdout), { ignore: ["items[*].etag"] });
  assert.match(volatile.stdout, /at least 95%, 38 of 40/);
  const diff = JSON.parse((await cli(["diff", "--db", db, "--rule", "volatile", "--json"])).stdout) as DiffDocument;
  assert.deepEqual(rows(diff, "volatile"), [
    ["items[*].etag", 38, 0, null, "v-37"],
    ['["x.y"].z', 37, 0, null, "v-36"],
  ]);
  const rootArray = await cli(["noise", "--db", db, "--rule", "rootarray"]);
  assert.deepEqual(parseYaml(rootArray.stdout), { ignore: ["[*].id"] });
  const root = await cli(["noise", "--db", db, "--rule", "root"]);
  assert.deepEqual(parseYaml(root.stdout), { ignore: [] });
  const rootDiff = JSON.parse((await cli(["diff", "--db", db, "--rule", "root", "--json"])).stdout) as DiffDocument;
  assert.deepEqual(rows(rootDiff, "root"), [["(root)", 20, 0, null, "r-19"]]);
  const dollar = await cli(["noise", "--db", db, "--rule", "dollar"]);
  assert.deepEqual(parseYaml(dollar.stdout), { ignore: ["$.items[*].ts"] });
  const dollarDiff = JSON.parse((await cli(["diff", "--db", db, "--rule", "dollar", "--json"])).stdout) as DiffDocument;
  assert.deepEqual(rows(dollarDiff, "dollar"), [
    ["$.items[*].ts", 20, 0, null, "d-19"],
    [cut, 20, 0, null, "d-19"],
  ]);
  const few = await cli(["noise", "--db", db, "--rule", "few"]);
  assert.deepEqual(parseYaml(few.stdout), { ignore: [] });
  assert.match(few.stdout, /19 samples are too few/);
});

/** A loopback port nothing listens on (taken from the system, then let go). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test("diff and noise: usage errors and unreadable sources exit 2 with one line", async (t) => {
  const dir = tempDir(t);
  const nobody = `http://127.0.0.1:${await closedPort()}`;
  const db = join(dir, "samples.db");
  const store = SampleStore.open(db);
  store.insert([sampleDoc({ rule: "checkout" })], Date.now(), 10);
  store.close();
  const cases: [string[], RegExp][] = [
    [["diff", "--collector", nobody, "--db", db], /--collector and --db exclude each other/],
    [["noise", "--db", db], /noise needs --rule NAME/],
    [["diff", "--db", db, "--rule", "nope"], /no samples for rule nope in .*samples\.db \(rules with samples: checkout\)/],
    [["diff", "--db", join(dir, "absent.db")], /no sample database at .*absent\.db/],
    [["diff", "--collector", nobody], new RegExp(`cannot reach the collector at ${nobody}: ECONNREFUSED`)],
  ];
  for (const [argv, message] of cases) {
    const run = await cli(argv);
    assert.equal(run.code, 2, `${argv.join(" ")}: ${run.stdout}${run.stderr}`);
    assert.match(run.stderr, message);
    assert.equal(run.stderr.trim().split("\n")[0]!.startsWith("darklaunch: "), true);
  }
});
