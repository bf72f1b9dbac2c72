// Latency histograms as bins, whatever their source: Envoy's own fine bins from the admin
// endpoint (`histogram_buckets=detailed`: [lower_bound, lower_bound + width), about two
// significant digits) or Prometheus buckets (`le`: (previous le, le]). Each bin says which of its
// ends it includes, so a sample is only ever counted as above or below a value when it surely is:
// the latency check never assumes how samples spread inside a bin.

export interface Bin {
  lo: number;
  hi: number;
  /** Samples equal to `lo` belong to this bin (detailed bins); else only samples > lo (buckets). */
  loInclusive: boolean;
  /** Samples equal to `hi` belong to this bin (buckets, and zero-width bins). */
  hiInclusive: boolean;
  count: number;
}

/** Bins sorted by `lo`, not overlapping (merged readings keep that: the same grid everywhere). */
export type Histogram = Bin[];

const key = (b: Bin): string => `${b.lo}|${b.hi}|${b.loInclusive ? 1 : 0}${b.hiInclusive ? 1 : 0}`;

function sorted(bins: Bin[]): Histogram {
  return bins.filter((b) => b.count !== 0).sort((x, y) => x.lo - y.lo || x.hi - y.hi);
}

/** Bins summed by their bounds (histograms of several Envoys, which share one bin grid). */
export function mergeHistograms(...histograms: Histogram[]): Histogram {
  const byKey = new Map<string, Bin>();
  for (const h of histograms) {
    for (const b of h) {
      const k = key(b);
      const seen = byKey.get(k);
      if (seen === undefined) byKey.set(k, { ...b });
      else seen.count += b.count;
    }
  }
  return sorted([...byKey.values()]);
}

/**
 * `now` minus `before`, bin by bin: the samples recorded between two readings. A bin that went
 * down means the histogram restarted (Envoy restarted): then `now` is the difference.
 */
export function subtractHistogram(now: Histogram, before: Histogram): Histogram {
  const old = new Map(before.map((b) => [key(b), b.count]));
  const out: Bin[] = [];
  let restarted = false;
  for (const b of now) {
    const d = b.count - (old.get(key(b)) ?? 0);
    if (d < 0) restarted = true;
    out.push({ ...b, count: d });
  }
  return restarted ? sorted(now.map((b) => ({ ...b }))) : sorted(out);
}

/**
 * A bin of a histogram whose samples are whole numbers (the filter records whole milliseconds),
 * narrowed to the whole numbers it can hold: [3, 3.1) is exactly 3, (46, 50] is 47 to 50.
 * Null when it can hold none.
 */
export function wholeNumberBin(b: Bin): Bin | null {
  const lo = b.loInclusive ? Math.ceil(b.lo) : Math.floor(b.lo) + 1;
  const hi = !Number.isFinite(b.hi) ? b.hi : b.hiInclusive ? Math.floor(b.hi) : Math.ceil(b.hi) - 1;
  if (hi < lo) return null;
  return { lo, hi, loInclusive: true, hiInclusive: true, count: b.count };
}

function whole(h: Histogram): Histogram {
  return h.map(wholeNumberBin).filter((b): b is Bin => b !== null);
}

/**
 * Bins from cumulative bucket counts (Prometheus `le` → count of samples ≤ le), `+Inf` included.
 * `wholeNumbers`: the samples are whole numbers (see wholeNumberBin).
 */
export function binsFromCumulative(buckets: { le: number; count: number }[], wholeNumbers = false): Histogram {
  const byLe = [...buckets].sort((a, b) => a.le - b.le);
  const out: Bin[] = [];
  let previousLe = 0;
  let previousCount = 0;
  byLe.forEach((b, i) => {
    const count = b.count - previousCount;
    // Values are latencies (≥ 0): the first bucket holds [0, le].
    out.push({ lo: i === 0 ? 0 : previousLe, hi: b.le, loInclusive: i === 0, hiInclusive: Number.isFinite(b.le), count });
    previousLe = b.le;
    previousCount = b.count;
  });
  if (out.some((b) => b.count < 0)) {
    throw new RangeError("bucket counts go down as le grows: the Envoys summed do not share one bucket layout");
  }
  return sorted(wholeNumbers ? whole(out) : out);
}

