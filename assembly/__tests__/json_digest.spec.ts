// The streamed JSON comparison of contract §2.3: equality, validity, any chunking, ignored paths,
// and the naming of differing paths (docs/json-comparison.md).
import {
  describeJsonDifferences,
  differingJsonPaths,
  JsonDigest,
  JsonDigestPool,
  jsonValuesEqual,
  MAX_JSON_NESTING,
} from "../darklaunch/json_digest";
import { JsonPathSet } from "../darklaunch/json_path";
import { digestBytes, digestOf, paths } from "./helpers";

function valid(text: string): bool {
  return digestOf(text).valid;
}

function validBytes(list: u8[]): bool {
  const b = new ArrayBuffer(list.length);
  for (let i = 0; i < list.length; i++) store<u8>(changetype<usize>(b) + <usize>i, list[i]);
  return digestBytes(b, [], JsonPathSet.EMPTY).valid;
}

function same(a: string, b: string, ignore: JsonPathSet = JsonPathSet.EMPTY): bool {
  const x = digestOf(a, ignore), y = digestOf(b, ignore);
  assert(x.valid, "not valid: " + a);
  assert(y.valid, "not valid: " + b);
  return jsonValuesEqual(x, y);
}

/** The differing paths, joined by "," ("" when equal). */
function named(a: string, b: string, ignore: JsonPathSet = JsonPathSet.EMPTY, max: i32 = 5): string {
  return differingJsonPaths(digestOf(a, ignore), digestOf(b, ignore), max).join(",");
}

// [a, b] pairs that are the same JSON value, then pairs that are not.
const EQUAL: string[] = [
  // whitespace between tokens
  '{"a":[1,2],"b":null}', ' \t\r\n{ "a" : [ 1 ,\n 2 ] ,\t"b" :null } \n',
  "[]", "[ ]",
  "{}", " {\n} ",
  '"x"', '  "x"\n',
  // member order
  '{"a":1,"b":2,"c":{"d":3,"e":4}}', '{"c":{"e":4,"d":3},"b":2,"a":1}',
  // escapes, including surrogate pairs, in values and keys
  '"\\u00e9"', '"é"',
  '"\\u00E9"', '"\\u00e9"',
  '"\\ud83d\\ude00"', '"😀"',
  '"\\uD834\\uDD1E"', '"𝄞"',
  '"\\/"', '"/"',
  '"\\n\\t\\r\\b\\f"', '"\\u000a\\u0009\\u000d\\u0008\\u000c"',
  '"\\"\\\\"', '"\\u0022\\u005c"',
  '"\\u0000"', '"\\u0000"',
  '{"\\u0061\\u00e9":1}', '{"aé":1}',
  // lone surrogates are kept as they are escaped, in either hex case
  '"\\ud800"', '"\\uD800"',
  '"\\ud800\\u0041"', '"\\ud800A"',
  '"\\udc00\\ud800"', '"\\uDC00\\uD800"',
  // numbers by exact decimal value
  "1", "1.0",
  "1", "1e0",
  "1", "10E-1",
  "1", "0.1e1",
  "1", "1E+0",
  "1", "100e-2",
  "1", "0.01e2",
  "1", "1.000",
  "1", "1e00",
  "-2.5", "-25e-1",
  "1200", "1.2e3",
  "1200", "12E2",
  "0.000123", "1.23e-4",
  "0", "-0",
  "0", "0.0e10",
  "0", "-0.000E-7",
  "123456789012345678901234567890", "1.23456789012345678901234567890e29",
  "123456789012345678901234567890", "12345678901234567890123456789.0e1",
  "1e400", "10e399",
  "1e-400", "0.1e-399",
  "9007199254740993", "9007199254740993.0",
  // an exponent of 19 digits or more: the same spelling of it
  "1e1000000000000000000", "1.0e1000000000000000000",
  // literals
  "true", "true",
  "null", " null ",
  // arrays keep their order; nested alike
  "[1,[2,[3,{}]]]", "[1, [2, [3, {}]]]",
  // duplicate members: compared as a multiset of members (docs/json-comparison.md)
  '{"a":1,"a":2}', '{"a":2,"a":1}',
  '{"a":{"x":1},"a":{"y":2}}', '{"a":{"x":1,"y":2}}',
];

