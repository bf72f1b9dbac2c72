import { checkJsonBuffer, findJsonProblemInBuffer, JsonProblem, MAX_JSON_BYTES } from "../darklaunch/json_check";

/** The checker's verdict on `text` (UTF-8 encoded): its message, or "ok". */
function check(text: string): string {
  return verdict(checkJsonBuffer(String.UTF8.encode(text)));
}

/** The checker's verdict on raw bytes. */
function checkBytes(list: u8[]): string {
  const buf = new ArrayBuffer(list.length);
  for (let i = 0; i < list.length; i++) store<u8>(changetype<usize>(buf) + i, list[i]);
  return verdict(checkJsonBuffer(buf));
}

function verdict(problem: string | null): string {
  return problem !== null ? problem : "ok";
}

function repeat(s: string, n: i32): string {
  return s.repeat(n);
}

describe("json_check: valid documents", () => {
  it("accepts every kind of value, with whitespace between tokens", () => {
    expect(check(' \t\r\n{ "a" : [ 1 , -0.5e+10 , 2E-3 , 0 , true , false , null , "x" ] , "b" : { } , "c" : [ ] } \n')).toBe("ok");
  });
  it("accepts a top-level scalar", () => {
    expect(check("12")).toBe("ok");
    expect(check('"s"')).toBe("ok");
    expect(check("null")).toBe("ok");
  });
  it("accepts every escape, including a surrogate pair", () => {
    expect(check('"\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\uD83D\\uDE00"')).toBe("ok");
  });
  it("accepts 2-, 3- and 4-byte UTF-8 sequences at their bounds", () => {
    // " C2 80 | DF BF | E0 A0 80 | EF BF BF | F0 90 80 80 | F4 8F BF BF "
    expect(checkBytes([0x22, 0xc2, 0x80, 0xdf, 0xbf, 0xe0, 0xa0, 0x80, 0xef, 0xbf, 0xbf,
      0xf0, 0x90, 0x80, 0x80, 0xf4, 0x8f, 0xbf, 0xbf, 0x22])).toBe("ok");
  });
  it("accepts nesting exactly 32 deep", () => {
    expect(check(repeat("[", 32) + repeat("]", 32))).toBe("ok");
  });
  it("accepts a document of exactly 1 MiB", () => {
    expect(check('"' + repeat("a", MAX_JSON_BYTES - 2) + '"')).toBe("ok");
  });
  it("accepts a number of exactly 100 characters", () => {
    expect(check(repeat("9", 100))).toBe("ok");
  });
  it("accepts the same key in different objects", () => {
    expect(check('[{"a":1},{"a":1,"b":{"a":2}}]')).toBe("ok");
  });
});

describe("json_check: syntax errors, with their byte offset", () => {
  it("refuses an empty document", () => {
    expect(check("")).toBe("invalid JSON at byte 0: expected a value");
  });
  it("refuses a document of whitespace", () => {
    expect(check("  \n")).toBe("invalid JSON at byte 3: expected a value");
  });
  it("refuses a missing colon", () => {
    expect(check('{"a" 1}')).toBe("invalid JSON at byte 5: expected ':'");
  });
  it("refuses a non-string key", () => {
    expect(check("{1:2}")).toBe("invalid JSON at byte 1: expected a string key");
  });
  it("refuses a missing comma in an object", () => {
    expect(check('{"a":1 "b":2}')).toBe("invalid JSON at byte 7: expected ',' or '}'");
  });
  it("refuses a missing comma in an array", () => {
    expect(check("[1 2]")).toBe("invalid JSON at byte 3: expected ',' or ']'");
  });
  it("refuses a trailing comma in an object", () => {
    expect(check('{"a":1,}')).toBe("invalid JSON at byte 6: trailing comma");
  });
  it("refuses a trailing comma in an array", () => {
    expect(check("[1, ]")).toBe("invalid JSON at byte 2: trailing comma");
  });
  it("refuses an unclosed array", () => {
    expect(check("[1")).toBe("invalid JSON at byte 2: expected ',' or ']'");
  });
  it("refuses trailing data", () => {
    expect(check('{"a":1} x')).toBe("invalid JSON at byte 8: unexpected data after the document");
    expect(check("1 2")).toBe("invalid JSON at byte 2: unexpected data after the document");
  });
  it("refuses leading zeros", () => {
    expect(check("[01]")).toBe("invalid JSON at byte 1: leading zero in number");
    expect(check("-007")).toBe("invalid JSON at byte 1: leading zero in number");
  });
  it("refuses a fraction without digits", () => {
    expect(check("1.")).toBe("invalid JSON at byte 2: expected a digit after '.'");
  });
  it("refuses an exponent without digits", () => {
    expect(check("1e+")).toBe("invalid JSON at byte 3: expected a digit in the exponent");
  });
  it("refuses a lone minus", () => {
    expect(check("-")).toBe("invalid JSON at byte 1: expected a digit");
  });
  it("refuses numbers JSON does not have", () => {
    expect(check(".5")).toBe("invalid JSON at byte 0: expected a value");
    expect(check("+1")).toBe("invalid JSON at byte 0: expected a value");
    expect(check("0x10")).toBe("invalid JSON at byte 1: unexpected data after the document");
  });
  it("refuses NaN and Infinity", () => {
    expect(check("NaN")).toBe("invalid JSON at byte 0: NaN and Infinity are not allowed");
    expect(check("[Infinity]")).toBe("invalid JSON at byte 1: NaN and Infinity are not allowed");
    expect(check("-Infinity")).toBe("invalid JSON at byte 1: NaN and Infinity are not allowed");
  });
  it("refuses a number longer than 100 characters", () => {
    expect(check("[" + repeat("1", 101) + "]")).toBe("invalid JSON at byte 1: number longer than 100 characters");
  });
  it("refuses misspelt literals", () => {
    expect(check("tru")).toBe("invalid JSON at byte 0: expected a value");
    expect(check("[True]")).toBe("invalid JSON at byte 1: expected a value");
    expect(check("nul!")).toBe("invalid JSON at byte 0: expected a value");
  });
  it("refuses single-quoted strings", () => {
    expect(check("['a']")).toBe("invalid JSON at byte 1: expected a value");
  });
  it("refuses non-ASCII bytes outside strings", () => {
    expect(checkBytes([0x5b, 0xc3, 0xa9, 0x5d])).toBe("invalid JSON at byte 1: expected a value");
  });
  it("refuses a byte order mark", () => {
    expect(checkBytes([0xef, 0xbb, 0xbf, 0x31])).toBe("invalid JSON at byte 0: expected a value");
  });
});

