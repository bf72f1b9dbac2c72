// The collector's database: one SQLite file (through libsql, see docs/collector.md for why),
// in WAL mode with synchronous=FULL, so that a committed sample survives a crash of the process
// (and of the machine). The collector acknowledges a sample only after its commit.
//
// Tables:
//   samples      one row per document, with the fields the page and the CLI filter and sort by,
//                and the document itself (JSON text)
//   differences  what a sample reports as different, one row per (sample, side, key): side dark
//                (primary vs dark) or noise (primary vs noise); key (status), (headers), (body)
//                or a JSON path with its array indexes generalised to [*]

import { existsSync } from "node:fs";
import Database from "libsql";
import { CliError, EXIT } from "../errors.js";
import { isNoiseResponse, type Part, type SampleDocument } from "./document.js";
import { generalisePath, PART_KEYS } from "./paths.js";

type Db = InstanceType<typeof Database>;

/** Bumped when the tables change; a file written by another version is refused, not guessed at. */
const SCHEMA_VERSION = 1;

const CREATE = `
CREATE TABLE IF NOT EXISTS samples (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  received_ms INTEGER NOT NULL,
  time TEXT NOT NULL,
  rule TEXT NOT NULL,
  x_request_id TEXT,
  method TEXT NOT NULL,
  path TEXT NOT NULL,
  part TEXT NOT NULL,
  noise_part TEXT,
  doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS samples_by_rule ON samples (rule, id);
CREATE INDEX IF NOT EXISTS samples_by_received ON samples (received_ms);
CREATE TABLE IF NOT EXISTS differences (
  sample_id INTEGER NOT NULL,
  rule TEXT NOT NULL,
  side TEXT NOT NULL,
  key TEXT NOT NULL,
  PRIMARY KEY (sample_id, side, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS differences_by_rule_key ON differences (rule, key, side, sample_id);
`;

export type Side = "dark" | "noise";

/** The keys a response's comparison with the primary is counted under. */
export function differenceKeys(part: Part | "incomplete", paths: readonly string[]): string[] {
  const keys = new Set<string>();
  if (part === "status") keys.add(PART_KEYS.status);
  if (part === "headers") keys.add(PART_KEYS.headers);
  for (const path of paths) keys.add(generalisePath(path));
  // A body difference without JSON paths: compared as bytes (or not as JSON), shown as (body).
  if (part === "body" && paths.length === 0) keys.add(PART_KEYS.body);
  return [...keys];
}

export interface StoredSample {
  id: number;
  received: string;
  doc: SampleDocument;
}

export interface SampleListing {
  id: number;
  received: string;
  time: string;
  rule: string;
  x_request_id: string | null;
  method: string;
  path: string;
  part: string;
  noise_part: string | null;
}

export interface RuleCounts {
  rule: string;
  samples: number;
  parts: Record<Part, number>;
  /** Samples with a complete noise response. */
  noise_samples: number;
  noise_parts: Record<Part | "incomplete", number>;
  first_received: string;
  last_received: string;
}

export interface KeyCounts {
  key: string;
  dark: number;
  noise: number;
  /** The newest sample with this difference (preferring a dark one). */
  example_id: number;
  example_x_request_id: string | null;
}

/** One (sample, side, key) row, for trees of paths. */
export interface DifferenceRow {
  sample_id: number;
  side: Side;
  key: string;
}

/**
 * A pragma's value. libsql's pragma() returns rows even with {simple: true}, and tags single rows
 * with a _metadata field: take the first other column of the first row.
 */
function pragmaValue(db: Db, text: string): unknown {
  const result = db.pragma(text) as unknown;
  const row = Array.isArray(result) ? (result[0] as unknown) : result;
  if (row === null || typeof row !== "object") return row;
  const entry = Object.entries(row as Record<string, unknown>).find(([name]) => name !== "_metadata");
  return entry?.[1];
}

const num = (v: unknown): number => (typeof v === "bigint" ? Number(v) : typeof v === "number" ? v : 0);

export class SampleStore {
  private count: number;
  private readonly insertSample;
  private readonly insertDifference;

