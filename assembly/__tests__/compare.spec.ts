// Comparison of the primary and dark responses: status classes, header digests, body hashes, verdicts.
import { HeaderMap } from "proxy-wasm-sdk-as/assembly/headers";
import { Compare } from "../darklaunch/config";
import { compareResponses, Outcome, parseStatus, ResponseSummary, statusClass } from "../darklaunch/compare";
import { compareOf, headerMap, utf8 } from "./helpers";

function status(s: string): i32 {
  const b = utf8(s);
  return parseStatus(changetype<usize>(b), b.byteLength);
}

/** A summary of a response with `code`, headers `pairs` and `body` sent in one chunk. */
function summary(compare: Compare, code: i32, pairs: string[], body: string): ResponseSummary {
  const s = new ResponseSummary(compare);
  const all: string[] = [":status", code.toString()];
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    if (pairs[i] == ":status") continue;
    all.push(pairs[i]);
    all.push(pairs[i + 1]);
  }
  const map: HeaderMap = headerMap(all);
  s.takeHeaders(compare, map);
  const b = utf8(body);
  s.body.write(changetype<usize>(b), b.byteLength);
  s.complete = true;
  return s;
}

/** The outcome for two responses differing as given, under `compareJson`. */
function outcome(compareJson: string, pCode: i32, pPairs: string[], pBody: string, dCode: i32, dPairs: string[], dBody: string): Outcome {
  const c = compareOf(compareJson);
  return compareResponses(c, summary(c, pCode, pPairs, pBody), summary(c, dCode, dPairs, dBody));
}

const CT_JSON: string[] = [":status", "200", "content-type", "application/json"];
const CT_HTML: string[] = [":status", "200", "content-type", "text/html"];
const WITH_CT = '{"headers":["content-type"]}';

describe("statusClass", () => {
  test("2xx is class 0", () => {
    expect(statusClass(200)).toBe(0);
    expect(statusClass(204)).toBe(0);
    expect(statusClass(299)).toBe(0);
  });

  test("3xx is class 1", () => {
    expect(statusClass(300)).toBe(1);
    expect(statusClass(304)).toBe(1);
    expect(statusClass(399)).toBe(1);
  });

  test("4xx is class 2", () => {
    expect(statusClass(400)).toBe(2);
    expect(statusClass(404)).toBe(2);
    expect(statusClass(499)).toBe(2);
  });

  test("5xx is class 3", () => {
    expect(statusClass(500)).toBe(3);
    expect(statusClass(503)).toBe(3);
    expect(statusClass(599)).toBe(3);
  });

  test("below 200 counts as 2xx and 600 or more as 5xx", () => {
    expect(statusClass(100)).toBe(0);
    expect(statusClass(101)).toBe(0);
    expect(statusClass(600)).toBe(3);
    expect(statusClass(999)).toBe(3);
  });
});

describe("parseStatus", () => {
  test("parses three-digit codes", () => {
    expect(status("200")).toBe(200);
    expect(status("404")).toBe(404);
    expect(status("503")).toBe(503);
  });

  test("parses the ends of the valid range", () => {
    expect(status("100")).toBe(100);
    expect(status("599")).toBe(599);
  });

  test("is -1 for an empty value", () => {
    expect(status("")).toBe(-1);
  });

  test("is -1 for non-digits", () => {
    expect(status("2a0")).toBe(-1);
    expect(status("OK")).toBe(-1);
    expect(status("-1")).toBe(-1);
    expect(status("+200")).toBe(-1);
  });

  test("is -1 with surrounding spaces", () => {
    expect(status(" 200")).toBe(-1);
    expect(status("200 ")).toBe(-1);
  });

  test("is -1 for more than four digits", () => {
    expect(status("12345")).toBe(-1);
  });
});