const UNEQUAL: string[] = [
  // arrays are ordered
  "[1,2]", "[2,1]",
  "[1,[2]]", "[[1],2]",
  // array length, empty containers
  "[1]", "[1,null]",
  "[[]]", "[]",
  "[{}]", "[]",
  '{"a":{}}', "{}",
  '{"a":[]}', '{"a":{}}',
  // nested arrays vs objects with the same "indexes"
  "[[1]]", '[{"0":1}]',
  '{"a":[1]}', '{"a":{"0":1}}',
  // types
  "1", '"1"',
  "true", '"true"',
  "null", "0",
  "null", '"null"',
  "false", "0",
  "false", "null",
  "[]", "{}",
  "[]", "null",
  "{}", '""',
  '""', '" "',
  // strings
  '"a"', '"a "',
  '"a"', '"A"',
  '"é"', '"e\\u0301"',
  '"\\ud800"', '"\\ufffd"',
  // numbers: digits beyond f64 and i64 count
  "0.1", "0.10000000000000001",
  "9007199254740993", "9007199254740992",
  "18446744073709551616", "18446744073709551617",
  "123456789012345678901234567890", "123456789012345678901234567891",
  "1", "-1",
  "1e5", "1e-5",
  "1.5", "15",
  "100", "1000",
  "0.1", "0.01",
  "1e400", "1e401",
  // member missing, extra, renamed
  '{"a":1,"b":2}', '{"a":1}',
  '{"a":1}', '{"b":1}',
  '{"a":1}', '{"a":1,"a":1}',
];

describe("json_digest: equal values", () => {
  it("every pair of the equality table is equal, both ways", () => {
    for (let i = 0; i < EQUAL.length; i += 2) {
      expect(same(EQUAL[i], EQUAL[i + 1])).toBe(true, EQUAL[i] + " == " + EQUAL[i + 1]);
      expect(same(EQUAL[i + 1], EQUAL[i])).toBe(true, EQUAL[i + 1] + " == " + EQUAL[i]);
      expect(named(EQUAL[i], EQUAL[i + 1])).toBe("", EQUAL[i]);
    }
  });
  it("every pair of the inequality table is unequal, both ways", () => {
    for (let i = 0; i < UNEQUAL.length; i += 2) {
      expect(same(UNEQUAL[i], UNEQUAL[i + 1])).toBe(false, UNEQUAL[i] + " != " + UNEQUAL[i + 1]);
      expect(same(UNEQUAL[i + 1], UNEQUAL[i])).toBe(false, UNEQUAL[i + 1] + " != " + UNEQUAL[i]);
    }
  });
  it("counts the leaves: scalars and empty containers", () => {
    expect(digestOf('{"a":[1,{},[]],"b":{"c":"x"},"d":null}').leaves).toBe(5);
    expect(digestOf("7").leaves).toBe(1);
    expect(digestOf("{}").leaves).toBe(1);
  });
});

