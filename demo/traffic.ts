// The demo's client: steady traffic through Envoy at a bounded rate, across the demo endpoints,
// each request carrying a sticky user id (`x-user-id`), which the `differs` rule samples by.
// It also checks that every response came from the primary service (the dark one never reaches
// the client).

import { setTimeout as sleep } from "node:timers/promises";

interface PlannedRequest {
  method: string;
  path: string;
  /** Share of the traffic, in slots of TRAFFIC_MIX's total. */
  weight: number;
}

/**
 * The traffic mix. At 96 requests/s, `same` gets about 27 a second (401 clean pairs, what PASS at
 * 1% divergence needs, in about 15 s). POST is in no rule's `methods` (skipped.method); /about
 * matches no rule.
 */
export const TRAFFIC_MIX: readonly PlannedRequest[] = [
  { method: "GET", path: "/api/same", weight: 7 },
  { method: "GET", path: "/api/differs", weight: 5 },
  { method: "GET", path: "/api/slow", weight: 3 },
  { method: "GET", path: "/api/flaky", weight: 4 },
  { method: "GET", path: "/api/noisy", weight: 4 },
  { method: "POST", path: "/api/same", weight: 1 },
  { method: "GET", path: "/about", weight: 1 },
];
const MIX_SLOTS: readonly PlannedRequest[] = TRAFFIC_MIX.flatMap((planned) => Array<PlannedRequest>(planned.weight).fill(planned));

/** Distinct user ids; each one is either always mirrored by a sampled rule or never. */
const USERS = 200;
/** Requests in flight at most: a slow Envoy slows the client instead of piling up requests. */
const MAX_IN_FLIGHT = 64;

export interface ClientTally {
  sent: number;
  byStatus: Map<number, number>;
  /** Responses without `x-demo-side: primary`: must stay 0. */
  notFromPrimary: number;
  /** Requests without a response (connection errors). */
  errors: number;
}

export function newTally(): ClientTally {
  return { sent: 0, byStatus: new Map(), notFromPrimary: 0, errors: 0 };
}

/** `120 × 200, 6 × 404` */
export function describeStatuses(tally: ClientTally): string {
  const parts = [...tally.byStatus.entries()].sort(([a], [b]) => a - b).map(([status, count]) => `${count} × ${status}`);
  return parts.length === 0 ? "none" : parts.join(", ");
}

async function sendOne(envoyUrl: string, index: number, tally: ClientTally): Promise<void> {
  const planned = MIX_SLOTS[index % MIX_SLOTS.length]!;
  tally.sent++;
  try {
    const response = await fetch(`${envoyUrl}${planned.path}?item=${index % 97}`, {
      method: planned.method,
      headers: { "x-user-id": `user-${(index * 7) % USERS}` },
      body: planned.method === "POST" ? JSON.stringify({ item: index }) : undefined,
      signal: AbortSignal.timeout(10_000),
    });
    await response.arrayBuffer();
    tally.byStatus.set(response.status, (tally.byStatus.get(response.status) ?? 0) + 1);
    if (response.headers.get("x-demo-side") !== "primary") tally.notFromPrimary++;
  } catch {
    tally.errors++;
  }
}

/**
 * Sends about `ratePerSecond` requests a second until `stop` is aborted, then waits for the
 * requests in flight.
 */
export async function sendSteadyTraffic(envoyUrl: string, ratePerSecond: number, tally: ClientTally, stop: AbortSignal): Promise<void> {
  const started = Date.now();
  const inFlight = new Set<Promise<void>>();
  let index = 0;
  while (!stop.aborted) {
    const due = Math.floor(((Date.now() - started) / 1000) * ratePerSecond);
    // Behind schedule (the machine is busy): skip ahead rather than send a burst.
    if (due - index > ratePerSecond) index = due - ratePerSecond;
    while (index < due && inFlight.size < MAX_IN_FLIGHT) {
      const request: Promise<void> = sendOne(envoyUrl, index++, tally).finally(() => inFlight.delete(request));
      inFlight.add(request);
    }
    await sleep(10);
  }
  await Promise.all(inFlight);
}
