// The arithmetic of the protections: the token bucket of max_per_second and the breaker window.
import { Breaker } from "../darklaunch/config";
import { BreakerWindow, TokenBucket } from "../darklaunch/limits";
import { ruleOf } from "./helpers";

// Times are monotonic milliseconds well away from 0, as the filter's clock gives them.
const T0: i64 = 1_000_000;

function freshBucket(): TokenBucket {
  return new TokenBucket(0, 0);
}

/** How many of `n` takes at `nowMs` succeed. */
function takes(bucket: TokenBucket, nowMs: i64, perSecond: i32, n: i32): i32 {
  let ok = 0;
  for (let i = 0; i < n; i++) if (bucket.take(nowMs, perSecond)) ok++;
  return ok;
}

function breaker(failureRatio: f64, minCalls: i32, windowMs: i32, openMs: i32): Breaker {
  const b = new Breaker();
  b.failureRatio = failureRatio;
  b.minCalls = minCalls;
  b.windowMs = windowMs;
  b.openMs = openMs;
  return b;
}

function freshWindow(): BreakerWindow {
  return new BreakerWindow(0, 0, 0, 0);
}

/** Records `failures` failed then `successes` good calls at `nowMs`; true if any of them opened it. */
function record(w: BreakerWindow, nowMs: i64, failures: i32, successes: i32, cfg: Breaker): bool {
  let opened = false;
  for (let i = 0; i < failures; i++) opened = w.record(nowMs, true, cfg) || opened;
  for (let i = 0; i < successes; i++) opened = w.record(nowMs, false, cfg) || opened;
  return opened;
}

// ratio 0.5, 4 calls, 10 s window, 30 s open
const SMALL: Breaker = breaker(0.5, 4, 10000, 30000);

describe("TokenBucket", () => {
  test("a fresh bucket starts full: burst = perSecond", () => {
    expect(takes(freshBucket(), T0, 5, 10)).toBe(5);
  });

  test("a fresh bucket at 1 per second gives exactly one call", () => {
    expect(takes(freshBucket(), T0, 1, 3)).toBe(1);
  });

  test("refills perSecond tokens per second", () => {
    const b = freshBucket();
    expect(takes(b, T0, 5, 5)).toBe(5);
    expect(takes(b, T0 + 1000, 5, 10)).toBe(5);
  });

  test("refills one token after 1000 / perSecond ms and not before", () => {
    const b = freshBucket();
    takes(b, T0, 5, 5);
    expect(b.take(T0 + 199, 5)).toBe(false);
    expect(b.take(T0 + 200, 5)).toBe(true);
    expect(b.take(T0 + 200, 5)).toBe(false);
  });

  test("partial refills add up across takes", () => {
    const b = freshBucket();
    takes(b, T0, 10, 10);
    // 10 per second = one token per 100 ms, credited in 40 + 40 + 20 ms steps.
    expect(b.take(T0 + 40, 10)).toBe(false);
    expect(b.take(T0 + 80, 10)).toBe(false);
    expect(b.take(T0 + 100, 10)).toBe(true);
  });

  test("never holds more than perSecond tokens, however long it waits", () => {
    const b = freshBucket();
    takes(b, T0, 5, 5);
    expect(takes(b, T0 + 3_600_000, 5, 20)).toBe(5);
  });

  test("a bucket used once keeps its capacity after a long idle time", () => {
    const b = freshBucket();
    expect(b.take(T0, 3)).toBe(true);
    expect(takes(b, T0 + 60_000, 3, 10)).toBe(3);
  });

  test("a take stamped earlier than the last one (a worker that lost a race) credits no time twice", () => {
    const b = freshBucket();
    expect(takes(b, T0, 10, 10)).toBe(10); // empty now; 10 per second = 1 token per 100 ms
    expect(b.take(T0 + 99, 10)).toBe(false); // 0.99 token credited
    expect(b.take(T0 + 50, 10)).toBe(false); // stale clock reading: nothing to credit
    expect(b.take(T0 + 100, 10)).toBe(true); // the token of the first 100 ms
    // T0 + 100 .. T0 + 151 credits 0.51 token: not enough for another call.
    expect(b.take(T0 + 151, 10)).toBe(false);
  });

  test("a steady rate at the limit is always let through", () => {
    const b = freshBucket();
    takes(b, T0, 4, 4);
    let ok = 0;
    for (let i = 1; i <= 100; i++) if (b.take(T0 + <i64>i * 250, 4)) ok++;
    expect(ok).toBe(100);
  });

  test("twice the limit over ten seconds lets through burst + rate × time", () => {
    const b = freshBucket();
    let ok = 0;
    // 20 calls a second for 10 s at 10 per second: 10 (burst) + 10 × 10 s, give or take the last step.
    for (let i = 0; i < 200; i++) if (b.take(T0 + <i64>i * 50, 10)) ok++;
    expect(ok).toBeGreaterThanOrEqual(109);
    expect(ok).toBeLessThanOrEqual(110);
  });
});

