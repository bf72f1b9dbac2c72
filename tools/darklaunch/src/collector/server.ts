// `darklaunch collect`'s HTTP service: takes the filter's samples at POST /v1/samples, checks and
// stores them (acknowledged only once committed), keeps them by age and count, and serves the
// diff page at / with the JSON API it reads (also used by `darklaunch diff --collector`).
//
//   POST /v1/samples          a sample document (docs/samples.md) → 201 {"id": N}
//   GET  /                    the diff page (tools/darklaunch/web/)
//   GET  /api/info            collector settings and the number of samples stored
//   GET  /api/diff[?rule=R]   differences per rule (the document `darklaunch diff --json` prints)
//   GET  /api/tree?rule=R     the rule's tree of differing parts and paths
//   GET  /api/samples?rule=R[&key=K][&limit=N][&before=ID]   sample listings, newest first
//   GET  /api/samples/ID      one stored sample
//   GET  /healthz             "ok"

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { diffDocument } from "../samples/analysis.js";
import { MAX_DOCUMENT_BYTES, validateSample } from "../samples/document.js";
import type { SampleStore } from "../samples/store.js";
import { differenceTree } from "../samples/tree.js";
import { bearerCheck, isJsonContentType, readBody, refuse, sendJson } from "./http-io.js";
import { loadPage, type PageFile } from "./page-files.js";
import { SampleWriter } from "./writer.js";

export interface CollectorOptions {
  host: string;
  port: number;
  store: SampleStore;
  /** Samples received longer ago than this are deleted. */
  keepMs: number;
  maxSamples: number;
  /** Bearer token POST /v1/samples must carry; null: none needed. */
  token: string | null;
  /** One line per event worth a log line (no newline). */
  log(line: string): void;
}

/** How long SIGTERM waits for requests already being handled before closing their connections. */
const SHUTDOWN_GRACE_MS = 10_000;
/** Bytes of an oversize body read and thrown away before the connection is closed. */
const DISCARD_LIMIT = 16 * MAX_DOCUMENT_BYTES;
const LIST_LIMIT_MAX = 500;

export class Collector {
  private readonly server: Server;
  private readonly writer: SampleWriter;
  private readonly page: Map<string, PageFile>;
  private retentionTimer: NodeJS.Timeout | null = null;
  private stopping = false;
  private active = 0;
  private activeDone: (() => void)[] = [];
  private refusedSinceLog = 0;
  private lastRefusalLog = 0;
  readonly startedAt = new Date();

  constructor(private readonly opts: CollectorOptions) {
    this.writer = new SampleWriter(opts.store, opts.maxSamples, (err) => opts.log(`database write failed: ${err.message}`));
    this.page = loadPage();
    this.server = createServer({ requestTimeout: 30_000, headersTimeout: 15_000, keepAliveTimeout: 5_000 }, (req, res) =>
      this.handle(req, res),
    );
  }

  /** Listens; resolves with the base URL (the port read back when 0 was asked for). */
  async start(): Promise<string> {
    this.applyAgeRetention();
    // Often enough that --keep is honoured within a tenth of itself, at most once a minute.
    const every = Math.min(60_000, Math.max(1_000, Math.floor(this.opts.keepMs / 10)));
    this.retentionTimer = setInterval(() => this.applyAgeRetention(), every);
    this.retentionTimer.unref();
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.opts.port, this.opts.host, () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    return this.url;
  }

  get url(): string {
    const address = this.server.address() as AddressInfo;
    const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
    return `http://${host}:${address.port}`;
  }

