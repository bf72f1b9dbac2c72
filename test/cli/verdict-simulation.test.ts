// The verdict's error rates, shown by simulation: thousands of seeded dark launches, each looked
// at after every sample with the judge's own decision functions (test/cli/simulation.ts).
//   an identical dark version FAILs in at most 1% of launches;
//   a dark version at three times a limit PASSes in at most 5% of launches;
// and the figures are the ones docs/verdict.md shows (the seeds make them exact).
// The scenarios run in two worker threads (the machine's two cores).
// SIM_RUNS=n scales the runs down for a quick look (the comparison with the docs is then skipped).

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { PROJECT_ROOT } from "../../tools/lib/envoy.js";
import * as sim from "./simulation.js";

interface Scenario {
  id: string;
  /** What is simulated, for the table. */
  what: string;
  /** "FAIL" rows are judged on their FAIL rate (must be ≤ bound), "PASS" rows on their PASS rate. */
  target: "false FAIL" | "false PASS" | "decides";
  bound: number;
  run(runs: number): sim.Outcome;
}

const FULL = { counts: 2000, latency: 1000 };
const scale = process.env.SIM_RUNS === undefined ? null : Number(process.env.SIM_RUNS);
const runsOf = (kind: keyof typeof FULL): number => scale ?? FULL[kind];

// The 3× cases: divergence 3% against 1%; error rate primary + 1.5 points against + 0.5;
// latency 1.75 × the primary (3 × the 25% allowed) against 1.25. Latency: log-normal, median
// 20 ms, σ 0.5 (p95 about 45 ms, where the ratio limit is the one that counts).
const SCENARIOS: Scenario[] = [
  {
    id: "div-0",
    what: "divergence: identical, no mismatch",
    target: "false FAIL",
    bound: 0.01,
    run: (r) => sim.simulateDivergence({ runs: r, looks: 2000, seed: 101, pDark: 0 }),
  },
  {
    id: "div-limit",
    what: "divergence: 1% (at the limit)",
    target: "false FAIL",
    bound: 0.01,
    run: (r) => sim.simulateDivergence({ runs: r, looks: 2000, seed: 102, pDark: 0.01 }),
  },
  {
    id: "div-3x",
    what: "divergence: 3% (3 × the limit)",
    target: "false PASS",
    bound: 0.05,
    run: (r) => sim.simulateDivergence({ runs: r, looks: 2000, seed: 103, pDark: 0.03 }),
  },
  {
    id: "noise-same",
    what: "divergence over noise: dark 5%, noise 5%",
    target: "false FAIL",
    bound: 0.01,
    run: (r) => sim.simulateDivergence({ runs: r, looks: 2000, seed: 104, pDark: 0.05, pNoise: 0.05 }),
  },
  {
    id: "noise-3x",
    what: "divergence over noise: dark 8%, noise 5%",
    target: "false PASS",
    bound: 0.05,
    run: (r) => sim.simulateDivergence({ runs: r, looks: 2000, seed: 105, pDark: 0.08, pNoise: 0.05 }),
  },
  {
    id: "err-0",
    what: "error rate: identical, no errors",
    target: "false FAIL",
    bound: 0.01,
    run: (r) => sim.simulateErrorRate({ runs: r, looks: 2000, seed: 106, pPrimary: 0, pDark: 0 }),
  },
  {
    id: "err-1",
    what: "error rate: identical, 1% each, independent",
    target: "false FAIL",
    bound: 0.01,
    run: (r) => sim.simulateErrorRate({ runs: r, looks: 2000, seed: 107, pPrimary: 0.01, pDark: 0.01 }),
  },
  {
    id: "err-1-shared",
    what: "error rate: identical, 1% each, same requests",
    target: "false FAIL",
    bound: 0.01,
    run: (r) => sim.simulateErrorRate({ runs: r, looks: 2000, seed: 108, pPrimary: 0.01, pDark: 0.01, shared: 1 }),
  },
  {
    id: "err-limit",
    what: "error rate: primary 0.5%, dark 1% (at the limit)",
    target: "false FAIL",
    bound: 0.01,
    run: (r) => sim.simulateErrorRate({ runs: r, looks: 2000, seed: 109, pPrimary: 0.005, pDark: 0.01 }),
  },
  {
    id: "err-3x",
    what: "error rate: primary 0.5%, dark 2% (3 × the limit)",
    target: "false PASS",
    bound: 0.05,
    run: (r) => sim.simulateErrorRate({ runs: r, looks: 2000, seed: 110, pPrimary: 0.005, pDark: 0.02 }),
  },
  {
    id: "lat-same-envoy",
    what: "latency p95: identical, Envoy's bins (admin)",
    target: "false FAIL",
    bound: 0.01,
    run: (r) => sim.simulateLatency({ runs: r, looks: 2000, seed: 111, medianMs: 20, sigma: 0.5, darkScale: 1, bins: "envoy" }),
  },
  {
    id: "lat-same-prom",
    what: "latency p95: identical, shipped buckets (Prometheus)",
    target: "false FAIL",
    bound: 0.01,
    run: (r) => sim.simulateLatency({ runs: r, looks: 2000, seed: 112, medianMs: 20, sigma: 0.5, darkScale: 1, bins: "prometheus" }),
  },
  {
    id: "lat-3x-envoy",
    what: "latency p95: dark 1.75 ×, Envoy's bins (admin)",
    target: "false PASS",
    bound: 0.05,
    run: (r) => sim.simulateLatency({ runs: r, looks: 2000, seed: 113, medianMs: 20, sigma: 0.5, darkScale: 1.75, bins: "envoy" }),
  },
  {
    id: "lat-3x-prom",
    what: "latency p95: dark 1.75 ×, shipped buckets (Prometheus)",
    target: "false PASS",
    bound: 0.05,
    run: (r) => sim.simulateLatency({ runs: r, looks: 2000, seed: 114, medianMs: 20, sigma: 0.5, darkScale: 1.75, bins: "prometheus" }),
  },
  {
    id: "rule-same",
    what: "whole rule, identical: noise 2%, errors 0.5%, same latency",
    target: "false FAIL",
    bound: 0.01,
    run: (r) => sim.simulateIdenticalRule({ runs: r, looks: 2000, seed: 115, pMismatch: 0.02, pError: 0.005, medianMs: 20, sigma: 0.5 }),
  },
];

