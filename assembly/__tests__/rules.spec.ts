// Rule matching (first fit wins) and the first three gates: disabled → method → sample.
import { Config } from "../darklaunch/config";
import { gateRequest, matchRule, methodAllowed, ruleMatches } from "../darklaunch/rules";
import { Xorshift64 } from "../darklaunch/sampling";
import { Skip } from "../darklaunch/skip";
import { configOf, headerMap, ruleOf, utf8 } from "./helpers";

const DARK = '"dark":{"cluster":"v2"}';

function rule(name: string, extra: string): string {
  return '{"name":"' + name + '",' + DARK + (extra.length > 0 ? "," + extra : "") + "}";
}

function get(path: string): string[] {
  return [":method", "GET", ":path", path, ":authority", "shop.example"];
}

function withHeaders(base: string[], more: string[]): string[] {
  const out = base.slice(0);
  for (let i = 0; i < more.length; i++) out.push(more[i]);
  return out;
}

function matches(ruleJson: string, pairs: string[], route: string | null = null): bool {
  return ruleMatches(ruleOf(ruleJson), headerMap(pairs), route !== null ? utf8(route) : null);
}

function gate(config: Config, pairs: string[]): Skip {
  return gateRequest(config, config.rules[0], headerMap(pairs), new Xorshift64(42));
}

describe("matchRule", () => {
  test("returns -1 when no rule fits", () => {
    const config = configOf('{"rules":[' + rule("a", '"match":{"path_prefix":"/a"}') + "]}");
    expect(matchRule(config, headerMap(get("/b")), null)).toBe(-1);
  });

  test("returns the first rule when several fit", () => {
    const config = configOf(
      '{"rules":[' + rule("a", '"match":{"path_prefix":"/api"}') + "," + rule("b", '"match":{"path_prefix":"/api/x"}') + "]}",
    );
    expect(matchRule(config, headerMap(get("/api/x/1")), null)).toBe(0);
  });

  test("returns a later rule when the earlier ones do not fit", () => {
    const config = configOf(
      '{"rules":[' +
        rule("a", '"match":{"path_prefix":"/a"}') +
        "," +
        rule("b", '"match":{"path_prefix":"/b"}') +
        "," +
        rule("c", '"match":{"path_prefix":"/b"}') +
        "]}",
    );
    expect(matchRule(config, headerMap(get("/b/1")), null)).toBe(1);
  });

  test("a rule without match fits every request, including one with no headers", () => {
    const config = configOf('{"rules":[' + rule("a", "") + "]}");
    expect(matchRule(config, headerMap(get("/anything")), null)).toBe(0);
    expect(matchRule(config, headerMap([]), null)).toBe(0);
  });

  test("a disabled rule still matches (it is counted, not mirrored)", () => {
    const config = configOf('{"rules":[' + rule("a", '"enabled":false') + "," + rule("b", "") + "]}");
    expect(matchRule(config, headerMap(get("/")), null)).toBe(0);
  });
});

describe("ruleMatches: route", () => {
  test("matches when the route name is equal", () => {
    expect(matches(rule("a", '"match":{"route":"checkout_route"}'), get("/"), "checkout_route")).toBe(true);
  });

  test("does not match a different route name", () => {
    expect(matches(rule("a", '"match":{"route":"checkout_route"}'), get("/"), "cart_route")).toBe(false);
  });

  test("does not match a route name that only starts with the configured one", () => {
    expect(matches(rule("a", '"match":{"route":"checkout"}'), get("/"), "checkout_route")).toBe(false);
  });

  test("does not match a route name that is a prefix of the configured one", () => {
    expect(matches(rule("a", '"match":{"route":"checkout_route"}'), get("/"), "checkout")).toBe(false);
  });

  test("compares route names case-sensitively", () => {
    expect(matches(rule("a", '"match":{"route":"checkout_route"}'), get("/"), "Checkout_Route")).toBe(false);
  });

  test("a null route name never matches a route rule", () => {
    expect(matches(rule("a", '"match":{"route":"checkout_route"}'), get("/"), null)).toBe(false);
  });

  test("an empty route name does not match a route rule", () => {
    expect(matches(rule("a", '"match":{"route":"checkout_route"}'), get("/"), "")).toBe(false);
  });

  test("a rule without route matches whatever the route name, null included", () => {
    expect(matches(rule("a", '"match":{"path_prefix":"/"}'), get("/"), null)).toBe(true);
    expect(matches(rule("a", '"match":{"path_prefix":"/"}'), get("/"), "any_route")).toBe(true);
  });

  test("with a null route name, matchRule skips a route rule and takes the next one", () => {
    const config = configOf('{"rules":[' + rule("a", '"match":{"route":"r"}') + "," + rule("b", "") + "]}");
    expect(matchRule(config, headerMap(get("/")), null)).toBe(1);
    expect(matchRule(config, headerMap(get("/")), utf8("r"))).toBe(0);
  });
});

