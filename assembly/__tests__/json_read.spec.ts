import { JsonProblem, JsonRead, MAX_JSON_BYTES, readJsonBuffer } from "../darklaunch/json_read";
import { JsonArray, JsonBool, JsonNull, JsonNumber, JsonObject, JsonString, JsonValue } from "../darklaunch/json_value";

/** The reader's verdict on `text` (UTF-8 encoded): its problem, or "ok". */
function check(text: string): string {
  return verdict(readJsonBuffer(String.UTF8.encode(text)));
}

/** The reader's verdict on raw bytes. */
function checkBytes(list: u8[]): string {
  const buf = new ArrayBuffer(list.length);
  for (let i = 0; i < list.length; i++) store<u8>(changetype<usize>(buf) + i, list[i]);
  return verdict(readJsonBuffer(buf));
}

/** "ok" with a value, else the problem; anything else (both or neither) is a bug of the reader. */
function verdict(read: JsonRead): string {
  const problem = read.problem;
  if (problem === null) return read.value !== null ? "ok" : "neither a value nor a problem";
  return read.value === null ? problem.toString() : "a value and a problem";
}

function problemOf(bytes: ArrayBuffer): JsonProblem | null {
  return readJsonBuffer(bytes).problem;
}

function repeat(s: string, n: i32): string {
  return s.repeat(n);
}

