// Group commit: samples that arrive while a commit is pending are written in one transaction,
// and every sender is answered only once that transaction is on disk. One fsync then serves many
// samples, and an acknowledgement always means "committed".

import type { SampleDocument } from "../samples/document.js";
import type { SampleStore } from "../samples/store.js";

interface Pending {
  doc: SampleDocument;
  resolve(id: number): void;
  reject(err: Error): void;
}

/** At most this many documents in one transaction (bounds how long one commit holds the loop). */
const MAX_BATCH = 500;

export class SampleWriter {
  private queue: Pending[] = [];
  private scheduled = false;
  private idle: (() => void)[] = [];

  constructor(
    private readonly store: SampleStore,
    private readonly maxSamples: number,
    private readonly onError: (err: Error) => void,
  ) {}

  /** Resolves with the sample's id once it is committed; rejects if the commit failed. */
  write(doc: SampleDocument): Promise<number> {
    return new Promise((resolve, reject) => {
      this.queue.push({ doc, resolve, reject });
      this.schedule();
    });
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Resolves once everything queued so far is committed (or failed). */
  drained(): Promise<void> {
    if (this.queue.length === 0 && !this.scheduled) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // setImmediate: let the requests already read in this turn of the loop join the batch.
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.queue.splice(0, MAX_BATCH);
    if (batch.length > 0) {
      try {
        const ids = this.store.insert(
          batch.map((p) => p.doc),
          Date.now(),
          this.maxSamples,
        );
        for (const [i, p] of batch.entries()) p.resolve(ids[i]!);
      } catch (err) {
        this.onError(err as Error);
        for (const p of batch) p.reject(err as Error);
      }
    }
    if (this.queue.length > 0) {
      this.schedule();
    } else {
      for (const resolve of this.idle.splice(0)) resolve();
    }
  }
}