const CHECKOUT_PREFIX = rule("a", '"match":{"path_prefix":"/api/checkout"}');

describe("ruleMatches: path_prefix", () => {

  test("matches the exact path", () => {
    expect(matches(CHECKOUT_PREFIX, get("/api/checkout"))).toBe(true);
  });

  test("matches a longer path", () => {
    expect(matches(CHECKOUT_PREFIX, get("/api/checkout/items/7"))).toBe(true);
  });

  test("matches a path with a query string after the prefix", () => {
    expect(matches(CHECKOUT_PREFIX, get("/api/checkout?step=2"))).toBe(true);
  });

  test("does not match a shorter path", () => {
    expect(matches(CHECKOUT_PREFIX, get("/api/check"))).toBe(false);
  });

  test("does not match a different path", () => {
    expect(matches(CHECKOUT_PREFIX, get("/api/cart"))).toBe(false);
  });

  test("compares the path case-sensitively", () => {
    expect(matches(CHECKOUT_PREFIX, get("/API/checkout"))).toBe(false);
  });

  test("does not match when the prefix appears later in the path", () => {
    expect(matches(CHECKOUT_PREFIX, get("/v1/api/checkout"))).toBe(false);
  });

  test("includes the query string in the comparison", () => {
    const q = rule("a", '"match":{"path_prefix":"/search?q=shoe"}');
    expect(matches(q, get("/search?q=shoes&page=2"))).toBe(true);
    expect(matches(q, get("/search?q=hats"))).toBe(false);
    expect(matches(q, get("/search"))).toBe(false);
  });

  test("does not match a request without :path", () => {
    expect(matches(CHECKOUT_PREFIX, [":method", "GET", ":authority", "shop.example"])).toBe(false);
  });
});

