// Sticky sampling: the FNV-1a 64 hash, bucket keys from headers and cookies, the ramp, the share.
import { HeaderMap } from "proxy-wasm-sdk-as/assembly/headers";
import { Config, Sample } from "../darklaunch/config";
import { fnv1a64, fnv1a64Bytes, fnv1a64Update, FNV64_OFFSET, hex64 } from "../darklaunch/hash";
import { gateRequest } from "../darklaunch/rules";
import { bucketIsIn, sampleBucket, stickyBucket, Xorshift64 } from "../darklaunch/sampling";
import { Skip } from "../darklaunch/skip";
import { configOf, headerMap, ruleOf, utf8 } from "./helpers";

// Expected hashes and buckets were computed independently in Node.js with BigInt:
//   h = 0xcbf29ce484222325n; for (const b of Buffer.from(s, "utf8")) { h ^= BigInt(b);
//   h = (h * 0x100000001b3n) & 0xffffffffffffffffn }   bucket = h % 10000n
// They are the contract's stickiness: they must never change.

function bucketOf(s: string): i32 {
  const b = utf8(s);
  return sampleBucket(changetype<usize>(b), b.byteLength);
}

function sampleOf(sampleJson: string): Sample {
  return ruleOf('{"name":"a","dark":{"cluster":"v2"},"sample":' + sampleJson + "}").sample;
}

function configWith(sampleJson: string): Config {
  return configOf('{"rules":[{"name":"a","dark":{"cluster":"v2"},"sample":' + sampleJson + "}]}");
}

function withCookie(cookie: string): HeaderMap {
  return headerMap([":method", "GET", ":path", "/", "cookie", cookie]);
}

function withUser(user: string): HeaderMap {
  return headerMap([":method", "GET", ":path", "/", "x-user-id", user]);
}

const BY_SESSION_COOKIE = '{"percent":50,"by":"cookie:session"}';
const PERCENTS: f64[] = [0, 0.01, 1, 5, 10, 12.5, 20, 33.33, 50, 75, 99.99, 100];

describe("fnv1a64", () => {
  test("the empty input hashes to the offset basis 0xcbf29ce484222325", () => {
    expect(fnv1a64Bytes(utf8(""))).toBe(0xcbf29ce484222325);
    expect(FNV64_OFFSET).toBe(0xcbf29ce484222325);
  });

  test('"a" hashes to 0xaf63dc4c8601ec8c', () => {
    expect(fnv1a64Bytes(utf8("a"))).toBe(0xaf63dc4c8601ec8c);
  });

  test('"b" hashes to 0xaf63df4c8601f1a5', () => {
    expect(fnv1a64Bytes(utf8("b"))).toBe(0xaf63df4c8601f1a5);
  });

  test('"foobar" hashes to 0x85944171f73967e8', () => {
    expect(fnv1a64Bytes(utf8("foobar"))).toBe(0x85944171f73967e8);
  });

  test('"hello world" hashes to 0x779a65e7023cd2e7', () => {
    expect(fnv1a64Bytes(utf8("hello world"))).toBe(0x779a65e7023cd2e7);
  });

  test('the UTF-8 bytes of "é" (c3 a9) hash to 0x0ac21707b7181e01', () => {
    expect(fnv1a64Bytes(utf8("é"))).toBe(0x0ac21707b7181e01);
  });

  test("fnv1a64Update continues a hash: two halves equal the whole", () => {
    const whole = utf8("foobar");
    const p = changetype<usize>(whole);
    expect(fnv1a64Update(fnv1a64(p, 3), p + 3, 3)).toBe(fnv1a64(p, 6));
  });

  test("hex64 writes 16 lower-case hex digits", () => {
    expect(hex64(0xcbf29ce484222325)).toBe("cbf29ce484222325");
    expect(hex64(1)).toBe("0000000000000001");
    expect(hex64(0)).toBe("0000000000000000");
  });
});

describe("sampleBucket", () => {
  test("is the hash mod 10000 for known keys", () => {
    expect(bucketOf("")).toBe(6037);
    expect(bucketOf("a")).toBe(1996);
    expect(bucketOf("abc")).toBe(3931);
    expect(bucketOf("user-42")).toBe(7419);
    expect(bucketOf("session-123")).toBe(3946);
  });

  test("a request is in iff its bucket is below the threshold", () => {
    expect(bucketIsIn(3930, 3931)).toBe(true);
    expect(bucketIsIn(3931, 3931)).toBe(false);
    expect(bucketIsIn(0, 0)).toBe(false);
    expect(bucketIsIn(9999, 10000)).toBe(true);
  });
});

