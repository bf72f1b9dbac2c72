// Configuration parsing and validation (contract section 2): one case per kind of problem, each
// checking the exact path-named message, and a full valid configuration with every value read.
import { Config, HeaderConditionKind, StickyKeySource } from "../darklaunch/config";
import { parseConfig, parseConfigString } from "../darklaunch/config_parse";
import { parseJsonPath } from "../darklaunch/json_path";

/** The path grammar's own message for `text` (what the config error repeats after the location). */
function problemOf(text: string): string {
  return parseJsonPath(text).error!;
}

/** Every problem of `json`, one per line; "accepted" if the configuration parsed. */
function problems(json: string): string {
  return problemsOfBytes(String.UTF8.encode(json));
}

function problemsOfBytes(bytes: ArrayBuffer): string {
  const result = parseConfig(bytes);
  if (result.config !== null) return "accepted";
  return result.errors.join("\n");
}

/** A document with one rule named "r" going to cluster "c", plus `fields` in the rule. */
function withRule(fields: string): string {
  return '{"rules":[{"name":"r","dark":{"cluster":"c"}' + (fields.length > 0 ? "," + fields : "") + "}]}";
}

/** A document with one rule whose `dark` object is `{"cluster":"c", <fields>}`. */
function withDark(fields: string): string {
  return '{"rules":[{"name":"r","dark":{"cluster":"c",' + fields + "}}]}";
}

function parsed(json: string): Config {
  const result = parseConfigString(json);
  expect(result.errors.join("; ")).toBe("");
  expect(result.config).not.toBeNull();
  return <Config>result.config;
}

function text(bytes: ArrayBuffer | null): string {
  return bytes === null ? "(null)" : String.UTF8.decode(bytes);
}

function texts(list: ArrayBuffer[]): string {
  const out = new Array<string>();
  for (let i = 0; i < list.length; i++) out.push(String.UTF8.decode(list[i]));
  return out.join(",");
}

describe("config: a full valid configuration", () => {
  const json = `{
    "enabled": false,
    "mismatch_log_per_second": 7,
    "rules": [
      {
        "name": "checkout",
        "enabled": false,
        "match": {
          "route": "checkout_route",
          "path_prefix": "/api/checkout",
          "headers": [
            { "name": "X-Dark", "exact": "1" },
            { "name": "x-beta", "prefix": "yes" },
            { "name": ":authority", "present": true },
            { "name": "x-no", "absent": true }
          ]
        },
        "methods": ["GET", "POST", "M-SEARCH"],
        "sample": { "percent": 12.345, "by": "header:X-User-ID" },
        "dark": {
          "cluster": "checkout_v2",
          "authority": "checkout-v2",
          "timeout_ms": 1e3,
          "max_body_bytes": 0,
          "set_headers": { "X-Env": "dark", "x-empty": "" },
          "remove_headers": ["Authorization", "cookie"]
        },
        "compare": { "status": false, "headers": ["Content-Type", "etag"], "body": false },
        "limits": { "max_in_flight": 0, "max_per_second": 1000000 },
        "breaker": { "failure_ratio": 1, "min_calls": 1, "window_ms": 100.0, "open_ms": 3600000 }
      },
      {
        "name": "a-48-chars-long-name_________________________xyz",
        "sample": { "percent": 0, "by": "cookie:Session_ID" },
        "dark": { "cluster": "other" }
      }
    ]
  }`;

  it("reads the top level", () => {
    const config = parsed(json);
    expect(config.enabled).toBe(false);
    expect(config.mismatchLogPerSecond).toBe(7);
    expect(config.rules.length).toBe(2);
    expect(config.needsRouteName).toBe(true);
  });

  it("reads name, enabled and match, header names lower-cased", () => {
    const rule = parsed(json).rules[0];
    expect(rule.name).toBe("checkout");
    expect(rule.enabled).toBe(false);
    expect(rule.match.route).toBe("checkout_route");
    expect(text(rule.match.routeBytes)).toBe("checkout_route");
    expect(rule.match.pathPrefix).toBe("/api/checkout");
    expect(text(rule.match.pathPrefixBytes)).toBe("/api/checkout");
    const h = rule.match.headers;
    expect(h.length).toBe(4);
    expect(h[0].name).toBe("x-dark");
    expect(text(h[0].nameBytes)).toBe("x-dark");
    expect(h[0].kind).toBe(HeaderConditionKind.Exact);
    expect(h[0].value).toBe("1");
    expect(text(h[0].valueBytes)).toBe("1");
    expect(h[1].kind).toBe(HeaderConditionKind.Prefix);
    expect(h[1].value).toBe("yes");
    expect(h[2].name).toBe(":authority");
    expect(h[2].kind).toBe(HeaderConditionKind.Present);
    expect(h[3].kind).toBe(HeaderConditionKind.Absent);
    expect(h[3].value).toBe("");
  });

  it("reads methods as given, with their bytes", () => {
    const rule = parsed(json).rules[0];
    expect(rule.methods.join(",")).toBe("GET,POST,M-SEARCH");
    expect(texts(rule.methodBytes)).toBe("GET,POST,M-SEARCH");
  });

  it("reads sample: threshold = round(percent × 100), header key lower-cased", () => {
    const sample = parsed(json).rules[0].sample;
    expect(sample.percent).toBe(12.345);
    expect(sample.threshold).toBe(1235);
    expect(sample.by).toBe(StickyKeySource.Header);
    expect(sample.key).toBe("x-user-id");
    expect(text(sample.keyBytes)).toBe("x-user-id");
  });

  it("reads a cookie key with its case kept, and percent 0", () => {
    const rule = parsed(json).rules[1];
    expect(rule.name).toBe("a-48-chars-long-name_________________________xyz");
    expect(rule.sample.threshold).toBe(0);
    expect(rule.sample.by).toBe(StickyKeySource.Cookie);
    expect(rule.sample.key).toBe("Session_ID");
    expect(text(rule.sample.keyBytes)).toBe("Session_ID");
  });

  it("reads dark, accepting integral floats for integers", () => {
    const dark = parsed(json).rules[0].dark;
    expect(dark.cluster).toBe("checkout_v2");
    expect(text(dark.clusterBytes)).toBe("checkout_v2");
    expect(dark.authority).toBe("checkout-v2");
    expect(text(dark.authorityBytes)).toBe("checkout-v2");
    expect(dark.timeoutMs).toBe(1000);
    expect(dark.maxBodyBytes).toBe(0);
    expect(texts(dark.setHeaderNames)).toBe("x-env,x-empty");
    expect(texts(dark.setHeaderValues)).toBe("dark,");
    expect(texts(dark.removeHeaders)).toBe("authorization,cookie");
  });

  it("reads compare, limits and breaker", () => {
    const rule = parsed(json).rules[0];
    expect(rule.compare.status).toBe(false);
    expect(rule.compare.headers.join(",")).toBe("content-type,etag");
    expect(texts(rule.compare.headerBytes)).toBe("content-type,etag");
    expect(rule.compare.body).toBe(false);
    expect(rule.compare.any).toBe(true);
    expect(rule.limits.maxInFlight).toBe(0);
    expect(rule.limits.maxPerSecond).toBe(1000000);
    expect(rule.breaker.failureRatio).toBe(1.0);
    expect(rule.breaker.minCalls).toBe(1);
    expect(rule.breaker.windowMs).toBe(100);
    expect(rule.breaker.openMs).toBe(3600000);
  });
});