  /**
   * Graceful stop: no new connections; requests already being handled finish (their samples are
   * committed and acknowledged); then the database is closed. Requests that come in meanwhile on
   * open connections get 503.
   */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.retentionTimer !== null) clearInterval(this.retentionTimer);
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    if (this.active > 0) {
      await Promise.race([
        new Promise<void>((resolve) => this.activeDone.push(resolve)),
        new Promise<void>((resolve) => setTimeout(resolve, SHUTDOWN_GRACE_MS).unref()),
      ]);
    }
    this.server.closeAllConnections();
    await closed;
    await this.writer.drained();
    this.opts.store.close();
  }

  private applyAgeRetention(): void {
    try {
      const removed = this.opts.store.deleteReceivedBefore(Date.now() - this.opts.keepMs);
      if (removed > 0) this.opts.log(`retention: deleted ${removed} sample${removed === 1 ? "" : "s"} older than --keep`);
    } catch (err) {
      this.opts.log(`retention failed: ${(err as Error).message}`);
    }
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.active++;
    res.once("close", () => {
      this.active--;
      if (this.active === 0) for (const done of this.activeDone.splice(0)) done();
    });
    if (this.stopping) {
      refuse(res, 503, "the collector is shutting down", undefined, { connection: "close" });
      req.resume();
      return;
    }
    this.route(req, res).catch((err: unknown) => {
      this.opts.log(`error on ${req.method} ${req.url}: ${(err as Error).stack ?? String(err)}`);
      if (!res.headersSent) refuse(res, 500, "internal error");
      else res.destroy();
    });
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://collector");
    const path = url.pathname;
    if (path === "/v1/samples") {
      if (req.method !== "POST") return this.methodNotAllowed(req, res, "POST");
      return this.receiveSample(req, res);
    }
    if (req.method !== "GET" && req.method !== "HEAD") return this.methodNotAllowed(req, res, "GET, HEAD");
    req.resume();
    if (path === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
      res.end("ok\n");
      return;
    }
    if (path.startsWith("/api/")) return this.api(path, url.searchParams, res);
    const file = this.page.get(path === "/" ? "/index.html" : path);
    if (file === undefined) return refuse(res, 404, `nothing at ${path}`);
    res.writeHead(200, {
      "content-type": file.contentType,
      "content-length": file.body.length,
      "cache-control": "no-cache",
      // The page shows response bodies from the services: never let one run as script.
      "content-security-policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
      "x-content-type-options": "nosniff",
    });
    res.end(req.method === "HEAD" ? undefined : file.body);
  }

  private methodNotAllowed(req: IncomingMessage, res: ServerResponse, allow: string): void {
    req.resume();
    refuse(res, 405, `${req.method} is not allowed here (allowed: ${allow})`, undefined, { allow });
  }

  private noteRefusal(status: number, reason: string): void {
    this.refusedSinceLog++;
    const now = Date.now();
    if (now - this.lastRefusalLog >= 1000) {
      const more = this.refusedSinceLog > 1 ? ` (${this.refusedSinceLog - 1} more refused since the last such line)` : "";
      this.opts.log(`refused a sample: ${status} ${reason}${more}`);
      this.lastRefusalLog = now;
      this.refusedSinceLog = 0;
    }
  }

  private async receiveSample(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const refuseSample = (status: number, reason: string, problems?: string[], headers: Record<string, string> = {}): void => {
      this.noteRefusal(status, problems === undefined ? reason : `${reason}: ${problems.join("; ")}`);
      refuse(res, status, reason, problems, headers);
    };
    if (this.opts.token !== null) {
      const check = bearerCheck(req, this.opts.token);
      if (check !== "ok") {
        req.resume();
        const reason = check === "missing" ? "missing bearer token (Authorization: Bearer ...)" : "wrong bearer token";
        return refuseSample(401, reason, undefined, { "www-authenticate": 'Bearer realm="darklaunch"' });
      }
    }
    const declared = Number(req.headers["content-length"] ?? NaN);
    if (Number.isFinite(declared) && declared > MAX_DOCUMENT_BYTES) {
      void readBody(req, 0, DISCARD_LIMIT); // thrown away, so that the client reads the answer
      return refuseSample(413, `sample of ${declared} bytes is over the limit of ${MAX_DOCUMENT_BYTES} bytes (1 MiB)`, undefined, {
        connection: "close",
      });
    }
    if (!isJsonContentType(req.headers["content-type"])) {
      req.resume();
      return refuseSample(415, `content-type must be application/json (got ${JSON.stringify(req.headers["content-type"] ?? "none")})`);
    }
    const read = await readBody(req, MAX_DOCUMENT_BYTES, DISCARD_LIMIT);
    if (!read.ok) {
      if (read.tooLarge) {
        return refuseSample(413, `sample is over the limit of ${MAX_DOCUMENT_BYTES} bytes (1 MiB)`, undefined, { connection: "close" });
      }
      return; // the client went away mid-body: nothing to answer
    }
    let value: unknown;
    try {
      value = JSON.parse(read.body.toString("utf8"));
    } catch (err) {
      return refuseSample(400, `not JSON: ${(err as Error).message}`);
    }
    const validation = validateSample(value);
    if (!validation.ok) return refuseSample(422, "not a sample document (see docs/samples.md)", validation.problems);
    let id: number;
    try {
      id = await this.writer.write(validation.doc);
    } catch (err) {
      return refuse(res, 503, `could not store the sample: ${(err as Error).message}`);
    }
    sendJson(res, 201, { id });
  }

  private api(path: string, query: URLSearchParams, res: ServerResponse): void {
    const store = this.opts.store;
    const rule = query.get("rule") ?? undefined;
    if (path === "/api/info") {
      sendJson(res, 200, {
        samples: store.size,
        keep_seconds: this.opts.keepMs / 1000,
        max_samples: this.opts.maxSamples,
        started_at: this.startedAt.toISOString(),
        token_required: this.opts.token !== null,
      });
      return;
    }
    if (path === "/api/diff") {
      const doc = diffDocument(store, this.url, rule);
      if (rule !== undefined && doc.rules.length === 0) {
        this.unknownRule(res, rule);
        return;
      }
      sendJson(res, 200, doc);
      return;
    }
    if (path === "/api/tree") {
      if (rule === undefined) {
        refuse(res, 400, "rule=NAME is required");
        return;
      }
      const counts = store.ruleCounts().find((c) => c.rule === rule);
      if (counts === undefined) {
        this.unknownRule(res, rule);
        return;
      }
      sendJson(res, 200, {
        rule,
        samples: counts.samples,
        noise_samples: counts.noise_samples,
        nodes: differenceTree(store.differenceRows(rule)),
      });
      return;
    }
    if (path === "/api/samples") {
      const limit = Math.min(LIST_LIMIT_MAX, Math.max(1, Number(query.get("limit") ?? 50) || 50));
      const before = query.get("before");
      if (before !== null && !/^[0-9]{1,15}$/.test(before)) {
        refuse(res, 400, `before must be a sample id (got ${JSON.stringify(before)})`);
        return;
      }
      sendJson(res, 200, {
        samples: store.list({ rule, key: query.get("key") ?? undefined, limit, beforeId: before === null ? undefined : Number(before) }),
      });
      return;
    }
    const one = /^\/api\/samples\/([0-9]{1,15})$/.exec(path);
    if (one !== null) {
      const sample = store.get(Number(one[1]));
      if (sample === null) {
        refuse(res, 404, `no sample ${one[1]} (deleted by retention, or never stored)`);
        return;
      }
      sendJson(res, 200, sample);
      return;
    }
    refuse(res, 404, `no API at ${path}`);
  }

  private unknownRule(res: ServerResponse, rule: string): void {
    const rules = this.opts.store.ruleCounts().map((c) => c.rule);
    refuse(res, 404, `no samples for rule ${rule} (rules with samples: ${rules.join(", ") || "none"})`);
  }
}
