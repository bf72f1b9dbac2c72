// The copy sent to the dark cluster (contract "The copy", docs/behaviour-decisions.md): its exact
// headers, method, path and body; the primary stays untouched; the dark answer never reaches
// the client; primary responses are byte-identical with and without the filter.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { rawStatus, send, sendRaw, type ClientRequest, type ClientResponse } from "../support/client.js";
import { prefixRule, startStack, type Stack } from "../support/stack.js";
import { assertInvariants } from "../support/stats.js";
import { DARK_MARKER_HEADER, headerPairs, headerValues, type RecordedRequest } from "../support/upstream.js";

/**
 * Headers Envoy itself puts on the copy, not the filter:
 * - `x-forwarded-proto` is added by the HTTP connection manager to every request before any
 *   filter runs, so the filter sees it and copies it like any other header;
 * - `x-envoy-internal` and `x-envoy-expected-rq-timeout-ms` (= timeout_ms) are added on the wire
 *   by Envoy's async HTTP client that carries the dark call.
 */
function envoyAddedOnCopy(timeoutMs: number): [string, string][] {
  return [
    ["x-forwarded-proto", "http"],
    ["x-envoy-internal", "true"],
    ["x-envoy-expected-rq-timeout-ms", String(timeoutMs)],
  ];
}

const sortPairs = (pairs: [string, string][]): [string, string][] =>
  [...pairs].sort((a, b) => (`${a[0]}\0${a[1]}` < `${b[0]}\0${b[1]}` ? -1 : `${a[0]}\0${a[1]}` > `${b[0]}\0${b[1]}` ? 1 : 0));

const TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