describe("config: defaults", () => {
  it("fills every default of a minimal configuration", () => {
    const config = parsed('{"rules":[{"name":"r","dark":{"cluster":"c"}}]}');
    expect(config.enabled).toBe(true);
    expect(config.mismatchLogPerSecond).toBe(1);
    expect(config.needsRouteName).toBe(false);
    const rule = config.rules[0];
    expect(rule.enabled).toBe(true);
    expect(rule.match.route).toBeNull();
    expect(rule.match.routeBytes).toBeNull();
    expect(rule.match.pathPrefix).toBeNull();
    expect(rule.match.pathPrefixBytes).toBeNull();
    expect(rule.match.headers.length).toBe(0);
    expect(rule.methods.join(",")).toBe("GET,HEAD,OPTIONS");
    expect(texts(rule.methodBytes)).toBe("GET,HEAD,OPTIONS");
    expect(rule.sample.percent).toBe(100.0);
    expect(rule.sample.threshold).toBe(10000);
    expect(rule.sample.by).toBe(StickyKeySource.Random);
    expect(rule.sample.keyBytes.byteLength).toBe(0);
    expect(rule.dark.authority).toBeNull();
    expect(rule.dark.authorityBytes).toBeNull();
    expect(rule.dark.timeoutMs).toBe(1000);
    expect(rule.dark.maxBodyBytes).toBe(65536);
    expect(rule.dark.setHeaderNames.length).toBe(0);
    expect(rule.dark.setHeaderValues.length).toBe(0);
    expect(rule.dark.removeHeaders.length).toBe(0);
    expect(rule.compare.status).toBe(true);
    expect(rule.compare.headers.length).toBe(0);
    expect(rule.compare.body).toBe(true);
    expect(rule.limits.maxInFlight).toBe(256);
    expect(rule.limits.maxPerSecond).toBe(0);
    expect(rule.breaker.failureRatio).toBe(0.5);
    expect(rule.breaker.minCalls).toBe(20);
    expect(rule.breaker.windowMs).toBe(10000);
    expect(rule.breaker.openMs).toBe(30000);
  });

  it("keeps defaults for empty sub-objects", () => {
    const rule = parsed(withRule('"match":{},"sample":{},"compare":{},"limits":{},"breaker":{}')).rules[0];
    expect(rule.sample.threshold).toBe(10000);
    expect(rule.limits.maxInFlight).toBe(256);
    expect(rule.breaker.minCalls).toBe(20);
  });

  it("accepts 64 rules and the bounds of every range", () => {
    let rules = "";
    for (let i = 0; i < 64; i++) rules += (i > 0 ? "," : "") + '{"name":"r' + i.toString() + '","dark":{"cluster":"c"}}';
    expect(problems('{"mismatch_log_per_second":0,"rules":[' + rules + "]}")).toBe("accepted");
    expect(problems('{"mismatch_log_per_second":1000,"rules":[{"name":"r","dark":{"cluster":"c","timeout_ms":60000,"max_body_bytes":16777216}}]}')).toBe("accepted");
    expect(problems(withRule('"sample":{"percent":100},"breaker":{"failure_ratio":0.001,"min_calls":1000000,"window_ms":3600000,"open_ms":100}'))).toBe("accepted");
  });
});

