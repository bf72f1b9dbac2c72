// Which rule a request belongs to, and the first gates (disabled, expired, method, sample).
// The header functions take any `H` with HeaderMap's lookups (indexOf(name, from), valuePtr(i),
// valueLen(i)): a decoded map, or the glue's view that fetches single values from the host on
// demand (filter/request_headers.ts). Generic, so each is compiled with direct calls.
import { equalsBytes } from "proxy-wasm-sdk-as/assembly/headers";
import { Config, HeaderConditionKind, NEVER_EXPIRES, Rule } from "./config";
import { Skip } from "./skip";
import { bucketIsIn, stickyBucket, Xorshift64 } from "./sampling";

const PATH: ArrayBuffer = String.UTF8.encode(":path");
const METHOD: ArrayBuffer = String.UTF8.encode(":method");

function startsWith(ptr: usize, len: i32, prefix: ArrayBuffer): bool {
  const plen = prefix.byteLength;
  return len >= plen && memory.compare(ptr, changetype<usize>(prefix), plen) == 0;
}

/** Whether every condition of `rule.match` holds. `routeName` is null when unknown. */
export function ruleMatches<H>(rule: Rule, headers: H, routeName: ArrayBuffer | null): bool {
  const m = rule.match;
  const route = m.routeBytes;
  if (route !== null) {
    if (routeName === null) return false;
    if (!equalsBytes(changetype<usize>(routeName), routeName.byteLength, changetype<usize>(route), route.byteLength)) return false;
  }
  const prefix = m.pathPrefixBytes;
  if (prefix !== null) {
    const p = headers.indexOf(PATH);
    if (p < 0 || !startsWith(headers.valuePtr(p), headers.valueLen(p), prefix)) return false;
  }
  for (let c = 0; c < m.headers.length; c++) {
    const cond = unchecked(m.headers[c]);
    const i = headers.indexOf(cond.nameBytes);
    switch (cond.kind) {
      case HeaderConditionKind.Present:
        if (i < 0) return false;
        break;
      case HeaderConditionKind.Absent:
        if (i >= 0) return false;
        break;
      case HeaderConditionKind.Exact: {
        if (i < 0) return false;
        const v = cond.valueBytes;
        if (!equalsBytes(headers.valuePtr(i), headers.valueLen(i), changetype<usize>(v), v.byteLength)) return false;
        break;
      }
      default: {
        if (i < 0 || !startsWith(headers.valuePtr(i), headers.valueLen(i), cond.valueBytes)) return false;
      }
    }
  }
  return true;
}

/** Index of the first rule whose match fits, or -1. */
export function matchRule<H>(config: Config, headers: H, routeName: ArrayBuffer | null): i32 {
  const rules = config.rules;
  for (let r = 0; r < rules.length; r++) {
    if (ruleMatches<H>(unchecked(rules[r]), headers, routeName)) return r;
  }
  return -1;
}

/** Whether the request's method is one the rule may copy. */
export function methodAllowed<H>(rule: Rule, headers: H): bool {
  const i = headers.indexOf(METHOD);
  if (i < 0) return false;
  const ptr = headers.valuePtr(i);
  const len = headers.valueLen(i);
  const methods = rule.methodBytes;
  for (let k = 0; k < methods.length; k++) {
    const m = unchecked(methods[k]);
    if (equalsBytes(ptr, len, changetype<usize>(m), m.byteLength)) return true;
  }
  return false;
}

/**
 * The first of the gates disabled → expired → method → sample that stops the request, or
 * Skip.None. `wallClockMs`: Envoy's wall clock (ms since the epoch), read only for rules with
 * an `expires_at` (see ruleExpires).
 */
export function gateRequest<H>(config: Config, rule: Rule, headers: H, random: Xorshift64, wallClockMs: i64 = 0): Skip {
  if (!config.enabled || !rule.enabled) return Skip.Disabled;
  if (wallClockMs >= rule.expiresAtMs) return Skip.Expired;
  if (!methodAllowed<H>(rule, headers)) return Skip.Method;
  const threshold = rule.sample.threshold;
  if (threshold >= 10000) return Skip.None;
  if (threshold <= 0) return Skip.SampledOut;
  let bucket = stickyBucket<H>(rule.sample, headers);
  if (bucket < 0) bucket = random.nextBucket();
  return bucketIsIn(bucket, threshold) ? Skip.None : Skip.SampledOut;
}

/** Whether the rule has an `expires_at` (only then does the expired gate need the wall clock). */
// @ts-ignore: decorator
@inline
export function ruleExpires(rule: Rule): bool {
  return rule.expiresAtMs != NEVER_EXPIRES;
}
