// Parses and validates the plugin configuration (contract section 2) into the shapes of config.ts.
// json_read.ts reads the bytes once into a tree of values (stopping at the first syntax problem);
// validation then walks the tree and collects every problem, each as `<json path>: <message>`,
// e.g. `rules[0].sample.percent: must be a number from 0 to 100 (got 150)`; problems of the
// whole document use the path `(root)`.
import {
  Breaker,
  Compare,
  Config,
  ConfigResult,
  Dark,
  HeaderCondition,
  HeaderConditionKind,
  Limits,
  MAX_IGNORE_PATHS,
  MAX_RULES,
  Rule,
  RuleMatch,
  Sample,
  Samples,
  StickyKeySource,
} from "./config";
import { JsonPath, JsonPathSet, parseJsonPath } from "./json_path";
import {
  BODY_KEYS,
  BREAKER_KEYS,
  COMPARE_KEYS,
  DARK_KEYS,
  HEADER_CONDITION_KEYS,
  LIMITS_KEYS,
  MATCH_KEYS,
  RULE_KEYS,
  SAMPLE_KEYS,
  SAMPLES_KEYS,
  TOP_KEYS,
} from "./config_keys";
import { describeValue, elementPath, memberPath, quoteForMessage, shownPath } from "./json_message";
import { readJsonBuffer } from "./json_read";
import { JsonArray, JsonBool, JsonNumber, JsonObject, JsonString, JsonValue } from "./json_value";
import { DARK_LAUNCH_HEADER, managedHeader } from "./managed_headers";
import { NOT_A_TIME, parseRfc3339 } from "./rfc3339";
import { RULE_NAME_PATTERN, isRuleName } from "./stats_names";

/** At most this many problems are listed; the rest are counted in a final line. */
export const MAX_LISTED_PROBLEMS: i32 = 50;

// @ts-ignore: decorator
@inline const MAX_DARK_TIMEOUT_MS: i64 = 60000;
// @ts-ignore: decorator
@inline const MAX_DARK_BODY_BYTES: i64 = 16777216;
// @ts-ignore: decorator
@inline const MAX_LIMIT: i64 = 1000000;
// @ts-ignore: decorator
@inline const MAX_MISMATCH_LOG_PER_SECOND: i64 = 1000;
// @ts-ignore: decorator
@inline const MAX_SAMPLES_PER_SECOND: i64 = 1000;
// Three bodies of this size, escaped at most two-fold (beyond that a body goes as base64), stay
// well under the collector's 1 MiB limit.
// @ts-ignore: decorator
@inline const MAX_SAMPLE_BODY_BYTES: i64 = 65536;

const RULE_NAME_RULE = "a string matching " + RULE_NAME_PATTERN;
const EXPIRES_AT_RULE = "an RFC 3339 time such as \"2026-12-31T00:00:00Z\"";
const HEADER_NAME_RULE = "an HTTP header name";
const SAFE_STRING_RULE = "a string without CR, LF or NUL";

/** Parses the plugin configuration. Never traps, whatever the bytes. */
export function parseConfig(bytes: ArrayBuffer): ConfigResult {
  const problems = new Problems();
  if (isBlank(bytes)) {
    problems.add("", "configuration is empty");
    return new ConfigResult(null, problems.list());
  }
  const read = readJsonBuffer(bytes);
  const syntax = read.problem;
  if (syntax !== null) {
    const path = syntax.path;
    if (path !== null) problems.add(path, syntax.message);
    else problems.add("", syntax.toString());
    return new ConfigResult(null, problems.list());
  }
  const config = new ConfigReader(problems).read(changetype<JsonValue>(read.value));
  if (problems.total > 0) return new ConfigResult(null, problems.list());
  return new ConfigResult(config, []);
}

/** `parseConfig` over a string (tests, tools). */
export function parseConfigString(text: string): ConfigResult {
  return parseConfig(String.UTF8.encode(text));
}

function isBlank(bytes: ArrayBuffer): bool {
  const p = changetype<usize>(bytes);
  const n = bytes.byteLength;
  for (let i = 0; i < n; i++) {
    const c = load<u8>(p + <usize>i);
    if (c != 0x20 && c != 0x0a && c != 0x0d && c != 0x09) return false;
  }
  return true;
}