describe("json_check: strings", () => {
  it("refuses an unterminated string", () => {
    expect(check('["abc')).toBe("invalid JSON at byte 1: unterminated string");
    expect(check('"\\')).toBe("invalid JSON at byte 1: unterminated string");
  });
  it("refuses an unescaped control character", () => {
    expect(check('"a\tb"')).toBe("invalid JSON at byte 2: unescaped control character in string");
    expect(checkBytes([0x22, 0x00, 0x22])).toBe("invalid JSON at byte 1: unescaped control character in string");
  });
  it("refuses an unknown escape", () => {
    expect(check('"a\\x41"')).toBe("invalid JSON at byte 2: invalid escape sequence");
  });
  it("refuses a \\u escape without four hex digits", () => {
    expect(check('"\\u12G4"')).toBe("invalid JSON at byte 1: invalid \\u escape");
    expect(check('"\\u12"')).toBe("invalid JSON at byte 1: invalid \\u escape");
  });
  it("refuses unpaired surrogate escapes", () => {
    expect(check('"\\uD800"')).toBe("invalid JSON at byte 1: unpaired surrogate in \\u escape");
    expect(check('"\\uD800\\u0041"')).toBe("invalid JSON at byte 1: unpaired surrogate in \\u escape");
    expect(check('"x\\uDC00"')).toBe("invalid JSON at byte 2: unpaired surrogate in \\u escape");
  });
});

describe("json_check: UTF-8", () => {
  it("refuses overlong 2-byte sequences", () => {
    expect(checkBytes([0x22, 0xc0, 0xaf, 0x22])).toBe("invalid JSON at byte 1: invalid UTF-8: overlong encoding");
    expect(checkBytes([0x22, 0xc1, 0xbf, 0x22])).toBe("invalid JSON at byte 1: invalid UTF-8: overlong encoding");
  });
  it("refuses overlong 3- and 4-byte sequences", () => {
    expect(checkBytes([0x22, 0xe0, 0x80, 0xaf, 0x22])).toBe("invalid JSON at byte 1: invalid UTF-8: overlong encoding");
    expect(checkBytes([0x22, 0xf0, 0x80, 0x80, 0xaf, 0x22])).toBe("invalid JSON at byte 1: invalid UTF-8: overlong encoding");
  });
  it("refuses encoded surrogates", () => {
    // ED A0 80 = U+D800
    expect(checkBytes([0x22, 0xed, 0xa0, 0x80, 0x22])).toBe("invalid JSON at byte 1: invalid UTF-8: surrogate code point");
  });
  it("refuses code points above U+10FFFF", () => {
    expect(checkBytes([0x22, 0xf4, 0x90, 0x80, 0x80, 0x22])).toBe("invalid JSON at byte 1: invalid UTF-8: code point above U+10FFFF");
  });
  it("refuses bytes that never occur in UTF-8", () => {
    expect(checkBytes([0x22, 0xf5, 0x80, 0x80, 0x80, 0x22])).toBe("invalid JSON at byte 1: invalid UTF-8: byte 0xF5");
    expect(checkBytes([0x22, 0xff, 0x22])).toBe("invalid JSON at byte 1: invalid UTF-8: byte 0xFF");
  });
  it("refuses a continuation byte without a lead byte", () => {
    expect(checkBytes([0x22, 0x61, 0x80, 0x22])).toBe("invalid JSON at byte 2: invalid UTF-8: unexpected continuation byte");
  });
  it("refuses truncated sequences, inside and at the end of the document", () => {
    expect(checkBytes([0x22, 0xc3, 0x22])).toBe("invalid JSON at byte 1: invalid UTF-8: truncated sequence");
    expect(checkBytes([0x22, 0xe2, 0x82, 0x22])).toBe("invalid JSON at byte 1: invalid UTF-8: truncated sequence");
    expect(checkBytes([0x22, 0xf0, 0x9f, 0x98])).toBe("invalid JSON at byte 1: invalid UTF-8: truncated sequence");
  });
});

