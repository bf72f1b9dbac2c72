// Downstream clients: each request on its own connection, so Envoy sees separate connections
// (and, with several workers, spreads them). `sendRaw` keeps every byte Envoy sends back.

import { request as httpRequest } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { createServer } from "node:net";

export interface ClientRequest {
  method?: string;
  path: string;
  /** Header pairs in the order they are sent (a name may repeat). */
  headers?: [string, string][];
  body?: string | Buffer;
  /** Send the body with transfer-encoding: chunked (in two chunks) instead of content-length. */
  chunked?: boolean;
}

export interface ClientResponse {
  status: number;
  rawHeaders: string[];
  body: Buffer;
  /** Request start to the last response byte. */
  elapsedMs: number;
}

/** One request on a new connection to `baseUrl` (http://127.0.0.1:<port>). */
export function send(baseUrl: string, req: ClientRequest, timeoutMs = 15000): Promise<ClientResponse> {
  const url = new URL(baseUrl);
  const started = performance.now();
  return new Promise((resolveRes, reject) => {
    const body = req.body === undefined ? undefined : Buffer.from(req.body);
    const headers: string[] = [];
    for (const [k, v] of req.headers ?? []) headers.push(k, v);
    const hasLength = (req.headers ?? []).some(([k]) => k.toLowerCase() === "content-length");
    if (body !== undefined && !req.chunked && !hasLength) headers.push("content-length", String(body.length));
    if (req.chunked) headers.push("transfer-encoding", "chunked");
    if (!(req.headers ?? []).some(([k]) => k.toLowerCase() === "host")) headers.unshift("host", url.host);
    const r = httpRequest({
      host: url.hostname,
      port: Number(url.port),
      method: req.method ?? "GET",
      path: req.path,
      headers,
      agent: false,
    });
    r.setTimeout(timeoutMs, () => r.destroy(new Error(`no response to ${req.method ?? "GET"} ${req.path} within ${timeoutMs} ms`)));
    r.on("error", reject);
    r.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () =>
        resolveRes({
          status: res.statusCode ?? 0,
          rawHeaders: res.rawHeaders,
          body: Buffer.concat(chunks),
          elapsedMs: performance.now() - started,
        }),
      );
    });
    if (body !== undefined && req.chunked && body.length > 1) {
      const half = Math.floor(body.length / 2);
      r.write(body.subarray(0, half));
      r.end(body.subarray(half));
    } else {
      r.end(body);
    }
  });
}

/**
 * Writes `bytes` on a new TCP connection and returns every byte received until the server
 * closes the connection (send `connection: close`) or `timeoutMs` passes.
 */
export function sendRaw(port: number, bytes: string | Buffer, timeoutMs = 10000): Promise<Buffer> {
  return new Promise((resolveRaw, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on("connect", () => socket.write(bytes));
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on("close", () => {
      clearTimeout(timer);
      resolveRaw(Buffer.concat(chunks));
    });
  });
}

/** The status code of a raw HTTP/1.1 response. */
export function rawStatus(raw: Buffer): number {
  const m = /^HTTP\/1\.1 (\d{3})/.exec(raw.toString("latin1"));
  if (m === null) throw new Error(`not an HTTP/1.1 response: ${JSON.stringify(raw.toString("latin1").slice(0, 80))}`);
  return Number(m[1]);
}

/**
 * Sends the headers and only `sentBytes` of a body announced as `declaredBytes`, waits
 * `holdMs`, then destroys the connection (a client that goes away mid-request).
 */
export function abortMidBody(
  port: number,
  path: string,
  declaredBytes: number,
  sentBytes: number,
  holdMs = 300,
  extraHeaders: [string, string][] = [],
): Promise<void> {
  return new Promise((resolveAbort, reject) => {
    const socket = connect(port, "127.0.0.1");
    socket.on("error", reject);
    socket.on("connect", () => {
      const head =
        `POST ${path} HTTP/1.1\r\nhost: abort.example\r\ncontent-length: ${declaredBytes}\r\n` +
        extraHeaders.map(([k, v]) => `${k}: ${v}\r\n`).join("") +
        "\r\n";
      socket.write(head);
      socket.write(Buffer.alloc(sentBytes, "a"));
      setTimeout(() => {
        socket.destroy();
        resolveAbort();
      }, holdMs);
    });
  });
}

/** A free port chosen by the OS (bound, then released): nothing listens on it, e.g. for "connection refused". */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as AddressInfo).port;
      srv.close(() => resolvePort(port));
    });
  });
}

/** Runs `fn` over `items` with at most `parallel` at a time; results in item order. */
export async function inBatches<T, R>(items: T[], parallel: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, worker));
  return out;
}
