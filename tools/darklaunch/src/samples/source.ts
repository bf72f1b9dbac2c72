// Where `darklaunch diff` and `darklaunch noise` read samples: a running collector (its /api/diff)
// or the collector's database file directly (read-only; safe while the collector runs).

import { CliError, EXIT, UsageError } from "../errors.js";
import { diffDocument, type DiffDocument } from "./analysis.js";
import { SampleStore } from "./store.js";

export type SampleSource = { collector: string } | { db: string };

export function describeSource(source: SampleSource): string {
  return "collector" in source ? `collector ${source.collector}` : `database ${source.db}`;
}

export async function readDiff(source: SampleSource, rule?: string): Promise<DiffDocument> {
  const doc = "collector" in source ? await fetchDiff(source.collector, rule) : readDiffFromFile(source.db, rule);
  if (rule !== undefined && doc.rules.length === 0) {
    throw new CliError(`no samples for rule ${rule} in the ${describeSource(source)}`, EXIT.other);
  }
  return doc;
}

function readDiffFromFile(file: string, rule?: string): DiffDocument {
  const store = SampleStore.open(file, { readonly: true });
  try {
    const doc = diffDocument(store, file, rule);
    if (rule !== undefined && doc.rules.length === 0) {
      const rules = store.ruleCounts().map((c) => c.rule);
      throw new CliError(`no samples for rule ${rule} in ${file} (rules with samples: ${rules.join(", ") || "none"})`, EXIT.other);
    }
    return doc;
  } finally {
    store.close();
  }
}

async function fetchDiff(base: string, rule?: string): Promise<DiffDocument> {
  const url = new URL("/api/diff", base);
  if (rule !== undefined) url.searchParams.set("rule", rule);
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new CliError(`cannot reach the collector at ${base}: ${cause?.code ?? cause?.message ?? (err as Error).message}`, EXIT.other);
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new CliError(
      `${url.href} answered ${response.status} with something other than JSON: is ${base} a darklaunch collector?`,
      EXIT.other,
    );
  }
  if (!response.ok) {
    const reason = (body as { error?: unknown }).error;
    throw new CliError(
      `the collector at ${base} answered ${response.status}: ${typeof reason === "string" ? reason : text.slice(0, 200)}`,
      EXIT.other,
    );
  }
  return body as DiffDocument;
}

/** The source from --collector / --db: not both; neither means the default collector URL. */
export function sampleSource(collector: string | undefined, db: string | undefined, defaultCollector: string): SampleSource {
  if (collector !== undefined && db !== undefined) throw new UsageError("--collector and --db exclude each other");
  if (db !== undefined) return { db };
  return { collector: collector ?? defaultCollector };
}
