// The demo's upstreams: the primary (what users get), the dark version being tried out, and the
// noise service, a second instance of the primary's (current) version. All answer the same five
// endpoints; the dark side differs on purpose on four of them:
//   /api/same     identical on both sides
//   /api/differs  the dark body has an extra field
//   /api/slow     the dark side takes 60-120 ms, the primary 2-10 ms
//   /api/flaky    the dark side answers 500 on about one call in five
//   /api/noisy    every answer carries volatile fields (meta.request_id, new on every response;
//                 meta.served_by, the instance), so any two answers differ there, even two of the
//                 same version; on top of that the dark side prices one item in four differently
// Anything else is 404 on every side.

import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** `noise` is the current version like `primary`: it answers as the primary does. */
export type Side = "primary" | "dark" | "noise";

/** The instance names in `meta.served_by`: two instances of version 1, one of version 2. */
const INSTANCE: Record<Side, string> = { primary: "v1-a", noise: "v1-b", dark: "v2-a" };

/** /api/noisy: the price of an item, as the current version computes it. */
function price(item: number): number {
  return 5 + (item % 20) * 1.25;
}

/** The dark version prices the items whose number is a multiple of 4 10% lower. */
export function darkPriceDiffers(item: number): boolean {
  return item % 4 === 0;
}

export interface DemoService {
  readonly side: Side;
  readonly port: number;
  /** Requests answered so far, by path (without the query). */
  readonly requestsByPath: Map<string, number>;
  close(): Promise<void>;
}

const DARK_FAILURE_RATE = 0.2;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function randomBetween(low: number, high: number): number {
  return low + Math.random() * (high - low);
}

function sendJson(res: ServerResponse, side: Side, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    // Not compared by the demo rules; lets the client check it always got the primary's answer.
    "x-demo-side": side,
  });
  res.end(text);
}

async function answer(side: Side, req: IncomingMessage, res: ServerResponse): Promise<void> {
  // Read the whole request body first (POSTs), as a real service would.
  for await (const _chunk of req) {
    // discard
  }
  const url = new URL(req.url ?? "/", "http://demo");
  const item = url.searchParams.get("item") ?? "0";
  switch (url.pathname) {
    case "/api/same":
      return sendJson(res, side, 200, { item, stock: 3 });
    case "/api/differs": {
      const body: Record<string, unknown> = { item, price: "10.00", currency: "EUR" };
      if (side === "dark") body.discount = null;
      return sendJson(res, side, 200, body);
    }
    case "/api/slow":
      await delay(side === "dark" ? randomBetween(60, 120) : randomBetween(2, 10));
      return sendJson(res, side, 200, { item, report: "ready" });
    case "/api/noisy": {
      const n = Number.parseInt(item, 10) || 0;
      const amount = side === "dark" && darkPriceDiffers(n) ? price(n) * 0.9 : price(n);
      return sendJson(res, side, 200, {
        item,
        price: amount.toFixed(2),
        currency: "EUR",
        meta: { request_id: randomUUID(), served_by: INSTANCE[side] },
      });
    }
    case "/api/flaky":
      if (side === "dark" && Math.random() < DARK_FAILURE_RATE) {
        return sendJson(res, side, 500, { error: "dark side failed" });
      }
      return sendJson(res, side, 200, { item, ok: true });
    default:
      return sendJson(res, side, 404, { error: "not found" });
  }
}

/** Starts one demo service on 127.0.0.1:`port` (0 = any free port). */
export async function startDemoService(side: Side, port: number): Promise<DemoService> {
  const requestsByPath = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    requestsByPath.set(path, (requestsByPath.get(path) ?? 0) + 1);
    answer(side, req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, side, 500, { error: String(error) });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      reject(error.code === "EADDRINUSE" ? new Error(`port ${port} (demo ${side} service) is in use: is another demo running?`) : error);
    });
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const actualPort = (server.address() as AddressInfo).port;
  return {
    side,
    port: actualPort,
    requestsByPath,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // Envoy keeps connections alive
      }),
  };
}