describe("json_read: valid documents", () => {
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

describe("json_read: syntax errors, with their byte offset", () => {
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

describe("json_read: strings", () => {
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

describe("json_read: UTF-8", () => {
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

describe("json_read: limits", () => {
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

describe("json_read: duplicate keys", () => {
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
  it("finds a duplicate in a small object and in a large one, at any position", () => {
    expect(check('{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"h":9}')).toBe('(root): duplicate key "h"');
    expect(check('{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"a":10}')).toBe('(root): duplicate key "a"');
    let many = "{";
    for (let i = 0; i < 20000; i++) many += '"k' + i.toString() + '":' + i.toString() + ",";
    expect(check(many + '"k0":0}')).toBe('(root): duplicate key "k0"');
    expect(check(many + '"k19999":0}')).toBe('(root): duplicate key "k19999"');
    const obj = <JsonObject>readJsonBuffer(String.UTF8.encode(many + '"last":-1}')).value;
    expect(obj.size).toBe(20001);
    for (let i = 0; i < 20000; i += 997) expect((<JsonNumber>obj.get("k" + i.toString())).integer).toBe(i);
    expect((<JsonNumber>obj.get("last")).integer).toBe(-1);
    expect(obj.keys[12345]).toBe("k12345");
  });
  it("reports the offset of the duplicate key in the structured problem", () => {
    const problem = problemOf(String.UTF8.encode('{"a":1,"a":2}'));
    expect(problem).not.toBeNull();
    expect((<JsonProblem>problem).offset).toBe(7);
    expect((<JsonProblem>problem).path).toBe("(root)");
  });
});

describe("json_read: never traps", () => {
  it("gives a verdict on every prefix of a valid document", () => {
    const doc = '{"a":[1,-2.5e3,"\\u00e9\\uD83D\\uDE00",{"b":null}],"c":true}';
    const bytes = String.UTF8.encode(doc);
    for (let n = 0; n < bytes.byteLength; n++) {
      const problem = problemOf(bytes.slice(0, n));
      expect(problem).not.toBeNull("a prefix of " + n.toString() + " bytes is not a document");
    }
    expect(problemOf(bytes)).toBeNull();
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
      const v = verdict(readJsonBuffer(buf));
      if (v != "ok") {
        const ok = v.startsWith("invalid JSON at byte ") || v.includes(": duplicate key ");
        expect(ok).toBe(true, v);
      }
    }
  });
});

// ---- The tree ----

function read(text: string): JsonValue {
  const r = readJsonBuffer(String.UTF8.encode(text));
  expect(r.problem).toBeNull();
  return changetype<JsonValue>(r.value);
}

function num(text: string): JsonNumber {
  const v = read(text);
  expect(v instanceof JsonNumber).toBe(true, text);
  return <JsonNumber>v;
}

function str(text: string): string {
  const v = read(text);
  expect(v instanceof JsonString).toBe(true, text);
  return (<JsonString>v).value;
}

describe("json_read: the tree", () => {
  it("keeps an object's members in document order", () => {
    const v = read('{"b":1,"a":true,"c":null,"d":"x","e":[],"f":{}}');
    expect(v instanceof JsonObject).toBe(true);
    const obj = <JsonObject>v;
    expect(obj.keys.join(",")).toBe("b,a,c,d,e,f");
    expect(obj.size).toBe(6);
    expect(obj.get("b") instanceof JsonNumber).toBe(true);
    expect((<JsonBool>obj.get("a")).value).toBe(true);
    expect(obj.get("c") instanceof JsonNull).toBe(true);
    expect((<JsonString>obj.get("d")).value).toBe("x");
    expect((<JsonArray>obj.get("e")).items.length).toBe(0);
    expect((<JsonObject>obj.get("f")).size).toBe(0);
    expect(obj.get("z")).toBeNull();
    expect(obj.has("a")).toBe(true);
    expect(obj.has("z")).toBe(false);
  });
  it("nests arrays and objects, each value where it was written", () => {
    const v = <JsonObject>read('{"rules":[{"name":"a","m":[1,[2,{"k":false}]]},{"name":"b"}],"x":{"y":{"z":"deep"}}}');
    const rules = (<JsonArray>v.get("rules")).items;
    expect(rules.length).toBe(2);
    expect((<JsonString>(<JsonObject>rules[0]).get("name")).value).toBe("a");
    expect((<JsonString>(<JsonObject>rules[1]).get("name")).value).toBe("b");
    const m = (<JsonArray>(<JsonObject>rules[0]).get("m")).items;
    expect((<JsonNumber>m[0]).integer).toBe(1);
    const inner = (<JsonArray>m[1]).items;
    expect((<JsonNumber>inner[0]).integer).toBe(2);
    expect((<JsonBool>(<JsonObject>inner[1]).get("k")).value).toBe(false);
    const y = <JsonObject>(<JsonObject>v.get("x")).get("y");
    expect((<JsonString>y.get("z")).value).toBe("deep");
  });
  it("reads a top-level scalar", () => {
    expect((<JsonBool>read(" false ")).value).toBe(false);
    expect(read("null") instanceof JsonNull).toBe(true);
    expect(str('"s"')).toBe("s");
  });
  it("reads 32 levels of nesting into 32 nested arrays", () => {
    let v = read("[".repeat(32) + "7" + "]".repeat(32));
    let levels = 0;
    while (v instanceof JsonArray) {
      levels++;
      v = (<JsonArray>v).items[0];
    }
    expect(levels).toBe(32);
    expect((<JsonNumber>v).integer).toBe(7);
  });
  it("gives no value with a problem, even when a prefix was read", () => {
    const r = readJsonBuffer(String.UTF8.encode('{"a":[1,2],"a":3}'));
    expect(r.value).toBeNull();
    expect(r.problem).not.toBeNull();
  });
});

describe("json_read: strings", () => {
  it("decodes every escape and joins surrogate pairs", () => {
    expect(str('"q\\" b\\\\ s\\/ \\b\\f\\n\\r\\t \\u00e9 \\uD83D\\uDE00"')).toBe("q\" b\\ s/ \b\f\n\r\t é 😀");
  });
  it("decodes UTF-8 of 2, 3 and 4 bytes", () => {
    expect(str('"caf\u00e9 \u20ac \u{1F600}"')).toBe("café € 😀");
  });
  it("reads a key and a value with escapes the same as without", () => {
    const obj = <JsonObject>read('{"\\u0061b":"\\u0063d"}');
    expect(obj.keys[0]).toBe("ab");
    expect((<JsonString>obj.get("ab")).value).toBe("cd");
  });
});

describe("json_read: numbers", () => {
  it("keeps the text as written", () => {
    expect(num("-0.50").text).toBe("-0.50");
    expect(num("1E+03").text).toBe("1E+03");
    expect(num("12").text).toBe("12");
  });
  it("reads integers exactly, beyond a double's 53 bits", () => {
    const n = num("9007199254740993");
    expect(n.isInteger).toBe(true);
    expect(n.integer).toBe(9007199254740993);
    expect(n.value).toBe(9007199254740992.0);
  });
  it("reads the i64 bounds exactly and goes no further", () => {
    expect(num("9223372036854775807").isInteger).toBe(true);
    expect(num("9223372036854775807").integer).toBe(i64.MAX_VALUE);
    expect(num("-9223372036854775808").isInteger).toBe(true);
    expect(num("-9223372036854775808").integer).toBe(i64.MIN_VALUE);
    expect(num("9223372036854775808").isInteger).toBe(false);
    expect(num("-9223372036854775809").isInteger).toBe(false);
    expect(num("99999999999999999999").value).toBe(1e20);
  });
  it("takes -0 as the integer 0", () => {
    expect(num("-0").isInteger).toBe(true);
    expect(num("-0").integer).toBe(0);
  });
  it("counts a fraction or an exponent as not an integer, whatever its value", () => {
    expect(num("2.0").isInteger).toBe(false);
    expect(num("2.0").value).toBe(2.0);
    expect(num("1e3").isInteger).toBe(false);
    expect(num("1e3").value).toBe(1000.0);
  });
  it("reads doubles to the nearest value", () => {
    expect(num("0.1").value).toBe(0.1);
    expect(num("-2.5e-3").value).toBe(-0.0025);
    expect(num("1e300").value).toBe(1e300);
    expect(num("1e400").value).toBe(Infinity);
    expect(num("12.5").value).toBe(12.5);
  });
});