/** Every problem found, the first MAX_LISTED_PROBLEMS kept. */
class Problems {
  total: i32 = 0;
  private kept: string[] = [];

  /** Whether further problems are only counted (callers may skip building their message). */
  get full(): bool {
    return this.kept.length >= MAX_LISTED_PROBLEMS;
  }

  add(path: string, message: string): void {
    this.total++;
    if (this.kept.length < MAX_LISTED_PROBLEMS) this.kept.push(shownPath(path) + ": " + message);
  }

  list(): string[] {
    const out = this.kept.slice(0);
    if (this.total > out.length) {
      out.push(shownPath("") + ": … and " + (this.total - out.length).toString() + " more problems");
    }
    return out;
  }
}

// ---- Character classes ----

// RFC 9110 tchar.
function isTokenChar(c: i32): bool {
  if (c >= 0x61 && c <= 0x7a) return true; // a-z
  if (c >= 0x41 && c <= 0x5a) return true; // A-Z
  if (c >= 0x30 && c <= 0x39) return true; // 0-9
  switch (c) {
    case 0x21: case 0x23: case 0x24: case 0x25: case 0x26: case 0x27: case 0x2a: case 0x2b:
    case 0x2d: case 0x2e: case 0x5e: case 0x5f: case 0x60: case 0x7c: case 0x7e:
      return true;
  }
  return false;
}

function isToken(s: string, from: i32 = 0): bool {
  if (s.length <= from) return false;
  for (let i = from; i < s.length; i++) {
    if (!isTokenChar(s.charCodeAt(i))) return false;
  }
  return true;
}

function isMethodToken(s: string): bool {
  if (!isToken(s)) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x61 && c <= 0x7a) return false;
  }
  return true;
}

function hasCrLfNul(s: string): bool {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x0d || c == 0x0a || c == 0) return true;
  }
  return false;
}

/** A token (ASCII, checked by isToken) in lower case; itself when it has no upper-case letter. */
function lowerCaseToken(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) return s.toLowerCase();
  }
  return s;
}

function encodeAll(list: string[]): ArrayBuffer[] {
  const out = new Array<ArrayBuffer>(list.length);
  for (let i = 0; i < list.length; i++) out[i] = String.UTF8.encode(list[i]);
  return out;
}

// ---- The reader: walks the document, fills a Config and reports into Problems ----

class ConfigReader {
  // Results of the typed readers below (AssemblyScript has no tuples).
  private intValue: i64 = 0;
  private pathTexts: string[] = [];
  private numberValue: f64 = 0;

  constructor(private problems: Problems) {}

  read(root: JsonValue): Config {
    const config = new Config();
    if (!(root instanceof JsonObject)) {
      this.mustBe("", "an object", root);
      return config;
    }
    const obj = <JsonObject>root;
    this.unknownKeys(obj, "", TOP_KEYS);
    config.enabled = this.bool(obj, "", "enabled", true);
    config.mismatchLogPerSecond = <i32>this.int(obj, "", "mismatch_log_per_second", 0, MAX_MISMATCH_LOG_PER_SECOND, 1);
    config.samples = this.samples(obj);
    const rules = obj.get("rules");
    if (rules === null) {
      this.problems.add("rules", "is required");
    } else if (!(rules instanceof JsonArray)) {
      this.mustBe("rules", "an array", rules);
    } else {
      const items = (<JsonArray>rules).items;
      if (items.length < 1 || items.length > MAX_RULES) {
        const got = items.length.toString();
        this.problems.add("rules", "must have 1 to " + MAX_RULES.toString() + " rules (got " + got + ")");
      }
      // rule name -> path of its first use
      const firstUse = new Map<string, string>();
      for (let i = 0; i < items.length; i++) {
        const rule = this.rule(items[i], elementPath("rules", i), firstUse);
        if (rule !== null) config.rules.push(rule);
      }
    }
    return config;
  }

  // ---- generic readers ----

  private mustBe(path: string, what: string, got: JsonValue): void {
    if (this.problems.full) {
      this.problems.add(path, "");
      return;
    }
    this.problems.add(path, "must be " + what + " (got " + describeValue(got) + ")");
  }

  private unknownKeys(obj: JsonObject, path: string, allowed: string[]): void {
    const keys = obj.keys;
    for (let i = 0; i < keys.length; i++) {
      if (!allowed.includes(keys[i])) this.problems.add(memberPath(path, keys[i]), "unknown key");
    }
  }

