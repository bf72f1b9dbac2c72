// gRPC responses (contract §2.5): recognising them, the status mapping, and what comparison makes of them.
import { Compare } from "../darklaunch/config";
import { compareResponses, Outcome, ResponseSummary } from "../darklaunch/compare";
import { httpStatusOfGrpc, isGrpcContentType, parseGrpcStatus } from "../darklaunch/grpc";
import { headerMap, ruleOf, utf8 } from "./helpers";

function grpcType(s: string): bool {
  const b = utf8(s);
  return isGrpcContentType(changetype<usize>(b), b.byteLength);
}

function code(s: string): i32 {
  const b = utf8(s);
  return parseGrpcStatus(changetype<usize>(b), b.byteLength);
}

function compareOf(compareJson: string): Compare {
  return ruleOf('{"name":"g","methods":["POST"],"dark":{"cluster":"v2"},"compare":' + compareJson + "}").compare;
}

/** A complete response from headers and (possibly empty) trailers, as the filter reads one. */
function response(compare: Compare, headers: string[], trailers: string[]): ResponseSummary {
  const s = new ResponseSummary(compare);
  s.takeHeaders(compare, headerMap(headers));
  if (trailers.length > 0 && s.wantsTrailers()) s.takeTrailers(compare, headerMap(trailers));
  s.settleStatus();
  s.complete = true;
  return s;
}

const GRPC: string[] = [":status", "200", "content-type", "application/grpc"];

describe("isGrpcContentType", () => {
  test("application/grpc and its +suffix and parameter forms are gRPC", () => {
    expect(grpcType("application/grpc")).toBe(true);
    expect(grpcType("application/grpc+proto")).toBe(true);
    expect(grpcType("application/grpc;charset=utf-8")).toBe(true);
    expect(grpcType("Application/GRPC")).toBe(true);
  });
  test("gRPC-Web and other types are not", () => {
    expect(grpcType("application/grpc-web")).toBe(false);
    expect(grpcType("application/grpc-web+proto")).toBe(false);
    expect(grpcType("application/grpc-web-text")).toBe(false);
    expect(grpcType("application/json")).toBe(false);
    expect(grpcType("application/grp")).toBe(false);
    expect(grpcType("")).toBe(false);
  });
});

describe("httpStatusOfGrpc: the contract's table (Envoy's mapping)", () => {
  test("maps each of the 17 codes", () => {
    const expected: i32[] = [200, 499, 500, 400, 504, 404, 409, 403, 429, 400, 409, 400, 501, 500, 503, 500, 401];
    for (let c = 0; c < expected.length; c++) expect(httpStatusOfGrpc(c)).toBe(expected[c]);
  });
  test("maps codes outside 0..16 to 500", () => {
    expect(httpStatusOfGrpc(17)).toBe(500);
    expect(httpStatusOfGrpc(1000)).toBe(500);
  });
  test("parseGrpcStatus takes decimal digits only", () => {
    expect(code("0")).toBe(0);
    expect(code("14")).toBe(14);
    expect(code("")).toBe(-1);
    expect(code(" 1")).toBe(-1);
    expect(code("OK")).toBe(-1);
    expect(code("99999999999")).toBe(-1);
  });
});