describe("BreakerWindow", () => {
  test("a fresh window is closed", () => {
    expect(freshWindow().isOpen(T0)).toBe(false);
  });

  test("opens at min_calls when the failure ratio is reached", () => {
    const w = freshWindow();
    expect(w.record(T0, true, SMALL)).toBe(false);
    expect(w.record(T0 + 1, false, SMALL)).toBe(false);
    expect(w.record(T0 + 2, true, SMALL)).toBe(false);
    expect(w.record(T0 + 3, false, SMALL)).toBe(true);
    expect(w.isOpen(T0 + 3)).toBe(true);
  });

  test("does not open below min_calls, even with every call failing", () => {
    const w = freshWindow();
    expect(record(w, T0, 3, 0, SMALL)).toBe(false);
    expect(w.isOpen(T0)).toBe(false);
  });

  test("opens on the call that reaches min_calls when all have failed", () => {
    const w = freshWindow();
    record(w, T0, 3, 0, SMALL);
    expect(w.record(T0 + 1, true, SMALL)).toBe(true);
  });

  test("does not open while the failure ratio is below the threshold", () => {
    const w = freshWindow();
    // 1 failure in 4 calls, 1 in 6, then 2 in 7, 3 in 8, 4 in 9: all below 0.5.
    expect(record(w, T0, 1, 3, SMALL)).toBe(false);
    expect(record(w, T0 + 1, 0, 2, SMALL)).toBe(false);
    expect(record(w, T0 + 2, 3, 0, SMALL)).toBe(false);
    expect(w.isOpen(T0 + 2)).toBe(false);
    expect(w.calls).toBe(9);
    expect(w.failures).toBe(4);
  });

  test("opens later in the window once the ratio is reached", () => {
    const w = freshWindow();
    expect(record(w, T0, 0, 4, SMALL)).toBe(false);
    expect(record(w, T0 + 100, 3, 0, SMALL)).toBe(false); // 3 of 7
    expect(w.record(T0 + 200, true, SMALL)).toBe(true); // 4 of 8
  });

  test("stays open for open_ms, then closes", () => {
    const w = freshWindow();
    record(w, T0, 4, 0, SMALL);
    expect(w.isOpen(T0)).toBe(true);
    expect(w.isOpen(T0 + 29_999)).toBe(true);
    expect(w.isOpen(T0 + 30_000)).toBe(false);
  });

  test("calls finishing while open are not counted and do not reopen", () => {
    const w = freshWindow();
    record(w, T0, 4, 0, SMALL);
    const until = w.openUntilMs;
    expect(record(w, T0 + 1000, 10, 0, SMALL)).toBe(false);
    expect(w.openUntilMs).toBe(until);
    expect(w.calls).toBe(4);
  });

  test("after open_ms the next call starts a fresh window", () => {
    const w = freshWindow();
    record(w, T0, 4, 0, SMALL);
    expect(w.record(T0 + 30_000, true, SMALL)).toBe(false);
    expect(w.calls).toBe(1);
    expect(w.failures).toBe(1);
    expect(w.windowStartMs).toBe(T0 + 30_000);
    expect(w.isOpen(T0 + 30_000)).toBe(false);
  });

  test("after closing it needs min_calls again before it reopens", () => {
    const w = freshWindow();
    record(w, T0, 4, 0, SMALL);
    const after = T0 + 30_000;
    expect(record(w, after, 3, 0, SMALL)).toBe(false);
    expect(w.record(after + 1, true, SMALL)).toBe(true);
    expect(w.isOpen(after + 1)).toBe(true);
  });

  test("the window resets after window_ms", () => {
    const w = freshWindow();
    record(w, T0, 3, 0, SMALL);
    // A fourth failure in the same window would open it; in the next window it is call 1 of 1.
    expect(w.record(T0 + 10_000, true, SMALL)).toBe(false);
    expect(w.calls).toBe(1);
    expect(w.failures).toBe(1);
  });

  test("calls just inside window_ms still count toward the same window", () => {
    const w = freshWindow();
    record(w, T0, 3, 0, SMALL);
    expect(w.record(T0 + 9_999, true, SMALL)).toBe(true);
  });

  test("failure_ratio 1 opens only when every call failed", () => {
    const all = breaker(1.0, 4, 10000, 30000);
    const w = freshWindow();
    expect(record(w, T0, 3, 1, all)).toBe(false);
    expect(record(w, T0 + 1, 4, 0, all)).toBe(false); // 7 of 8
    const v = freshWindow();
    expect(record(v, T0, 4, 0, all)).toBe(true);
  });

  test("the defaults are failure_ratio 0.5, min_calls 20, window_ms 10000, open_ms 30000", () => {
    const b = ruleOf('{"name":"a","dark":{"cluster":"c"}}').breaker;
    expect(b.failureRatio).toBe(0.5);
    expect(b.minCalls).toBe(20);
    expect(b.windowMs).toBe(10000);
    expect(b.openMs).toBe(30000);
  });

  test("with the defaults, 10 failures in 20 calls open it and 9 do not", () => {
    const cfg = ruleOf('{"name":"a","dark":{"cluster":"c"}}').breaker;
    const w = freshWindow();
    expect(record(w, T0, 9, 11, cfg)).toBe(false);
    const v = freshWindow();
    expect(record(v, T0, 10, 10, cfg)).toBe(true);
  });
});