  /** The object at `obj[key]`, or null if absent (or of the wrong type: reported). */
  private object(obj: JsonObject, path: string, key: string, allowed: string[] | null): JsonObject | null {
    const v = obj.get(key);
    if (v === null) return null;
    const p = memberPath(path, key);
    if (!(v instanceof JsonObject)) {
      this.mustBe(p, "an object", v);
      return null;
    }
    if (allowed !== null) this.unknownKeys(<JsonObject>v, p, allowed);
    return <JsonObject>v;
  }

  /** The array at `obj[key]`, or null if absent (or of the wrong type: reported). */
  private array(obj: JsonObject, path: string, key: string, what: string): JsonValue[] | null {
    const v = obj.get(key);
    if (v === null) return null;
    if (!(v instanceof JsonArray)) {
      this.mustBe(memberPath(path, key), what, v);
      return null;
    }
    return (<JsonArray>v).items;
  }

  private bool(obj: JsonObject, path: string, key: string, fallback: bool): bool {
    const v = obj.get(key);
    if (v === null) return fallback;
    if (v instanceof JsonBool) return (<JsonBool>v).value;
    this.mustBe(memberPath(path, key), "a boolean", v);
    return fallback;
  }

  /** Whether `v` is an integral number in [min, max]; if so, it is left in `intValue`. */
  private isIntIn(v: JsonValue, min: i64, max: i64): bool {
    if (!(v instanceof JsonNumber)) return false;
    const num = <JsonNumber>v;
    let n: i64;
    if (num.isInteger) {
      n = num.integer;
    } else {
      // Integral values written with a fraction or an exponent (`2.0`, `1e3`) count too.
      const x = num.value;
      if (!isFinite(x) || x != Math.floor(x) || x < <f64>min || x > <f64>max) return false;
      n = <i64>x;
    }
    if (n < min || n > max) return false;
    this.intValue = n;
    return true;
  }

  private int(obj: JsonObject, path: string, key: string, min: i64, max: i64, fallback: i64): i64 {
    const v = obj.get(key);
    if (v === null) return fallback;
    if (this.isIntIn(v, min, max)) return this.intValue;
    this.mustBe(memberPath(path, key), "an integer from " + min.toString() + " to " + max.toString(), v);
    return fallback;
  }

  /** Whether `v` is a number; if so, it is left in `numberValue`. */
  private isNumber(v: JsonValue): bool {
    if (!(v instanceof JsonNumber)) return false;
    this.numberValue = (<JsonNumber>v).value;
    return true;
  }

  /** The string at `obj[key]` if it passes `valid`, else null (absent: silently; else reported). */
  private string(obj: JsonObject, path: string, key: string, what: string, valid: (s: string) => bool): string | null {
    const v = obj.get(key);
    if (v === null) return null;
    if (v instanceof JsonString) {
      const s = (<JsonString>v).value;
      if (valid(s)) return s;
    }
    this.mustBe(memberPath(path, key), what, v);
    return null;
  }

  /** The header name in `v`, lower-cased, or null (reported). `pseudo`: also `:name`. */
  private headerName(v: JsonValue, path: string, pseudo: bool): string | null {
    if (v instanceof JsonString) {
      const s = (<JsonString>v).value;
      if (isToken(s) || (pseudo && s.startsWith(":") && isToken(s, 1))) return lowerCaseToken(s);
    }
    this.mustBe(path, HEADER_NAME_RULE, v);
    return null;
  }

  /** An array of header names (lower-cased), or null if absent or wrong (reported). */
  private headerNames(obj: JsonObject, path: string, key: string): string[] | null {
    const items = this.array(obj, path, key, "an array of HTTP header names");
    if (items === null) return null;
    const p = memberPath(path, key);
    const out = new Array<string>();
    for (let i = 0; i < items.length; i++) {
      const itemPath = elementPath(p, i);
      const name = this.headerName(items[i], itemPath, false);
      if (name === null) continue;
      if (name == DARK_LAUNCH_HEADER) {
        this.problems.add(itemPath, "x-dark-launch is set by the filter itself");
        continue;
      }
      out.push(name);
    }
    return out;
  }

  // ---- the schema ----