describe("json_digest: what is not JSON", () => {
  it("truncated documents", () => {
    const cut: string[] = ["", "  ", "{", '{"a"', '{"a":', '{"a":1', "[1,2", '"abc', '"abc\\', '"\\u12', "tru", "fals", "nul", "-", "1.", "1e", "1e+", "[", "[1,"];
    for (let i = 0; i < cut.length; i++) expect(valid(cut[i])).toBe(false, cut[i]);
  });
  it("trailing garbage and a second value", () => {
    const bad: string[] = ["{} {}", "1 2", "[1]x", "truex", "nullnull", '"a""b"', "1,", "{}}", "[]]", "0x10"];
    for (let i = 0; i < bad.length; i++) expect(valid(bad[i])).toBe(false, bad[i]);
  });
  it("bad escapes", () => {
    const bad: string[] = ['"\\x"', '"\\u12G4"', '"\\\'"', '"\\U0041"', '"\\ "', '"\\0"'];
    for (let i = 0; i < bad.length; i++) expect(valid(bad[i])).toBe(false, bad[i]);
  });
  it("numbers outside the grammar: leading zeros, signs, bare points", () => {
    const bad: string[] = ["01", "-01", "00", "00.5", "+1", ".5", "-.5", "1.e5", "1e", "--1", "1.2.3", "1e5.5", "0x1F", "NaN", "Infinity", "-Infinity", "1_000"];
    for (let i = 0; i < bad.length; i++) expect(valid(bad[i])).toBe(false, bad[i]);
    const ok: string[] = ["0", "-0", "0.5", "-0.5e-0", "10", "1E7", "1e+007", "0e0"];
    for (let i = 0; i < ok.length; i++) expect(valid(ok[i])).toBe(true, ok[i]);
  });
  it("bare words and wrong literals", () => {
    const bad: string[] = ["abc", "True", "NULL", "nil", "undefined", "'a'", "{a:1}", "[a]"];
    for (let i = 0; i < bad.length; i++) expect(valid(bad[i])).toBe(false, bad[i]);
  });
  it("structure: missing or extra commas and colons", () => {
    const bad: string[] = ["[1,]", '{"a":1,}', "{,}", '{"a" 1}', '{"a"::1}', "{1:2}", "[1 2]", '{"a":1 "b":2}', "[,1]", "{]", "[}", '{"a"}'];
    for (let i = 0; i < bad.length; i++) expect(valid(bad[i])).toBe(false, bad[i]);
  });
  it("raw control characters in strings", () => {
    expect(valid('"a\tb"')).toBe(false);
    expect(valid('"a\nb"')).toBe(false);
    expect(valid('"\u0000"')).toBe(false);
    expect(valid('"\u001f"')).toBe(false);
    expect(valid('"\u007f"')).toBe(true); // DEL is not a control character for JSON
  });
  it("bytes that are not UTF-8", () => {
    // " C0 80 " overlong; " ED A0 80 " a surrogate; " F5 80 80 80 "; a lone continuation; a cut sequence
    expect(validBytes([0x22, 0xc0, 0x80, 0x22])).toBe(false);
    expect(validBytes([0x22, 0xed, 0xa0, 0x80, 0x22])).toBe(false);
    expect(validBytes([0x22, 0xf5, 0x80, 0x80, 0x80, 0x22])).toBe(false);
    expect(validBytes([0x22, 0x80, 0x22])).toBe(false);
    expect(validBytes([0x22, 0xc3, 0x22])).toBe(false);
    expect(validBytes([0x22, 0xe0, 0x9f, 0xbf, 0x22])).toBe(false);
    expect(validBytes([0x22, 0xf4, 0x90, 0x80, 0x80, 0x22])).toBe(false);
    // A byte order mark is not whitespace (docs/json-comparison.md).
    expect(validBytes([0xef, 0xbb, 0xbf, 0x31])).toBe(false);
    // The bounds of each sequence length are fine.
    expect(validBytes([0x22, 0xc2, 0x80, 0xdf, 0xbf, 0xe0, 0xa0, 0x80, 0xef, 0xbf, 0xbf, 0xf0, 0x90, 0x80, 0x80, 0xf4, 0x8f, 0xbf, 0xbf, 0x22])).toBe(true);
  });
  it("nesting: 128 levels are fine, 129 are not", () => {
    expect(MAX_JSON_NESTING).toBe(128);
    expect(valid("[".repeat(128) + "]".repeat(128))).toBe(true);
    expect(valid("[".repeat(129) + "]".repeat(129))).toBe(false);
    expect(valid('{"a":'.repeat(127) + "{}" + "}".repeat(127))).toBe(true);
    expect(valid('{"a":'.repeat(128) + "{}" + "}".repeat(128))).toBe(false);
    expect(same("[".repeat(128) + "1" + "]".repeat(128), "[".repeat(128) + "1.0" + "]".repeat(128))).toBe(true);
  });
  it("unequal to anything, named nothing, when either side is invalid", () => {
    const a = digestOf("[1"), b = digestOf("[1");
    expect(jsonValuesEqual(a, b)).toBe(false);
    expect(differingJsonPaths(a, b, 5).length).toBe(0);
  });
});

