// The headers of the dark copy, decoded from the wire bytes darkCopyHeaders writes.
import { darkCopyHeaders, shadowAuthority } from "../darklaunch/copy";
import { Rule } from "../darklaunch/config";
import { parseConfig } from "../darklaunch/config_parse";
import { DARK_LAUNCH_HEADER, MANAGED_HEADERS } from "../darklaunch/managed_headers";
import { headerMap, pairsOf, ruleOf, utf8 } from "./helpers";

/** A rule named "checkout" with the given extra `dark` members (JSON, may be empty). */
function checkout(darkExtra: string): Rule {
  return ruleOf('{"name":"checkout","dark":{"cluster":"checkout_v2"' + (darkExtra.length > 0 ? "," + darkExtra : "") + "}}");
}

/** The copy's pairs as "name: value" for primary `pairs` and a body of `bodyLength` bytes. */
function copyOf(rule: Rule, pairs: string[], bodyLength: i32): string[] {
  return pairsOf(darkCopyHeaders(rule, utf8(rule.name), headerMap(pairs), bodyLength));
}

/** The copy's :authority value for a primary `:authority` under `rule`. */
function copiedAuthority(rule: Rule, authority: string): string {
  const copy = copyOf(rule, [":method", "GET", ":authority", authority, ":path", "/"], 0);
  expect(copy[1].startsWith(":authority: ")).toBe(true);
  return copy[1].substring(12);
}

function shadow(authority: string): string {
  const b = utf8(authority);
  return String.UTF8.decode(shadowAuthority(changetype<usize>(b), b.byteLength));
}