  private rule(v: JsonValue, path: string, firstUse: Map<string, string>): Rule | null {
    if (!(v instanceof JsonObject)) {
      this.mustBe(path, "an object", v);
      return null;
    }
    const obj = <JsonObject>v;
    const rule = new Rule();
    this.unknownKeys(obj, path, RULE_KEYS);

    const namePath = memberPath(path, "name");
    const name = this.string(obj, path, "name", RULE_NAME_RULE, isRuleName);
    if (name !== null) {
      rule.name = name;
      if (firstUse.has(name)) {
        const first = firstUse.get(name);
        this.problems.add(namePath, "duplicate rule name " + quoteForMessage(name) + " (first at " + first + ")");
      } else {
        firstUse.set(name, namePath);
      }
    } else if (!obj.has("name")) {
      this.problems.add(namePath, "is required");
    }

    rule.enabled = this.bool(obj, path, "enabled", true);
    this.expiresAt(obj, path, rule);
    this.match(obj, path, rule.match);
    this.methods(obj, path, rule);
    this.sample(obj, path, rule.sample);

    const darkObj = this.object(obj, path, "dark", DARK_KEYS);
    if (darkObj !== null) this.dark(darkObj, memberPath(path, "dark"), rule.dark);
    else if (!obj.has("dark")) this.problems.add(memberPath(path, "dark"), "is required");

    this.compare(obj, path, rule.compare);
    this.limits(obj, path, rule.limits);
    this.breaker(obj, path, rule.breaker);
    return rule;
  }

  private expiresAt(ruleObj: JsonObject, rulePath: string, rule: Rule): void {
    const v = ruleObj.get("expires_at");
    if (v === null) return;
    if (v instanceof JsonString) {
      const ms = parseRfc3339((<JsonString>v).value);
      if (ms != NOT_A_TIME) {
        rule.expiresAtMs = ms;
        return;
      }
    }
    this.mustBe(memberPath(rulePath, "expires_at"), EXPIRES_AT_RULE, v);
  }

  private match(ruleObj: JsonObject, rulePath: string, match: RuleMatch): void {
    const obj = this.object(ruleObj, rulePath, "match", MATCH_KEYS);
    if (obj === null) return;
    const path = memberPath(rulePath, "match");
    const route = this.string(obj, path, "route", "a non-empty string", (s: string): bool => s.length > 0);
    if (route !== null) {
      match.route = route;
      match.routeBytes = String.UTF8.encode(route);
    }
    const prefix = this.string(obj, path, "path_prefix", "a string starting with \"/\"",
      (s: string): bool => s.startsWith("/"));
    if (prefix !== null) {
      match.pathPrefix = prefix;
      match.pathPrefixBytes = String.UTF8.encode(prefix);
    }
    const items = this.array(obj, path, "headers", "an array");
    if (items === null) return;
    const headersPath = memberPath(path, "headers");
    for (let i = 0; i < items.length; i++) {
      const condition = this.headerCondition(items[i], elementPath(headersPath, i));
      if (condition !== null) match.headers.push(condition);
    }
  }

  private headerCondition(v: JsonValue, path: string): HeaderCondition | null {
    if (!(v instanceof JsonObject)) {
      this.mustBe(path, "an object", v);
      return null;
    }
    const obj = <JsonObject>v;
    this.unknownKeys(obj, path, HEADER_CONDITION_KEYS);
    let name: string | null = null;
    const nameValue = obj.get("name");
    if (nameValue === null) this.problems.add(memberPath(path, "name"), "is required");
    else name = this.headerName(nameValue, memberPath(path, "name"), true);

    // Exactly one of the four conditions.
    const given = new Array<string>();
    for (let i = 1; i < HEADER_CONDITION_KEYS.length; i++) {
      if (obj.has(HEADER_CONDITION_KEYS[i])) given.push(HEADER_CONDITION_KEYS[i]);
    }
    if (given.length != 1) {
      this.problems.add(path, "must have exactly one of exact, prefix, present, absent (got " +
        (given.length == 0 ? "none" : given.join(", ")) + ")");
      return null;
    }
    const which = given[0];
    const value = <JsonValue>obj.get(which);
    const valuePath = memberPath(path, which);
    let kind = HeaderConditionKind.Exact;
    let text = "";
    if (which == "exact" || which == "prefix") {
      if (!(value instanceof JsonString)) {
        this.mustBe(valuePath, "a string", value);
        return null;
      }
      text = (<JsonString>value).value;
      kind = which == "exact" ? HeaderConditionKind.Exact : HeaderConditionKind.Prefix;
    } else {
      if (!(value instanceof JsonBool) || !(<JsonBool>value).value) {
        this.mustBe(valuePath, "true", value);
        return null;
      }
      kind = which == "present" ? HeaderConditionKind.Present : HeaderConditionKind.Absent;
    }
    if (name === null) return null;
    return new HeaderCondition(name, kind, text);
  }