describe("state kept in shared-data words", () => {
  test("TokenBucket.at reads and writes two i64 words in place", () => {
    const words = new StaticArray<i64>(2);
    const bucket = TokenBucket.at(changetype<usize>(words));
    expect(bucket.take(T0, 5)).toBe(true); // a fresh bucket starts full: 5000 milli-tokens, one taken
    expect(words[0]).toBe(4000);
    expect(words[1]).toBe(T0);
    words[0] = 500; // below one token
    expect(TokenBucket.at(changetype<usize>(words)).take(T0, 5)).toBe(false);
  });

  test("BreakerWindow.at reads and writes four i64 words in place: start, calls, failures, open until", () => {
    const words = new StaticArray<i64>(4);
    const cfg = breaker(0.5, 2, 10000, 3000);
    const w = BreakerWindow.at(changetype<usize>(words));
    expect(w.record(T0, true, cfg)).toBe(false);
    expect(words[0]).toBe(T0);
    expect(words[1]).toBe(1);
    expect(words[2]).toBe(1);
    expect(w.record(T0 + 1, true, cfg)).toBe(true);
    expect(words[3]).toBe(T0 + 1 + 3000);
    expect(BreakerWindow.at(changetype<usize>(words)).isOpen(T0 + 2)).toBe(true);
  });
});

describe("TokenBucket.available", () => {
  test("says whether a take would succeed, and changes nothing", () => {
    const b = new TokenBucket(1500, T0);
    expect(b.available(T0, 2)).toBe(true);
    expect(b.milliTokens).toBe(1500);
    expect(b.lastMs).toBe(T0);
    b.milliTokens = 999;
    expect(b.available(T0, 2)).toBe(false);
    expect(b.available(T0 + 1, 2)).toBe(true); // 999 + 1 ms × 2 per second = 1001
    expect(b.milliTokens).toBe(999);
    expect(freshBucket().available(T0, 1)).toBe(true); // a fresh bucket starts full
  });
});