describe("ruleMatches: header conditions", () => {
  test("exact matches an equal value", () => {
    expect(matches(rule("a", '"match":{"headers":[{"name":"x-dark","exact":"1"}]}'), withHeaders(get("/"), ["x-dark", "1"]))).toBe(
      true,
    );
  });

  test("exact does not match a different value", () => {
    expect(matches(rule("a", '"match":{"headers":[{"name":"x-dark","exact":"1"}]}'), withHeaders(get("/"), ["x-dark", "10"]))).toBe(
      false,
    );
  });

  test("exact does not match a value that is a prefix of the configured one", () => {
    expect(matches(rule("a", '"match":{"headers":[{"name":"x-dark","exact":"yes"}]}'), withHeaders(get("/"), ["x-dark", "y"]))).toBe(
      false,
    );
  });

  test("exact compares values case-sensitively", () => {
    expect(
      matches(rule("a", '"match":{"headers":[{"name":"x-dark","exact":"yes"}]}'), withHeaders(get("/"), ["x-dark", "YES"])),
    ).toBe(false);
  });

  test("exact does not match when the header is absent", () => {
    expect(matches(rule("a", '"match":{"headers":[{"name":"x-dark","exact":"1"}]}'), get("/"))).toBe(false);
  });

  test("exact with an empty value matches a present empty header and not an absent one", () => {
    const r = rule("a", '"match":{"headers":[{"name":"x-dark","exact":""}]}');
    expect(matches(r, withHeaders(get("/"), ["x-dark", ""]))).toBe(true);
    expect(matches(r, get("/"))).toBe(false);
  });

  test("header names are matched case-insensitively", () => {
    const r = rule("a", '"match":{"headers":[{"name":"X-Dark","exact":"1"}]}');
    expect(matches(r, withHeaders(get("/"), ["x-dark", "1"]))).toBe(true);
    expect(matches(r, withHeaders(get("/"), ["X-DARK", "1"]))).toBe(true);
  });

  test("prefix matches a value that starts with it", () => {
    const r = rule("a", '"match":{"headers":[{"name":"user-agent","prefix":"canary/"}]}');
    expect(matches(r, withHeaders(get("/"), ["user-agent", "canary/1.2"]))).toBe(true);
    expect(matches(r, withHeaders(get("/"), ["user-agent", "canary/"]))).toBe(true);
  });

  test("prefix does not match a shorter or different value", () => {
    const r = rule("a", '"match":{"headers":[{"name":"user-agent","prefix":"canary/"}]}');
    expect(matches(r, withHeaders(get("/"), ["user-agent", "canary"]))).toBe(false);
    expect(matches(r, withHeaders(get("/"), ["user-agent", "curl/8.0 canary/1"]))).toBe(false);
  });

  test("prefix does not match when the header is absent", () => {
    expect(matches(rule("a", '"match":{"headers":[{"name":"user-agent","prefix":"c"}]}'), get("/"))).toBe(false);
  });

  test("present matches any value, empty included, and not an absent header", () => {
    const r = rule("a", '"match":{"headers":[{"name":"x-beta","present":true}]}');
    expect(matches(r, withHeaders(get("/"), ["x-beta", "anything"]))).toBe(true);
    expect(matches(r, withHeaders(get("/"), ["x-beta", ""]))).toBe(true);
    expect(matches(r, get("/"))).toBe(false);
  });

  test("absent matches only when the header is missing", () => {
    const r = rule("a", '"match":{"headers":[{"name":"x-no-mirror","absent":true}]}');
    expect(matches(r, get("/"))).toBe(true);
    expect(matches(r, withHeaders(get("/"), ["x-no-mirror", ""]))).toBe(false);
    expect(matches(r, withHeaders(get("/"), ["X-No-Mirror", "1"]))).toBe(false);
  });

  test("absent and present see a header that is the first pair of the map", () => {
    const absent = rule("a", '"match":{"headers":[{"name":"x-no-mirror","absent":true}]}');
    const present = rule("a", '"match":{"headers":[{"name":"x-beta","present":true}]}');
    expect(matches(absent, withHeaders(["x-no-mirror", "1"], get("/")))).toBe(false);
    expect(matches(present, withHeaders(["x-beta", "1"], get("/")))).toBe(true);
  });

  test("all header conditions must hold", () => {
    const r = rule(
      "a",
      '"match":{"headers":[{"name":"x-dark","exact":"1"},{"name":"x-beta","present":true},{"name":"x-skip","absent":true}]}',
    );
    expect(matches(r, withHeaders(get("/"), ["x-dark", "1", "x-beta", "y"]))).toBe(true);
    expect(matches(r, withHeaders(get("/"), ["x-dark", "1"]))).toBe(false);
    expect(matches(r, withHeaders(get("/"), ["x-beta", "y"]))).toBe(false);
    expect(matches(r, withHeaders(get("/"), ["x-dark", "1", "x-beta", "y", "x-skip", "1"]))).toBe(false);
  });

  test("route, path_prefix and headers must all hold together", () => {
    const r = rule("a", '"match":{"route":"r","path_prefix":"/api","headers":[{"name":"x-dark","exact":"1"}]}');
    const ok = withHeaders(get("/api/x"), ["x-dark", "1"]);
    expect(matches(r, ok, "r")).toBe(true);
    expect(matches(r, ok, "other")).toBe(false);
    expect(matches(r, withHeaders(get("/web"), ["x-dark", "1"]), "r")).toBe(false);
    expect(matches(r, withHeaders(get("/api/x"), ["x-dark", "0"]), "r")).toBe(false);
  });
});