  private constructor(
    private readonly db: Db,
    readonly file: string,
    readonly readonly: boolean,
  ) {
    this.count = num((db.prepare("SELECT COUNT(*) AS n FROM samples").get() as { n: unknown }).n);
    this.insertSample = db.prepare(
      "INSERT INTO samples (received_ms, time, rule, x_request_id, method, path, part, noise_part, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    );
    this.insertDifference = db.prepare("INSERT OR IGNORE INTO differences (sample_id, rule, side, key) VALUES (?, ?, ?, ?)");
  }

  /**
   * Opens the database file: to write (created if missing, switched to WAL), or `readonly` (it
   * must exist; every write on the connection fails). Refuses a file of another schema version.
   */
  static open(file: string, opts: { readonly?: boolean } = {}): SampleStore {
    const readonly = opts.readonly === true;
    if (readonly && !existsSync(file)) throw new CliError(`no sample database at ${file}`, EXIT.other);
    let db: Db;
    try {
      // libsql 0.5 takes no readonly option (it opens every file read-write): a reader is made
      // one with query_only below.
      db = new Database(file);
    } catch (err) {
      throw new CliError(`cannot open the sample database ${file}: ${(err as Error).message}`, EXIT.other);
    }
    try {
      // A reader waits for the collector's write instead of failing with SQLITE_BUSY.
      db.pragma("busy_timeout = 5000");
      if (readonly) db.pragma("query_only = ON");
      const version = num(pragmaValue(db, "user_version"));
      if (version !== 0 && version !== SCHEMA_VERSION) {
        throw new CliError(`${file} holds samples of another version of darklaunch (schema ${version}, this one reads ${SCHEMA_VERSION})`);
      }
      if (!readonly) {
        const mode = String(pragmaValue(db, "journal_mode = WAL"));
        if (mode.toLowerCase() !== "wal") throw new CliError(`${file}: the database refused WAL mode (journal_mode ${mode})`);
        // FULL: every commit is on disk before it returns, so an acknowledged sample survives a crash.
        db.pragma("synchronous = FULL");
        if (num(pragmaValue(db, "synchronous")) !== 2) throw new CliError(`${file}: the database refused synchronous=FULL`);
        db.exec(CREATE);
        db.pragma(`user_version = ${SCHEMA_VERSION}`);
      } else if (version === 0) {
        throw new CliError(`${file} is not a darklaunch sample database`);
      }
      return new SampleStore(db, file, readonly);
    } catch (err) {
      db.close();
      if (err instanceof CliError) throw err;
      throw new CliError(`cannot use the sample database ${file}: ${(err as Error).message}`, EXIT.other);
    }
  }

  get size(): number {
    return this.count;
  }

  /**
   * Stores documents in one transaction, then keeps only the newest `maxSamples`; returns the new
   * ids. When this returns, the documents are committed (and fsynced).
   */
  insert(docs: readonly SampleDocument[], receivedMs: number, maxSamples: number): number[] {
    const run = this.db.transaction(() => {
      const ids: number[] = [];
      for (const doc of docs) {
        const noisePart = doc.noise === null ? null : doc.noise.part;
        const info = this.insertSample.run(
          receivedMs,
          doc.time,
          doc.rule,
          doc.x_request_id,
          doc.method,
          doc.path,
          doc.part,
          noisePart,
          JSON.stringify(doc),
        );
        const id = num(info.lastInsertRowid);
        ids.push(id);
        for (const key of differenceKeys(doc.part, doc.paths)) this.insertDifference.run(id, doc.rule, "dark", key);
        if (isNoiseResponse(doc.noise)) {
          for (const key of differenceKeys(doc.noise.part, doc.noise.paths)) this.insertDifference.run(id, doc.rule, "noise", key);
        }
      }
      this.count += ids.length;
      const removed = this.count > maxSamples ? this.deleteOldestBeyond(maxSamples) : 0;
      return { ids, removed };
    });
    const result = run.immediate() as { ids: number[]; removed: number };
    return result.ids;
  }

  /** Deletes all but the newest `keep` samples (inside a transaction); returns how many went. */
  private deleteOldestBeyond(keep: number): number {
    const row = this.db.prepare("SELECT id FROM samples ORDER BY id DESC LIMIT 1 OFFSET ?").get(keep) as { id: unknown } | undefined;
    if (row === undefined) return 0;
    const cutoff = num(row.id);
    this.db.prepare("DELETE FROM differences WHERE sample_id <= ?").run(cutoff);
    const removed = this.db.prepare("DELETE FROM samples WHERE id <= ?").run(cutoff).changes;
    this.count -= removed;
    return removed;
  }

  /** Deletes the samples received before `cutoffMs`; returns how many went. */
  deleteReceivedBefore(cutoffMs: number): number {
    const run = this.db.transaction(() => {
      this.db.prepare("DELETE FROM differences WHERE sample_id IN (SELECT id FROM samples WHERE received_ms < ?)").run(cutoffMs);
      const removed = this.db.prepare("DELETE FROM samples WHERE received_ms < ?").run(cutoffMs).changes;
      this.count -= removed;
      return removed;
    });
    return run.immediate() as number;
  }

  /** Per rule: sample counts by part, for the dark and the noise side. */
  ruleCounts(): RuleCounts[] {
    const rows = this.db
      .prepare(
        `SELECT rule, COUNT(*) AS samples,
           SUM(part = 'status') AS p_status, SUM(part = 'headers') AS p_headers, SUM(part = 'body') AS p_body, SUM(part = 'match') AS p_match,
           SUM(noise_part = 'status') AS n_status, SUM(noise_part = 'headers') AS n_headers, SUM(noise_part = 'body') AS n_body,
           SUM(noise_part = 'match') AS n_match, SUM(noise_part = 'incomplete') AS n_incomplete,
           MIN(received_ms) AS first_ms, MAX(received_ms) AS last_ms
         FROM samples GROUP BY rule ORDER BY rule`,
      )
      .all() as Record<string, unknown>[];
    return rows.map((r) => {
      const noiseParts = {
        status: num(r.n_status),
        headers: num(r.n_headers),
        body: num(r.n_body),
        match: num(r.n_match),
        incomplete: num(r.n_incomplete),
      };
      return {
        rule: String(r.rule),
        samples: num(r.samples),
        parts: { status: num(r.p_status), headers: num(r.p_headers), body: num(r.p_body), match: num(r.p_match) },
        noise_samples: noiseParts.status + noiseParts.headers + noiseParts.body + noiseParts.match,
        noise_parts: noiseParts,
        first_received: new Date(num(r.first_ms)).toISOString(),
        last_received: new Date(num(r.last_ms)).toISOString(),
      };
    });
  }

  /** Per key of one rule: how many samples differ there on the dark and on the noise side. */
  keyCounts(rule: string): KeyCounts[] {
    const rows = this.db
      .prepare(
        `SELECT d.key AS key,
           SUM(d.side = 'dark') AS dark, SUM(d.side = 'noise') AS noise,
           COALESCE(MAX(CASE WHEN d.side = 'dark' THEN d.sample_id END), MAX(d.sample_id)) AS example_id
         FROM differences d WHERE d.rule = ? GROUP BY d.key`,
      )
      .all(rule) as Record<string, unknown>[];
    const requestId = this.db.prepare("SELECT x_request_id FROM samples WHERE id = ?");
    return rows.map((r) => {
      const exampleId = num(r.example_id);
      const ex = requestId.get(exampleId) as { x_request_id: string | null } | undefined;
      return {
        key: String(r.key),
        dark: num(r.dark),
        noise: num(r.noise),
        example_id: exampleId,
        example_x_request_id: ex?.x_request_id ?? null,
      };
    });
  }

  /** Every difference row of one rule (for the page's tree of paths). */
  differenceRows(rule: string): DifferenceRow[] {
    return (this.db.prepare("SELECT sample_id, side, key FROM differences WHERE rule = ?").all(rule) as Record<string, unknown>[]).map(
      (r) => ({
        sample_id: num(r.sample_id),
        side: r.side === "noise" ? "noise" : "dark",
        key: String(r.key),
      }),
    );
  }

  /** The newest samples of a rule (optionally those with a difference at `key` or under it), newest first. */
  list(opts: { rule?: string; key?: string; limit: number; beforeId?: number }): SampleListing[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (opts.rule !== undefined) {
      where.push("s.rule = ?");
      args.push(opts.rule);
    }
    if (opts.beforeId !== undefined) {
      where.push("s.id < ?");
      args.push(opts.beforeId);
    }
    if (opts.key !== undefined) {
      // The key itself, or a path under it (a.b covers a.b.c, a.b[*] and a.b["x"]).
      where.push(
        `EXISTS (SELECT 1 FROM differences d WHERE d.sample_id = s.id AND (d.key = ? OR substr(d.key, 1, ?) = ? AND substr(d.key, ? , 1) IN ('.', '[')))`,
      );
      args.push(opts.key, opts.key.length, opts.key, opts.key.length + 1);
    }
    const sql = `SELECT s.id, s.received_ms, s.time, s.rule, s.x_request_id, s.method, s.path, s.part, s.noise_part FROM samples s
      ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY s.id DESC LIMIT ?`;
    const rows = this.db.prepare(sql).all(...args, opts.limit) as Record<string, unknown>[];
    return rows.map((r) => ({
      id: num(r.id),
      received: new Date(num(r.received_ms)).toISOString(),
      time: String(r.time),
      rule: String(r.rule),
      x_request_id: (r.x_request_id as string | null) ?? null,
      method: String(r.method),
      path: String(r.path),
      part: String(r.part),
      noise_part: (r.noise_part as string | null) ?? null,
    }));
  }

  get(id: number): StoredSample | null {
    const row = this.db.prepare("SELECT id, received_ms, doc FROM samples WHERE id = ?").get(id) as Record<string, unknown> | undefined;
    if (row === undefined) return null;
    return { id: num(row.id), received: new Date(num(row.received_ms)).toISOString(), doc: JSON.parse(String(row.doc)) as SampleDocument };
  }

  /** Every stored x-request-id (tests check that nothing acknowledged was lost). */
  requestIds(): (string | null)[] {
    return (this.db.prepare("SELECT x_request_id FROM samples ORDER BY id").raw().all() as unknown[][]).map(
      (r) => (r[0] as string | null) ?? null,
    );
  }

  close(): void {
    this.db.close();
  }
}