/** Bins from Envoy's detailed histogram (`totals`: lower_bound, width, count). */
export function binsFromDetailed(totals: { lower_bound: number; width: number; count: number }[], wholeNumbers = false): Histogram {
  const bins = totals.map((t) => ({
    // Envoy prints bounds with float noise (0.30000000000000004): two significant digits are all there is.
    lo: Number(t.lower_bound.toPrecision(12)),
    hi: Number((t.lower_bound + t.width).toPrecision(12)),
    loInclusive: true,
    hiInclusive: t.width === 0,
    count: t.count,
  }));
  return sorted(wholeNumbers ? whole(bins) : bins);
}

/** `h` itself when already in that order (the usual case), else a sorted copy. */
function sortedBy(h: Histogram, order: (x: Bin, y: Bin) => number): Histogram {
  for (let i = 1; i < h.length; i++) if (order(h[i - 1]!, h[i]!) > 0) return [...h].sort(order);
  return h;
}

export function sampleCount(h: Histogram): number {
  let n = 0;
  for (const b of h) n += b.count;
  return n;
}

/** Samples that are surely ≤ x. */
export function countSurelyAtMost(h: Histogram, x: number): number {
  let n = 0;
  for (const b of h) if (b.hi <= x) n += b.count; // every value of the bin is ≤ hi
  return n;
}

/** Samples that are surely > x. */
export function countSurelyAbove(h: Histogram, x: number): number {
  let n = 0;
  for (const b of h) if (b.lo > x || (b.lo === x && !b.loInclusive)) n += b.count;
  return n;
}

/**
 * The smallest value b (an upper end of a bin) with at least `k` samples surely ≤ b; null if
 * there is none (fewer than k samples have a finite upper end).
 */
export function smallestBoundWithAtLeast(h: Histogram, k: number): number | null {
  const byHi = sortedBy(h, (x, y) => x.hi - y.hi);
  let atMost = 0;
  for (let i = 0; i < byHi.length; ) {
    const end = byHi[i]!.hi;
    // Every bin ending at `end` (or before) is surely ≤ end.
    while (i < byHi.length && byHi[i]!.hi === end) atMost += byHi[i++]!.count;
    if (!Number.isFinite(end)) return null;
    if (atMost >= k) return end;
  }
  return null;
}

/**
 * The largest value b (a lower end of a bin, or 0) such that at most `k` samples are possibly
 * ≤ b (all others surely above it); null if even b = 0 has more.
 */
export function largestBoundWithAtMost(h: Histogram, k: number): number | null {
  const n = sampleCount(h);
  const byLo = sortedBy(h, (x, y) => x.lo - y.lo);
  let greater = 0; // samples of bins starting above the current start
  let zeroChecked = false;
  for (let i = byLo.length - 1; i >= 0; ) {
    const start = byLo[i]!.lo;
    let group = 0;
    let exclusive = 0; // bins starting at `start` that exclude it: surely above it
    while (i >= 0 && byLo[i]!.lo === start) {
      group += byLo[i]!.count;
      if (!byLo[i]!.loInclusive) exclusive += byLo[i]!.count;
      i--;
    }
    if (start >= 0 && n - (greater + exclusive) <= k) return start;
    if (start <= 0) zeroChecked = true;
    greater += group;
  }
  // 0 below every bin: every sample of a bin starting above 0 is surely above it.
  return !zeroChecked && n - greater <= k ? 0 : null;
}

/**
 * A point estimate of the q-quantile (0 < q < 1) for people to read: linear inside the bin that
 * holds it, as Prometheus' histogram_quantile and Envoy do. Not used by the verdict.
 */
export function estimateQuantile(h: Histogram, q: number): number | null {
  const n = sampleCount(h);
  if (n === 0) return null;
  const rank = q * n;
  let seen = 0;
  for (const b of h) {
    if (seen + b.count >= rank) {
      if (!Number.isFinite(b.hi)) return b.lo;
      const within = b.count === 0 ? 0 : (rank - seen) / b.count;
      return b.lo + (b.hi - b.lo) * within;
    }
    seen += b.count;
  }
  const last = h[h.length - 1]!;
  return Number.isFinite(last.hi) ? last.hi : last.lo;
}