describe("darkCopyHeaders", () => {
  test("copies every header in order, shadows the authority and adds x-dark-launch", () => {
    const copy = copyOf(
      checkout(""),
      [
        ":method", "GET",
        ":scheme", "https",
        ":path", "/api/checkout?x=1",
        ":authority", "shop.example",
        "accept", "*/*",
        "x-request-id", "6f1c",
        "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "user-agent", "curl/8.5",
      ],
      0,
    );
    expect(copy).toStrictEqual([
      ":method: GET",
      ":scheme: https",
      ":path: /api/checkout?x=1",
      ":authority: shop.example-shadow",
      "accept: */*",
      "x-request-id: 6f1c",
      "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      "user-agent: curl/8.5",
      "x-dark-launch: checkout",
    ]);
  });

  test("keeps x-request-id and trace context (traceparent, tracestate, b3)", () => {
    const copy = copyOf(
      checkout('"remove_headers":["authorization","cookie"]'),
      [
        ":method", "GET",
        ":authority", "a",
        "x-request-id", "r1",
        "traceparent", "00-aa-bb-01",
        "tracestate", "vendor=1",
        "x-b3-traceid", "80f198ee56343ba8",
        "authorization", "Bearer x",
      ],
      0,
    );
    expect(copy).toStrictEqual([
      ":method: GET",
      ":authority: a-shadow",
      "x-request-id: r1",
      "traceparent: 00-aa-bb-01",
      "tracestate: vendor=1",
      "x-b3-traceid: 80f198ee56343ba8",
      "x-dark-launch: checkout",
    ]);
  });

  test("removes every hop-by-hop header and keeps the others in order", () => {
    const copy = copyOf(
      checkout(""),
      [
        ":method", "GET",
        ":authority", "shop.example",
        "connection", "close",
        "keep-alive", "timeout=5",
        "accept", "*/*",
        "proxy-connection", "keep-alive",
        "transfer-encoding", "chunked",
        "te", "gzip, trailers",
        "trailer", "x-checksum",
        "upgrade", "websocket",
        "proxy-authenticate", "Basic",
        "proxy-authorization", "Basic Zm9v",
        "x-request-id", "r1",
      ],
      0,
    );
    expect(copy).toStrictEqual([
      ":method: GET",
      ":authority: shop.example-shadow",
      "accept: */*",
      "x-request-id: r1",
      "x-dark-launch: checkout",
    ]);
  });

  test("removes hop-by-hop headers whatever their case", () => {
    const copy = copyOf(checkout(""), [":authority", "h", "Connection", "close", "TE", "deflate", "Upgrade", "h2c", "accept", "*/*"], 0);
    expect(copy).toStrictEqual([":authority: h-shadow", "accept: */*", "x-dark-launch: checkout"]);
  });

  test("keeps te: trailers (gRPC requires it), whatever its case and surrounding spaces", () => {
    expect(copyOf(checkout(""), [":authority", "h", "te", "trailers"], 0)).toStrictEqual([":authority: h-shadow", "te: trailers", "x-dark-launch: checkout"]);
    expect(copyOf(checkout(""), [":authority", "h", "TE", " Trailers "], 0)).toStrictEqual([":authority: h-shadow", "TE:  Trailers ", "x-dark-launch: checkout"]);
  });

  test("removes any other te value, also one that lists trailers among others", () => {
    expect(copyOf(checkout(""), [":authority", "h", "te", "trailers, deflate"], 0)).toStrictEqual([":authority: h-shadow", "x-dark-launch: checkout"]);
    expect(copyOf(checkout(""), [":authority", "h", "te", "trailersx"], 0)).toStrictEqual([":authority: h-shadow", "x-dark-launch: checkout"]);
  });

  test("authority \"\" keeps the original authority unchanged", () => {
    const rule = ruleOf('{"name":"checkout","dark":{"cluster":"v2","authority":""}}');
    expect(copyOf(rule, [":authority", "shop.example:8080", "accept", "*/*"], 0)).toStrictEqual([":authority: shop.example:8080", "accept: */*", "x-dark-launch: checkout"]);
  });

  test("keeps headers whose names only start like hop-by-hop ones", () => {
    const copy = copyOf(
      checkout(""),
      [":authority", "h", "upgrade-insecure-requests", "1", "tes", "x", "connection-id", "7", "trailers", "y"],
      0,
    );
    expect(copy).toStrictEqual([
      ":authority: h-shadow",
      "upgrade-insecure-requests: 1",
      "tes: x",
      "connection-id: 7",
      "trailers: y",
      "x-dark-launch: checkout",
    ]);
  });

  test("removes remove_headers case-insensitively, every occurrence", () => {
    const copy = copyOf(
      checkout('"remove_headers":["Authorization","cookie"]'),
      [
        ":method", "GET",
        ":authority", "h",
        "authorization", "Bearer a",
        "Cookie", "s=1",
        "accept", "*/*",
        "AUTHORIZATION", "Bearer b",
        "cookie", "t=2",
      ],
      0,
    );
    expect(copy).toStrictEqual([":method: GET", ":authority: h-shadow", "accept: */*", "x-dark-launch: checkout"]);
  });

  test("set_headers replaces a header of that name, wherever and however often it appears", () => {
    const copy = copyOf(
      checkout('"set_headers":{"x-env":"dark"}'),
      [":method", "GET", ":authority", "h", "x-env", "prod", "accept", "*/*", "X-Env", "prod2"],
      0,
    );
    expect(copy).toStrictEqual([":method: GET", ":authority: h-shadow", "accept: */*", "x-env: dark", "x-dark-launch: checkout"]);
  });

  test("set_headers adds headers that were absent, in the configured order", () => {
    const copy = copyOf(checkout('"set_headers":{"x-env":"dark","x-shadow-of":"v1"}'), [":method", "GET", ":authority", "h"], 0);
    expect(copy).toStrictEqual([
      ":method: GET",
      ":authority: h-shadow",
      "x-env: dark",
      "x-shadow-of: v1",
      "x-dark-launch: checkout",
    ]);
  });

  test("a set_headers name given in upper case is written lower-cased and replaces any case", () => {
    const copy = copyOf(checkout('"set_headers":{"X-Env":"dark"}'), [":authority", "h", "x-ENV", "prod"], 0);
    expect(copy).toStrictEqual([":authority: h-shadow", "x-env: dark", "x-dark-launch: checkout"]);
  });

  test("a client-sent x-dark-launch is replaced by the rule name", () => {
    const copy = copyOf(
      checkout(""),
      [":method", "GET", ":authority", "h", "x-dark-launch", "evil", "accept", "*/*", "X-Dark-Launch", "other"],
      0,
    );
    expect(copy).toStrictEqual([":method: GET", ":authority: h-shadow", "accept: */*", "x-dark-launch: checkout"]);
  });

  test("x-dark-launch carries the rule name passed in", () => {
    const rule = ruleOf('{"name":"search-v3_b","dark":{"cluster":"c"}}');
    expect(copyOf(rule, [":authority", "h"], 0)).toStrictEqual([":authority: h-shadow", "x-dark-launch: search-v3_b"]);
  });

  test("content-length is replaced by the real body length", () => {
    const copy = copyOf(
      checkout(""),
      [":method", "POST", ":authority", "h", "content-length", "999", "content-type", "application/json"],
      17,
    );
    expect(copy).toStrictEqual([
      ":method: POST",
      ":authority: h-shadow",
      "content-type: application/json",
      "x-dark-launch: checkout",
      "content-length: 17",
    ]);
  });

  test("content-length is added for a non-empty body the primary sent chunked", () => {
    const copy = copyOf(checkout(""), [":method", "POST", ":authority", "h", "transfer-encoding", "chunked"], 65536);
    expect(copy).toStrictEqual([":method: POST", ":authority: h-shadow", "x-dark-launch: checkout", "content-length: 65536"]);
  });

  test("content-length is absent for an empty body", () => {
    const copy = copyOf(checkout(""), [":method", "POST", ":authority", "h", "Content-Length", "0"], 0);
    expect(copy).toStrictEqual([":method: POST", ":authority: h-shadow", "x-dark-launch: checkout"]);
  });

  test("set_headers content-length is refused by the config or overridden by the real length", () => {
    const json = '{"rules":[{"name":"checkout","dark":{"cluster":"c","set_headers":{"content-length":"5"}}}]}';
    const result = parseConfig(utf8(json));
    const config = result.config;
    if (config === null) {
      expect(result.errors.join("; ").includes("rules[0].dark.set_headers.content-length")).toBe(true);
    } else {
      const rule = config.rules[0];
      expect(copyOf(rule, [":method", "POST", ":authority", "h"], 12)).toStrictEqual([
        ":method: POST",
        ":authority: h-shadow",
        "x-dark-launch: checkout",
        "content-length: 12",
      ]);
      expect(copyOf(rule, [":method", "POST", ":authority", "h"], 0)).toStrictEqual([
        ":method: POST",
        ":authority: h-shadow",
        "x-dark-launch: checkout",
      ]);
    }
  });

  test("repeated headers are all kept, in order", () => {
    const copy = copyOf(
      checkout(""),
      [":authority", "h", "x-forwarded-for", "10.0.0.1", "accept", "a", "x-forwarded-for", "10.0.0.2"],
      0,
    );
    expect(copy).toStrictEqual([
      ":authority: h-shadow",
      "x-forwarded-for: 10.0.0.1",
      "accept: a",
      "x-forwarded-for: 10.0.0.2",
      "x-dark-launch: checkout",
    ]);
  });

  test("removals, replacements, marker and length combine in one copy", () => {
    const copy = copyOf(
      checkout('"authority":"checkout-v2","set_headers":{"x-env":"dark"},"remove_headers":["cookie"]'),
      [
        ":method", "POST",
        ":scheme", "http",
        ":authority", "shop.example:8080",
        ":path", "/api/checkout",
        "content-length", "3",
        "connection", "keep-alive",
        "cookie", "s=1",
        "x-env", "prod",
        "x-dark-launch", "spoofed",
        "x-request-id", "r9",
      ],
      3,
    );
    expect(copy).toStrictEqual([
      ":method: POST",
      ":scheme: http",
      ":authority: checkout-v2",
      ":path: /api/checkout",
      "x-request-id: r9",
      "x-env: dark",
      "x-dark-launch: checkout",
      "content-length: 3",
    ]);
  });
});

