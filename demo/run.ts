// The demo (`npm start`): two demo services, Envoy with the dark-launch filter in front of them
// (envoy/demo.yaml), some traffic, then the filter's per-rule stats as a table.
//
//   npm start                       a short burst of traffic
//   npm start -- --duration 30      steady traffic for 30 seconds
//
// Every process the demo starts is stopped when it ends, fails or is interrupted (Ctrl-C).

import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { FILTER_WASM_PATH, PROJECT_ROOT } from "../tools/lib/envoy.js";
import { startEnvoyFromFile, type EnvoyFromFile } from "./envoy.js";
import { startDemoService } from "./services.js";
import { brokenInvariants, darkCallsPending, readDarkLaunchStats, renderStatsTable } from "./stats.js";

// Fixed demo ports, as documented in envoy/demo.yaml (Envoy's listener 10000, admin 9901).
const PRIMARY_PORT = 8081;
const DARK_PORT = 8082;

const BURST_REQUESTS = 400;
const CONCURRENCY = 16;
const STEADY_RATE_PER_SECOND = 100;
/** Longest dark timeout in demo.yaml is the default 1000 ms; wait a bit longer than that. */
const SETTLE_TIMEOUT_MS = 5000;

interface PlannedRequest {
  method: string;
  path: string;
  weight: number;
}

// The traffic mix. POST is in no rule's `methods` (skipped.method); /about matches no rule.
const TRAFFIC_MIX: PlannedRequest[] = [
  { method: "GET", path: "/api/same", weight: 3 },
  { method: "GET", path: "/api/differs", weight: 3 },
  { method: "GET", path: "/api/slow", weight: 2 },
  { method: "GET", path: "/api/flaky", weight: 3 },
  { method: "POST", path: "/api/same", weight: 1 },
  { method: "GET", path: "/about", weight: 1 },
];
const MIX_SLOTS = TRAFFIC_MIX.flatMap((planned) => Array<PlannedRequest>(planned.weight).fill(planned));

interface ClientTally {
  sent: number;
  byStatus: Map<number, number>;
  notFromPrimary: number;
  errors: number;
}

const cleanups: Array<{ what: string; run: () => Promise<void> }> = [];
let cleaningUp: Promise<void> | null = null;

/** Stops everything started so far, in reverse order; safe to call more than once. */
function cleanUp(): Promise<void> {
  cleaningUp ??= (async () => {
    while (cleanups.length > 0) {
      const step = cleanups.pop();
      if (step === undefined) break;
      try {
        await step.run();
      } catch (error) {
        console.error(`demo: stopping ${step.what} failed: ${String(error)}`);
      }
    }
  })();
  return cleaningUp;
}

function onSignal(signal: NodeJS.Signals): void {
  if (cleaningUp !== null) {
    console.error(`\ndemo: ${signal} again, exiting now`);
    process.exit(130);
  }
  console.error(`\ndemo: ${signal}, stopping everything...`);
  void cleanUp().then(() => process.exit(130));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function sendOne(envoyUrl: string, index: number, tally: ClientTally): Promise<void> {
  const planned = MIX_SLOTS[index % MIX_SLOTS.length] ?? TRAFFIC_MIX[0]!;
  tally.sent++;
  try {
    const response = await fetch(`${envoyUrl}${planned.path}?item=${index % 97}`, {
      method: planned.method,
      headers: { "x-user-id": `user-${(index * 7) % 40}` },
      body: planned.method === "POST" ? JSON.stringify({ item: index }) : undefined,
    });
    await response.arrayBuffer();
    tally.byStatus.set(response.status, (tally.byStatus.get(response.status) ?? 0) + 1);
    // The dark response must never reach the client.
    if (response.headers.get("x-demo-side") !== "primary") tally.notFromPrimary++;
  } catch {
    tally.errors++;
  }
}

/** A burst of `count` requests, `CONCURRENCY` at a time. */
async function sendBurst(envoyUrl: string, count: number, tally: ClientTally): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count && cleaningUp === null) await sendOne(envoyUrl, next++, tally);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

