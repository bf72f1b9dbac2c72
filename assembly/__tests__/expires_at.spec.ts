// Time-boxed rules (contract §2, `expires_at`): the RFC 3339 parser, the configuration's
// validation with its path-named message, and the expired gate's place in the gate order
// (disabled → expired → method → sample).
import { NEVER_EXPIRES } from "../darklaunch/config";
import { parseConfigString } from "../darklaunch/config_parse";
import { NOT_A_TIME, parseRfc3339 } from "../darklaunch/rfc3339";
import { gateRequest } from "../darklaunch/rules";
import { Xorshift64 } from "../darklaunch/sampling";
import { Skip } from "../darklaunch/skip";
import { configOf, headerMap } from "./helpers";

function withRule(fields: string): string {
  return '{"rules":[{"name":"r","dark":{"cluster":"c"}' + (fields.length > 0 ? "," + fields : "") + "}]}";
}

function problems(json: string): string {
  const result = parseConfigString(json);
  return result.config !== null ? "accepted" : result.errors.join("\n");
}

const GET: string[] = [":method", "GET", ":path", "/", ":authority", "shop"];
const POST: string[] = [":method", "POST", ":path", "/", ":authority", "shop"];

// 2026-12-31T00:00:00Z in ms since the epoch (Date.UTC(2026, 11, 31) in JavaScript).
const END_2026: i64 = 1798675200000;

describe("rfc3339", () => {
  test("UTC times, to the millisecond", () => {
    expect(parseRfc3339("1970-01-01T00:00:00Z")).toBe(0);
    expect(parseRfc3339("2026-12-31T00:00:00Z")).toBe(END_2026);
    expect(parseRfc3339("2026-12-31T00:00:00.250Z")).toBe(END_2026 + 250);
    expect(parseRfc3339("2026-12-31T00:00:00.1Z")).toBe(END_2026 + 100);
    expect(parseRfc3339("2026-12-31T00:00:00.123456789Z")).toBe(END_2026 + 123);
    expect(parseRfc3339("2000-02-29T12:34:56Z")).toBe(951827696000); // a leap day (Date.UTC)
    expect(parseRfc3339("1969-12-31T23:59:59Z")).toBe(-1000);
  });

  test("offsets: the same instant written in other zones; t and z as the RFC allows", () => {
    expect(parseRfc3339("2026-12-31T01:00:00+01:00")).toBe(END_2026);
    expect(parseRfc3339("2026-12-30T19:30:00-04:30")).toBe(END_2026);
    expect(parseRfc3339("2026-12-31t00:00:00z")).toBe(END_2026);
    expect(parseRfc3339("2026-12-31T00:00:00+00:00")).toBe(END_2026);
  });

  test("a leap second is accepted (it reads as the next second)", () => {
    expect(parseRfc3339("2016-12-31T23:59:60Z")).toBe(parseRfc3339("2017-01-01T00:00:00Z"));
  });

  test("anything else is not a time", () => {
    const bad: string[] = [
      "", "2026-12-31", "2026-12-31T00:00:00", "2026-12-31 00:00:00Z", "2026-12-31T00:00Z",
      "2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z", "2026-02-29T00:00:00Z", "2026-04-31T00:00:00Z",
      "2026-12-31T24:00:00Z", "2026-12-31T00:60:00Z", "2026-12-31T00:00:61Z", "2026-12-31T00:00:00.Z",
      "2026-12-31T00:00:00+0100", "2026-12-31T00:00:00+24:00", "2026-12-31T00:00:00Z ", "26-12-31T00:00:00Z",
      "2026/12/31T00:00:00Z", "tomorrow", "2026-12-31T00:00:00UTC",
    ];
    for (let i = 0; i < bad.length; i++) expect(parseRfc3339(bad[i])).toBe(NOT_A_TIME, bad[i]);
  });
});

describe("config: expires_at", () => {
  test("optional: a rule without it never expires", () => {
    expect(configOf(withRule("")).rules[0].expiresAtMs).toBe(NEVER_EXPIRES);
  });

  test("an RFC 3339 time is read as milliseconds since the epoch", () => {
    expect(configOf(withRule('"expires_at":"2026-12-31T01:00:00+01:00"')).rules[0].expiresAtMs).toBe(END_2026);
  });

  test("a time in the past is valid (the rule is simply expired)", () => {
    expect(problems(withRule('"expires_at":"2001-01-01T00:00:00Z"'))).toBe("accepted");
  });

  test("not a time, or not a string: refused with its path", () => {
    expect(problems(withRule('"expires_at":"2026-12-31"'))).toBe(
      'rules[0].expires_at: must be an RFC 3339 time such as "2026-12-31T00:00:00Z" (got "2026-12-31")',
    );
    expect(problems(withRule('"expires_at":1798675200'))).toBe(
      'rules[0].expires_at: must be an RFC 3339 time such as "2026-12-31T00:00:00Z" (got 1798675200)',
    );
    expect(problems(withRule('"expires_at":null'))).toBe(
      'rules[0].expires_at: must be an RFC 3339 time such as "2026-12-31T00:00:00Z" (got null)',
    );
  });

  test("a misspelt key is an unknown key, never a rule that does not expire", () => {
    expect(problems(withRule('"expire_at":"2026-12-31T00:00:00Z"'))).toBe("rules[0].expire_at: unknown key");
  });
});

describe("gateRequest: the expired gate", () => {
  test("before expires_at: mirrored; from that very millisecond on: expired", () => {
    const config = configOf(withRule('"expires_at":"2026-12-31T00:00:00Z"'));
    expect(gateRequest(config, config.rules[0], headerMap(GET), new Xorshift64(1), END_2026 - 1)).toBe(Skip.None);
    expect(gateRequest(config, config.rules[0], headerMap(GET), new Xorshift64(1), END_2026)).toBe(Skip.Expired);
    expect(gateRequest(config, config.rules[0], headerMap(GET), new Xorshift64(1), END_2026 + 86400000)).toBe(Skip.Expired);
  });

  test("disabled comes before expired; expired before method and sample", () => {
    const off = configOf('{"enabled":false,"rules":[{"name":"r","dark":{"cluster":"c"},"expires_at":"2001-01-01T00:00:00Z"}]}');
    expect(gateRequest(off, off.rules[0], headerMap(GET), new Xorshift64(1), END_2026)).toBe(Skip.Disabled);
    const sampled = configOf(withRule('"expires_at":"2001-01-01T00:00:00Z","sample":{"percent":0}'));
    expect(gateRequest(sampled, sampled.rules[0], headerMap(POST), new Xorshift64(1), END_2026)).toBe(Skip.Expired);
  });

  test("a rule without expires_at never expires, whatever the clock", () => {
    const plain = configOf(withRule(""));
    expect(gateRequest(plain, plain.rules[0], headerMap(GET), new Xorshift64(1), i64.MAX_VALUE - 1)).toBe(Skip.None);
  });
});