// Bodies with every token kind, escapes, surrogate pairs, multi-byte UTF-8, numbers in every part.
const SPLIT_BODIES: string[] = [
  '{"name":"Zoë \\"Z\\" \\u00c5kesson","tags":["a\\/b","😀","\\ud83d\\ude00"],"price":-12.50e+1,"n":0,"ok":true,"no":false,"none":null,"deep":{"x":[[],{}]}}',
  ' [ 1 , 1.5 , -0.0025E-3 , 123456789012345678901234567890 , 1e1000000000000000000 , "\\u0041\\u00e9\\u4e2d" ] ',
  '"é日本😀\\t"',
  "-0.5e-7",
  '{"ignored":{"big":[1,2,3]},"kept":1}',
];
// Not JSON, however split.
const SPLIT_INVALID: string[] = ["01", '{"a":1,}', '"\\ud800\\x"', "[1 2]", "tru e", "1.e1", '"a\u0001"'];

describe("json_digest: any chunking", () => {
  it("two pieces cut at every byte, and one byte at a time, digest as the whole", () => {
    const ignore = paths(["ignored.big[1]"]);
    for (let k = 0; k < SPLIT_BODIES.length; k++) {
      const bytes = String.UTF8.encode(SPLIT_BODIES[k]);
      const whole = digestBytes(bytes, [], ignore);
      expect(whole.valid).toBe(true, SPLIT_BODIES[k]);
      for (let cut = 1; cut < bytes.byteLength; cut++) {
        const split = digestBytes(bytes, [cut], ignore);
        expect(split.valid).toBe(true, SPLIT_BODIES[k] + " cut at " + cut.toString());
        expect(jsonValuesEqual(whole, split)).toBe(true, SPLIT_BODIES[k] + " cut at " + cut.toString());
        expect(split.leaves).toBe(whole.leaves);
      }
      const every = new Array<i32>();
      for (let i = 1; i < bytes.byteLength; i++) every.push(i);
      const bytewise = digestBytes(bytes, every, ignore);
      expect(jsonValuesEqual(whole, bytewise)).toBe(true, SPLIT_BODIES[k] + " byte by byte");
    }
  });
  it("invalid bodies stay invalid however they are cut", () => {
    for (let k = 0; k < SPLIT_INVALID.length; k++) {
      const bytes = String.UTF8.encode(SPLIT_INVALID[k]);
      expect(digestBytes(bytes, [], JsonPathSet.EMPTY).valid).toBe(false, SPLIT_INVALID[k]);
      for (let cut = 1; cut < bytes.byteLength; cut++) {
        expect(digestBytes(bytes, [cut], JsonPathSet.EMPTY).valid).toBe(false, SPLIT_INVALID[k] + " cut at " + cut.toString());
      }
    }
  });
  it("empty writes change nothing", () => {
    const bytes = String.UTF8.encode("[1,2]");
    const d = new JsonDigest();
    d.write(changetype<usize>(bytes), 0);
    d.write(changetype<usize>(bytes), 3);
    d.write(changetype<usize>(bytes) + 3, 0);
    d.write(changetype<usize>(bytes) + 3, 2);
    expect(d.finish()).toBe(true);
    expect(jsonValuesEqual(d, digestOf("[1,2]"))).toBe(true);
  });
  it("reset makes a digest new again", () => {
    const d = digestOf('{"a":[1,2,3]}');
    d.reset();
    const bytes = String.UTF8.encode('"other"');
    d.write(changetype<usize>(bytes), bytes.byteLength);
    expect(d.finish()).toBe(true);
    expect(jsonValuesEqual(d, digestOf('"other"'))).toBe(true);
    expect(differingJsonPaths(d, digestOf('"other"'), 5).length).toBe(0);
  });
});