describe("gRPC responses in ResponseSummary", () => {
  test("the status comes from grpc-status in the trailers", () => {
    const c = compareOf("{}");
    const r = response(c, GRPC, ["grpc-status", "13", "grpc-message", "boom"]);
    expect(r.grpc).toBe(true);
    expect(r.grpcStatus).toBe(13);
    expect(r.status).toBe(500);
  });
  test("a trailers-only response carries grpc-status in its headers", () => {
    const c = compareOf("{}");
    const r = response(c, [":status", "200", "content-type", "application/grpc", "grpc-status", "14"], []);
    expect(r.status).toBe(503);
    expect(r.wantsTrailers()).toBe(false);
  });
  test("a gRPC response without grpc-status counts as 500", () => {
    const c = compareOf("{}");
    const r = response(c, GRPC, []);
    expect(r.grpcStatus).toBe(-1);
    expect(r.status).toBe(500);
  });
  test("a non-numeric grpc-status counts as missing", () => {
    const c = compareOf("{}");
    expect(response(c, GRPC, ["grpc-status", "INTERNAL"]).status).toBe(500);
  });
  test("the status is final only once grpc-status is known or the response is over", () => {
    const c = compareOf("{}");
    const s = new ResponseSummary(c);
    s.takeHeaders(c, headerMap(GRPC));
    expect(s.statusFinal).toBe(false);
    expect(s.wantsTrailers()).toBe(true);
    s.takeTrailers(c, headerMap(["grpc-status", "0"]));
    expect(s.statusFinal).toBe(true);
    expect(s.status).toBe(200);
  });
  test("an HTTP response's status is final at its headers", () => {
    const c = compareOf("{}");
    const s = new ResponseSummary(c);
    s.takeHeaders(c, headerMap([":status", "503", "content-type", "text/plain", "grpc-status", "0"]));
    expect(s.grpc).toBe(false);
    expect(s.statusFinal).toBe(true);
    expect(s.status).toBe(503);
  });
});

describe("comparing gRPC responses", () => {
  test("OK vs OK matches", () => {
    const c = compareOf("{}");
    expect(compareResponses(c, response(c, GRPC, ["grpc-status", "0"]), response(c, GRPC, ["grpc-status", "0"]))).toBe(Outcome.Match);
  });
  test("OK vs INTERNAL in trailers is a status mismatch", () => {
    const c = compareOf("{}");
    expect(compareResponses(c, response(c, GRPC, ["grpc-status", "0"]), response(c, GRPC, ["grpc-status", "13"]))).toBe(Outcome.MismatchStatus);
  });
  test("two codes that map to the same HTTP status still differ (3 vs 11)", () => {
    const c = compareOf("{}");
    const p = response(c, GRPC, ["grpc-status", "3"]);
    const d = response(c, GRPC, ["grpc-status", "11"]);
    expect(p.status).toBe(d.status);
    expect(compareResponses(c, p, d)).toBe(Outcome.MismatchStatus);
  });
  test("a gRPC OK and a plain HTTP 200 differ", () => {
    const c = compareOf("{}");
    expect(compareResponses(c, response(c, GRPC, ["grpc-status", "0"]), response(c, [":status", "200"], []))).toBe(Outcome.MismatchStatus);
  });
  test("with status off, different codes match", () => {
    const c = compareOf('{"status":false}');
    expect(compareResponses(c, response(c, GRPC, ["grpc-status", "0"]), response(c, GRPC, ["grpc-status", "13"]))).toBe(Outcome.Match);
  });
  test("compare.headers looks in the trailers for names the headers lack (grpc-message)", () => {
    const c = compareOf('{"headers":["grpc-message"]}');
    const a = response(c, GRPC, ["grpc-status", "0", "grpc-message", "done"]);
    const b = response(c, GRPC, ["grpc-status", "0", "grpc-message", "done"]);
    const other = response(c, GRPC, ["grpc-status", "0", "grpc-message", "other"]);
    const none = response(c, GRPC, ["grpc-status", "0"]);
    expect(compareResponses(c, a, b)).toBe(Outcome.Match);
    expect(compareResponses(c, a, other)).toBe(Outcome.MismatchHeaders);
    expect(compareResponses(c, a, none)).toBe(Outcome.MismatchHeaders);
  });
  test("a header found in the headers is not overridden by a trailer of the same name", () => {
    const c = compareOf('{"headers":["x-v"]}');
    const a = response(c, [":status", "200", "x-v", "1"], ["x-v", "2"]);
    const b = response(c, [":status", "200", "x-v", "1"], []);
    expect(compareResponses(c, a, b)).toBe(Outcome.Match);
  });
});
