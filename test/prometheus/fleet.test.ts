// A fleet: three real Envoys with the filter (free ports), traffic spread over them, and a real
// Prometheus scraping all three with the project's rules loaded.
//   `verdict --prometheus` counts exactly what `verdict --admin A --admin B --admin C` counts,
//   and both give the right verdict: identical (PASS), divergent (FAIL, divergence), failing dark
//   service (FAIL, error rate);
//   a dark service that fails hard is FAILed within seconds of traffic, from Prometheus;
//   the queries of the Argo Rollouts and Flagger templates (deploy/) give the same picture.

import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parse, parseAllDocuments } from "yaml";
import { readFileSync } from "node:fs";
import { FILTER_WASM_PATH, PROJECT_ROOT, renderBootstrap, startEnvoy, type EnvoyProcess } from "../../tools/lib/envoy.js";
import type { VerdictDocument } from "../../tools/darklaunch/src/commands/verdict.js";
import { sampleCount } from "../../tools/darklaunch/src/histogram.js";
import type { StatsReading } from "../../tools/darklaunch/src/reading.js";
import { AdminSource } from "../../tools/darklaunch/src/sources/admin.js";
import { PrometheusSource } from "../../tools/darklaunch/src/sources/prometheus.js";
import { send } from "../support/client.js";
import { startUpstream, type Upstream } from "../support/upstream.js";
import { cli, settledStats } from "../cli/helpers.js";
import { RULES_FILE } from "./promql.js";
import { startPrometheus, type PrometheusServer } from "./prometheus-server.js";
import { argoQueries, fillArgo, fillFlagger } from "./templates.js";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Per rule: enough pairs for PASS at the default limits (divergence 401, error rate 804). */
const SAME = 900;
const DIFFER = 300;
const FAILING = 300;

const RULES = [
  { name: "same", match: { path_prefix: "/same" }, dark: { cluster: "dark" } },
  { name: "differ", match: { path_prefix: "/differ" }, dark: { cluster: "dark" } },
  // Comparison off: a 503 from the dark side is judged as an error, not as a difference too.
  { name: "failing", match: { path_prefix: "/failing" }, dark: { cluster: "dark" }, compare: { status: false, headers: [], body: false } },
  { name: "hard", match: { path_prefix: "/hard" }, dark: { cluster: "dark" }, compare: { status: false, headers: [], body: false } },
];

/** Latency: 5 ms of slack (a loaded test machine jitters by a millisecond or two). */
const THRESHOLDS = "defaults:\n  latency_p95: { slack_ms: 5 }\n";