describe("config: the document", () => {
  it("refuses an empty document", () => {
    expect(problemsOfBytes(new ArrayBuffer(0))).toBe("(root): configuration is empty");
  });
  it("refuses a document of whitespace only", () => {
    expect(problems(" \n\t")).toBe("(root): configuration is empty");
  });
  it("refuses invalid JSON with the byte offset", () => {
    expect(problems('{"rules" []}')).toBe("(root): invalid JSON at byte 9: expected ':'");
  });
  it("refuses trailing commas", () => {
    expect(problems(withRule('"methods":["GET",]'))).toBe("(root): invalid JSON at byte 61: trailing comma");
  });
  it("refuses invalid UTF-8", () => {
    // {"rules":"<C0 AF>"}
    const bytes: u8[] = [0x7b, 0x22, 0x72, 0x75, 0x6c, 0x65, 0x73, 0x22, 0x3a, 0x22, 0xc0, 0xaf, 0x22, 0x7d];
    const buf = new ArrayBuffer(bytes.length);
    for (let i = 0; i < bytes.length; i++) store<u8>(changetype<usize>(buf) + i, bytes[i]);
    expect(problemsOfBytes(buf)).toBe("(root): invalid JSON at byte 10: invalid UTF-8: overlong encoding");
  });
  it("refuses nesting deeper than 32", () => {
    expect(problems('{"rules":' + "[".repeat(40) + "]".repeat(40) + "}")).toBe("(root): invalid JSON at byte 40: nesting deeper than 32 levels");
  });
  it("refuses a document over 1 MiB", () => {
    expect(problems('{"rules":"' + "x".repeat(1 << 20) + '"}')).toBe("(root): document is larger than 1 MiB (1048588 bytes)");
  });
  it("refuses a duplicate key, naming its object", () => {
    expect(problems(withDark('"cluster":"d"'))).toBe('rules[0].dark: duplicate key "cluster"');
  });
  it("refuses a top level that is not an object", () => {
    expect(problems("[]")).toBe("(root): must be an object (got [])");
  });
});

describe("config: top level keys", () => {
  it("refuses an unknown key", () => {
    expect(problems('{"rules":[{"name":"r","dark":{"cluster":"c"}}],"rule":1}')).toBe("rule: unknown key");
  });
  it("refuses enabled that is not a boolean", () => {
    expect(problems('{"enabled":"yes","rules":[{"name":"r","dark":{"cluster":"c"}}]}')).toBe('enabled: must be a boolean (got "yes")');
  });
  it("counts null as a wrong type", () => {
    expect(problems('{"enabled":null,"rules":[{"name":"r","dark":{"cluster":"c"}}]}')).toBe("enabled: must be a boolean (got null)");
  });
  it("refuses mismatch_log_per_second above 1000", () => {
    expect(problems('{"mismatch_log_per_second":1001,"rules":[{"name":"r","dark":{"cluster":"c"}}]}'))
      .toBe("mismatch_log_per_second: must be an integer from 0 to 1000 (got 1001)");
  });
  it("refuses mismatch_log_per_second below 0", () => {
    expect(problems('{"mismatch_log_per_second":-1,"rules":[{"name":"r","dark":{"cluster":"c"}}]}'))
      .toBe("mismatch_log_per_second: must be an integer from 0 to 1000 (got -1)");
  });
  it("refuses a fractional integer", () => {
    expect(problems('{"mismatch_log_per_second":1.5,"rules":[{"name":"r","dark":{"cluster":"c"}}]}'))
      .toBe("mismatch_log_per_second: must be an integer from 0 to 1000 (got 1.5)");
  });
  it("refuses an integer given as a string", () => {
    expect(problems('{"mismatch_log_per_second":"1","rules":[{"name":"r","dark":{"cluster":"c"}}]}'))
      .toBe('mismatch_log_per_second: must be an integer from 0 to 1000 (got "1")');
  });
  it("refuses a missing rules list", () => {
    expect(problems('{"enabled":true}')).toBe("rules: is required");
  });
  it("refuses rules that is not an array", () => {
    expect(problems('{"rules":{"name":"r"}}')).toBe('rules: must be an array (got {"name":"r"})');
  });
  it("refuses an empty rules list", () => {
    expect(problems('{"rules":[]}')).toBe("rules: must have 1 to 64 rules (got 0)");
  });
  it("refuses more than 64 rules", () => {
    let rules = "";
    for (let i = 0; i < 65; i++) rules += (i > 0 ? "," : "") + '{"name":"r' + i.toString() + '","dark":{"cluster":"c"}}';
    expect(problems('{"rules":[' + rules + "]}")).toBe("rules: must have 1 to 64 rules (got 65)");
  });
});

describe("config: rule", () => {
  it("refuses a rule that is not an object", () => {
    expect(problems('{"rules":[5]}')).toBe("rules[0]: must be an object (got 5)");
  });
  it("refuses an unknown key (here a typo, so the name is missing too)", () => {
    expect(problems('{"rules":[{"nmae":"r","dark":{"cluster":"c"}}]}')).toBe("rules[0].nmae: unknown key\nrules[0].name: is required");
  });
  it("refuses a missing name", () => {
    expect(problems('{"rules":[{"dark":{"cluster":"c"}}]}')).toBe("rules[0].name: is required");
  });
  it("refuses a name outside ^[a-z0-9_-]{1,48}$", () => {
    expect(problems('{"rules":[{"name":"Check Out","dark":{"cluster":"c"}}]}'))
      .toBe('rules[0].name: must be a string matching ^[a-z0-9_-]{1,48}$ (got "Check Out")');
  });
  it("refuses an empty name", () => {
    expect(problems('{"rules":[{"name":"","dark":{"cluster":"c"}}]}'))
      .toBe('rules[0].name: must be a string matching ^[a-z0-9_-]{1,48}$ (got "")');
  });
  it("refuses a name of 49 characters", () => {
    expect(problems('{"rules":[{"name":"' + "a".repeat(49) + '","dark":{"cluster":"c"}}]}'))
      .toBe('rules[0].name: must be a string matching ^[a-z0-9_-]{1,48}$ (got "' + "a".repeat(40) + '…")');
  });
  it("refuses a name that is not a string", () => {
    expect(problems('{"rules":[{"name":1,"dark":{"cluster":"c"}}]}'))
      .toBe("rules[0].name: must be a string matching ^[a-z0-9_-]{1,48}$ (got 1)");
  });
  it("refuses duplicate rule names, naming the first", () => {
    expect(problems('{"rules":[{"name":"checkout","dark":{"cluster":"c"}},{"name":"x","dark":{"cluster":"c"}},{"name":"checkout","dark":{"cluster":"d"}}]}'))
      .toBe('rules[2].name: duplicate rule name "checkout" (first at rules[0].name)');
  });
  it("refuses enabled that is not a boolean", () => {
    expect(problems(withRule('"enabled":1'))).toBe("rules[0].enabled: must be a boolean (got 1)");
  });
});

