// The demo (`npm start`): a demo primary, a dark and a noise service, a sample collector
// (`darklaunch collect`, with the diff page), Envoy with the dark-launch filter in front of them
// (envoy/demo.yaml, the filter's configuration by ECDS from a file), steady traffic, and
// `darklaunch watch` until Ctrl-C.
//
//   npm start                       traffic and the live view until Ctrl-C
//   npm start -- --duration 20      20 s of traffic, then the per-rule stats, `darklaunch verdict`
//                                   and `darklaunch diff`
//
// While it runs, `npx darklaunch set <rule> ... --ecds build/demo/dark-launch-filter.yaml` in
// another terminal changes the filter's configuration without a restart.
// Every process the demo starts is stopped when it ends, fails or is interrupted (Ctrl-C).

import { existsSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { runCli, type CliIO } from "../tools/darklaunch/src/cli.js";
import { renderVerdict, type VerdictDocument } from "../tools/darklaunch/src/commands/verdict.js";
import type { CheckName, Verdict } from "../tools/darklaunch/src/judge.js";
import { colourWanted, Painter } from "../tools/darklaunch/src/table.js";
import { FILTER_WASM_PATH, PROJECT_ROOT } from "../tools/lib/envoy.js";
import { startDemoCollector } from "./collector.js";
import { busyPorts, DEMO_SAMPLES_DB, DEMO_THRESHOLDS, readDemoConfig, writeDemoRunFiles } from "./demo-config.js";
import { startEnvoyFromFile } from "./envoy.js";
import { envoyLogLineForPeople } from "./envoy-log.js";
import { startDemoService } from "./services.js";
import { brokenInvariants, darkCallsPending, readDarkLaunchStats, renderStatsTable } from "./stats.js";
import { STATS_FLUSH_PERIOD_MS } from "../assembly/darklaunch/stats_names.js";
import { describeStatuses, newTally, sendSteadyTraffic, type ClientTally } from "./traffic.js";

/** Bounded, to keep the demo light on a small machine. */
const RATE_PER_SECOND = 96;
/** The longest dark timeout in the demo rules is 1000 ms (the default); wait a bit longer. */
const SETTLE_TIMEOUT_MS = 5000;
/** The filter gives up on a sample after 5 s (docs/configuration.md, samples): wait that long at most. */
const SAMPLES_TIMEOUT_MS = 6000;
/** The demo rule with a noise cluster and volatile fields. */
const NOISY_RULE = "noisy";

/**
 * What each demo rule should come to after `--duration 20`, the check that should fail, and what
 * it shows when that is not obvious. `also`: a verdict that is as built too (a longer run).
 */
const EXPECTED: Record<string, { verdict: Verdict; also?: Verdict; failing?: CheckName; why?: string }> = {
  same: { verdict: "PASS" },
  differs: { verdict: "FAIL", failing: "divergence" },
  slow: { verdict: "FAIL", failing: "latency_p95" },
  flaky: { verdict: "FAIL", failing: "error_rate" },
  // Every pair differs on both sides: dark minus noise is 0 however the price differs, NOT ENOUGH
  // DATA at first, PASS from about 420 pairs (about 27 s).
  [NOISY_RULE]: {
    verdict: "NOT_ENOUGH_DATA",
    also: "PASS",
    why: `every pair differs on the dark and the noise side alike (the volatile meta.* fields), which hides the price changes; \`npx darklaunch noise --rule ${NOISY_RULE}\` says what to ignore`,
  },
};

const USAGE = `usage: npm start [-- --duration SECONDS]

  (no option)          steady traffic and \`darklaunch watch\` until Ctrl-C
  --duration SECONDS   traffic for SECONDS, then the per-rule stats, \`darklaunch verdict\` and
                       \`darklaunch diff\` (what differs, from the samples); stops by itself
`;

// Stopping: steps pushed as things start, run in reverse order, once.
const cleanups: Array<{ what: string; run: () => Promise<void> }> = [];
let cleaningUp: Promise<void> | null = null;
/** Aborted on Ctrl-C (or SIGTERM): the traffic and the watch stop. */
const interrupt = new AbortController();
let endlessMode = false;
/** When the first stop signal came: a second one within this time is the same Ctrl-C. */
let firstSignalAt = 0;
const SAME_SIGNAL_MS = 1000;
/** Envoy's latest warnings and errors, for the live view's footer (the screen is redrawn each second). */
const envoyNotices: string[] = [];
const MAX_ENVOY_NOTICES = 4;

function cleanUp(): Promise<void> {
  cleaningUp ??= (async () => {
    for (let step = cleanups.pop(); step !== undefined; step = cleanups.pop()) {
      try {
        await step.run();
      } catch (error) {
        console.error(`demo: stopping ${step.what} failed: ${String(error)}`);
      }
    }
  })();
  return cleaningUp;
}

/** Stops the traffic and the watch, then everything else, and exits with `code`. */
function stopAndExit(why: string, code: number): void {
  if (interrupt.signal.aborted) {
    console.error(`\ndemo: ${why} again, exiting now`);
    process.exit(code);
  }
  interrupt.abort();
  console.error(`\ndemo: ${why}, stopping everything...`);
  void cleanUp().then(() => {
    console.error("demo: stopped everything it started");
    process.exit(code);
  });
}

function onSignal(signal: NodeJS.Signals): void {
  // Ctrl-C under `npm start` arrives twice: from the terminal and forwarded by npm. One press is
  // one stop; only a press a second later means "now".
  if (interrupt.signal.aborted && Date.now() - firstSignalAt < SAME_SIGNAL_MS) return;
  if (!interrupt.signal.aborted) firstSignalAt = Date.now();
  // Ctrl-C is how the endless demo ends: that is a normal end (like `darklaunch watch`).
  stopAndExit(signal, signal === "SIGINT" ? (endlessMode ? 0 : 130) : 143);
}

/** Shows one of Envoy's warnings or errors: at once, and in the live view's footer. */
function showEnvoyLine(line: string): void {
  const shown = envoyLogLineForPeople(line);
  if (shown === null) return;
  console.error(shown);
  if (shown.includes("\n  (expected: ")) return; // explained once is enough; the footer keeps news
  envoyNotices.push(shown);
  if (envoyNotices.length > MAX_ENVOY_NOTICES) envoyNotices.shift();
}

/** The collector's lines after its start (refusals, retention): shown like Envoy's. */
function showCollectorLine(line: string): void {
  if (line.trim() === "") return;
  console.error(line);
}

/**
 * Samples are POSTed once a pair is compared and may still be on their way when the dark calls
 * have ended: wait until the filter's sample counters stand still and the collector holds as many
 * samples as the filter counts as sent (at most the filter's own sample timeout).
 */
async function samplesArrived(collectorUrl: string, adminUrl: string): Promise<void> {
  const deadline = Date.now() + SAMPLES_TIMEOUT_MS;
  let previous = "";
  for (;;) {
    const counters = (await readDarkLaunchStats(adminUrl)).samples;
    const info = (await (await fetch(`${collectorUrl}/api/info`)).json()) as { samples?: number };
    const now = `${counters.get("sent") ?? 0}/${counters.get("failed") ?? 0}/${info.samples ?? 0}`;
    if ((now === previous && (info.samples ?? 0) === (counters.get("sent") ?? 0)) || Date.now() > deadline) return;
    previous = now;
    await sleep(300);
  }
}

/** Dark calls outlive the client's requests: wait until each has an outcome, then one stats flush. */
async function settle(adminUrl: string): Promise<void> {
  // The filter's workers hand their counts to Envoy every STATS_FLUSH_PERIOD_MS: let the last
  // requests' counts arrive before judging what is still pending from them.
  await sleep(2 * STATS_FLUSH_PERIOD_MS);
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  for (;;) {
    const stats = await readDarkLaunchStats(adminUrl);
    const pending = stats.rules.reduce((total, rule) => total + darkCallsPending(stats.byRule.get(rule)!), 0);
    if (pending === 0) break;
    if (Date.now() > deadline) {
      console.log(`demo: ${pending} dark calls still pending after ${SETTLE_TIMEOUT_MS} ms`);
      break;
    }
    await sleep(200);
  }
  await sleep(1200); // one stats flush (stats_flush_interval: 1s): the latency histograms catch up
}

function clientSummary(tally: ClientTally): string[] {
  return [
    `client: ${tally.sent} requests sent; responses ${describeStatuses(tally)}; ${tally.errors} without a response`,
    tally.notFromPrimary === 0
      ? "client: every response came from the primary service"
      : `client: ${tally.notFromPrimary} responses did NOT come from the primary service`,
  ];
}

/** One line per demo rule: the verdict it got against the one the demo is built to show. */
function expectationLines(doc: VerdictDocument, seconds: number): string[] {
  const lines: string[] = [];
  for (const report of doc.rules) {
    const expected = EXPECTED[report.rule];
    if (expected === undefined) continue;
    const failing = report.checks.filter((c) => c.verdict === "FAIL").map((c) => c.check);
    const got = `${report.rule}: ${report.verdict}${failing.length > 0 ? ` (${failing.join(", ")})` : ""}`;
    const asBuilt =
      (report.verdict === expected.verdict || report.verdict === expected.also) &&
      (expected.failing === undefined || failing.includes(expected.failing));
    if (asBuilt) lines.push(`  ${got}, as the demo is built to show${expected.why === undefined ? "" : `: ${expected.why}`}`);
    else if (report.verdict === "NOT_ENOUGH_DATA")
      lines.push(
        `  ${got}: ${seconds} s of traffic is too short for it${seconds < 20 ? "; try --duration 20" : " on this machine; try a longer --duration"}`,
      );
    else lines.push(`  ${got}: the demo expects ${expected.verdict}${expected.failing ? ` (${expected.failing})` : ""}`);
  }
  return lines;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { duration: { type: "string" }, help: { type: "boolean", short: "h" } } });
  if (values.help === true) {
    process.stdout.write(USAGE);
    return 0;
  }
  const duration = values.duration === undefined ? null : Number(values.duration);
  if (duration !== null && !(Number.isFinite(duration) && duration > 0)) {
    throw new Error(`--duration must be a positive number of seconds (got ${values.duration})`);
  }
  endlessMode = duration === null;
  if (!existsSync(FILTER_WASM_PATH)) throw new Error("build/dark-launch.wasm is missing: run `npm run build` (npm start does)");

  const config = readDemoConfig();
  const busy = await busyPorts(config);
  if (busy.length > 0) {
    throw new Error(
      `demo port${busy.length > 1 ? "s" : ""} in use on 127.0.0.1: ${busy.map((p) => `${p.port} (${p.what})`).join(", ")}. ` +
        `Is another demo or Envoy running? \`ss -ltnp\` shows which process holds a port.`,
    );
  }

  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  // Whoever reads the output went away (`npm start | head`, a killed parent): stop, do not run on.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE" && !interrupt.signal.aborted) stopAndExit("output closed", 141);
  });

  const primary = await startDemoService("primary", config.primary.port);
  cleanups.push({ what: "the primary service", run: () => primary.close() });
  const dark = await startDemoService("dark", config.dark.port);
  cleanups.push({ what: "the dark service", run: () => dark.close() });
  const noise = await startDemoService("noise", config.noise.port);
  cleanups.push({ what: "the noise service", run: () => noise.close() });
  console.log(
    `demo: primary service on 127.0.0.1:${primary.port}, dark service on 127.0.0.1:${dark.port}, noise service on 127.0.0.1:${noise.port}`,
  );
  const collector = await startDemoCollector({
    projectRoot: PROJECT_ROOT,
    port: config.collector.port,
    db: DEMO_SAMPLES_DB,
    onLogLine: showCollectorLine,
  });
  cleanups.push({ what: "the sample collector", run: () => collector.stop() });
  console.log(
    `demo: sample collector \`darklaunch collect\` (pid ${collector.pid}) on ${collector.url.slice(7)}, database ${DEMO_SAMPLES_DB}`,
  );

  const files = writeDemoRunFiles(config);
  const envoy = await startEnvoyFromFile({ projectRoot: PROJECT_ROOT, configPath: files.bootstrap, onLogLine: showEnvoyLine });
  cleanups.push({ what: "Envoy", run: () => envoy.stop() });
  console.log(`demo: Envoy (pid ${envoy.pid}) listening on ${envoy.url.slice(7)}, admin on ${envoy.adminUrl.slice(7)}`);
  console.log(`demo: Envoy runs ${files.bootstrap}; the filter's configuration comes by ECDS from ${files.ecds}`);

  const initial = await readDarkLaunchStats(envoy.adminUrl);
  if (initial.rules.length === 0) {
    throw new Error(
      "Envoy shows no wasmcustom.darklaunch.<rule>.* stats: is build/dark-launch.wasm the filter? Rebuild with `npm run build`.",
    );
  }
  console.log(
    `demo: rules ${initial.rules.join(", ")}; ${RATE_PER_SECOND} requests/s${duration === null ? " until Ctrl-C" : ` for ${duration} s`}`,
  );

  const pageLine = `what differs, from the mismatch samples: the diff page ${collector.url}/, or npx darklaunch diff; npx darklaunch noise --rule ${NOISY_RULE}`;
  const tryLines = [
    "try, in another terminal from the project root (applied without a restart, in about a second):",
    `  npx darklaunch set differs --disable --ecds ${files.ecds}     kill switch for one rule`,
    `  npx darklaunch set differs --enable --ecds ${files.ecds}`,
    `  npx darklaunch set same --percent 10 --ecds ${files.ecds}     ramp`,
    `  npx darklaunch verdict --admin ${envoy.adminUrl} --thresholds ${DEMO_THRESHOLDS}`,
    pageLine,
  ];
  console.log(`\n${tryLines.join("\n")}\n`);

  // The traffic, until the duration is over or Ctrl-C.
  const stopTraffic = new AbortController();
  interrupt.signal.addEventListener("abort", () => stopTraffic.abort(), { once: true });
  const tally = newTally();
  const startedAt = Date.now();
  const traffic = sendSteadyTraffic(envoy.url, RATE_PER_SECOND, tally, stopTraffic.signal);
  cleanups.push({
    what: "the traffic",
    run: async () => {
      stopTraffic.abort();
      await traffic;
    },
  });

  // `darklaunch watch`, in this process, with the demo's thresholds for its "so far" column. On a
  // terminal it redraws the screen each second; the demo keeps its own lines below each redraw.
  const stopWatch = new AbortController();
  interrupt.signal.addEventListener("abort", () => stopWatch.abort(), { once: true });
  const isTTY = process.stdout.isTTY === true;
  const footer = (): string =>
    `\ndemo: ${Math.round((Date.now() - startedAt) / 1000)}${duration === null ? "" : `/${duration}`} s, ` +
    `${tally.sent} requests sent, responses ${describeStatuses(tally)}\n` +
    `${tryLines.slice(0, 4).join("\n")}\n${pageLine}\n` +
    (envoyNotices.length > 0 ? `Envoy's latest warnings and errors:\n${envoyNotices.map((n) => `  ${n}`).join("\n")}\n` : "") +
    (duration === null ? "Ctrl-C stops the demo.\n" : "");
  const watchIO: CliIO = {
    out: (text) => void process.stdout.write(isTTY ? text + footer() : text),
    err: (text) => void process.stderr.write(text),
    isTTY,
    colour: colourWanted(isTTY, process.env),
    env: process.env,
    signal: stopWatch.signal,
  };
  const watch = runCli(["watch", "--admin", envoy.adminUrl, "--thresholds", DEMO_THRESHOLDS], watchIO);
  cleanups.push({
    what: "darklaunch watch",
    run: async () => {
      stopWatch.abort();
      await watch;
    },
  });

  if (duration === null) {
    await new Promise<void>((resolve) => interrupt.signal.addEventListener("abort", () => resolve(), { once: true }));
    return 0; // onSignal stops everything and exits
  }

  await Promise.race([
    sleep(duration * 1000),
    new Promise<void>((resolve) => interrupt.signal.addEventListener("abort", () => resolve(), { once: true })),
  ]);
  stopTraffic.abort();
  await traffic;
  stopWatch.abort();
  await watch;
  if (interrupt.signal.aborted) return 130;

  console.log(`\ndemo: traffic stopped after ${duration} s; waiting for the dark calls to finish...`);
  await settle(envoy.adminUrl);
  await samplesArrived(collector.url, envoy.adminUrl);
  const stats = await readDarkLaunchStats(envoy.adminUrl);

  console.log("");
  for (const line of clientSummary(tally)) console.log(line);
  console.log(`\nper-rule stats (wasmcustom.darklaunch.<rule>.<stat> at ${envoy.adminUrl}/stats):\n`);
  console.log(renderStatsTable(stats));
  const broken = stats.rules.flatMap((rule) => brokenInvariants(stats.byRule.get(rule)!).map((problem) => `rule ${rule}: ${problem}`));
  for (const problem of broken) console.log(`invariant broken, ${problem}`);

  const prometheus = await (await fetch(`${envoy.adminUrl}/stats/prometheus`)).text();
  const mirroredLines = prometheus.split("\n").filter((line) => line.startsWith("darklaunch_mirrored{"));
  if (mirroredLines.length > 0) {
    console.log(`\nthe same in Prometheus format (${envoy.adminUrl}/stats/prometheus), e.g.:`);
    for (const line of mirroredLines) console.log(`  ${line}`);
  }

  // `darklaunch verdict`, in this process: read once as JSON, shown as the CLI shows it.
  const verdictArgs = ["verdict", "--admin", envoy.adminUrl, "--thresholds", DEMO_THRESHOLDS];
  let json = "";
  const verdictIO: CliIO = {
    ...watchIO,
    out: (text) => {
      json += text;
    },
    signal: interrupt.signal,
  };
  const verdictCode = await runCli([...verdictArgs, "--json"], verdictIO);
  if (json === "") throw new Error(`darklaunch verdict printed nothing (exit code ${verdictCode})`);
  const doc = JSON.parse(json) as VerdictDocument;
  console.log(`\n$ npx darklaunch ${verdictArgs.join(" ")}`);
  console.log(
    `(${DEMO_THRESHOLDS}: the default limits, but 2 points of errors and 5 ms of latency, so that a short demo can show a PASS)\n`,
  );
  process.stdout.write(renderVerdict(doc, new Painter(watchIO.colour)));
  console.log(`\ndemo: the verdicts against what the demo is built to show:`);
  for (const line of expectationLines(doc, duration)) console.log(line);

  // What differs, from the samples the collector stored.
  const diffArgs = ["diff", "--collector", collector.url];
  console.log(`\n$ npx darklaunch ${diffArgs.join(" ")}`);
  const diffCode = await runCli(diffArgs, { ...watchIO, out: (text) => void process.stdout.write(text), signal: interrupt.signal });
  if (diffCode !== 0) console.log(`demo: darklaunch diff exited with ${diffCode}`);
  console.log(
    `\ndemo: the diff page was at ${collector.url}/ while the demo ran; the samples stay in ${DEMO_SAMPLES_DB} until the next start:\n` +
      `  npx darklaunch collect --db ${DEMO_SAMPLES_DB}      then ${collector.url}/ again\n` +
      `  npx darklaunch noise --rule ${NOISY_RULE} --db ${DEMO_SAMPLES_DB}   the ignore list to paste (README.md, "See the difference")`,
  );

  if (broken.length > 0 || tally.notFromPrimary > 0) {
    console.error("demo: FAILED: the filter broke an invariant or let a dark response through (see above)");
    return 1;
  }
  return 0;
}

let exitCode: number;
try {
  exitCode = await main();
} catch (error) {
  exitCode = interrupt.signal.aborted ? 130 : 1; // a failure caused by the interruption is not one
  if (!interrupt.signal.aborted) console.error(`demo: ${error instanceof Error ? error.message : String(error)}`);
}
if (!interrupt.signal.aborted) {
  await cleanUp();
  console.log("demo: stopped everything it started");
  process.exit(exitCode);
}
// Interrupted: onSignal finishes the clean-up and exits.
