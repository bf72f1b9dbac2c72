// A recording HTTP upstream on 127.0.0.1 (a free port chosen by the OS): keeps every request it
// receives (method, path, raw headers, body) and answers by a per-path-prefix script.
// The dark service is one of these with a marker: every answer carries the `x-dark-marker`
// header and, unless scripted otherwise, the marker as its body; neither may ever reach a client.

import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface RecordedRequest {
  method: string;
  /** Request target as received (path and query). */
  path: string;
  /** Header lines as received, [name, value, name, value, ...], names as sent on the wire. */
  rawHeaders: string[];
  body: Buffer;
  /** False if the request ended before its body was complete. */
  complete: boolean;
  receivedAt: number;
}

export interface Reply {
  status?: number;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Destroy the connection instead of answering (after delayMs). */
  reset?: boolean;
  /** Destroy the connection as soon as the request headers arrive, before any body. */
  resetOnHeaders?: boolean;
  /** Send the body without content-length (chunked). */
  chunked?: boolean;
  /** Answer only once this settles (after delayMs): a test releases the answer when it wants. */
  hold?: Promise<unknown>;
}

export type Script = Reply | ((req: RecordedRequest) => Reply);

export interface UpstreamOptions {
  /** Shown in the default answer and in the `x-upstream` header. */
  name: string;
  /** Makes this a dark service: the marker goes into every answer (header, default body). */
  marker?: boolean;
  /** Scripts by path prefix (longest prefix wins). */
  scripts?: Record<string, Script>;
}

export interface Upstream {
  name: string;
  port: number;
  /** The dark marker (`DARK-MARKER-<random>`), or null for a primary. */
  marker: string | null;
  /** Every request, in arrival order (an aborted one is recorded when its connection closes). */
  requests: RecordedRequest[];
  /** Sets (or replaces) the script of a path prefix. */
  script(prefix: string, script: Script): void;
  /** Requests whose path starts with `prefix`. */
  requestsTo(prefix: string): RecordedRequest[];
  /** Paths of requests whose headers arrived (body complete or not), in arrival order. */
  started: string[];
  /** Waits until at least `count` requests to `prefix` arrived; resolves with them. */
  waitForRequests(prefix: string, count: number, timeoutMs?: number): Promise<RecordedRequest[]>;
  close(): Promise<void>;
}

/** Header name of the dark marker. */
export const DARK_MARKER_HEADER = "x-dark-marker";

/** Looks up a header in a raw header list: every value of `name` (case-insensitive). */
export function headerValues(rawHeaders: string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() === name.toLowerCase()) out.push(rawHeaders[i + 1]!);
  }
  return out;
}

/** The raw header list as [lower-cased name, value] pairs, in order. */
export function headerPairs(rawHeaders: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) out.push([rawHeaders[i]!.toLowerCase(), rawHeaders[i + 1]!]);
  return out;
}

export async function startUpstream(opts: UpstreamOptions): Promise<Upstream> {
  const marker = opts.marker ? `DARK-MARKER-${randomBytes(8).toString("hex")}` : null;
  const scripts = new Map<string, Script>(Object.entries(opts.scripts ?? {}));
  const requests: RecordedRequest[] = [];
  const started: string[] = [];
  const waiters = new Set<() => void>();
  const sockets = new Set<Socket>();

  const scriptFor = (path: string): Script | undefined => {
    let best: string | undefined;
    for (const prefix of scripts.keys()) {
      if (path.startsWith(prefix) && (best === undefined || prefix.length > best.length)) best = prefix;
    }
    return best === undefined ? undefined : scripts.get(best);
  };

  const record = (req: RecordedRequest): void => {
    requests.push(req);
    for (const w of waiters) w();
  };

  const answer = (rec: RecordedRequest, res: ServerResponse): void => {
    const script = scriptFor(rec.path);
    const reply: Reply = typeof script === "function" ? script(rec) : (script ?? {});
    const send = (): void => {
      if (res.destroyed) return;
      if (reply.reset) {
        res.socket?.destroy();
        return;
      }
      const body = reply.body ?? marker ?? `${opts.name}: ${rec.method} ${rec.path} (${rec.body.length} bytes)`;
      const headers: Record<string, string | string[]> = {
        "content-type": "text/plain",
        "x-upstream": opts.name,
        ...(marker !== null ? { [DARK_MARKER_HEADER]: marker } : {}),
        ...(reply.headers ?? {}),
      };
      const bytes = Buffer.from(body);
      if (!reply.chunked) headers["content-length"] = String(bytes.length);
      res.writeHead(reply.status ?? 200, headers);
      if (reply.chunked && bytes.length > 1) {
        // Two writes, so the body really goes out as more than one chunk.
        const half = Math.floor(bytes.length / 2);
        res.write(bytes.subarray(0, half));
        res.end(bytes.subarray(half));
      } else {
        res.end(rec.method === "HEAD" ? undefined : bytes);
      }
    };
    const release = (): void => {
      if (reply.hold !== undefined) void reply.hold.then(send, send);
      else send();
    };
    if (reply.delayMs !== undefined && reply.delayMs > 0) setTimeout(release, reply.delayMs);
    else release();
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    started.push(req.url ?? "");
    const early = scriptFor(req.url ?? "");
    if (early !== undefined && typeof early !== "function" && early.resetOnHeaders) {
      record({
        method: req.method ?? "",
        path: req.url ?? "",
        rawHeaders: [...req.rawHeaders],
        body: Buffer.alloc(0),
        complete: false,
        receivedAt: Date.now(),
      });
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    let done = false;
    const rec = (complete: boolean): RecordedRequest => ({
      method: req.method ?? "",
      path: req.url ?? "",
      rawHeaders: [...req.rawHeaders],
      body: Buffer.concat(chunks),
      complete,
      receivedAt: Date.now(),
    });
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (done) return;
      done = true;
      const r = rec(true);
      record(r);
      answer(r, res);
    });
    req.on("error", () => undefined);
    res.on("error", () => undefined);
    // On a body cut short, "end" never comes: "close" records what arrived.
    req.on("close", () => {
      if (done) return;
      done = true;
      record(rec(false));
    });
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolveListen) => server.listen(0, "127.0.0.1", resolveListen));
  const port = (server.address() as AddressInfo).port;

  const requestsTo = (prefix: string): RecordedRequest[] => requests.filter((r) => r.path.startsWith(prefix));

  return {
    name: opts.name,
    port,
    marker,
    requests,
    started,
    script: (prefix, script) => void scripts.set(prefix, script),
    requestsTo,
    waitForRequests: (prefix, count, timeoutMs = 10000) =>
      new Promise((resolveWait, reject) => {
        const check = (): boolean => {
          const got = requestsTo(prefix);
          if (got.length < count) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolveWait(got);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`${opts.name}: ${requestsTo(prefix).length} of ${count} requests to ${prefix} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    close: () =>
      new Promise<void>((resolveClose) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolveClose());
      }),
  };
}