describe("config: match", () => {
  it("refuses match that is not an object", () => {
    expect(problems(withRule('"match":["x",{"a":1}]'))).toBe('rules[0].match: must be an object (got ["x",{"a":1}])');
  });
  it("refuses an unknown key", () => {
    expect(problems(withRule('"match":{"path":"/"}'))).toBe("rules[0].match.path: unknown key");
  });
  it("refuses an empty route", () => {
    expect(problems(withRule('"match":{"route":""}'))).toBe('rules[0].match.route: must be a non-empty string (got "")');
  });
  it("refuses a path_prefix without a leading slash", () => {
    expect(problems(withRule('"match":{"path_prefix":"api"}'))).toBe('rules[0].match.path_prefix: must be a string starting with "/" (got "api")');
  });
  it("refuses headers that is not an array", () => {
    expect(problems(withRule('"match":{"headers":{}}'))).toBe("rules[0].match.headers: must be an array (got {})");
  });
  it("refuses a header condition that is not an object", () => {
    expect(problems(withRule('"match":{"headers":["x-dark"]}'))).toBe('rules[0].match.headers[0]: must be an object (got "x-dark")');
  });
  it("refuses an unknown key in a header condition", () => {
    expect(problems(withRule('"match":{"headers":[{"name":"a","exact":"1","regex":"."}]}'))).toBe("rules[0].match.headers[0].regex: unknown key");
  });
  it("refuses a header condition without a name", () => {
    expect(problems(withRule('"match":{"headers":[{"exact":"1"}]}'))).toBe("rules[0].match.headers[0].name: is required");
  });
  it("refuses a header name that is not a token", () => {
    expect(problems(withRule('"match":{"headers":[{"name":"x dark","exact":"1"}]}')))
      .toBe('rules[0].match.headers[0].name: must be an HTTP header name (got "x dark")');
  });
  it("refuses a header condition with no condition", () => {
    expect(problems(withRule('"match":{"headers":[{"name":"a"},{"name":"b","present":true}]}')))
      .toBe("rules[0].match.headers[0]: must have exactly one of exact, prefix, present, absent (got none)");
  });
  it("refuses a header condition with two conditions", () => {
    expect(problems(withRule('"match":{"headers":[{"name":"a","present":true},{"name":"b","exact":"1","prefix":"2"}]}')))
      .toBe("rules[0].match.headers[1]: must have exactly one of exact, prefix, present, absent (got exact, prefix)");
  });
  it("refuses present: false", () => {
    expect(problems(withRule('"match":{"headers":[{"name":"a","present":false}]}'))).toBe("rules[0].match.headers[0].present: must be true (got false)");
  });
  it("refuses absent: false", () => {
    expect(problems(withRule('"match":{"headers":[{"name":"a","absent":false}]}'))).toBe("rules[0].match.headers[0].absent: must be true (got false)");
  });
  it("refuses an exact value that is not a string", () => {
    expect(problems(withRule('"match":{"headers":[{"name":"a","exact":1}]}'))).toBe("rules[0].match.headers[0].exact: must be a string (got 1)");
  });
  it("refuses a prefix value that is null", () => {
    expect(problems(withRule('"match":{"headers":[{"name":"a","prefix":null}]}'))).toBe("rules[0].match.headers[0].prefix: must be a string (got null)");
  });
});

describe("config: methods", () => {
  it("refuses an empty list", () => {
    expect(problems(withRule('"methods":[]'))).toBe("rules[0].methods: must be a non-empty array of HTTP methods (got [])");
  });
  it("refuses a single string", () => {
    expect(problems(withRule('"methods":"GET"'))).toBe('rules[0].methods: must be a non-empty array of HTTP methods (got "GET")');
  });
  it("refuses a lower-case method", () => {
    expect(problems(withRule('"methods":["GET","post"]'))).toBe('rules[0].methods[1]: must be an upper-case HTTP method (got "post")');
  });
  it("refuses a method that is not a token", () => {
    expect(problems(withRule('"methods":["GE T"]'))).toBe('rules[0].methods[0]: must be an upper-case HTTP method (got "GE T")');
  });
  it("refuses a repeated method", () => {
    expect(problems(withRule('"methods":["GET","HEAD","GET"]'))).toBe('rules[0].methods[2]: duplicate method "GET"');
  });
});