describe("ResponseSummary.takeHeaders", () => {
  test("records the status", () => {
    const c = compareOf("{}");
    expect(summary(c, 404, [":status", "404"], "").status).toBe(404);
  });

  test("keeps one digest per compared header", () => {
    const c = compareOf('{"headers":["content-type","etag"]}');
    expect(summary(c, 200, CT_JSON, "").headerDigests.length).toBe(2);
  });

  test("equal values give equal digests", () => {
    const c = compareOf(WITH_CT);
    expect(summary(c, 200, CT_JSON, "").headerDigests[0]).toBe(summary(c, 200, CT_JSON, "").headerDigests[0]);
  });

  test("different values give different digests", () => {
    const c = compareOf(WITH_CT);
    expect(summary(c, 200, CT_JSON, "").headerDigests[0]).not.toBe(summary(c, 200, CT_HTML, "").headerDigests[0]);
  });

  test("values are compared case-sensitively", () => {
    const c = compareOf(WITH_CT);
    const upper = summary(c, 200, [":status", "200", "content-type", "Application/JSON"], "");
    expect(summary(c, 200, CT_JSON, "").headerDigests[0]).not.toBe(upper.headerDigests[0]);
  });

  test("two absent headers give equal digests", () => {
    const c = compareOf(WITH_CT);
    const a = summary(c, 200, [":status", "200"], "");
    const b = summary(c, 200, [":status", "200", "x-other", "1"], "");
    expect(a.headerDigests[0]).toBe(b.headerDigests[0]);
  });

  test("an absent header differs from a present empty one", () => {
    const c = compareOf(WITH_CT);
    const absent = summary(c, 200, [":status", "200"], "");
    const empty = summary(c, 200, [":status", "200", "content-type", ""], "");
    expect(absent.headerDigests[0]).not.toBe(empty.headerDigests[0]);
  });

  test("repeated headers count as their values joined by a comma", () => {
    const c = compareOf('{"headers":["vary"]}');
    const repeated = summary(c, 200, [":status", "200", "vary", "accept", "vary", "origin"], "");
    const joined = summary(c, 200, [":status", "200", "vary", "accept,origin"], "");
    expect(repeated.headerDigests[0]).toBe(joined.headerDigests[0]);
  });

  test("a repeated header differs from its first value alone", () => {
    const c = compareOf('{"headers":["vary"]}');
    const repeated = summary(c, 200, [":status", "200", "vary", "accept", "vary", "origin"], "");
    const single = summary(c, 200, [":status", "200", "vary", "accept"], "");
    expect(repeated.headerDigests[0]).not.toBe(single.headerDigests[0]);
  });

  test("the order of repeated values matters", () => {
    const c = compareOf('{"headers":["vary"]}');
    const ab = summary(c, 200, [":status", "200", "vary", "accept", "vary", "origin"], "");
    const ba = summary(c, 200, [":status", "200", "vary", "origin", "vary", "accept"], "");
    expect(ab.headerDigests[0]).not.toBe(ba.headerDigests[0]);
  });

  test("response header names are matched case-insensitively", () => {
    const c = compareOf(WITH_CT);
    const mixed = summary(c, 200, [":status", "200", "Content-Type", "application/json"], "");
    expect(mixed.headerDigests[0]).toBe(summary(c, 200, CT_JSON, "").headerDigests[0]);
    expect(mixed.headerDigests[0]).not.toBe(summary(c, 200, [":status", "200"], "").headerDigests[0]);
  });

  test("configured names are matched case-insensitively", () => {
    const upper = compareOf('{"headers":["Content-Type"]}');
    const lower = compareOf(WITH_CT);
    expect(summary(upper, 200, CT_JSON, "").headerDigests[0]).toBe(summary(lower, 200, CT_JSON, "").headerDigests[0]);
    expect(summary(upper, 200, CT_JSON, "").headerDigests[0]).not.toBe(summary(upper, 200, [":status", "200"], "").headerDigests[0]);
  });

  test("headers not listed do not affect the digests", () => {
    const c = compareOf(WITH_CT);
    const extra = summary(c, 200, [":status", "200", "content-type", "application/json", "date", "Tue"], "");
    expect(extra.headerDigests[0]).toBe(summary(c, 200, CT_JSON, "").headerDigests[0]);
  });
});