describe("json_digest: ignored paths", () => {
  it("a member only one side has, or different on each side, is no difference when ignored", () => {
    const ignore = paths(["updated_at"]);
    expect(same('{"updated_at":"x","a":1}', '{"updated_at":"y","a":1}', ignore)).toBe(true);
    expect(same('{"updated_at":"x","a":1}', '{"a":1}', ignore)).toBe(true);
    expect(same('{"updated_at":{"deep":[1]},"a":1}', '{"a":1,"updated_at":null}', ignore)).toBe(true);
    expect(same('{"updated_at":"x","a":1}', '{"a":2}', ignore)).toBe(false);
  });
  it("a path is matched from the root", () => {
    const ignore = paths(["meta.request_id"]);
    expect(same('{"meta":{"request_id":"a","v":1}}', '{"meta":{"request_id":"b","v":1}}', ignore)).toBe(true);
    expect(same('{"request_id":"a"}', '{"request_id":"b"}', ignore)).toBe(false);
    expect(same('{"x":{"meta":{"request_id":"a"}}}', '{"x":{"meta":{"request_id":"b"}}}', ignore)).toBe(false);
  });
  it("a whole subtree, and a container emptied by ignoring is an empty container", () => {
    expect(same('{"meta":{"a":1,"b":[2]}}', '{"meta":"gone"}', paths(["meta"]))).toBe(true);
    expect(same('{"meta":{"a":1,"b":[2]}}', "{}", paths(["meta"]))).toBe(true);
    expect(same('{"a":{"ts":1}}', '{"a":{}}', paths(["a.ts"]))).toBe(true);
    expect(same('{"a":{"ts":1}}', '{"a":[]}', paths(["a.ts"]))).toBe(false);
    expect(same('{"a":{"ts":1}}', "{}", paths(["a.ts"]))).toBe(false);
  });
  it("[*] every element, [N] one element", () => {
    const all = paths(["items[*].etag"]);
    expect(same('{"items":[{"etag":"1","id":1},{"etag":"2","id":2}]}', '{"items":[{"etag":"x","id":1},{"id":2}]}', all)).toBe(true);
    expect(same('{"items":[{"etag":"1","id":1}]}', '{"items":[{"etag":"1","id":9}]}', all)).toBe(false);
    const one = paths(["items[1].etag"]);
    expect(same('{"items":[{"etag":"1"},{"etag":"2"}]}', '{"items":[{"etag":"1"},{"etag":"X"}]}', one)).toBe(true);
    expect(same('{"items":[{"etag":"1"},{"etag":"2"}]}', '{"items":[{"etag":"X"},{"etag":"2"}]}', one)).toBe(false);
  });
  it("[*] and [N] at the start: a root array", () => {
    expect(same('[{"ts":1,"v":1},{"ts":2,"v":2}]', '[{"ts":5,"v":1},{"ts":6,"v":2}]', paths(["[*].ts"]))).toBe(true);
    expect(same("[1,2,3]", "[9,2,3]", paths(["[0]"]))).toBe(true);
    expect(same("[1,2,3]", "[1,9,3]", paths(["[0]"]))).toBe(false);
  });
  it("* any one member, not an element", () => {
    const ignore = paths(["*.id"]);
    expect(same('{"a":{"id":1,"v":1},"b":{"id":2}}', '{"a":{"id":7,"v":1},"b":{"id":8}}', ignore)).toBe(true);
    expect(same('{"id":1}', '{"id":2}', ignore)).toBe(false);
    expect(same('[{"id":1}]', '[{"id":2}]', ignore)).toBe(false);
  });
  it("** any depth, none included", () => {
    const ignore = paths(["**.trace_id"]);
    expect(same('{"trace_id":"a","x":{"trace_id":"b","y":[{"trace_id":"c","z":1}]}}', '{"trace_id":"A","x":{"trace_id":"B","y":[{"z":1}]}}', ignore)).toBe(true);
    expect(same('{"x":{"y":[{"z":1}]}}', '{"x":{"y":[{"z":2}]}}', ignore)).toBe(false);
    expect(same('{"any":1}', '[true]', paths(["**"]))).toBe(true);
  });
  it("quoted names match the unescaped name exactly", () => {
    const ignore = paths(['["a.b"].c']);
    expect(same('{"a.b":{"c":1,"d":1}}', '{"a.b":{"c":2,"d":1}}', ignore)).toBe(true);
    expect(same('{"a":{"b":{"c":1}}}', '{"a":{"b":{"c":2}}}', ignore)).toBe(false);
    expect(same('{"\\u0074s":1}', '{"ts":2}', paths(["ts"]))).toBe(true);
    expect(same('{"é":1}', '{"\\u00e9":2}', paths(['["\\u00e9"]']))).toBe(true);
  });
  it("several paths at once, 64 of them", () => {
    const texts = new Array<string>();
    for (let i = 0; i < 63; i++) texts.push("f" + i.toString());
    texts.push("**.trace_id");
    const ignore = paths(texts);
    expect(same('{"f0":1,"f62":2,"g":3,"h":{"trace_id":1}}', '{"f0":9,"f62":9,"g":3,"h":{"trace_id":2}}', ignore)).toBe(true);
    expect(same('{"f63":1}', '{"f63":2}', ignore)).toBe(false);
  });
  it("ignoring does not make invalid JSON valid", () => {
    expect(digestOf('{"ignored":[1,}', paths(["ignored"])).valid).toBe(false);
    expect(digestOf("01", paths(["**"])).valid).toBe(false);
  });
});