describe("config: sample", () => {
  it("refuses percent above 100 (the contract's example)", () => {
    expect(problems(withRule('"sample":{"percent":150}'))).toBe("rules[0].sample.percent: must be a number from 0 to 100 (got 150)");
  });
  it("refuses percent below 0", () => {
    expect(problems(withRule('"sample":{"percent":-0.5}'))).toBe("rules[0].sample.percent: must be a number from 0 to 100 (got -0.5)");
  });
  it("refuses percent given as a string", () => {
    expect(problems(withRule('"sample":{"percent":"10%"}'))).toBe('rules[0].sample.percent: must be a number from 0 to 100 (got "10%")');
  });
  it("refuses an unknown key", () => {
    expect(problems(withRule('"sample":{"percentage":10}'))).toBe("rules[0].sample.percentage: unknown key");
  });
  it("refuses a by without a source", () => {
    expect(problems(withRule('"sample":{"by":"x-user-id"}')))
      .toBe('rules[0].sample.by: must be "header:<name>" or "cookie:<name>" with a valid name (got "x-user-id")');
  });
  it("refuses a by with an empty name", () => {
    expect(problems(withRule('"sample":{"by":"header:"}')))
      .toBe('rules[0].sample.by: must be "header:<name>" or "cookie:<name>" with a valid name (got "header:")');
  });
  it("refuses a by with a name that is not a token", () => {
    expect(problems(withRule('"sample":{"by":"cookie:a=b"}')))
      .toBe('rules[0].sample.by: must be "header:<name>" or "cookie:<name>" with a valid name (got "cookie:a=b")');
  });
  it("refuses a by of an unknown source", () => {
    expect(problems(withRule('"sample":{"by":"query:user"}')))
      .toBe('rules[0].sample.by: must be "header:<name>" or "cookie:<name>" with a valid name (got "query:user")');
  });
});

describe("config: dark", () => {
  it("refuses a rule without dark", () => {
    expect(problems('{"rules":[{"name":"r"}]}')).toBe("rules[0].dark: is required");
  });
  it("refuses dark that is not an object", () => {
    expect(problems('{"rules":[{"name":"r","dark":"v2"}]}')).toBe('rules[0].dark: must be an object (got "v2")');
  });
  it("refuses dark without cluster", () => {
    expect(problems('{"rules":[{"name":"r","dark":{}}]}')).toBe("rules[0].dark.cluster: is required");
  });
  it("refuses an empty cluster", () => {
    expect(problems('{"rules":[{"name":"r","dark":{"cluster":""}}]}')).toBe('rules[0].dark.cluster: must be a non-empty string (got "")');
  });
  it("refuses an unknown key", () => {
    expect(problems(withDark('"timeout":5'))).toBe("rules[0].dark.timeout: unknown key");
  });
  it("takes an empty authority as: keep the original one", () => {
    const rule = parseConfigString(withDark('"authority":""')).config!.rules[0];
    expect(rule.dark.keepAuthority).toBe(true);
    expect(rule.dark.authorityBytes).toBeNull();
  });
  it("refuses an authority with CR LF", () => {
    expect(problems(withDark('"authority":"a\\r\\nb"'))).toBe('rules[0].dark.authority: must be a string without CR, LF or NUL ("" keeps the original authority) (got "a\\r\\nb")');
  });
  it("refuses timeout_ms 0", () => {
    expect(problems(withDark('"timeout_ms":0'))).toBe("rules[0].dark.timeout_ms: must be an integer from 1 to 60000 (got 0)");
  });
  it("refuses timeout_ms above 60000", () => {
    expect(problems(withDark('"timeout_ms":60001'))).toBe("rules[0].dark.timeout_ms: must be an integer from 1 to 60000 (got 60001)");
  });
  it("refuses a fractional timeout_ms (the brief's example)", () => {
    expect(problems(withDark('"timeout_ms":1.5'))).toBe("rules[0].dark.timeout_ms: must be an integer from 1 to 60000 (got 1.5)");
  });
  it("refuses max_body_bytes above 16777216", () => {
    expect(problems(withDark('"max_body_bytes":16777217'))).toBe("rules[0].dark.max_body_bytes: must be an integer from 0 to 16777216 (got 16777217)");
  });
  it("refuses a negative max_body_bytes", () => {
    expect(problems(withDark('"max_body_bytes":-1'))).toBe("rules[0].dark.max_body_bytes: must be an integer from 0 to 16777216 (got -1)");
  });
  it("refuses set_headers that is not an object", () => {
    expect(problems(withDark('"set_headers":[["x-env","dark"]]'))).toBe('rules[0].dark.set_headers: must be an object (got [["x-env","dark"]])');
  });
  it("refuses setting a pseudo-header", () => {
    expect(problems(withDark('"set_headers":{":path":"/"}'))).toBe("rules[0].dark.set_headers.:path: pseudo-headers cannot be set");
  });
  it("refuses setting x-dark-launch, in any case", () => {
    expect(problems(withDark('"set_headers":{"X-Dark-Launch":"other"}'))).toBe("rules[0].dark.set_headers.X-Dark-Launch: x-dark-launch is set by the filter itself");
  });
  it("refuses setting content-length, which the filter derives from the copy's body", () => {
    expect(problems(withDark('"set_headers":{"Content-Length":"5"}'))).toBe(
      "rules[0].dark.set_headers.Content-Length: content-length is managed by the filter on the copy (set from the copy's body)",
    );
  });
  it("refuses setting hop-by-hop headers and host, each with its reason", () => {
    expect(problems(withDark('"set_headers":{"connection":"close","host":"x","te":"trailers","Proxy-Authorization":"Basic x"}'))).toBe(
      "rules[0].dark.set_headers.connection: connection is managed by the filter on the copy (hop-by-hop)\n" +
        "rules[0].dark.set_headers.host: host is managed by the filter on the copy (the copy's host is its :authority, set by dark.authority)\n" +
        "rules[0].dark.set_headers.te: te is managed by the filter on the copy (hop-by-hop; only te: trailers is kept)\n" +
        "rules[0].dark.set_headers.Proxy-Authorization: proxy-authorization is managed by the filter on the copy (hop-by-hop)",
    );
  });
  it("refuses a set_headers name that is not a token", () => {
    expect(problems(withDark('"set_headers":{"x env":"dark"}'))).toBe('rules[0].dark.set_headers["x env"]: must be an HTTP header name');
  });
  it("refuses the same header set twice in different case", () => {
    expect(problems(withDark('"set_headers":{"x-env":"a","X-Env":"b"}')))
      .toBe('rules[0].dark.set_headers.X-Env: duplicate header "x-env" (first at rules[0].dark.set_headers.x-env)');
  });
  it("refuses a set_headers value with a line break", () => {
    expect(problems(withDark('"set_headers":{"x-env":"a\\nb"}'))).toBe('rules[0].dark.set_headers.x-env: must be a string without CR, LF or NUL (got "a\\nb")');
  });
  it("refuses a set_headers value with NUL", () => {
    expect(problems(withDark('"set_headers":{"x-env":"a\\u0000"}'))).toBe('rules[0].dark.set_headers.x-env: must be a string without CR, LF or NUL (got "a\\u0000")');
  });
  it("refuses a set_headers value that is not a string", () => {
    expect(problems(withDark('"set_headers":{"x-n":1}'))).toBe("rules[0].dark.set_headers.x-n: must be a string without CR, LF or NUL (got 1)");
  });
  it("refuses remove_headers that is not an array", () => {
    expect(problems(withDark('"remove_headers":"cookie"'))).toBe('rules[0].dark.remove_headers: must be an array of HTTP header names (got "cookie")');
  });
  it("refuses a remove_headers entry that is not a header name", () => {
    expect(problems(withDark('"remove_headers":["cookie",":authority"]'))).toBe('rules[0].dark.remove_headers[1]: must be an HTTP header name (got ":authority")');
  });
  it("refuses removing x-dark-launch", () => {
    expect(problems(withDark('"remove_headers":["x-dark-launch"]'))).toBe("rules[0].dark.remove_headers[0]: x-dark-launch is set by the filter itself");
  });
});

