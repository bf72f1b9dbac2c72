// Anytime-valid evidence about proportions, from counts alone.
//
// The verdict is asked for again and again while traffic flows (`watch` every second, `ramp`,
// a CI job polling). A fixed-sample interval acted on whenever it crosses a limit errs far more
// often than its nominal level. Here every test is a nonnegative supermartingale under its null
// hypothesis (a "betting" e-process, Waudby-Smith & Ramdas 2024; Howard, Ramdas, McAuliffe &
// Sekhon 2021 for the time-uniform view): by Ville's inequality it ever reaches 1/α with
// probability at most α, however often and whenever it is looked at. A look is one evaluation of
// the e-value on the counts so far; the counts being sums, the order of the pairs never matters.
//
// Two shapes of data:
// - one proportion (`bernoulliEvidence`): k of n trials had the event (a mismatch, a latency
//   sample under a bound); tests p > m and p < m;
// - a paired difference (`pairedDifferenceEvidence`): per pair two 0/1 outcomes A and B (dark
//   error and primary error; dark mismatch and noise mismatch), of which only the totals a = ΣA and
//   b = ΣB are counted; tests mean(A − B) > m and < m.
// Each test bets a fraction λ of its wealth per trial on the outcome: wealth × (1 + λ(X − m)) for
// "above", × (1 + λ(m − X)) for "below". Unknown λ: a fixed mixture over a grid of bets (a
// mixture of martingales is a martingale). For a paired difference the counters lose which pairs
// had both events (A = B = 1); both e-values grow with that overlap, so the smallest overlap the
// totals allow is assumed: conservative, never anti-conservative.

/** Bets as fractions of the largest bet that keeps every factor positive. */
const BET_FRACTIONS: readonly number[] = Array.from({ length: 20 }, (_, k) => 0.995 * 0.7 ** k);
/**
 * Weights of the bets: a third on the boldest bet, so that overwhelming evidence crosses at once
 * (10 dark errors in 20 pairs against none: e ≈ 300), the rest spread evenly over bets down to
 * 0.1% of the largest, which carry small effects over many samples.
 */
const BET_WEIGHTS: readonly number[] = BET_FRACTIONS.map((_, k) => (k === 0 ? 1 / 3 : 2 / 3 / (BET_FRACTIONS.length - 1)));
const LOG_WEIGHTS: readonly number[] = BET_WEIGHTS.map(Math.log);

/** n × log(f), with 0 × log(0) = 0 (a factor that never applies). */
function times(n: number, logFactor: number): number {
  return n === 0 ? 0 : n * logFactor;
}

/** Log e-values: `above` is the evidence that the true value exceeds the margin, `below` that it is under it. */
export interface LogEvidence {
  above: number;
  below: number;
}

const EPS = 1e-9;

function clampMargin(m: number, lo: number, hi: number): number {
  return Math.min(hi - EPS, Math.max(lo + EPS, m));
}

/** Per bet: its log weight and the log factor of each outcome, for one margin (cached: margins repeat). */
interface Factors {
  /** log factors of the "above" test for outcomes +1 / 0 / −1 (one proportion: event / no event). */
  aUp: Float64Array;
  aZero: Float64Array;
  aDown: Float64Array;
  /** The same for the "below" test. */
  bUp: Float64Array;
  bZero: Float64Array;
  bDown: Float64Array;
}

const factorCache = { bernoulli: new Map<number, Factors>(), paired: new Map<number, Factors>() };

function factors(kind: "bernoulli" | "paired", m: number): Factors {
  const cache = factorCache[kind];
  const hit = cache.get(m);
  if (hit !== undefined) return hit;
  const K = BET_FRACTIONS.length;
  const f: Factors = {
    aUp: new Float64Array(K),
    aZero: new Float64Array(K),
    aDown: new Float64Array(K),
    bUp: new Float64Array(K),
    bZero: new Float64Array(K),
    bDown: new Float64Array(K),
  };
  for (let i = 0; i < K; i++) {
    const u = BET_FRACTIONS[i]!;
    if (kind === "bernoulli") {
      // X ∈ {1 (event), 0}. above: 1 + λ(X − m), λ < 1/m; below: 1 + λ(m − X), λ < 1/(1 − m).
      const la = u / m;
      f.aUp[i] = Math.log1p(la * (1 - m));
      f.aZero[i] = Math.log1p(-u);
      const lb = u / (1 - m);
      f.bUp[i] = Math.log1p(-u);
      f.bZero[i] = Math.log1p(lb * m);
    } else {
      // Z = A − B ∈ {1, 0, −1}. above: 1 + λ(Z − m), λ < 1/(1 + m) keeps Z = −1 positive;
      // below: 1 + λ(m − Z), λ < 1/(1 − m) keeps Z = +1 positive.
      const la = u / (1 + m);
      f.aUp[i] = Math.log1p(la * (1 - m));
      f.aZero[i] = Math.log1p(-la * m);
      f.aDown[i] = Math.log1p(-u);
      const lb = u / (1 - m);
      f.bUp[i] = Math.log1p(-u);
      f.bZero[i] = Math.log1p(lb * m);
      f.bDown[i] = Math.log1p(lb * (1 + m));
    }
  }
  if (cache.size > 10_000) cache.clear();
  cache.set(m, f);
  return f;
}