describe("json_check: limits", () => {
  it("refuses nesting deeper than 32", () => {
    expect(check(repeat("[", 33) + repeat("]", 33))).toBe("invalid JSON at byte 32: nesting deeper than 32 levels");
    expect(check(repeat('{"a":', 33) + "1" + repeat("}", 33))).toBe("invalid JSON at byte 160: nesting deeper than 32 levels");
  });
  it("stops at the limit on 100000 open brackets, without recursion", () => {
    expect(check(repeat("[", 100000))).toBe("invalid JSON at byte 32: nesting deeper than 32 levels");
  });
  it("refuses a document over 1 MiB before reading it", () => {
    expect(check('"' + repeat("a", MAX_JSON_BYTES - 1) + '"')).toBe("document is larger than 1 MiB (1048577 bytes)");
  });
});

describe("json_check: duplicate keys", () => {
  it("names the top level as (root)", () => {
    expect(check('{"a":1,"b":2,"a":3}')).toBe('(root): duplicate key "a"');
  });
  it("names the object holding the duplicate by its JSON path", () => {
    expect(check('{"rules":[{"name":"x"},{"dark":{"cluster":"a","cluster":"b"}}]}'))
      .toBe('rules[1].dark: duplicate key "cluster"');
  });
  it("compares keys after unescaping", () => {
    expect(check('{"a":1,"\\u0061":2}')).toBe('(root): duplicate key "a"');
  });
  it("quotes keys that are not plain in the path", () => {
    expect(check('{"x y":[{"k":1,"k":2}]}')).toBe('["x y"][0]: duplicate key "k"');
  });
  it("reports the offset of the duplicate key in the structured problem", () => {
    const problem = findJsonProblemInBuffer(String.UTF8.encode('{"a":1,"a":2}'));
    expect(problem).not.toBeNull();
    expect((<JsonProblem>problem).offset).toBe(7);
    expect((<JsonProblem>problem).path).toBe("(root)");
  });
});

describe("json_check: never traps", () => {
  it("gives a verdict on every prefix of a valid document", () => {
    const doc = '{"a":[1,-2.5e3,"\\u00e9\\uD83D\\uDE00",{"b":null}],"c":true}';
    const bytes = String.UTF8.encode(doc);
    for (let n = 0; n < bytes.byteLength; n++) {
      const problem = findJsonProblemInBuffer(bytes.slice(0, n));
      expect(problem).not.toBeNull("a prefix of " + n.toString() + " bytes is not a document");
    }
    expect(checkJsonBuffer(bytes)).toBeNull();
  });
  it("gives a verdict on 3000 random documents over JSON's alphabet and bad bytes", () => {
    const alphabet: u8[] = [0x7b, 0x7d, 0x5b, 0x5d, 0x22, 0x3a, 0x2c, 0x5c, 0x75, 0x30, 0x31, 0x2d,
      0x2e, 0x65, 0x74, 0x6e, 0x61, 0x20, 0xc3, 0xa9, 0xed, 0xf0, 0x9f, 0x80, 0x00, 0x44];
    let seed: u32 = 12345;
    for (let doc = 0; doc < 3000; doc++) {
      seed = seed * 1103515245 + 12345;
      const len = <i32>((seed >> 16) % 40);
      const buf = new ArrayBuffer(len);
      for (let i = 0; i < len; i++) {
        seed = seed * 1103515245 + 12345;
        store<u8>(changetype<usize>(buf) + i, alphabet[(seed >> 16) % alphabet.length]);
      }
      const v = checkJsonBuffer(buf);
      if (v !== null) {
        const ok = v.startsWith("invalid JSON at byte ") || v.includes(": duplicate key ");
        expect(ok).toBe(true, v);
      }
    }
  });
});