// The names the filter might keep off the copy, typed here rather than taken from
// managed_headers.ts: the connection-specific headers of RFC 9110 §7.6.1 and RFC 2616 §13.5.1,
// proxy-connection, the ones the filter sets itself, and ordinary headers that must pass.
const CANDIDATES: string[] = [
  "connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade",
  "proxy-authenticate", "proxy-authorization", "content-length", "host", "x-dark-launch",
  "authorization", "cookie", "accept", "x-env", "x-request-id", "traceparent", "via", "forwarded", "expect",
];

/** Whether the configuration refuses `name` in `dark.set_headers`. */
function setHeadersRefuses(name: string): bool {
  return parseConfig(utf8('{"rules":[{"name":"checkout","dark":{"cluster":"c","set_headers":{"' + name + '":"v"}}}]}')).config === null;
}

/** Whether a client's `name: value` (the name in any case, copied as given) is left off the copy. */
function copyDrops(name: string, value: string): bool {
  const copy = copyOf(checkout(""), [":method", "GET", ":authority", "a", name, value], 0);
  return !copy.includes(name + ": " + value);
}

describe("the headers the filter manages on the copy: one list", () => {
  test("the copy drops exactly the headers set_headers refuses (te apart: te: trailers stays)", () => {
    const all = CANDIDATES.slice(0);
    for (let i = 0; i < MANAGED_HEADERS.length; i++) {
      if (!all.includes(MANAGED_HEADERS[i].name)) all.push(MANAGED_HEADERS[i].name);
    }
    for (let i = 0; i < all.length; i++) {
      const name = all[i];
      expect(copyDrops(name, "client")).toBe(setHeadersRefuses(name), name);
      expect(copyDrops(name.toUpperCase(), "client")).toBe(setHeadersRefuses(name), name.toUpperCase());
    }
  });
  test("te: the one documented exception", () => {
    expect(setHeadersRefuses("te")).toBe(true);
    expect(copyDrops("te", "trailers")).toBe(false);
    expect(copyDrops("TE", " Trailers ")).toBe(false);
    expect(copyDrops("te", "trailers, deflate")).toBe(true);
    expect(copyDrops("te", "gzip")).toBe(true);
  });
  test("every managed header is refused in set_headers with its reason", () => {
    for (let i = 0; i < MANAGED_HEADERS.length; i++) {
      const h = MANAGED_HEADERS[i];
      const errors = parseConfig(utf8('{"rules":[{"name":"r","dark":{"cluster":"c","set_headers":{"' + h.name + '":"v"}}}]}')).errors;
      expect(errors.length).toBe(1, h.name);
      const expected = h.name == DARK_LAUNCH_HEADER
        ? "rules[0].dark.set_headers." + h.name + ": x-dark-launch is set by the filter itself"
        : "rules[0].dark.set_headers." + h.name + ": " + h.name + " is managed by the filter on the copy (" + h.reason + ")";
      expect(errors[0]).toBe(expected);
    }
  });
  test("the marker is set once, to the rule's name, whatever the client sent", () => {
    const copy = copyOf(checkout(""), [":method", "GET", ":authority", "a", "X-Dark-Launch", "spoofed", "x-dark-launch", "other"], 0);
    expect(copy).toStrictEqual([":method: GET", ":authority: a-shadow", "x-dark-launch: checkout"]);
  });
});