describe("json_digest: naming the differences", () => {
  it("a single changed leaf, exactly", () => {
    const a = '{"items":[{"price":1},{"price":2},{"price":3},{"price":4}],"meta":{"version":"1"}}';
    expect(named(a, '{"items":[{"price":1},{"price":2},{"price":3},{"price":5}],"meta":{"version":"1"}}')).toBe("items[3].price");
    expect(named(a, '{"items":[{"price":1},{"price":2},{"price":3},{"price":4}],"meta":{"version":"2"}}')).toBe("meta.version");
  });
  it("a member only one side has", () => {
    expect(named('{"a":1,"meta":{"version":2,"x":1}}', '{"a":1,"meta":{"x":1}}')).toBe("meta.version");
    expect(named('{"a":1}', '{"a":1,"b":{"c":[true]}}')).toBe("b.c[0]");
  });
  it("quoted names where a name is not plain, never values", () => {
    expect(named('{"a.b":{"c":1}}', '{"a.b":{"c":2}}')).toBe('["a.b"].c');
    expect(named('{"x":{"say \\"hi\\", a=b":1}}', '{"x":{"say \\"hi\\", a=b":2}}')).toBe('x["say\\u0020\\"hi\\"\\u002c\\u0020a\\u003db"]');
    expect(named('{"é":[0]}', '{"é":[1]}')).toBe('["é"][0]');
    expect(named('{"":1}', '{"":2}')).toBe('[""]');
    expect(named('{"\\ud800":1}', '{"\\ud800":2}')).toBe('["\\ud800"]');
    expect(named('{"secret":"hunter2"}', '{"secret":"hunter3"}')).toBe("secret");
  });
  it("the root value, and elements of a root array", () => {
    expect(named("1", "2")).toBe("(root)");
    expect(named('"a"', "null")).toBe("(root)");
    expect(named("[]", "{}")).toBe("(root)");
    expect(named("[1,2,3]", "[1,2,4]")).toBe("[2]");
    expect(named("{}", '{"a":1}')).toBe("(root),a");
    expect(named('{"a":[]}', '{"a":[1]}')).toBe("a,a[0]");
  });
  it("up to five, sorted, when more differ; fewer when asked", () => {
    const a = '{"a":1,"b":1,"c":1,"d":1,"e":1,"f":1,"g":1,"h":1}';
    const b = '{"a":2,"b":2,"c":2,"d":2,"e":2,"f":2,"g":2,"h":2}';
    expect(named(a, b)).toBe("a,b,c,d,e");
    expect(named(a, b, JsonPathSet.EMPTY, 2)).toBe("a,b");
    expect(named(a, '{"a":1,"b":1,"c":1,"d":1,"e":1,"f":1,"g":2,"h":2}')).toBe("g,h");
    const d = describeJsonDifferences(digestOf(a), digestOf(b), 5);
    expect(d.exact).toBe(true);
  });
  it("an ignored difference is not named", () => {
    expect(named('{"ts":1,"v":1}', '{"ts":2,"v":2}', paths(["ts"]))).toBe("v");
  });
  it("long paths come back cut after 63 bytes, marked", () => {
    const key = "k".repeat(40);
    const a = '{"' + key + '":{"' + key + '":1}}';
    const b = '{"' + key + '":{"' + key + '":2}}';
    expect(named(a, b)).toBe(key + "." + "k".repeat(22) + "...");
    // A cut never splits a character: "é" is two bytes.
    const e = "é".repeat(40);
    expect(named('{"' + e + '":1}', '{"' + e + '":2}')).toBe('["' + "é".repeat(30) + "...");
  });
  it("too many differences for the leaf table: the containers that differ", () => {
    // Every index shifts: hundreds of leaves differ, all in "data.items".
    let items = "";
    for (let i = 0; i < 300; i++) items += (i > 0 ? "," : "") + i.toString();
    const a = '{"meta":{"v":1},"data":{"items":[' + items + '],"n":1}}';
    const b = '{"meta":{"v":1},"data":{"items":[-1,' + items + '],"n":1}}';
    const d = describeJsonDifferences(digestOf(a), digestOf(b), 5);
    expect(d.exact).toBe(false);
    expect(d.paths.join(",")).toBe("data.items");
    expect(named("[" + items + "]", "[-1," + items + "]")).toBe("(root)");
  });
});