describe("config: compare", () => {
  it("refuses an unknown key", () => {
    expect(problems(withRule('"compare":{"trailers":true}'))).toBe("rules[0].compare.trailers: unknown key");
  });
  it("refuses status that is not a boolean", () => {
    expect(problems(withRule('"compare":{"status":"true"}'))).toBe('rules[0].compare.status: must be a boolean (got "true")');
  });
  it("refuses body that is not a boolean or an object", () => {
    expect(problems(withRule('"compare":{"body":0}'))).toBe("rules[0].compare.body: must be true, false or an object {json, ignore, decode} (got 0)");
  });
  it("body true means bytes, decoded; false turns body comparison off", () => {
    const on = parsed(withRule('"compare":{"body":true}')).rules[0].compare;
    expect(on.body).toBe(true);
    expect(on.json).toBe(false);
    expect(on.decode).toBe(true);
    expect(parsed(withRule('"compare":{"body":false}')).rules[0].compare.body).toBe(false);
  });
  it("body as an object: json, decode and ignore with their defaults", () => {
    const c = parsed(withRule('"compare":{"body":{"json":true,"ignore":["updated_at","meta.request_id","items[*].etag","**.trace_id"]}}')).rules[0].compare;
    expect(c.body).toBe(true);
    expect(c.json).toBe(true);
    expect(c.decode).toBe(true);
    expect(c.ignore).toStrictEqual(["updated_at", "meta.request_id", "items[*].etag", "**.trace_id"]);
    const empty = parsed(withRule('"compare":{"body":{}}')).rules[0].compare;
    expect(empty.json).toBe(false);
    expect(empty.decode).toBe(true);
    expect(empty.ignore.length).toBe(0);
    expect(parsed(withRule('"compare":{"body":{"decode":false}}')).rules[0].compare.decode).toBe(false);
  });
  it("refuses an unknown key in body", () => {
    expect(problems(withRule('"compare":{"body":{"json":true,"ignored":["a"]}}'))).toBe("rules[0].compare.body.ignored: unknown key");
  });
  it("refuses json and decode that are not booleans", () => {
    expect(problems(withRule('"compare":{"body":{"json":1,"decode":"yes"}}'))).toBe(
      'rules[0].compare.body.json: must be a boolean (got 1)\nrules[0].compare.body.decode: must be a boolean (got "yes")',
    );
  });
  it("refuses ignore without json: true", () => {
    expect(problems(withRule('"compare":{"body":{"ignore":["a"]}}'))).toBe(
      "rules[0].compare.body.ignore: needs json: true (ignored paths are JSON paths; bytes are compared whole)",
    );
  });
  it("refuses ignore that is not an array, and entries that are not non-empty strings", () => {
    expect(problems(withRule('"compare":{"body":{"json":true,"ignore":"a"}}'))).toBe('rules[0].compare.body.ignore: must be an array of JSON paths (got "a")');
    expect(problems(withRule('"compare":{"body":{"json":true,"ignore":["a",3,""]}}'))).toBe(
      'rules[0].compare.body.ignore[1]: must be a JSON path such as "meta.request_id" or "items[*].etag" (got 3)\n' +
        'rules[0].compare.body.ignore[2]: must be a JSON path such as "meta.request_id" or "items[*].etag" (got "")',
    );
  });
  it("refuses a malformed ignored path, naming it", () => {
    expect(problems(withRule('"compare":{"body":{"json":true,"ignore":["ok.path","items[x]","a..b"]}}'))).toBe(
      'rules[0].compare.body.ignore[1]: invalid JSON path "items[x]": expected *, an index or a quoted name after "[" at character 7 (found "x")\n' +
        'rules[0].compare.body.ignore[2]: ' + problemOf("a..b"),
    );
  });
  it("compiles the ignored paths once, at configure time", () => {
    const c = parsed(withRule('"compare":{"body":{"json":true,"ignore":["a","**.b","items[*].c"]}}')).rules[0].compare;
    expect(c.ignorePaths.paths.length).toBe(3);
  });
  it("refuses more than 64 ignored paths", () => {
    const paths = new Array<string>();
    for (let i = 0; i < 65; i++) paths.push('"p' + i.toString() + '"');
    expect(problems(withRule('"compare":{"body":{"json":true,"ignore":[' + paths.join(",") + "]}}"))).toBe(
      "rules[0].compare.body.ignore: must have at most 64 paths (got 65)",
    );
  });
  it("refuses headers that is not an array", () => {
    expect(problems(withRule('"compare":{"headers":"etag"}'))).toBe('rules[0].compare.headers: must be an array of HTTP header names (got "etag")');
  });
  it("refuses a compared header that is not a name", () => {
    expect(problems(withRule('"compare":{"headers":["etag",7]}'))).toBe("rules[0].compare.headers[1]: must be an HTTP header name (got 7)");
  });
});