  private methods(ruleObj: JsonObject, rulePath: string, rule: Rule): void {
    const what = "a non-empty array of HTTP methods";
    const items = this.array(ruleObj, rulePath, "methods", what);
    if (items !== null) {
      const path = memberPath(rulePath, "methods");
      if (items.length == 0) {
        this.mustBe(path, what, <JsonValue>ruleObj.get("methods"));
      } else {
        const methods = new Array<string>();
        for (let i = 0; i < items.length; i++) {
          const item = items[i];
          const itemPath = elementPath(path, i);
          if (!(item instanceof JsonString) || !isMethodToken((<JsonString>item).value)) {
            this.mustBe(itemPath, "an upper-case HTTP method", item);
            continue;
          }
          const method = (<JsonString>item).value;
          if (methods.includes(method)) {
            this.problems.add(itemPath, "duplicate method " + quoteForMessage(method));
            continue;
          }
          methods.push(method);
        }
        rule.methods = methods;
      }
    }
    rule.methodBytes = encodeAll(rule.methods);
  }

  private sample(ruleObj: JsonObject, rulePath: string, sample: Sample): void {
    const obj = this.object(ruleObj, rulePath, "sample", SAMPLE_KEYS);
    if (obj === null) return;
    const path = memberPath(rulePath, "sample");
    const percent = obj.get("percent");
    if (percent !== null) {
      if (this.isNumber(percent) && this.numberValue >= 0 && this.numberValue <= 100) {
        sample.percent = this.numberValue;
        sample.threshold = <i32>Math.round(this.numberValue * 100);
      } else {
        this.mustBe(memberPath(path, "percent"), "a number from 0 to 100", percent);
      }
    }
    const by = obj.get("by");
    if (by !== null) {
      let ok = false;
      if (by instanceof JsonString) {
        const s = (<JsonString>by).value;
        if (s.startsWith("header:") && isToken(s, 7)) {
          sample.by = StickyKeySource.Header;
          sample.key = lowerCaseToken(s.substring(7));
          ok = true;
        } else if (s.startsWith("cookie:") && isToken(s, 7)) {
          sample.by = StickyKeySource.Cookie;
          sample.key = s.substring(7);
          ok = true;
        }
      }
      if (ok) sample.keyBytes = String.UTF8.encode(sample.key);
      else this.mustBe(memberPath(path, "by"), "\"header:<name>\" or \"cookie:<name>\" with a valid name", by);
    }
  }

  private dark(obj: JsonObject, path: string, dark: Dark): void {
    const clusterValue = obj.get("cluster");
    if (clusterValue === null) {
      this.problems.add(memberPath(path, "cluster"), "is required");
    } else {
      const cluster = this.string(obj, path, "cluster", "a non-empty string", (s: string): bool => s.length > 0);
      if (cluster !== null) {
        dark.cluster = cluster;
        dark.clusterBytes = String.UTF8.encode(cluster);
      }
    }
    const authority = this.string(obj, path, "authority", "a string without CR, LF or NUL (\"\" keeps the original authority)",
      (s: string): bool => !hasCrLfNul(s));
    if (authority !== null) {
      if (authority.length == 0) {
        dark.keepAuthority = true;
      } else {
        dark.authority = authority;
        dark.authorityBytes = String.UTF8.encode(authority);
      }
    }
    dark.timeoutMs = <i32>this.int(obj, path, "timeout_ms", 1, MAX_DARK_TIMEOUT_MS, dark.timeoutMs);
    dark.maxBodyBytes = <i32>this.int(obj, path, "max_body_bytes", 0, MAX_DARK_BODY_BYTES, dark.maxBodyBytes);

    // The keys of set_headers are header names, not schema keys.
    const setObj = this.object(obj, path, "set_headers", null);
    if (setObj !== null) this.setHeaders(setObj, memberPath(path, "set_headers"), dark);
    const removed = this.headerNames(obj, path, "remove_headers");
    if (removed !== null) dark.removeHeaders = encodeAll(removed);
  }