const scratchA = new Float64Array(BET_FRACTIONS.length);
const scratchB = new Float64Array(BET_FRACTIONS.length);

function logSumExpArray(xs: Float64Array): number {
  let max = -Infinity;
  for (let i = 0; i < xs.length; i++) if (xs[i]! > max) max = xs[i]!;
  if (max === -Infinity || max === Infinity) return max;
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += Math.exp(xs[i]! - max);
  return max + Math.log(s);
}

const LOG_BETS = Math.log(BET_FRACTIONS.length);

/** Whether log(Σ exp(x_i)) ≥ threshold, computing the sum only when its bounds do not settle it. */
function logSumExpReaches(xs: Float64Array, threshold: number): boolean {
  let max = -Infinity;
  for (let i = 0; i < xs.length; i++) if (xs[i]! > max) max = xs[i]!;
  if (max >= threshold) return true;
  if (max + LOG_BETS < threshold) return false;
  return logSumExpArray(xs) >= threshold;
}

function fillTerms(f: Factors, up: number, zero: number, down: number): void {
  for (let i = 0; i < BET_FRACTIONS.length; i++) {
    scratchA[i] = LOG_WEIGHTS[i]! + times(up, f.aUp[i]!) + times(zero, f.aZero[i]!) + times(down, f.aDown[i]!);
    scratchB[i] = LOG_WEIGHTS[i]! + times(up, f.bUp[i]!) + times(zero, f.bZero[i]!) + times(down, f.bDown[i]!);
  }
}

/** Which of the two tests has crossed its level: `above` at alphaAbove, `below` at alphaBelow. */
export interface Crossed {
  above: boolean;
  below: boolean;
}

function crossed(f: Factors, up: number, zero: number, down: number, alphaAbove: number, alphaBelow: number): Crossed {
  fillTerms(f, up, zero, down);
  return { above: logSumExpReaches(scratchA, -Math.log(alphaAbove)), below: logSumExpReaches(scratchB, -Math.log(alphaBelow)) };
}

/** `bernoulliEvidence` reduced to whether each test has crossed (cheaper: the verdict needs no more). */
export function bernoulliCrossed(n: number, k: number, m: number, alphaAbove: number, alphaBelow: number): Crossed {
  if (!(n >= 0 && k >= 0 && k <= n)) throw new RangeError(`bernoulliCrossed: k=${k} of n=${n}`);
  return crossed(factors("bernoulli", clampMargin(m, 0, 1)), k, n - k, 0, alphaAbove, alphaBelow);
}

/** `pairedDifferenceEvidence` reduced to whether each test has crossed. */
export function pairedDifferenceCrossed(n: number, a: number, b: number, m: number, alphaAbove: number, alphaBelow: number): Crossed {
  if (!(n >= 0 && a >= 0 && b >= 0 && a <= n && b <= n)) throw new RangeError(`pairedDifferenceCrossed: a=${a}, b=${b} of n=${n}`);
  const both = Math.max(0, a + b - n);
  const up = a - both;
  const down = b - both;
  return crossed(factors("paired", clampMargin(m, -1, 1)), up, n - up - down, down, alphaAbove, alphaBelow);
}

function evidence(f: Factors, up: number, zero: number, down: number): LogEvidence {
  fillTerms(f, up, zero, down);
  return { above: logSumExpArray(scratchA), below: logSumExpArray(scratchB) };
}

/**
 * Evidence about a proportion p from k events in n trials, against the margin m ∈ (0, 1):
 * `above` tests H0: p ≤ m (grows when p > m), `below` tests H0: p ≥ m.
 */
export function bernoulliEvidence(n: number, k: number, m: number): LogEvidence {
  if (!(n >= 0 && k >= 0 && k <= n)) throw new RangeError(`bernoulliEvidence: k=${k} of n=${n}`);
  return evidence(factors("bernoulli", clampMargin(m, 0, 1)), k, n - k, 0);
}