/** Steady traffic at about `STEADY_RATE_PER_SECOND` for `seconds`, with a progress line. */
async function sendSteady(envoyUrl: string, seconds: number, tally: ClientTally): Promise<void> {
  const started = Date.now();
  const end = started + seconds * 1000;
  const inFlight = new Set<Promise<void>>();
  let index = 0;
  let lastReport = started;
  while (Date.now() < end && cleaningUp === null) {
    const due = Math.floor(((Date.now() - started) / 1000) * STEADY_RATE_PER_SECOND);
    while (index < due && inFlight.size < CONCURRENCY * 4) {
      const request = sendOne(envoyUrl, index++, tally).finally(() => inFlight.delete(request));
      inFlight.add(request);
    }
    if (Date.now() - lastReport >= 5000) {
      lastReport = Date.now();
      const elapsed = Math.round((lastReport - started) / 1000);
      console.log(`demo: ${elapsed}/${seconds} s, ${tally.sent} requests sent`);
    }
    await sleep(10);
  }
  await Promise.all(inFlight);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { duration: { type: "string" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    console.log("usage: npm start [-- --duration <seconds>]");
    return;
  }
  const duration = values.duration === undefined ? null : Number(values.duration);
  if (duration !== null && !(Number.isFinite(duration) && duration > 0)) {
    throw new Error(`--duration must be a positive number of seconds (got ${values.duration})`);
  }
  if (!existsSync(FILTER_WASM_PATH)) {
    throw new Error("build/dark-launch.wasm is missing: run `npm run build`");
  }

  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const primary = await startDemoService("primary", PRIMARY_PORT);
  cleanups.push({ what: "the primary service", run: () => primary.close() });
  const dark = await startDemoService("dark", DARK_PORT);
  cleanups.push({ what: "the dark service", run: () => dark.close() });
  console.log(`demo: primary service on 127.0.0.1:${primary.port}, dark service on 127.0.0.1:${dark.port}`);

  const envoy: EnvoyFromFile = await startEnvoyFromFile({
    projectRoot: PROJECT_ROOT,
    configPath: join("envoy", "demo.yaml"),
  });
  cleanups.push({ what: "Envoy", run: () => envoy.stop() });
  console.log(`demo: Envoy (pid ${envoy.pid}) listening on ${envoy.url.slice(7)}, admin on ${envoy.adminUrl.slice(7)}`);

  const before = await readDarkLaunchStats(envoy.adminUrl);
  if (before.rules.length === 0) {
    throw new Error(
      "Envoy shows no wasmcustom.darklaunch.<rule>.* stats: is build/dark-launch.wasm the filter " +
        "(not a prototype)? Rebuild with `npm run build`.",
    );
  }
  console.log(`demo: rules ${before.rules.join(", ")}`);

  const tally: ClientTally = { sent: 0, byStatus: new Map(), notFromPrimary: 0, errors: 0 };
  if (duration === null) {
    console.log(`demo: sending ${BURST_REQUESTS} requests, ${CONCURRENCY} at a time...`);
    await sendBurst(envoy.url, BURST_REQUESTS, tally);
  } else {
    console.log(`demo: sending about ${STEADY_RATE_PER_SECOND} requests/s for ${duration} s...`);
    await sendSteady(envoy.url, duration, tally);
  }

  // Dark calls outlive the client's requests: wait until each has an outcome.
  const settleDeadline = Date.now() + SETTLE_TIMEOUT_MS;
  let stats = await readDarkLaunchStats(envoy.adminUrl);
  const pending = (): number =>
    stats.rules.reduce((total, rule) => total + darkCallsPending(stats.byRule.get(rule)!), 0);
  while (pending() > 0 && Date.now() < settleDeadline) {
    await sleep(200);
    stats = await readDarkLaunchStats(envoy.adminUrl);
  }
  if (pending() > 0) console.log(`demo: ${pending()} dark calls still pending after ${SETTLE_TIMEOUT_MS} ms`);
  await sleep(1200); // one stats flush (stats_flush_interval: 1s) so the latency histograms show
  stats = await readDarkLaunchStats(envoy.adminUrl);

  const statuses = [...tally.byStatus.entries()]
    .sort(([a], [b]) => a - b)
    .map(([status, count]) => `${count} × ${status}`)
    .join(", ");
  console.log(`\nclient: ${tally.sent} requests sent; responses ${statuses || "none"}; ${tally.errors} errors`);
  console.log(
    tally.notFromPrimary === 0
      ? "client: every response came from the primary service"
      : `client: ${tally.notFromPrimary} responses did not come from the primary service`,
  );

  console.log(`\nper-rule stats (wasmcustom.darklaunch.<rule>.<stat> at ${envoy.adminUrl}/stats):\n`);
  console.log(renderStatsTable(stats));

  for (const rule of stats.rules) {
    for (const problem of brokenInvariants(stats.byRule.get(rule)!)) console.log(`invariant broken, rule ${rule}: ${problem}`);
  }

  const prometheus = await (await fetch(`${envoy.adminUrl}/stats/prometheus`)).text();
  const mirroredLines = prometheus.split("\n").filter((line) => line.startsWith("darklaunch_mirrored{"));
  if (mirroredLines.length > 0) {
    console.log(`\nthe same in Prometheus format (${envoy.adminUrl}/stats/prometheus), e.g.:`);
    for (const line of mirroredLines) console.log(`  ${line}`);
  }

  const filterLog = envoy
    .logs()
    .split("\n")
    .filter((line) => line.includes("darklaunch:"))
    .map((line) => line.replace(/^.*?darklaunch:/, "darklaunch:"));
  // Start-up lines ("configured ...") say little; show what the filter noticed.
  const notable = filterLog.filter((line) => !line.startsWith("darklaunch: configured"));
  const mismatches = notable.filter((line) => line.startsWith("darklaunch: mismatch")).length;
  if (notable.length > 0) {
    console.log(`\nthe filter's log (${notable.length} lines, ${mismatches} mismatches, sampled; first lines):`);
    for (const line of notable.slice(0, 4)) console.log(`  ${line}`);
  }
}

try {
  await main();
  await cleanUp();
} catch (error) {
  const interrupted = cleaningUp !== null; // the failure is the interruption's doing
  if (!interrupted) console.error(`demo: ${error instanceof Error ? error.message : String(error)}`);
  await cleanUp();
  process.exit(interrupted ? 130 : 1);
}