describe("the copy", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      filterConfig: {
        rules: [
          prefixRule("c-copy", "/c/copy", {
            methods: ["GET", "POST", "PUT"],
            dark: { set_headers: { "x-env": "dark", "X-Added": "yes" }, remove_headers: ["Authorization", "COOKIE"] },
          }),
          prefixRule("c-auth", "/c/auth", { dark: { authority: "checkout-v2", timeout_ms: 2500 } }),
          prefixRule("c-head", "/c/head"),
        ],
      },
    });
  });
  after(() => stack?.stop());

  async function onlyCopy(path: string): Promise<RecordedRequest> {
    const [copy] = await stack.dark.waitForRequests(path, 1);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(stack.dark.requestsTo(path).length, 1, `exactly one copy of ${path}`);
    return copy!;
  }

  test("GET copy: exact header set (hop-by-hop and remove_headers gone but te: trailers kept, set_headers, x-dark-launch, -shadow authority)", async () => {
    const path = "/c/copy/item?id=7&name=a%20b";
    const sent: [string, string][] = [
      ["Host", "shop.example:8080"],
      ["User-Agent", "darklaunch-test"],
      ["Accept", "*/*"],
      ["X-Request-Id", "req-copy-1"],
      ["traceparent", TRACEPARENT],
      ["tracestate", "vendor=1"],
      ["X-Custom-A", "1"],
      ["X-Custom-B", "two"],
      ["X-Custom-A", "3"],
      ["Authorization", "Bearer secret"],
      ["Cookie", "session=abc"],
      ["X-Env", "prod"],
      ["X-Dark-Launch", "client-value"],
      ["TE", "trailers"],
      ["Proxy-Authorization", "Basic Zm9vOmJhcg=="],
      ["Keep-Alive", "timeout=5"],
      ["Connection", "close"],
    ];
    const raw = await sendRaw(stack.envoy.port, `GET ${path} HTTP/1.1\r\n${sent.map(([k, v]) => `${k}: ${v}\r\n`).join("")}\r\n`);
    assert.equal(rawStatus(raw), 200);
    assert.ok(!raw.toString("latin1").includes(stack.dark.marker!), "dark marker in the downstream bytes");

    const copy = await onlyCopy("/c/copy/item");
    assert.equal(copy.method, "GET");
    assert.equal(copy.path, path);
    assert.equal(copy.body.length, 0);
    const expected: [string, string][] = [
      ["host", "shop.example-shadow:8080"],
      ["user-agent", "darklaunch-test"],
      ["accept", "*/*"],
      ["x-request-id", "req-copy-1"],
      ["traceparent", TRACEPARENT],
      ["tracestate", "vendor=1"],
      ["x-custom-a", "1"],
      ["x-custom-b", "two"],
      ["x-custom-a", "3"],
      ["x-env", "dark"],
      ["x-added", "yes"],
      ["x-dark-launch", "c-copy"],
      ["te", "trailers"],
      ...envoyAddedOnCopy(1000),
    ];
    assert.deepEqual(sortPairs(headerPairs(copy.rawHeaders)), sortPairs(expected));
    // Primary request headers keep their order on the copy.
    const custom = headerPairs(copy.rawHeaders).filter(([k]) => k.startsWith("x-custom-"));
    assert.deepEqual(custom, [
      ["x-custom-a", "1"],
      ["x-custom-b", "two"],
      ["x-custom-a", "3"],
    ]);

    // The primary got the client's request, not the copy's changes.
    const [primary] = stack.primary.requestsTo("/c/copy/item");
    assert.deepEqual(headerValues(primary!.rawHeaders, "x-dark-launch"), ["client-value"]);
    assert.deepEqual(headerValues(primary!.rawHeaders, "authorization"), ["Bearer secret"]);
    assert.deepEqual(headerValues(primary!.rawHeaders, "cookie"), ["session=abc"]);
    assert.deepEqual(headerValues(primary!.rawHeaders, "x-env"), ["prod"]);
    assert.deepEqual(headerValues(primary!.rawHeaders, "x-added"), []);
    assert.deepEqual(headerValues(primary!.rawHeaders, "host"), ["shop.example:8080"]);
  });

  test("x-dark-launch is the rule name when the client sent none", async () => {
    await send(stack.envoy.url, { path: "/c/copy/plain", headers: [["host", "shop.example"]] });
    const copy = await onlyCopy("/c/copy/plain");
    assert.deepEqual(headerValues(copy.rawHeaders, "x-dark-launch"), ["c-copy"]);
    assert.deepEqual(headerValues(copy.rawHeaders, "host"), ["shop.example-shadow"], "authority without a port");
    assert.equal(headerValues(copy.rawHeaders, "x-request-id").length, 1, "Envoy's generated x-request-id is kept");
    const [primary] = stack.primary.requestsTo("/c/copy/plain");
    assert.deepEqual(headerValues(copy.rawHeaders, "x-request-id"), headerValues(primary!.rawHeaders, "x-request-id"));
  });

  test("explicit dark.authority replaces :authority (with or without a port)", async () => {
    await send(stack.envoy.url, { path: "/c/auth/1", headers: [["host", "shop.example:8080"]] });
    await send(stack.envoy.url, { path: "/c/auth/2", headers: [["host", "shop.example"]] });
    for (const p of ["/c/auth/1", "/c/auth/2"]) {
      const copy = await onlyCopy(p);
      assert.deepEqual(headerValues(copy.rawHeaders, "host"), ["checkout-v2"], p);
      assert.deepEqual(headerValues(copy.rawHeaders, "x-envoy-expected-rq-timeout-ms"), ["2500"], `${p}: Envoy adds timeout_ms`);
    }
  });

  test("POST with content-length: same method, path and body; content-length of the body", async () => {
    const body = "name=widget&qty=3";
    await send(stack.envoy.url, {
      method: "POST",
      path: "/c/copy/post-cl?x=1",
      body,
      headers: [["content-type", "application/x-www-form-urlencoded"]],
    });
    const copy = await onlyCopy("/c/copy/post-cl");
    assert.equal(copy.method, "POST");
    assert.equal(copy.path, "/c/copy/post-cl?x=1");
    assert.equal(copy.body.toString(), body);
    assert.deepEqual(headerValues(copy.rawHeaders, "content-length"), [String(body.length)]);
    assert.deepEqual(headerValues(copy.rawHeaders, "content-type"), ["application/x-www-form-urlencoded"]);
  });

  test("chunked POST: the copy carries the whole body with a content-length, not transfer-encoding", async () => {
    const body = randomBytes(40_000); // binary, below the default max_body_bytes (65536)
    await send(stack.envoy.url, { method: "PUT", path: "/c/copy/post-chunked", body, chunked: true });
    const copy = await onlyCopy("/c/copy/post-chunked");
    assert.equal(copy.method, "PUT");
    assert.ok(copy.body.equals(body), "copy body differs from the request body");
    assert.deepEqual(headerValues(copy.rawHeaders, "content-length"), [String(body.length)]);
    assert.deepEqual(headerValues(copy.rawHeaders, "transfer-encoding"), []);
    const [primary] = stack.primary.requestsTo("/c/copy/post-chunked");
    assert.ok(primary!.body.equals(body), "primary body changed");
    assert.deepEqual(headerValues(primary!.rawHeaders, "transfer-encoding"), ["chunked"], "primary keeps chunked");
  });

  test("POST with an empty body: the filter sends no content-length; Envoy's codec adds content-length: 0 on the wire", async () => {
    await send(stack.envoy.url, { method: "POST", path: "/c/copy/post-empty", body: "" });
    const copy = await onlyCopy("/c/copy/post-empty");
    assert.equal(copy.body.length, 0);
    const pairs = headerPairs(copy.rawHeaders);
    assert.deepEqual(
      pairs.filter(([k]) => k === "content-length"),
      [["content-length", "0"]],
    );
    // Envoy's HTTP/1 codec writes it after every header the filter gave it.
    assert.deepEqual(pairs[pairs.length - 1], ["content-length", "0"]);
  });

  test("a request with 90 headers is copied with every one of them, in order", async () => {
    // Envoy takes at most 100 headers per request (max_headers_count) and the Node upstreams
    // 16 KiB of headers: stay below both.
    const many: [string, string][] = Array.from({ length: 90 }, (_, i) => [`x-h-${String(i).padStart(3, "0")}`, `v${i}-${"z".repeat(i)}`]);
    const res = await send(stack.envoy.url, { path: "/c/copy/many", headers: many });
    assert.equal(res.status, 200);
    const copy = await onlyCopy("/c/copy/many");
    assert.deepEqual(
      headerPairs(copy.rawHeaders).filter(([k]) => k.startsWith("x-h-")),
      many,
    );
  });

  test("HEAD is copied as HEAD", async () => {
    const res = await send(stack.envoy.url, { method: "HEAD", path: "/c/head/1" });
    assert.equal(res.status, 200);
    const copy = await onlyCopy("/c/head/1");
    assert.equal(copy.method, "HEAD");
  });

  test("the dark response never reaches the client: no marker in any downstream byte (GET, POST, HEAD, keep-alive)", async () => {
    const marker = stack.dark.marker!;
    const requests = [
      "GET /c/copy/m1 HTTP/1.1\r\nhost: a\r\n\r\n",
      "POST /c/copy/m2 HTTP/1.1\r\nhost: a\r\ncontent-length: 5\r\n\r\nhello",
      "HEAD /c/head/m3 HTTP/1.1\r\nhost: a\r\n\r\n",
      "GET /c/auth/m4 HTTP/1.1\r\nhost: a\r\nconnection: close\r\n\r\n",
    ];
    const raw = await sendRaw(stack.envoy.port, requests.join(""));
    await stack.dark.waitForRequests("/c/copy/m", 2);
    await stack.dark.waitForRequests("/c/head/m3", 1);
    await stack.dark.waitForRequests("/c/auth/m4", 1);
    const text = raw.toString("latin1");
    assert.equal((text.match(/HTTP\/1\.1 200/g) ?? []).length, 4, text);
    assert.ok(!text.includes(marker), "dark marker in the downstream bytes");
    assert.ok(!text.toLowerCase().includes(DARK_MARKER_HEADER), "dark marker header in the downstream bytes");
    assert.ok(!text.includes("DARK-MARKER"), "a dark body in the downstream bytes");
  });

  test("invariants after the copy tests", async () => {
    for (const rule of ["c-copy", "c-auth", "c-head"]) await assertInvariants(stack.envoy.adminUrl, rule);
  });
});