describe("config: noise_cluster", () => {
  it("takes a cluster name", () => {
    const c = parsed(withRule('"compare":{"noise_cluster":"v1_b"}')).rules[0].compare;
    expect(c.noiseCluster).toBe("v1_b");
    expect(text(c.noiseClusterBytes)).toBe("v1_b");
    expect(parsed(withRule("")).rules[0].compare.noiseCluster).toBeNull();
  });
  it("refuses an empty or non-string cluster", () => {
    expect(problems(withRule('"compare":{"noise_cluster":""}'))).toBe('rules[0].compare.noise_cluster: must be a non-empty string (a cluster name) (got "")');
    expect(problems(withRule('"compare":{"noise_cluster":3}'))).toBe("rules[0].compare.noise_cluster: must be a non-empty string (a cluster name) (got 3)");
  });
  it("refuses a noise cluster with nothing compared", () => {
    expect(problems(withRule('"compare":{"status":false,"body":false,"noise_cluster":"n"}'))).toBe(
      "rules[0].compare.noise_cluster: needs a part to compare (status, headers or body)",
    );
  });
});

function withSamples(fields: string): string {
  return '{"samples":{' + fields + '},"rules":[{"name":"r","dark":{"cluster":"c"}}]}';
}

describe("config: samples", () => {
  it("has no samples by default", () => {
    expect(parsed(withRule("")).samples).toBeNull();
  });
  it("takes every key, with the contract's defaults", () => {
    const d = parsed(withSamples('"cluster":"col"')).samples!;
    expect(d.cluster).toBe("col");
    expect(d.perSecond).toBe(1);
    expect(d.matchThreshold).toBe(0);
    expect(d.maxBodyBytes).toBe(16384);
    expect(d.headers).toStrictEqual(["content-type"]);
    expect(d.redact.length).toBe(0);
    const s = parsed(withSamples('"cluster":"col","per_second":5,"match_percent":2.5,"max_body_bytes":100,"headers":["Content-Type","x-v"],"redact":["password","**.email"]')).samples!;
    expect(s.perSecond).toBe(5);
    expect(s.matchThreshold).toBe(250);
    expect(s.maxBodyBytes).toBe(100);
    expect(s.headers).toStrictEqual(["content-type", "x-v"]);
    expect(s.redact).toStrictEqual(["password", "**.email"]);
    expect(s.redactPaths.paths.length).toBe(2);
  });
  it("requires a cluster and refuses unknown keys", () => {
    expect(problems(withSamples('"per_second":1,"token":"x"'))).toBe("samples.token: unknown key\nsamples.cluster: is required");
  });
  it("refuses values out of range, each by its path", () => {
    expect(problems(withSamples('"cluster":"c","per_second":1001,"match_percent":101,"max_body_bytes":65537'))).toBe(
      "samples.per_second: must be an integer from 0 to 1000 (got 1001)\n" +
        "samples.match_percent: must be a number from 0 to 100 (got 101)\n" +
        "samples.max_body_bytes: must be an integer from 0 to 65536 (got 65537)",
    );
  });
  it("refuses a malformed redact path and a header that is not a name", () => {
    expect(problems(withSamples('"cluster":"c","redact":["a..b"],"headers":["bad header"]'))).toBe(
      'samples.headers[0]: must be an HTTP header name (got "bad header")\nsamples.redact[0]: ' + problemOf("a..b"),
    );
  });
  it("refuses samples that is not an object", () => {
    expect(problems('{"samples":true,"rules":[{"name":"r","dark":{"cluster":"c"}}]}')).toBe("samples: must be an object (got true)");
  });
});

