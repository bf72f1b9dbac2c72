// A plain HTTP client for the collector tests: POST a body as it is (any bytes, any headers), read
// the status and the JSON answer. node:http, so that oversize and malformed requests go out
// exactly as written.

import { type Agent, request } from "node:http";

export interface PostResult {
  status: number;
  body: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
}

export interface PostOptions {
  headers?: Record<string, string>;
  agent?: Agent;
  method?: string;
  /** Send the body in chunks without content-length (chunked transfer encoding). */
  chunked?: boolean;
}

export function post(url: string, body: string | Buffer, opts: PostOptions = {}): Promise<PostResult> {
  const payload = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: opts.method ?? "POST",
        agent: opts.agent,
        headers: {
          "content-type": "application/json",
          ...(opts.chunked === true ? { "transfer-encoding": "chunked" } : { "content-length": String(payload.length) }),
          ...(opts.headers ?? {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: Record<string, unknown> = {};
          try {
            parsed = JSON.parse(text) as Record<string, unknown>;
          } catch {
            parsed = { text };
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, headers: res.headers });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    if (opts.chunked === true) {
      for (let i = 0; i < payload.length; i += 64 * 1024) req.write(payload.subarray(i, i + 64 * 1024));
      req.end();
    } else {
      req.end(payload);
    }
  });
}

export function postSample(base: string, doc: unknown, opts: PostOptions = {}): Promise<PostResult> {
  return post(`${base}/v1/samples`, JSON.stringify(doc), opts);
}

// biome-ignore lint/suspicious/noExplicitAny: the tests read the API's answers as loosely as a page script does, and assert on them
export async function getJson(url: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}