describe("compareResponses", () => {
  test("equal responses match", () => {
    expect(outcome(WITH_CT, 200, CT_JSON, "{}", 200, CT_JSON, "{}")).toBe(Outcome.Match);
  });

  test("responses differing only in headers not compared match", () => {
    expect(outcome(WITH_CT, 200, CT_JSON, "{}", 200, [":status", "200", "content-type", "application/json", "x-v", "2"], "{}")).toBe(
      Outcome.Match,
    );
  });

  test("a different status is a status mismatch", () => {
    expect(outcome(WITH_CT, 200, CT_JSON, "{}", 500, CT_JSON, "{}")).toBe(Outcome.MismatchStatus);
  });

  test("a different compared header is a headers mismatch", () => {
    expect(outcome(WITH_CT, 200, CT_JSON, "{}", 200, CT_HTML, "{}")).toBe(Outcome.MismatchHeaders);
  });

  test("a compared header present on one side only is a headers mismatch", () => {
    expect(outcome(WITH_CT, 200, CT_JSON, "{}", 200, [":status", "200"], "{}")).toBe(Outcome.MismatchHeaders);
  });

  test("a different body is a body mismatch", () => {
    expect(outcome(WITH_CT, 200, CT_JSON, '{"v":1}', 200, CT_JSON, '{"v":2}')).toBe(Outcome.MismatchBody);
  });

  test("an empty body differs from a non-empty one", () => {
    expect(outcome("{}", 200, CT_JSON, "", 200, CT_JSON, "x")).toBe(Outcome.MismatchBody);
  });

  test("status is reported first when everything differs", () => {
    expect(outcome(WITH_CT, 200, CT_JSON, "a", 503, CT_HTML, "b")).toBe(Outcome.MismatchStatus);
  });

  test("headers are reported before body", () => {
    expect(outcome(WITH_CT, 200, CT_JSON, "a", 200, CT_HTML, "b")).toBe(Outcome.MismatchHeaders);
  });

  test("with status off, a status difference is ignored and headers come first", () => {
    const off = '{"status":false,"headers":["content-type"]}';
    expect(outcome(off, 200, CT_JSON, "a", 503, CT_JSON, "a")).toBe(Outcome.Match);
    expect(outcome(off, 200, CT_JSON, "a", 503, CT_HTML, "b")).toBe(Outcome.MismatchHeaders);
  });

  test("with body off, a body difference is ignored", () => {
    const off = '{"body":false,"headers":["content-type"]}';
    expect(outcome(off, 200, CT_JSON, "a", 200, CT_JSON, "b")).toBe(Outcome.Match);
    expect(outcome(off, 200, CT_JSON, "a", 500, CT_JSON, "b")).toBe(Outcome.MismatchStatus);
  });

  test("with no headers listed, header differences are ignored and body comes after status", () => {
    expect(outcome("{}", 200, CT_JSON, "a", 200, CT_HTML, "a")).toBe(Outcome.Match);
    expect(outcome("{}", 200, CT_JSON, "a", 200, CT_HTML, "b")).toBe(Outcome.MismatchBody);
  });

  test("with every part off, any two responses match", () => {
    expect(outcome('{"status":false,"body":false}', 200, CT_JSON, "a", 500, CT_HTML, "b")).toBe(Outcome.Match);
  });

  test("the second of two compared headers is compared too", () => {
    const two = '{"headers":["content-type","etag"]}';
    const p = [":status", "200", "content-type", "text/html", "etag", '"1"'];
    const d = [":status", "200", "content-type", "text/html", "etag", '"2"'];
    expect(outcome(two, 200, p, "a", 200, d, "a")).toBe(Outcome.MismatchHeaders);
    expect(outcome(two, 200, p, "a", 200, p, "a")).toBe(Outcome.Match);
  });
});

describe("body hashes in compareResponses", () => {
  test("split bodies compare as equal in compareResponses", () => {
    const c = compareOf("{}");
    const p = new ResponseSummary(c);
    const d = new ResponseSummary(c);
    p.takeHeaders(c, headerMap([":status", "200"]));
    d.takeHeaders(c, headerMap([":status", "200"]));
    const chunksP = ["ab", "cdef", "g"];
    const chunksD = ["a", "bcd", "efg"];
    for (let i = 0; i < chunksP.length; i++) {
      const b = utf8(chunksP[i]);
      p.body.write(changetype<usize>(b), b.byteLength);
    }
    for (let i = 0; i < chunksD.length; i++) {
      const b = utf8(chunksD[i]);
      d.body.write(changetype<usize>(b), b.byteLength);
    }
    expect(compareResponses(c, p, d)).toBe(Outcome.Match);
  });
});