describe("stickyBucket: header key", () => {
  test("is the bucket of the header value", () => {
    expect(stickyBucket(sampleOf('{"percent":50,"by":"header:x-user-id"}'), withUser("user-42"))).toBe(7419);
  });

  test("gives the same bucket on every call", () => {
    const sample = sampleOf('{"percent":50,"by":"header:x-user-id"}');
    const map = withUser("abc");
    for (let i = 0; i < 100; i++) expect(stickyBucket(sample, map)).toBe(3931);
  });

  test("finds the header whatever the case of the configured name", () => {
    expect(stickyBucket(sampleOf('{"percent":50,"by":"header:X-User-Id"}'), withUser("abc"))).toBe(3931);
  });

  test("uses the first value when the header is repeated", () => {
    const map = headerMap([":method", "GET", "x-user-id", "abc", "x-user-id", "user-42"]);
    expect(stickyBucket(sampleOf('{"percent":50,"by":"header:x-user-id"}'), map)).toBe(3931);
  });

  test("is -1 when the header is absent", () => {
    const map = headerMap([":method", "GET", "x-other", "abc"]);
    expect(stickyBucket(sampleOf('{"percent":50,"by":"header:x-user-id"}'), map)).toBe(-1);
  });

  test("is -1 for a random sample even when such a header exists", () => {
    expect(stickyBucket(sampleOf('{"percent":50}'), withUser("abc"))).toBe(-1);
  });
});

describe("stickyBucket: cookie key", () => {
  test("finds the only pair", () => {
    expect(stickyBucket(sampleOf(BY_SESSION_COOKIE), withCookie("session=abc"))).toBe(3931);
  });

  test("finds the pair among several", () => {
    expect(stickyBucket(sampleOf(BY_SESSION_COOKIE), withCookie("a=1; session=abc; b=2"))).toBe(3931);
  });

  test("finds the last pair", () => {
    expect(stickyBucket(sampleOf(BY_SESSION_COOKIE), withCookie("a=1; b=2; session=abc"))).toBe(3931);
  });

  test("tolerates missing and extra spaces around pairs", () => {
    expect(stickyBucket(sampleOf(BY_SESSION_COOKIE), withCookie("a=1;session=abc;b=2"))).toBe(3931);
    expect(stickyBucket(sampleOf(BY_SESSION_COOKIE), withCookie("a=1;    session=abc   ; b=2"))).toBe(3931);
    expect(stickyBucket(sampleOf(BY_SESSION_COOKIE), withCookie("a=1;\tsession=abc"))).toBe(3931);
  });

  test("keeps '=' inside the value (base64 padding)", () => {
    expect(stickyBucket(sampleOf(BY_SESSION_COOKIE), withCookie("session=YWJj==; b=2"))).toBe(bucketOf("YWJj=="));
    expect(stickyBucket(sampleOf(BY_SESSION_COOKIE), withCookie("session=YWJj==; b=2"))).not.toBe(bucketOf("YWJj"));
  });

  test("skips empty pairs", () => {
    expect(stickyBucket(sampleOf(BY_SESSION_COOKIE), withCookie(";a=1;; ;session=abc"))).toBe(3931);
  });

  test("counts a quoted value without its quotes", () => {
    expect(stickyBucket(sampleOf(BY_SESSION_COOKIE), withCookie('a=1; session="abc"; b=2'))).toBe(3931);
  });

  test("skips a cookie whose name merely starts with the configured name", () => {
    expect(stickyBucket(sampleOf(BY_SESSION_COOKIE), withCookie("sessionid=zzz; session=abc"))).toBe(3931);
  });

  test("skips a cookie whose name merely ends with the configured name", () => {
    expect(stickyBucket(sampleOf(BY_SESSION_COOKIE), withCookie("xsession=zzz; session=abc"))).toBe(3931);
  });

  test("finds a short name that is a prefix of an earlier cookie's name", () => {
    const sample = sampleOf('{"percent":50,"by":"cookie:sess"}');
    expect(stickyBucket(sample, withCookie("session=zzz; sess=abc"))).toBe(3931);
  });

  test("does not take the name from inside another cookie's value", () => {
    expect(stickyBucket(sampleOf(BY_SESSION_COOKIE), withCookie("a=session=zzz; session=abc"))).toBe(3931);
  });

  test("uses the first pair when the name appears twice", () => {
    expect(stickyBucket(sampleOf(BY_SESSION_COOKIE), withCookie("session=abc; session=user-42"))).toBe(3931);
  });

  test("compares cookie names case-sensitively", () => {
    expect(stickyBucket(sampleOf(BY_SESSION_COOKIE), withCookie("Session=abc"))).toBe(-1);
  });

  test("looks through every cookie header", () => {
    const map = headerMap([":method", "GET", "cookie", "a=1; b=2", "cookie", "session=abc"]);
    expect(stickyBucket(sampleOf(BY_SESSION_COOKIE), map)).toBe(3931);
  });

  test("is -1 when no cookie has the name", () => {
    expect(stickyBucket(sampleOf(BY_SESSION_COOKIE), withCookie("a=1; sessionid=abc"))).toBe(-1);
  });

  test("is -1 when there is no cookie header", () => {
    expect(stickyBucket(sampleOf(BY_SESSION_COOKIE), withUser("abc"))).toBe(-1);
  });

  test("gives the same bucket on every call", () => {
    const sample = sampleOf(BY_SESSION_COOKIE);
    const map = withCookie("a=1; session=user-42");
    for (let i = 0; i < 100; i++) expect(stickyBucket(sample, map)).toBe(7419);
  });
});