  private setHeaders(obj: JsonObject, path: string, dark: Dark): void {
    const keys = obj.keys;
    const names = new Array<string>();
    const values = new Array<ArrayBuffer>();
    const firstAt = new Map<string, string>();
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      const keyPath = memberPath(path, key);
      const value = obj.values[i];
      let name: string | null = null;
      if (key.startsWith(":")) {
        this.problems.add(keyPath, "pseudo-headers cannot be set");
      } else if (!isToken(key)) {
        this.problems.add(keyPath, "must be " + HEADER_NAME_RULE);
      } else {
        name = lowerCaseToken(key);
        const managed = managedHeader(name);
        if (name == DARK_LAUNCH_HEADER) {
          this.problems.add(keyPath, "x-dark-launch is set by the filter itself");
          name = null;
        } else if (managed !== null) {
          this.problems.add(keyPath, name + " is managed by the filter on the copy (" + managed.reason + ")");
          name = null;
        } else if (firstAt.has(name)) {
          const first = firstAt.get(name);
          this.problems.add(keyPath, "duplicate header " + quoteForMessage(name) + " (first at " + first + ")");
          name = null;
        } else {
          firstAt.set(name, keyPath);
        }
      }
      if (!(value instanceof JsonString) || hasCrLfNul((<JsonString>value).value)) {
        this.mustBe(keyPath, SAFE_STRING_RULE, value);
        continue;
      }
      if (name === null) continue;
      names.push(name);
      values.push(String.UTF8.encode((<JsonString>value).value));
    }
    dark.setHeaderNames = encodeAll(names);
    dark.setHeaderValues = values;
  }

  private compare(ruleObj: JsonObject, rulePath: string, compare: Compare): void {
    const obj = this.object(ruleObj, rulePath, "compare", COMPARE_KEYS);
    if (obj === null) return;
    const path = memberPath(rulePath, "compare");
    compare.status = this.bool(obj, path, "status", true);
    const headers = this.headerNames(obj, path, "headers");
    if (headers !== null) {
      compare.headers = headers;
      compare.headerBytes = encodeAll(headers);
    }
    this.body(obj, path, compare);
    const noise = this.string(obj, path, "noise_cluster", "a non-empty string (a cluster name)", (s: string): bool => s.length > 0);
    if (noise !== null) {
      compare.noiseCluster = noise;
      compare.noiseClusterBytes = String.UTF8.encode(noise);
      if (!compare.any) this.problems.add(memberPath(path, "noise_cluster"), "needs a part to compare (status, headers or body)");
    }
  }

  /** `compare.body`: true (bytes, decoded), false (off), or {json, ignore, decode}. */
  private body(compareObj: JsonObject, comparePath: string, compare: Compare): void {
    const v = compareObj.get("body");
    if (v === null) return;
    const path = memberPath(comparePath, "body");
    if (v instanceof JsonBool) {
      compare.body = (<JsonBool>v).value;
      return;
    }
    if (!(v instanceof JsonObject)) {
      this.mustBe(path, "true, false or an object {json, ignore, decode}", v);
      return;
    }
    const obj = <JsonObject>v;
    this.unknownKeys(obj, path, BODY_KEYS);
    compare.body = true;
    compare.json = this.bool(obj, path, "json", false);
    compare.decode = this.bool(obj, path, "decode", true);
    const items = this.array(obj, path, "ignore", "an array of JSON paths");
    if (items === null) return;
    const ignorePath = memberPath(path, "ignore");
    if (!compare.json && items.length > 0) {
      this.problems.add(ignorePath, "needs json: true (ignored paths are JSON paths; bytes are compared whole)");
    }
    const paths = this.jsonPaths(items, ignorePath);
    if (paths === null) return;
    compare.ignore = this.pathTexts;
    compare.ignorePaths = paths;
  }

  /** A list of at most MAX_IGNORE_PATHS JSON paths (§2.3), compiled; their texts in `pathTexts`. */
  private jsonPaths(items: JsonValue[], listPath: string): JsonPathSet | null {
    if (items.length > MAX_IGNORE_PATHS) {
      this.problems.add(listPath, "must have at most " + MAX_IGNORE_PATHS.toString() + " paths (got " + items.length.toString() + ")");
      return null;
    }
    const texts = new Array<string>();
    const paths = new Array<JsonPath>();
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      const itemPath = elementPath(listPath, i);
      if (!(item instanceof JsonString) || (<JsonString>item).value.length == 0) {
        this.mustBe(itemPath, "a JSON path such as \"meta.request_id\" or \"items[*].etag\"", item);
        continue;
      }
      const text = (<JsonString>item).value;
      const parsed = parseJsonPath(text);
      const compiled = parsed.path;
      if (compiled === null) {
        this.problems.add(itemPath, parsed.error!);
        continue;
      }
      texts.push(text);
      paths.push(compiled);
    }
    this.pathTexts = texts;
    return new JsonPathSet(paths);
  }

  /** `samples` (contract §2.7). */
  private samples(top: JsonObject): Samples | null {
    const obj = this.object(top, "", "samples", SAMPLES_KEYS);
    if (obj === null) return null;
    const path = "samples";
    const samples = new Samples();
    const cluster = this.string(obj, path, "cluster", "a non-empty string", (s: string): bool => s.length > 0);
    if (cluster !== null) {
      samples.cluster = cluster;
      samples.clusterBytes = String.UTF8.encode(cluster);
    } else if (!obj.has("cluster")) {
      this.problems.add(memberPath(path, "cluster"), "is required");
    }
    samples.perSecond = <i32>this.int(obj, path, "per_second", 0, MAX_SAMPLES_PER_SECOND, samples.perSecond);
    const percent = obj.get("match_percent");
    if (percent !== null) {
      if (this.isNumber(percent) && this.numberValue >= 0 && this.numberValue <= 100) {
        samples.matchPercent = this.numberValue;
        samples.matchThreshold = <i32>Math.round(this.numberValue * 100);
      } else {
        this.mustBe(memberPath(path, "match_percent"), "a number from 0 to 100", percent);
      }
    }
    samples.maxBodyBytes = <i32>this.int(obj, path, "max_body_bytes", 0, MAX_SAMPLE_BODY_BYTES, samples.maxBodyBytes);
    const headers = this.headerNames(obj, path, "headers");
    if (headers !== null) {
      samples.headers = headers;
      samples.headerBytes = encodeAll(headers);
    }
    const redact = this.array(obj, path, "redact", "an array of JSON paths");
    if (redact !== null) {
      const paths = this.jsonPaths(redact, memberPath(path, "redact"));
      if (paths !== null) {
        samples.redact = this.pathTexts;
        samples.redactPaths = paths;
      }
    }
    return samples;
  }

  private limits(ruleObj: JsonObject, rulePath: string, limits: Limits): void {
    const obj = this.object(ruleObj, rulePath, "limits", LIMITS_KEYS);
    if (obj === null) return;
    const path = memberPath(rulePath, "limits");
    limits.maxInFlight = <i32>this.int(obj, path, "max_in_flight", 0, MAX_LIMIT, limits.maxInFlight);
    limits.maxPerSecond = <i32>this.int(obj, path, "max_per_second", 0, MAX_LIMIT, limits.maxPerSecond);
  }

  private breaker(ruleObj: JsonObject, rulePath: string, breaker: Breaker): void {
    const obj = this.object(ruleObj, rulePath, "breaker", BREAKER_KEYS);
    if (obj === null) return;
    const path = memberPath(rulePath, "breaker");
    const ratio = obj.get("failure_ratio");
    if (ratio !== null) {
      if (this.isNumber(ratio) && this.numberValue > 0 && this.numberValue <= 1) {
        breaker.failureRatio = this.numberValue;
      } else {
        this.mustBe(memberPath(path, "failure_ratio"), "a number greater than 0 and at most 1", ratio);
      }
    }
    breaker.minCalls = <i32>this.int(obj, path, "min_calls", 1, MAX_LIMIT, breaker.minCalls);
    breaker.windowMs = <i32>this.int(obj, path, "window_ms", 100, 3600000, breaker.windowMs);
    breaker.openMs = <i32>this.int(obj, path, "open_ms", 100, 3600000, breaker.openMs);
  }
}