describe("config: limits", () => {
  it("refuses an unknown key", () => {
    expect(problems(withRule('"limits":{"max_rps":1}'))).toBe("rules[0].limits.max_rps: unknown key");
  });
  it("refuses a negative max_in_flight", () => {
    expect(problems(withRule('"limits":{"max_in_flight":-1}'))).toBe("rules[0].limits.max_in_flight: must be an integer from 0 to 1000000 (got -1)");
  });
  it("refuses max_per_second above 1000000", () => {
    expect(problems(withRule('"limits":{"max_per_second":1000001}'))).toBe("rules[0].limits.max_per_second: must be an integer from 0 to 1000000 (got 1000001)");
  });
  it("refuses an integer far beyond i32, shown as written", () => {
    expect(problems(withRule('"limits":{"max_in_flight":1e300}'))).toBe("rules[0].limits.max_in_flight: must be an integer from 0 to 1000000 (got 1e300)");
  });
  it("refuses integers beyond i64 and just past a limit exactly, shown as written", () => {
    expect(problems(withRule('"limits":{"max_in_flight":99999999999999999999}')))
      .toBe("rules[0].limits.max_in_flight: must be an integer from 0 to 1000000 (got 99999999999999999999)");
    expect(problems(withRule('"limits":{"max_in_flight":-9223372036854775809}')))
      .toBe("rules[0].limits.max_in_flight: must be an integer from 0 to 1000000 (got -9223372036854775809)");
    // 2^53 + 1 would round to 2^53 as a double.
    expect(problems(withDark('"max_body_bytes":9007199254740993')))
      .toBe("rules[0].dark.max_body_bytes: must be an integer from 0 to 16777216 (got 9007199254740993)");
  });
  it("accepts an integral value written with a fraction or an exponent", () => {
    expect(parsed(withRule('"limits":{"max_in_flight":1.0e2,"max_per_second":5.000}')).rules[0].limits.maxInFlight).toBe(100);
    expect(parsed(withRule('"limits":{"max_in_flight":-0}')).rules[0].limits.maxInFlight).toBe(0);
  });
});

describe("config: breaker", () => {
  it("refuses an unknown key", () => {
    expect(problems(withRule('"breaker":{"ratio":0.5}'))).toBe("rules[0].breaker.ratio: unknown key");
  });
  it("refuses failure_ratio 0", () => {
    expect(problems(withRule('"breaker":{"failure_ratio":0}'))).toBe("rules[0].breaker.failure_ratio: must be a number greater than 0 and at most 1 (got 0)");
  });
  it("refuses failure_ratio above 1", () => {
    expect(problems(withRule('"breaker":{"failure_ratio":1.01}'))).toBe("rules[0].breaker.failure_ratio: must be a number greater than 0 and at most 1 (got 1.01)");
  });
  it("refuses min_calls 0", () => {
    expect(problems(withRule('"breaker":{"min_calls":0}'))).toBe("rules[0].breaker.min_calls: must be an integer from 1 to 1000000 (got 0)");
  });
  it("refuses window_ms below 100", () => {
    expect(problems(withRule('"breaker":{"window_ms":99}'))).toBe("rules[0].breaker.window_ms: must be an integer from 100 to 3600000 (got 99)");
  });
  it("refuses open_ms above 3600000", () => {
    expect(problems(withRule('"breaker":{"open_ms":3600001}'))).toBe("rules[0].breaker.open_ms: must be an integer from 100 to 3600000 (got 3600001)");
  });
});

describe("config: messages", () => {
  it("collects every problem, in document order per object", () => {
    expect(problems('{"enabled":1,"rules":[{"name":"A","dark":{"cluster":""}},{"name":"b","sample":{"percent":101}}],"x":0}')).toBe([
      "x: unknown key",
      "enabled: must be a boolean (got 1)",
      'rules[0].name: must be a string matching ^[a-z0-9_-]{1,48}$ (got "A")',
      'rules[0].dark.cluster: must be a non-empty string (got "")',
      "rules[1].sample.percent: must be a number from 0 to 100 (got 101)",
      "rules[1].dark: is required",
    ].join("\n"));
  });
  it("lists 50 problems and counts the rest", () => {
    let keys = "";
    for (let i = 0; i < 60; i++) keys += ',"k' + i.toString() + '":1';
    const result = parseConfigString('{"rules":[{"name":"r","dark":{"cluster":"c"}' + keys + "}]}");
    expect(result.config).toBeNull();
    expect(result.errors.length).toBe(51);
    expect(result.errors[49]).toBe("rules[0].k49: unknown key");
    expect(result.errors[50]).toBe("(root): … and 10 more problems");
  });
  it("cuts a huge value after 40 characters", () => {
    expect(problems('{"rules":[{"name":"' + "x".repeat(500000) + '","dark":{"cluster":"c"}}]}'))
      .toBe('rules[0].name: must be a string matching ^[a-z0-9_-]{1,48}$ (got "' + "x".repeat(40) + '…")');
  });
  it("cuts a huge key in a path", () => {
    expect(problems('{"rules":[{"name":"r","dark":{"cluster":"c"},"' + "k".repeat(100000) + '":1}]}'))
      .toBe('rules[0]["' + "k".repeat(40) + '…"]: unknown key');
  });
  it("cuts a long array", () => {
    expect(problems(withRule('"match":[' + "1,".repeat(1000) + "1]")))
      .toBe("rules[0].match: must be an object (got [" + "1,".repeat(19) + "1…)");
  });
  it("escapes non-printable characters", () => {
    expect(problems('{"rules":[{"name":"a\\u0001\\u007f\\u2028\\"b","dark":{"cluster":"c"}}]}'))
      .toBe('rules[0].name: must be a string matching ^[a-z0-9_-]{1,48}$ (got "a\\u0001\\u007F\\u2028\\"b")');
  });
  it("keeps printable non-ASCII characters", () => {
    expect(problems('{"rules":[{"name":"caf\\u00e9 \\uD83D\\uDE00","dark":{"cluster":"c"}}]}'))
      .toBe('rules[0].name: must be a string matching ^[a-z0-9_-]{1,48}$ (got "café 😀")');
  });
});