describe("threshold", () => {
  test("defaults to 10000 (100%)", () => {
    expect(sampleOf('{"by":"header:x-user-id"}').threshold).toBe(10000);
  });

  test("is percent × 100", () => {
    expect(sampleOf('{"percent":12.5}').threshold).toBe(1250);
    expect(sampleOf('{"percent":0}').threshold).toBe(0);
    expect(sampleOf('{"percent":100}').threshold).toBe(10000);
    expect(sampleOf('{"percent":0.01}').threshold).toBe(1);
    expect(sampleOf('{"percent":99.99}').threshold).toBe(9999);
  });

  test("rounds half up: 12.345 → 1235, 33.335 → 3334, 0.005 → 1", () => {
    // In f64, 12.345 × 100 = 1234.5 and 33.335 × 100 = 3333.5 (checked in Node).
    expect(sampleOf('{"percent":12.345}').threshold).toBe(1235);
    expect(sampleOf('{"percent":33.335}').threshold).toBe(3334);
    expect(sampleOf('{"percent":0.005}').threshold).toBe(1);
  });

  test("rounds down below the half: 12.344 → 1234, 0.004 → 0", () => {
    expect(sampleOf('{"percent":12.344}').threshold).toBe(1234);
    expect(sampleOf('{"percent":0.004}').threshold).toBe(0);
  });

  test("a key is out at exactly its bucket and in one step above", () => {
    // "abc" is in bucket 3931.
    const atBucket = configWith('{"percent":39.31,"by":"header:x-user-id"}');
    expect(gateRequest(atBucket, atBucket.rules[0], withUser("abc"), new Xorshift64(1))).toBe(Skip.SampledOut);
    const above = configWith('{"percent":39.32,"by":"header:x-user-id"}');
    expect(gateRequest(above, above.rules[0], withUser("abc"), new Xorshift64(1))).toBe(Skip.None);
  });
});