async function eventually<T>(what: string, timeoutMs: number, check: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms: ${(err as Error).message}`);
      await sleep(250);
    }
  }
}

/** Every counter of every rule, and the histograms' sample counts, of a reading. */
function counts(reading: StatsReading, rules: string[]): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const r of reading.rules.filter((x) => rules.includes(x.rule))) {
    out[r.rule] = { ...r.counters };
    for (const [k, h] of Object.entries(r.histograms)) out[r.rule]![`${k} samples`] = sampleCount(h);
  }
  return out;
}

describe("a fleet of three Envoys judged from Prometheus and from their admin endpoints", () => {
  const cleanups: (() => Promise<void>)[] = [];
  let primary: Upstream;
  let dark: Upstream;
  const envoys: EnvoyProcess[] = [];
  let prometheus: PrometheusServer;
  let dir: string;
  let thresholds: string;

  before(async () => {
    if (!existsSync(FILTER_WASM_PATH)) throw new Error(`${FILTER_WASM_PATH} is missing: run npm run build`);
    dir = mkdtempSync(join(tmpdir(), "darklaunch-fleet-"));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    thresholds = join(dir, "thresholds.yaml");
    writeFileSync(thresholds, THRESHOLDS);
    primary = await startUpstream({ name: "primary", scripts: { "/": { body: "same answer" } } });
    cleanups.push(() => primary.close());
    dark = await startUpstream({
      name: "dark",
      marker: true,
      scripts: {
        "/": { body: "same answer" },
        "/differ": { body: "another answer" },
        "/failing": { status: 503, body: "down" },
        "/hard": { status: 503, body: "down" },
      },
    });
    cleanups.push(() => dark.close());
    for (let i = 0; i < 3; i++) {
      const envoy = await startEnvoy({
        bootstrap: renderBootstrap({
          primaryPort: primary.port,
          clusters: { dark: dark.port },
          statsFlushIntervalMs: 1000,
          filterConfig: { rules: RULES },
        }),
      });
      envoys.push(envoy);
      cleanups.push(() => envoy.stop());
    }
    prometheus = await startPrometheus({
      targets: envoys.map((e, i) => ({ job: `envoy-${i}`, address: new URL(e.adminUrl).host, metricsPath: "/stats/prometheus" })),
      ruleFiles: [RULES_FILE],
    });
    cleanups.push(() => prometheus.stop());
    // Each Envoy's counters are scraped at 0 before any traffic.
    await eventually("first scrapes of every Envoy", 20000, async () => {
      const zeros = await prometheus.query('count by (job) (darklaunch_requests{rule="same"} == 0)');
      assert.equal(zeros.length, 3, JSON.stringify(zeros));
    });
  });

  after(async () => {
    while (cleanups.length > 0) await cleanups.pop()!().catch(() => undefined);
  });

  const admins = (): string[] => envoys.map((e) => e.adminUrl);
  const adminArgs = (): string[] => admins().flatMap((a) => ["--admin", a]);

  test("traffic spread over the three: Prometheus counts what the admin endpoints count; both judge alike", async () => {
    const plan = [
      ...Array.from({ length: SAME }, (_, i) => `/same/${i}`),
      ...Array.from({ length: DIFFER }, (_, i) => `/differ/${i}`),
      ...Array.from({ length: FAILING }, (_, i) => `/failing/${i}`),
    ];
    // Round robin over the Envoys, a few at a time.
    for (let i = 0; i < plan.length; i += 12) {
      const batch = plan.slice(i, i + 12);
      const answers = await Promise.all(batch.map((path, j) => send(envoys[(i + j) % 3]!.url, { path })));
      for (const a of answers) assert.equal(a.status, 200);
    }
    const settled = await settledStats(admins());
    const rules = ["same", "differ", "failing"];
    const fromAdmins = counts(settled, rules);
    assert.equal(fromAdmins.same!.requests, SAME);
    // Each Envoy had a third of the traffic.
    for (const e of envoys) {
      const one = await new AdminSource([e.adminUrl]).read();
      assert.equal(one.rules.find((r) => r.rule === "same")!.counters.requests, SAME / 3);
    }

    // Prometheus has every request once its next scrapes are in.
    const source = new PrometheusSource(prometheus.url, "10m", null);
    const fromPrometheus = await eventually("Prometheus has scraped the last requests", 15000, async () => {
      const c = counts(await source.read(), rules);
      assert.deepEqual(c, fromAdmins);
      return c;
    });
    assert.deepEqual(fromPrometheus, fromAdmins);

    // The CLI from both sources: the same counts, the same verdicts, the right ones.
    const viaAdmins = await cli([
      "verdict",
      ...adminArgs(),
      "--thresholds",
      thresholds,
      "--rule",
      "same",
      "--rule",
      "differ",
      "--rule",
      "failing",
      "--json",
    ]);
    const viaPrometheus = await cli([
      "verdict",
      "--prometheus",
      prometheus.url,
      "--window",
      "10m",
      "--thresholds",
      thresholds,
      "--rule",
      "same",
      "--rule",
      "differ",
      "--rule",
      "failing",
      "--json",
    ]);
    const a = JSON.parse(viaAdmins.stdout) as VerdictDocument;
    const p = JSON.parse(viaPrometheus.stdout) as VerdictDocument;
    assert.deepEqual(a.source, { kind: "admin", urls: admins() });
    assert.equal(p.source.kind, "prometheus");
    const verdicts = (doc: VerdictDocument) =>
      Object.fromEntries(doc.rules.map((r) => [r.rule, [r.verdict, r.checks.filter((c) => c.verdict === "FAIL").map((c) => c.check)]]));
    assert.deepEqual(
      verdicts(a),
      { same: ["PASS", []], differ: ["FAIL", ["divergence"]], failing: ["FAIL", ["error_rate"]] },
      a.rules.map((r) => r.reasons.join("; ")).join("\n"),
    );
    assert.deepEqual(verdicts(p), verdicts(a), p.rules.map((r) => r.reasons.join("; ")).join("\n"));
    for (const rule of rules) {
      const fa = a.rules.find((r) => r.rule === rule)!.figures;
      const fp = p.rules.find((r) => r.rule === rule)!.figures;
      assert.deepEqual({ ...fp, latency: null, inFlight: null }, { ...fa, latency: null, inFlight: null }, rule);
      assert.equal(fp.latency.dark.samples, fa.latency.dark.samples);
    }
    assert.equal(viaAdmins.code, 1);
    assert.equal(viaPrometheus.code, 1);
  });

  test("watch --prometheus: blocks with the interval's rates and the verdict so far", async () => {
    const run = await cli([
      "watch",
      "--prometheus",
      prometheus.url,
      "--window",
      "10m",
      "--interval",
      "1.5",
      "--iterations",
      "1",
      "--json",
      "--thresholds",
      thresholds,
    ]);
    assert.equal(run.code, 0, run.stderr);
    const block = JSON.parse(run.stdout.trim()) as { interval_s: number; rules: { rule: string; verdict_so_far: string }[] };
    assert.ok(block.interval_s > 1);
    const soFar = Object.fromEntries(block.rules.map((r) => [r.rule, r.verdict_so_far]));
    assert.equal(soFar.same, "PASS");
    assert.equal(soFar.differ, "FAIL");
    assert.equal(soFar.failing, "FAIL");
  });

  test("the Argo Rollouts and Flagger template queries, on the same Prometheus, fail the divergent and failing rules", async () => {
    const analysis = parse(readFileSync(join(PROJECT_ROOT, "deploy", "argo-rollouts", "analysis-template.yaml"), "utf8")) as Record<
      string,
      unknown
    >;
    const flagger = parseAllDocuments(readFileSync(join(PROJECT_ROOT, "deploy", "flagger", "metric-templates.yaml"), "utf8")).map(
      (d) => d.toJS() as { metadata: { name: string }; spec: { query: string } },
    );
    const value = async (expr: string): Promise<number | null> => {
      const r = await prometheus.query(expr);
      assert.ok(r.length <= 1, `${expr}: ${r.length} series`);
      return r.length === 0 ? null : r[0]!.value;
    };
    // The recording rules need a few evaluations over the traffic.
    await eventually("the recording rules over the traffic", 20000, async () => {
      const q = argoQueries(analysis).find((x) => x.name === "divergence")!;
      assert.equal(await value(fillArgo(q.query, "differ")), 1);
    });
    const argo: Record<string, Record<string, number | null>> = {};
    for (const rule of ["same", "differ", "failing"]) {
      argo[rule] = {};
      for (const q of argoQueries(analysis)) argo[rule]![q.name] = await value(fillArgo(q.query, rule));
    }
    // Divergence: none for `same`; every pair for `differ`; `failing` compares nothing (no value).
    assert.equal(argo.same!.divergence, 0);
    assert.equal(argo.differ!.divergence, 1);
    assert.equal(argo.failing!.divergence, null);
    // Error excess: 0 for the identical dark service. `failing` tripped each Envoy's breaker
    // after its first 20 calls: too few mirrored requests for the error metric (no value), and
    // the breaker metric fails it.
    assert.equal(argo.same!["dark-error-excess"], 0);
    assert.equal(argo.failing!["dark-error-excess"], null);
    assert.ok(argo.failing!["breaker-open"]! > 0, `breaker-open ${argo.failing!["breaker-open"]}`);
    assert.equal(argo.same!["breaker-open"], 0);
    assert.ok(argo.same!["latency-p95-ratio"] !== null && argo.same!["latency-p95-ratio"]! > 0);
    // The conditions' limits: `same` succeeds on the two count checks, `differ` and `failing` fail one.
    assert.ok(argo.same!.divergence! <= 0.01 && argo.same!["dark-error-excess"]! <= 0.005);
    assert.ok(argo.differ!.divergence! > 0.01);

    const byName = Object.fromEntries(flagger.map((t) => [t.metadata.name, t.spec.query]));
    assert.equal(await value(fillFlagger(byName["dark-launch-divergence"]!, "differ")), 100);
    assert.equal(await value(fillFlagger(byName["dark-launch-divergence"]!, "same")), 0);
    assert.equal(await value(fillFlagger(byName["dark-launch-error-excess"]!, "same")), 0);
    assert.ok((await value(fillFlagger(byName["dark-launch-breaker-open"]!, "failing")))! > 0);
    assert.equal(await value(fillFlagger(byName["dark-launch-breaker-open"]!, "same")), 0);
    // A rule without traffic gives no value: Flagger halts instead of passing.
    assert.equal(await value(fillFlagger(byName["dark-launch-divergence"]!, "hard")), null);
  });

  test("a dark service that fails hard is FAILed from Prometheus within seconds of traffic", async (t) => {
    const started = Date.now();
    let failedAt: number | null = null;
    let reasons: string[] = [];
    let i = 0;
    // 30 requests a second over the three Envoys, while polling the verdict every half second.
    const traffic = (async () => {
      while (failedAt === null && Date.now() - started < 30000) {
        await Promise.all([0, 1, 2].map((k) => send(envoys[k]!.url, { path: `/hard/${i++}` })));
        await sleep(100);
      }
    })();
    while (failedAt === null && Date.now() - started < 30000) {
      const run = await cli(["verdict", "--prometheus", prometheus.url, "--window", "1m", "--rule", "hard", "--json"]);
      const doc = JSON.parse(run.stdout) as VerdictDocument;
      if (doc.verdict === "FAIL") {
        failedAt = Date.now();
        reasons = doc.rules[0]!.reasons;
      } else await sleep(500);
    }
    await traffic;
    assert.ok(failedAt !== null, "not FAILed within 30 s");
    const seconds = (failedAt - started) / 1000;
    // Prometheus scrapes every second here: a few scrapes and one query. (Measured: about 2 s.)
    assert.ok(seconds < 10, `FAILed ${seconds} s after the traffic started`);
    assert.match(reasons[0]!, /^error_rate: /);
    t.diagnostic(
      `a hard-failing dark service: FAIL from Prometheus ${seconds.toFixed(1)} s after its traffic started (${i} requests sent)`,
    );
  });
});