const kindOf = (s: Scenario): keyof typeof FULL => (s.id.startsWith("lat") || s.id.startsWith("rule") ? "latency" : "counts");

if (!isMainThread) {
  // A worker: run the scenarios it was given, send back their outcomes.
  const ids = workerData as string[];
  const out: Record<string, sim.Outcome> = {};
  for (const id of ids) {
    const s = SCENARIOS.find((x) => x.id === id)!;
    out[id] = s.run(runsOf(kindOf(s)));
  }
  parentPort!.postMessage(out);
} else {
  const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;
  const table = (outcomes: Record<string, sim.Outcome>): string => {
    const rows = SCENARIOS.map((s) => {
      const o = outcomes[s.id]!;
      const looks = 2000;
      return `| ${s.what} | ${o.runs} × ${looks} | ${pct(o.everFail / o.runs)} | ${pct(o.everPass / o.runs)} | ${o.medianToFail ?? "–"} | ${o.medianToPass ?? "–"} |`;
    });
    return [
      "| simulated dark version | runs × looks | ever FAIL | ever PASS | median samples to FAIL | median samples to PASS |",
      "|---|---|---|---|---|---|",
      ...rows,
    ].join("\n");
  };

  test("simulated error rates: false FAIL ≤ 1% for identical versions, false PASS ≤ 5% at 3 × a limit", async (t) => {
    const started = Date.now();
    // Two workers, the slow latency scenarios split between them.
    const ordered = [...SCENARIOS].sort((a, b) => (kindOf(a) === kindOf(b) ? 0 : kindOf(a) === "latency" ? -1 : 1));
    const halves: string[][] = [[], []];
    ordered.forEach((s, i) => {
      halves[i % 2]!.push(s.id);
    });
    const results = await Promise.all(
      halves.map(
        (ids) =>
          new Promise<Record<string, sim.Outcome>>((resolve, reject) => {
            // A worker thread does not inherit tsx's loader: it registers it, then loads this file.
            const boot = `import("tsx/esm/api").then(({ tsImport }) => tsImport(${JSON.stringify(import.meta.url)}, ${JSON.stringify(import.meta.url)}))`;
            const worker = new Worker(boot, { eval: true, workerData: ids });
            worker.once("message", resolve);
            worker.once("error", reject);
            worker.once("exit", (code) => code !== 0 && reject(new Error(`simulation worker exited with ${code}`)));
          }),
      ),
    );
    const outcomes = Object.assign({}, ...results) as Record<string, sim.Outcome>;
    const text = table(outcomes);
    t.diagnostic(`\n${text}\n(${((Date.now() - started) / 1000).toFixed(1)} s)`);

    for (const s of SCENARIOS) {
      const o = outcomes[s.id]!;
      if (s.target === "false FAIL") assert.ok(o.everFail / o.runs <= s.bound, `${s.what}: FAILed in ${o.everFail} of ${o.runs} runs`);
      if (s.target === "false PASS") assert.ok(o.everPass / o.runs <= s.bound, `${s.what}: PASSed in ${o.everPass} of ${o.runs} runs`);
    }
    // The simulations are not vacuous: the versions over a limit are FAILed, the identical ones PASSed.
    assert.ok(outcomes["div-3x"]!.everFail / outcomes["div-3x"]!.runs > 0.95);
    assert.ok(outcomes["err-3x"]!.everFail / outcomes["err-3x"]!.runs > 0.1);
    assert.ok(outcomes["lat-3x-envoy"]!.everFail / outcomes["lat-3x-envoy"]!.runs > 0.5);
    assert.ok(outcomes["lat-same-envoy"]!.everPass / outcomes["lat-same-envoy"]!.runs > 0.5);
    assert.equal(outcomes["div-0"]!.everPass, outcomes["div-0"]!.runs);
    assert.equal(outcomes["err-0"]!.everPass, outcomes["err-0"]!.runs);

    if (scale === null) {
      const doc = readFileSync(join(PROJECT_ROOT, "docs", "verdict.md"), "utf8");
      assert.ok(doc.includes(text), `docs/verdict.md does not show these figures; put this table there:\n${text}`);
    }
  });
}
