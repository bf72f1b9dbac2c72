// Small HTTP helpers for the collector: JSON answers, refusals with a reason, reading a request
// body up to a limit, and the bearer-token check.

import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
    ...headers,
  });
  res.end(body);
}

/** A 4xx/5xx with `{"error": reason, "problems": [...]}`. */
export function refuse(
  res: ServerResponse,
  status: number,
  reason: string,
  problems?: string[],
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, problems === undefined ? { error: reason } : { error: reason, problems }, headers);
}

export type BodyResult =
  | { ok: true; body: Buffer }
  | { ok: false; tooLarge: true; bytes: number }
  | { ok: false; tooLarge: false; error: Error };

/**
 * Reads a request body of at most `limit` bytes. Past the limit the rest is read and thrown away
 * (so that the client can still read the refusal), up to `discardLimit`, then the socket is closed.
 */
export function readBody(req: IncomingMessage, limit: number, discardLimit: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let over = false;
    req.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > limit) {
        if (!over) {
          over = true;
          chunks.length = 0;
          resolve({ ok: false, tooLarge: true, bytes });
        }
        if (bytes > discardLimit) req.socket.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (!over) resolve({ ok: true, body: Buffer.concat(chunks, bytes) });
    });
    req.on("error", (error) => {
      if (!over) resolve({ ok: false, tooLarge: false, error });
    });
  });
}

/** Compares a request's bearer token with the expected one in constant time. */
export function bearerCheck(req: IncomingMessage, expected: string): "ok" | "missing" | "wrong" {
  const header = req.headers.authorization;
  const match = typeof header === "string" ? /^Bearer +(\S+) *$/i.exec(header) : null;
  if (match === null) return "missing";
  const digest = (text: string): Buffer => createHash("sha256").update(text, "utf8").digest();
  return timingSafeEqual(digest(match[1]!), digest(expected)) ? "ok" : "wrong";
}

/** True for `application/json`, with or without parameters. */
export function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  return value.split(";")[0]!.trim().toLowerCase() === "application/json";
}