/** Primary scripts with a range of answers, the same for the baseline and the filtered Envoy. */
const BIG = Buffer.from(Array.from({ length: 300_000 }, (_, i) => String.fromCharCode(97 + (i % 26))).join(""));
const PRIMARY_SCRIPTS = {
  "/id/404": { status: 404, body: "not here" },
  "/id/500": { status: 500, body: "boom", headers: { "x-error": "1" } },
  "/id/big": { body: BIG },
  "/id/chunked": { body: "chunk-one|chunk-two", chunked: true },
  "/id/cookies": { headers: { "set-cookie": ["a=1; Path=/", "b=2; HttpOnly"], "cache-control": "no-store" } },
  "/id/empty": { status: 204, body: "" },
  "/id/redirect": { status: 302, headers: { location: "/id/plain" }, body: "" },
  "/id/slow": { delayMs: 100, body: "slow" },
};

const IDENTITY_REQUESTS: ClientRequest[] = [
  { path: "/id/plain" },
  { path: "/id/plain?q=1&r=%20" },
  { path: "/id/404" },
  { path: "/id/500" },
  { path: "/id/big" },
  { path: "/id/chunked" },
  { path: "/id/cookies", headers: [["cookie", "x=1"]] },
  { path: "/id/empty" },
  { path: "/id/redirect" },
  { path: "/id/slow" },
  { method: "HEAD", path: "/id/plain" },
  { method: "POST", path: "/id/post", body: "a=1&b=2" },
  { method: "POST", path: "/id/post-chunked", body: "x".repeat(70_000), chunked: true },
  { method: "PUT", path: "/id/put", body: "{}", headers: [["content-type", "application/json"]] },
  { method: "DELETE", path: "/id/delete" },
];

