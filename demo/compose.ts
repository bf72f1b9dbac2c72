// The demo's parts as separate processes, for docker-compose.yml (one container each):
//   node demo/compose.ts primary PORT        the demo primary service on 127.0.0.1:PORT
//   node demo/compose.ts dark PORT           the demo dark service
//   node demo/compose.ts noise PORT          the demo noise service (a second instance of the primary's version)
//   node demo/compose.ts traffic URL RATE    steady demo traffic to URL, RATE requests/s
// Only Node's own modules and erasable TypeScript, so that Node 22 runs it as it is (type
// stripping) without the project's node_modules; the deploy tier checks both. SIGTERM / SIGINT
// stop it.

import { startDemoService, type Side } from "./services.ts";
import { describeStatuses, newTally, sendSteadyTraffic } from "./traffic.ts";

const USAGE = "usage: node demo/compose.ts (primary PORT | dark PORT | noise PORT | traffic URL RATE)";

function stopSignal(): Promise<string> {
  return new Promise((resolve) => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => resolve(signal));
  });
}

async function main(args: string[]): Promise<number> {
  const [what, first, second] = args;
  if ((what === "primary" || what === "dark" || what === "noise") && first !== undefined && /^\d+$/.test(first)) {
    const service = await startDemoService(what as Side, Number(first));
    console.log(`demo ${what} service on 127.0.0.1:${service.port}`);
    const signal = await stopSignal();
    await service.close();
    console.log(`demo ${what} service stopped (${signal})`);
    return 0;
  }
  if (what === "traffic" && first !== undefined && second !== undefined && Number(second) > 0) {
    const stop = new AbortController();
    void stopSignal().then(() => stop.abort());
    const tally = newTally();
    const report = setInterval(
      () => console.log(`demo traffic: ${tally.sent} requests sent, responses ${describeStatuses(tally)}`),
      10_000,
    );
    console.log(`demo traffic to ${first}, ${second} requests/s`);
    await sendSteadyTraffic(first, Number(second), tally, stop.signal);
    clearInterval(report);
    console.log(`demo traffic stopped: ${tally.sent} requests sent, responses ${describeStatuses(tally)}`);
    return 0;
  }
  console.error(USAGE);
  return 2;
}

process.exitCode = await main(process.argv.slice(2));