describe("dark :authority", () => {
  test("a host without port gets -shadow at the end", () => {
    expect(copiedAuthority(checkout(""), "shop.example")).toBe("shop.example-shadow");
  });

  test("a host with port gets -shadow before the port", () => {
    expect(copiedAuthority(checkout(""), "shop.example:8080")).toBe("shop.example-shadow:8080");
  });

  test("an IPv4 address with port gets -shadow before the port", () => {
    expect(copiedAuthority(checkout(""), "10.0.0.1:80")).toBe("10.0.0.1-shadow:80");
  });

  test("a bracketed IPv6 address with port gets -shadow after the bracket", () => {
    expect(copiedAuthority(checkout(""), "[2001:db8::1]:8443")).toBe("[2001:db8::1]-shadow:8443");
  });

  test("a bracketed IPv6 address without port gets -shadow at the end", () => {
    expect(copiedAuthority(checkout(""), "[::1]")).toBe("[::1]-shadow");
  });

  test("shadowAuthority agrees with the copy for the same input", () => {
    expect(shadow("shop.example:8080")).toBe("shop.example-shadow:8080");
    expect(shadow("[::1]:443")).toBe("[::1]-shadow:443");
  });

  test("an explicit authority replaces the original whatever it was", () => {
    const rule = checkout('"authority":"checkout-v2"');
    expect(copiedAuthority(rule, "shop.example")).toBe("checkout-v2");
    expect(copiedAuthority(rule, "shop.example:8080")).toBe("checkout-v2");
    expect(copiedAuthority(rule, "[::1]:443")).toBe("checkout-v2");
  });

  test("the copy has exactly one :authority even when the primary repeats it", () => {
    const copy = copyOf(checkout(""), [":authority", "a.example", ":authority", "b.example", "accept", "*/*"], 0);
    expect(copy).toStrictEqual([":authority: a.example-shadow", "accept: */*", "x-dark-launch: checkout"]);
  });

  test("an explicit authority is set even when the primary has none", () => {
    const copy = copyOf(checkout('"authority":"checkout-v2"'), [":method", "GET", ":path", "/"], 0);
    expect(copy.includes(":authority: checkout-v2")).toBe(true);
  });
});