describe("gate decisions", () => {
  test("the same header key gets the same decision whatever the random state", () => {
    const c = configWith('{"percent":50,"by":"header:x-user-id"}');
    const rng = new Xorshift64(7);
    for (let i = 0; i < 200; i++) {
      expect(gateRequest(c, c.rules[0], withUser("abc"), rng)).toBe(Skip.None);
      expect(gateRequest(c, c.rules[0], withUser("user-42"), rng)).toBe(Skip.SampledOut);
    }
  });

  test("the same cookie key gets the same decision whatever the random state", () => {
    const c = configWith(BY_SESSION_COOKIE);
    const rng = new Xorshift64(7);
    for (let i = 0; i < 200; i++) {
      expect(gateRequest(c, c.rules[0], withCookie("x=1; session=abc"), rng)).toBe(Skip.None);
      expect(gateRequest(c, c.rules[0], withCookie('session="user-42"'), rng)).toBe(Skip.SampledOut);
    }
  });

  test("the ramp is monotonic: a key in at p% is in at every higher percent", () => {
    const configs = new Array<Config>();
    for (let k = 0; k < PERCENTS.length; k++) {
      configs.push(configWith('{"percent":' + PERCENTS[k].toString() + ',"by":"header:x-user-id"}'));
    }
    const rng = new Xorshift64(3);
    let violations = 0;
    let inAtSome = 0;
    for (let i = 0; i < 3000; i++) {
      const map = withUser("user-" + i.toString());
      let wasIn = false;
      for (let k = 0; k < configs.length; k++) {
        const c = configs[k];
        const isIn = gateRequest(c, c.rules[0], map, rng) == Skip.None;
        if (wasIn && !isIn) violations++;
        wasIn = wasIn || isIn;
      }
      if (wasIn) inAtSome++;
    }
    expect(violations).toBe(0);
    expect(inAtSome).toBe(3000); // every key is in at 100%
  });

  test("over 20000 header keys, 12.5% mirrors 11.5%..13.5% of them", () => {
    const c = configWith('{"percent":12.5,"by":"header:x-user-id"}');
    const rng = new Xorshift64(5);
    let mirrored = 0;
    for (let i = 0; i < 20000; i++) {
      if (gateRequest(c, c.rules[0], withUser("user-" + i.toString()), rng) == Skip.None) mirrored++;
    }
    expect(mirrored).toBeGreaterThanOrEqual(2300);
    expect(mirrored).toBeLessThanOrEqual(2700);
  });

  test("over 20000 cookie keys, 12.5% mirrors 11.5%..13.5% of them", () => {
    const c = configWith('{"percent":12.5,"by":"cookie:session"}');
    const rng = new Xorshift64(5);
    let mirrored = 0;
    for (let i = 0; i < 20000; i++) {
      if (gateRequest(c, c.rules[0], withCookie("theme=dark; session=session-" + i.toString()), rng) == Skip.None) mirrored++;
    }
    expect(mirrored).toBeGreaterThanOrEqual(2300);
    expect(mirrored).toBeLessThanOrEqual(2700);
  });

  test("requests without the key fall back to random: 12.5% of 20000 lands in 11.5%..13.5%", () => {
    const c = configWith('{"percent":12.5,"by":"header:x-user-id"}');
    const map = headerMap([":method", "GET", ":path", "/"]);
    const rng = new Xorshift64(0x1234567890abcdef);
    let mirrored = 0;
    for (let i = 0; i < 20000; i++) {
      if (gateRequest(c, c.rules[0], map, rng) == Skip.None) mirrored++;
    }
    expect(mirrored).toBeGreaterThanOrEqual(2300);
    expect(mirrored).toBeLessThanOrEqual(2700);
  });

  test("a random sample at 12.5% of 20000 lands in 11.5%..13.5%", () => {
    const c = configWith('{"percent":12.5}');
    const map = withUser("abc");
    const rng = new Xorshift64(99);
    let mirrored = 0;
    for (let i = 0; i < 20000; i++) {
      if (gateRequest(c, c.rules[0], map, rng) == Skip.None) mirrored++;
    }
    expect(mirrored).toBeGreaterThanOrEqual(2300);
    expect(mirrored).toBeLessThanOrEqual(2700);
  });

  test("percent 0 never mirrors, with or without a key", () => {
    const c = configWith('{"percent":0,"by":"header:x-user-id"}');
    const noKey = headerMap([":method", "GET", ":path", "/"]);
    const rng = new Xorshift64(11);
    let mirrored = 0;
    for (let i = 0; i < 5000; i++) {
      if (gateRequest(c, c.rules[0], withUser("user-" + i.toString()), rng) == Skip.None) mirrored++;
      if (gateRequest(c, c.rules[0], noKey, rng) == Skip.None) mirrored++;
    }
    expect(mirrored).toBe(0);
  });

  test("percent 100 always mirrors, with or without a key", () => {
    const c = configWith('{"percent":100,"by":"header:x-user-id"}');
    const noKey = headerMap([":method", "GET", ":path", "/"]);
    const rng = new Xorshift64(11);
    let skipped = 0;
    for (let i = 0; i < 5000; i++) {
      if (gateRequest(c, c.rules[0], withUser("user-" + i.toString()), rng) != Skip.None) skipped++;
      if (gateRequest(c, c.rules[0], noKey, rng) != Skip.None) skipped++;
    }
    expect(skipped).toBe(0);
  });
});

describe("Xorshift64", () => {
  test("nextBucket stays within 0..9999 and covers both ends of the range", () => {
    const rng = new Xorshift64(2024);
    let lo = 10000;
    let hi = -1;
    for (let i = 0; i < 50000; i++) {
      const b = rng.nextBucket();
      if (b < lo) lo = b;
      if (b > hi) hi = b;
    }
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(lo).toBeLessThan(100);
    expect(hi).toBeLessThanOrEqual(9999);
    expect(hi).toBeGreaterThan(9900);
  });

  test("the same seed gives the same sequence", () => {
    const a = new Xorshift64(77);
    const b = new Xorshift64(77);
    for (let i = 0; i < 100; i++) expect(a.next()).toBe(b.next());
  });

  test("a zero seed does not get stuck at zero", () => {
    const rng = new Xorshift64(0);
    let zeros = 0;
    for (let i = 0; i < 100; i++) if (rng.next() == 0) zeros++;
    expect(zeros).toBe(0);
  });
});