describe("methodAllowed", () => {
  test("the default methods are GET, HEAD and OPTIONS", () => {
    const r = ruleOf(rule("a", ""));
    expect(methodAllowed(r, headerMap([":method", "GET"]))).toBe(true);
    expect(methodAllowed(r, headerMap([":method", "HEAD"]))).toBe(true);
    expect(methodAllowed(r, headerMap([":method", "OPTIONS"]))).toBe(true);
  });

  test("writes are refused by default", () => {
    const r = ruleOf(rule("a", ""));
    expect(methodAllowed(r, headerMap([":method", "POST"]))).toBe(false);
    expect(methodAllowed(r, headerMap([":method", "PUT"]))).toBe(false);
    expect(methodAllowed(r, headerMap([":method", "PATCH"]))).toBe(false);
    expect(methodAllowed(r, headerMap([":method", "DELETE"]))).toBe(false);
  });

  test("POST is allowed only when listed", () => {
    const r = ruleOf(rule("a", '"methods":["GET","POST"]'));
    expect(methodAllowed(r, headerMap([":method", "POST"]))).toBe(true);
    expect(methodAllowed(r, headerMap([":method", "GET"]))).toBe(true);
    expect(methodAllowed(r, headerMap([":method", "PUT"]))).toBe(false);
  });

  test("a listed set replaces the defaults", () => {
    const r = ruleOf(rule("a", '"methods":["POST"]'));
    expect(methodAllowed(r, headerMap([":method", "POST"]))).toBe(true);
    expect(methodAllowed(r, headerMap([":method", "GET"]))).toBe(false);
    expect(methodAllowed(r, headerMap([":method", "HEAD"]))).toBe(false);
  });

  test("a method that only starts with an allowed one is refused", () => {
    const r = ruleOf(rule("a", ""));
    expect(methodAllowed(r, headerMap([":method", "GETX"]))).toBe(false);
    expect(methodAllowed(r, headerMap([":method", "GE"]))).toBe(false);
  });

  test("a request without :method is refused", () => {
    expect(methodAllowed(ruleOf(rule("a", "")), headerMap([":path", "/"]))).toBe(false);
  });
});

describe("gateRequest", () => {
  test("a matching GET at 100% is mirrored", () => {
    expect(gate(configOf('{"rules":[' + rule("a", "") + "]}"), get("/"))).toBe(Skip.None);
  });

  test("top-level enabled false skips as disabled", () => {
    expect(gate(configOf('{"enabled":false,"rules":[' + rule("a", "") + "]}"), get("/"))).toBe(Skip.Disabled);
  });

  test("rule enabled false skips as disabled", () => {
    expect(gate(configOf('{"rules":[' + rule("a", '"enabled":false') + "]}"), get("/"))).toBe(Skip.Disabled);
  });

  test("disabled is reported before method and sample", () => {
    const config = configOf('{"enabled":false,"rules":[' + rule("a", '"sample":{"percent":0}') + "]}");
    expect(gate(config, [":method", "POST", ":path", "/"])).toBe(Skip.Disabled);
    const ruleOff = configOf('{"rules":[' + rule("a", '"enabled":false,"sample":{"percent":0}') + "]}");
    expect(gate(ruleOff, [":method", "DELETE", ":path", "/"])).toBe(Skip.Disabled);
  });

  test("a method not listed skips as method", () => {
    expect(gate(configOf('{"rules":[' + rule("a", "") + "]}"), [":method", "POST", ":path", "/"])).toBe(Skip.Method);
  });

  test("method is reported before sample", () => {
    const config = configOf('{"rules":[' + rule("a", '"sample":{"percent":0}') + "]}");
    expect(gate(config, [":method", "POST", ":path", "/"])).toBe(Skip.Method);
  });

  test("percent 0 skips an allowed method as sampled_out", () => {
    const config = configOf('{"rules":[' + rule("a", '"sample":{"percent":0}') + "]}");
    expect(gate(config, get("/"))).toBe(Skip.SampledOut);
  });

  test("a listed POST passes the method gate", () => {
    const config = configOf('{"rules":[' + rule("a", '"methods":["POST"]') + "]}");
    expect(gate(config, [":method", "POST", ":path", "/"])).toBe(Skip.None);
  });

  test("the sample gate uses the sticky key's bucket", () => {
    // Buckets from FNV-1a 64 mod 10000, computed in Node with BigInt:
    // "user-42" → 7419, "abc" → 3931.
    const config = configOf('{"rules":[' + rule("a", '"sample":{"percent":50,"by":"header:x-user-id"}') + "]}");
    expect(gate(config, withHeaders(get("/"), ["x-user-id", "abc"]))).toBe(Skip.None);
    expect(gate(config, withHeaders(get("/"), ["x-user-id", "user-42"]))).toBe(Skip.SampledOut);
  });
});