describe("JsonDigestPool", () => {
  test("a digest given back is taken again, reset: it reads the next body as a new digest would", () => {
    const set = paths(["meta.id"]);
    const pool = new JsonDigestPool(set);
    const d = pool.take();
    const b = String.UTF8.encode('{"meta":{"id":1},"x":"abc\\u00');
    d.write(changetype<usize>(b), b.byteLength);
    pool.give(d);
    expect(pool.idleCount).toBe(1);
    const again = pool.take();
    expect(changetype<usize>(again)).toBe(changetype<usize>(d));
    expect(again.leaves).toBe(0);
    expect(again.valid).toBe(false);
    const next = String.UTF8.encode('{"meta":{"id":2},"x":[1,{}]}');
    again.write(changetype<usize>(next), next.byteLength);
    again.finish();
    const fresh = digestOf('{"x":[1,{}],"meta":{"id":3}}', set);
    expect(jsonValuesEqual(again, fresh)).toBe(true);
    expect(again.leaves).toBe(3); // meta (all of it ignored: a leaf itself), x[0], x[1]
  });

  test("a digest made for another ignore set is not kept", () => {
    const pool = new JsonDigestPool(paths(["a"]));
    pool.give(new JsonDigest(paths(["a"]))); // equal paths, but another compiled set
    pool.give(new JsonDigest());
    expect(pool.idleCount).toBe(0);
  });

  test("keeps at most maxIdle digests", () => {
    const pool = new JsonDigestPool(JsonPathSet.EMPTY, 2);
    const taken: JsonDigest[] = [pool.take(), pool.take(), pool.take()];
    for (let i = 0; i < taken.length; i++) pool.give(taken[i]);
    expect(pool.idleCount).toBe(2);
  });
});