const IGNORED_RESPONSE_HEADERS = new Set(["date", "x-envoy-upstream-service-time"]);

function comparable(res: ClientResponse): { status: number; headers: [string, string][]; body: string } {
  return {
    status: res.status,
    headers: headerPairs(res.rawHeaders).filter(([k]) => !IGNORED_RESPONSE_HEADERS.has(k)),
    body: res.body.toString("base64"),
  };
}

describe("primary responses are identical with and without the filter", () => {
  let baseline: Stack;
  let filtered: Stack;
  before(async () => {
    baseline = await startStack({ filterConfig: null, primaryScripts: PRIMARY_SCRIPTS });
    filtered = await startStack({
      primaryScripts: PRIMARY_SCRIPTS,
      filterConfig: {
        rules: [prefixRule("c-identity", "/id", { methods: ["GET", "HEAD", "POST", "PUT", "DELETE"], dark: { max_body_bytes: 100_000 } })],
      },
    });
  });
  after(async () => {
    await filtered?.stop();
    await baseline?.stop();
  });

  test("status, headers (except date, x-envoy-upstream-service-time) and body match on a range of requests", async () => {
    for (const req of IDENTITY_REQUESTS) {
      const a = await send(baseline.envoy.url, req);
      const b = await send(filtered.envoy.url, req);
      assert.deepEqual(comparable(b), comparable(a), `${req.method ?? "GET"} ${req.path}`);
    }
    // The filter really was at work: every request was mirrored.
    await filtered.dark.waitForRequests("/id", IDENTITY_REQUESTS.length);
    const s = await assertInvariants(filtered.envoy.adminUrl, "c-identity");
    assert.equal(s.mirrored, IDENTITY_REQUESTS.length);
  });

  test("the primary upstream receives the same requests with and without the filter", async () => {
    const strip = (r: RecordedRequest): unknown => ({
      method: r.method,
      path: r.path,
      headers: headerPairs(r.rawHeaders).filter(([k]) => k !== "x-request-id" && k !== "host"),
      body: r.body.toString("base64"),
    });
    assert.deepEqual(filtered.primary.requests.map(strip), baseline.primary.requests.map(strip));
  });
});
