// Generators of fuzz inputs: filter configurations (valid, near-valid, garbage) and HTTP
// request/response sequences with odd headers and bodies.
import type { Rng } from "./random.ts";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const METHODS = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"];

/** A configuration the contract accepts. */
export function validConfig(r: Rng): { [k: string]: Json } {
  const rules: Json[] = [];
  const n = r.int(1, 4);
  for (let i = 0; i < n; i++) {
    const rule: { [k: string]: Json } = { name: `r${i}-${r.ascii(r.int(0, 6))}`, dark: { cluster: r.pick(["dark", "dark2", "missing"]) } };
    if (r.chance(0.3)) rule.enabled = r.chance(0.8);
    if (r.chance(0.5)) {
      const match: { [k: string]: Json } = {};
      if (r.chance(0.4)) match.path_prefix = `/${r.ascii(r.int(0, 3))}`;
      if (r.chance(0.2)) match.route = r.pick(["main", "other"]);
      if (r.chance(0.4)) {
        match.headers = [
          r.pick<Json>([
            { name: "x-dark", exact: "1" },
            { name: "x-dark", prefix: "a" },
            { name: "x-user", present: true },
            { name: "x-skip", absent: true },
          ]),
        ];
      }
      rule.match = match;
    }
    if (r.chance(0.5)) rule.methods = [...new Set([r.pick(METHODS), r.pick(METHODS)])];
    if (r.chance(0.6)) {
      const sample: { [k: string]: Json } = { percent: r.pick([0, 0.01, 12.5, 50, 99.99, 100]) };
      if (r.chance(0.5)) sample.by = r.pick(["header:x-user", "cookie:session"]);
      rule.sample = sample;
    }
    const dark = rule.dark as { [k: string]: Json };
    if (r.chance(0.3)) dark.authority = `svc-${r.ascii(3)}`;
    if (r.chance(0.3)) dark.timeout_ms = r.int(1, 60000);
    if (r.chance(0.3)) dark.max_body_bytes = r.pick([0, 1, 100, 65536, 16777216]);
    if (r.chance(0.3)) dark.set_headers = { "x-env": "dark" };
    if (r.chance(0.3)) dark.remove_headers = ["authorization", "Cookie"];
    if (r.chance(0.4)) rule.compare = { status: r.chance(0.5), headers: r.chance(0.5) ? ["content-type"] : [], body: r.chance(0.5) };
    if (r.chance(0.3)) rule.limits = { max_in_flight: r.int(0, 300), max_per_second: r.int(0, 50) };
    if (r.chance(0.3))
      rule.breaker = {
        failure_ratio: r.pick([0.1, 0.5, 1]),
        min_calls: r.int(1, 50),
        window_ms: r.int(100, 60000),
        open_ms: r.int(100, 60000),
      };
    rules.push(rule);
  }
  const config: { [k: string]: Json } = { rules };
  if (r.chance(0.3)) config.enabled = r.chance(0.7);
  if (r.chance(0.3)) config.mismatch_log_per_second = r.int(0, 1000);
  return config;
}

const BAD_VALUES: Json[] = [null, true, -1, 1.5, 1e9, "", "x", [], {}, [1, 2], { a: 1 }, 150, -0.5];

/** A valid configuration with one part broken: wrong type, out of range, unknown key, or a required key removed. */
export function nearValidConfig(r: Rng): { [k: string]: Json } {
  const config = validConfig(r);
  // Walk to a random object inside the config and break one of its members.
  const objects: { [k: string]: Json }[] = [];
  const walk = (v: Json) => {
    if (v && typeof v === "object" && !Array.isArray(v)) {
      objects.push(v);
      Object.values(v).forEach(walk);
    } else if (Array.isArray(v)) v.forEach(walk);
  };
  walk(config);
  const target = r.pick(objects);
  const keys = Object.keys(target);
  switch (r.int(0, 2)) {
    case 0:
      target[r.pick(["typo", "sampel", "percentage", "Enabled", "ŭnicode"])] = r.pick(BAD_VALUES);
      break;
    case 1:
      if (keys.length) delete target[r.pick(keys)];
      break;
    default:
      if (keys.length) target[r.pick(keys)] = r.pick(BAD_VALUES);
  }
  return config;
}

/** Bytes that are rarely JSON: random bytes, deep nesting, huge strings, broken UTF-8 inside strings. */
export function garbageConfig(r: Rng): Buffer {
  switch (r.int(0, 5)) {
    case 0:
      return r.bytes(r.int(0, 200));
    case 1: {
      const depth = r.int(20, 20000);
      return Buffer.from("[".repeat(depth) + "]".repeat(r.chance(0.5) ? depth : depth - 1));
    }
    case 2: {
      const depth = r.int(20, 5000);
      return Buffer.from(`${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`);
    }
    case 3:
      return Buffer.from(JSON.stringify({ rules: [{ name: "x".repeat(r.int(49, 2_000_000)), dark: { cluster: "d" } }] }));
    case 4: {
      const text = Buffer.from(JSON.stringify(validConfig(r)));
      const at = text.indexOf('"') + 1;
      const bad = r.pick([[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80, 0x80]]);
      return Buffer.concat([text.subarray(0, at), Buffer.from(bad), text.subarray(at)]);
    }
    default: {
      const text = Buffer.from(JSON.stringify(validConfig(r)));
      const cut = r.int(0, text.length - 1);
      return text.subarray(0, cut);
    }
  }
}

export function oddHeaderName(r: Rng): string {
  return r.pick([
    "x-a",
    "X-Mixed-Case",
    `x-${r.ascii(r.int(1, 200))}`,
    "cookie",
    "x-user",
    "x-dark-launch",
    "authorization",
    "content-type",
    "x-request-id",
    "ü-header",
  ]);
}

export function oddHeaderValue(r: Rng): string {
  switch (r.int(0, 5)) {
    case 0:
      return "";
    case 1:
      return r.ascii(r.int(1, 40));
    case 2:
      return r
        .bytes(r.int(1, 60))
        .toString("latin1")
        .replace(/[\0\r\n]/g, "x");
    case 3:
      return "a".repeat(r.int(1000, 70000));
    case 4:
      return `session=${r.ascii(5)}; other="${r.ascii(3)}"; session=dup`;
    default:
      return "1";
  }
}