/**
 * Evidence about the mean of A − B over n pairs of 0/1 outcomes with totals a = ΣA and b = ΣB,
 * against the margin m ∈ (−1, 1): `above` tests H0: E[A − B] ≤ m, `below` tests H0: E[A − B] ≥ m.
 */
export function pairedDifferenceEvidence(n: number, a: number, b: number, m: number): LogEvidence {
  if (!(n >= 0 && a >= 0 && b >= 0 && a <= n && b <= n)) throw new RangeError(`pairedDifferenceEvidence: a=${a}, b=${b} of n=${n}`);
  // Pairs with both events: unknown; the least the totals allow (see the note at the top).
  const both = Math.max(0, a + b - n);
  const up = a - both; // A − B = +1
  const down = b - both; // A − B = −1
  return evidence(factors("paired", clampMargin(m, -1, 1)), up, n - up - down, down);
}

/** Whether a log e-value has crossed the threshold of level α (e ≥ 1/α). */
export function crosses(logE: number, alpha: number): boolean {
  return logE >= -Math.log(alpha);
}

/** An anytime-valid p-value from a log e-value: min(1, 1/e). */
export function pValue(logE: number): number {
  return Math.min(1, Math.exp(-logE));
}

/**
 * The bounds of the confidence sequence at this look: `low` is the largest margin the evidence
 * says the value is above (at level alphaLow), `high` the smallest margin it is below (at level
 * alphaHigh). Both e-values are monotone in the margin, so bisection finds them. `evidence(m)`
 * is one of the two functions above with its counts bound.
 */
export function confidenceBounds(
  evidence: (m: number) => LogEvidence,
  range: [number, number],
  alphaLow: number,
  alphaHigh: number,
): { low: number; high: number } {
  const [lo, hi] = range;
  const bisect = (holds: (m: number) => boolean, fromLow: boolean): number => {
    // `holds` is true on one side of the bound: [lo, x) for fromLow, (x, hi] otherwise.
    let a = lo;
    let b = hi;
    if (fromLow ? !holds(lo + EPS) : !holds(hi - EPS)) return fromLow ? lo : hi;
    for (let i = 0; i < 50; i++) {
      const mid = (a + b) / 2;
      if (holds(mid) === fromLow) a = mid;
      else b = mid;
    }
    return fromLow ? a : b;
  };
  const low = bisect((m) => crosses(evidence(m).above, alphaLow), true);
  const high = bisect((m) => crosses(evidence(m).below, alphaHigh), false);
  return { low, high };
}

/**
 * The fewest events out of n for which `above` crosses (level alpha), or null if none does: the
 * e-value grows with k, so a bisection over k. Used to find quantile bounds without testing every
 * bucket edge.
 */
export function fewestEventsAbove(n: number, m: number, alpha: number): number | null {
  return memoised("fewest", n, m, alpha, () => searchFewestAbove(n, m, alpha));
}

function searchFewestAbove(n: number, m: number, alpha: number): number | null {
  if (n === 0 || !crosses(bernoulliEvidence(n, n, m).above, alpha)) return null;
  let lo = 0;
  let hi = n; // crosses at hi
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (crosses(bernoulliEvidence(n, mid, m).above, alpha)) hi = mid;
    else lo = mid;
  }
  return crosses(bernoulliEvidence(n, lo, m).above, alpha) ? lo : hi;
}

/** The most events out of n for which `below` crosses (level alpha), or null if none does. */
export function mostEventsBelow(n: number, m: number, alpha: number): number | null {
  return memoised("most", n, m, alpha, () => searchMostBelow(n, m, alpha));
}

function searchMostBelow(n: number, m: number, alpha: number): number | null {
  if (n === 0 || !crosses(bernoulliEvidence(n, 0, m).below, alpha)) return null;
  let lo = 0; // crosses at lo
  let hi = n;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (crosses(bernoulliEvidence(n, mid, m).below, alpha)) lo = mid;
    else hi = mid;
  }
  return crosses(bernoulliEvidence(n, hi, m).below, alpha) ? hi : lo;
}

// The two searches above depend only on (n, m, α), which repeat from look to look.
const searches = new Map<string, Map<number, number | null>>();

function memoised(kind: string, n: number, m: number, alpha: number, search: () => number | null): number | null {
  const key = `${kind}|${m}|${alpha}`;
  let byN = searches.get(key);
  if (byN === undefined) {
    if (searches.size > 100) searches.clear();
    byN = new Map();
    searches.set(key, byN);
  }
  const hit = byN.get(n);
  if (hit !== undefined) return hit;
  const found = search();
  if (byN.size > 1_000_000) byN.clear();
  byN.set(n, found);
  return found;
}
