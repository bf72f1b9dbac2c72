// The sample document's schema (tools/darklaunch/schema/sample.schema.json): the examples in
// docs/samples.md are the fixtures and are valid; broken documents are refused with each problem
// named by its JSON path.

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { validateSample } from "../../tools/darklaunch/src/samples/document.js";
import { PROJECT_ROOT } from "../../tools/lib/envoy.js";
import { noiseResponse, response, sampleDoc } from "./samples.js";

const FIXTURES = join(PROJECT_ROOT, "test", "collector", "fixtures");
const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(FIXTURES, name), "utf8")) as Record<string, unknown>;

test("the examples in docs/samples.md are the fixtures, and every fixture is valid", () => {
  const names = readdirSync(FIXTURES)
    .filter((n) => n.endsWith(".json"))
    .sort();
  assert.equal(names.length, 3);
  for (const name of names) {
    const v = validateSample(fixture(name));
    assert.ok(v.ok, `${name}: ${JSON.stringify(v)}`);
  }
  const page = readFileSync(join(PROJECT_ROOT, "docs", "samples.md"), "utf8");
  const examples = [...page.matchAll(/```json\n([\s\S]*?)\n```/g)]
    .map((m) => JSON.parse(m[1]!) as Record<string, unknown>)
    .filter((doc) => doc.version === 1);
  assert.deepEqual(examples, [
    fixture("body-mismatch-with-noise.json"),
    fixture("status-mismatch-text.json"),
    fixture("grpc-baseline-noise-incomplete.json"),
  ]);
});

test("broken documents are refused, each problem named by its JSON path", () => {
  const good = sampleDoc({ noise: noiseResponse({ total: "10.00" }, "match", []) });
  assert.ok(validateSample(good).ok);
  const cases: [string, unknown, string[]][] = [
    ["no rule", (({ rule: _, ...rest }) => rest)(good), ["rule: missing"]],
    ["another version", { ...good, version: 2 }, ["version: must be 1"]],
    [
      "a rule name the configuration would refuse",
      { ...good, rule: "Checkout v2" },
      ["rule: must be a rule name (a-z, 0-9, _ and -, 1 to 48 characters)"],
    ],
    [
      "a time with an offset",
      { ...good, time: "2026-11-26T10:47:49+01:00" },
      ["time: must be an RFC 3339 time in UTC (2026-11-26T09:47:49.891Z)"],
    ],
    ["a time that does not exist", { ...good, time: "2026-02-30T09:47:49Z" }, ['time: must match format "date-time"']],
    ["a query string", { ...good, path: "/api/cart?user=42" }, ["path: must start with / (or be *) and carry no query string"]],
    ["a method with a space", { ...good, method: "GET /" }, ["method: must be an HTTP method (a token of 1 to 32 characters)"]],
    ["six paths", { ...good, paths: ["a", "b", "c", "d", "e", "f"] }, ["paths: must NOT have more than 5 items"]],
    ["a path twice", { ...good, paths: ["a", "a"] }, ["paths: must NOT have duplicate items (items ## 1 and 0 are identical)"]],
    [
      "a path longer than the comparator writes (63 bytes, or cut with ...)",
      { ...good, paths: ["a".repeat(67)] },
      ["paths[0]: must NOT have more than 66 characters"],
    ],
    ["paths on a match", { ...good, part: "match", paths: ["total"] }, ["paths: must NOT have more than 0 items"]],
    ["an unknown part", { ...good, part: "trailers" }, ['part: must be one of "status", "headers", "body", "match"']],
    ["a status out of range", { ...good, dark: { ...good.dark, status: 600 } }, ["dark.status: must be <= 599"]],
    [
      "a header name in upper case",
      { ...good, primary: { ...good.primary, headers: { "Content-Type": "application/json" } } },
      ['primary.headers: header name "Content-Type" must be a lower-case HTTP token'],
    ],
    [
      "a header value that is not a string",
      { ...good, primary: { ...good.primary, headers: { "x-count": 3 } } },
      ["primary.headers.x-count: must be string"],
    ],
    ["base64 flag on text", { ...good, dark: { ...good.dark, body_base64: true } }, ["dark.body: is not base64 (body_base64 is true)"]],
    ["request headers", { ...good, request_headers: { cookie: "session=1" } }, ["request_headers: unknown field"]],
    ["a query field", { ...good, query: "user=42" }, ["query: unknown field"]],
    ["a response without flags", { ...good, primary: (({ truncated: _, ...rest }) => rest)(response({})) }, ["primary.truncated: missing"]],
    ["an x-request-id that is a number", { ...good, x_request_id: 42 }, ["x_request_id: must be string or null"]],
    ["noise without its comparison", { ...good, noise: response({}) }, ["noise.part: missing", "noise.paths: missing"]],
    [
      "noise paths on a noise match",
      { ...good, noise: noiseResponse({}, "match", ["a"]) },
      ["noise.paths: must NOT have more than 0 items"],
    ],
    ["an incomplete noise call with a body", { ...good, noise: { part: "incomplete", body: "" } }, ["noise.body: unknown field"]],
    ["not an object", [good], ["(document): must be object"]],
  ];
  for (const [name, doc, problems] of cases) {
    const v = validateSample(doc);
    assert.equal(v.ok, false, name);
    assert.deepEqual(!v.ok && v.problems, problems, name);
  }
});
