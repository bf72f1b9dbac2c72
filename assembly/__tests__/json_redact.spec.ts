// Redaction of sampled bodies (contract §2.7, docs/samples.md "Bodies"): values at redacted paths
// replaced whatever their type, everything else byte for byte, any chunking, the cap applied after
// redaction without half a UTF-8 sequence, and what is sent when a body is not JSON.
import { JsonPathSet } from "../darklaunch/json_path";
import { JsonRedactor, REDACTED_VALUE } from "../darklaunch/json_redact";
import { digestOf, paths, writeInPieces } from "./helpers";

const R = REDACTED_VALUE;

/** `bytes` written in pieces cut at `cuts` (increasing offsets), then finished. */
function redactBytes(r: JsonRedactor, bytes: ArrayBuffer, cuts: i32[]): JsonRedactor {
  r.reset();
  writeInPieces(r, bytes, cuts);
  r.finish();
  return r;
}

function redactor(texts: string[], cap: i32 = 1 << 20): JsonRedactor {
  return new JsonRedactor(paths(texts), cap);
}

function run(text: string, texts: string[], cap: i32 = 1 << 20): JsonRedactor {
  return redactBytes(redactor(texts, cap), String.UTF8.encode(text), []);
}

/** The output of redacting `text` as text. */
function redacted(text: string, texts: string[], cap: i32 = 1 << 20): string {
  return String.UTF8.decode(run(text, texts, cap).output);
}

function bytesOf(list: u8[]): ArrayBuffer {
  const b = new ArrayBuffer(list.length);
  for (let i = 0; i < list.length; i++) store<u8>(changetype<usize>(b) + <usize>i, list[i]);
  return b;
}

function sameBytes(a: ArrayBuffer, b: ArrayBuffer): bool {
  return a.byteLength == b.byteLength && memory.compare(changetype<usize>(a), changetype<usize>(b), <usize>a.byteLength) == 0;
}

describe("json_redact: what is replaced", () => {
  it("a value of each kind, whole", () => {
    const body = '{"s":"secret","n":-1.5e3,"t":true,"f":false,"z":null,"o":{"a":{"b":1}},"a":[1,[2],{}],"eo":{},"ea":[],"keep":1}';
    expect(redacted(body, ["s"])).toBe('{"s":' + R + ',"n":-1.5e3,"t":true,"f":false,"z":null,"o":{"a":{"b":1}},"a":[1,[2],{}],"eo":{},"ea":[],"keep":1}');
    expect(redacted(body, ["n", "t", "f", "z"])).toBe('{"s":"secret","n":' + R + ',"t":' + R + ',"f":' + R + ',"z":' + R + ',"o":{"a":{"b":1}},"a":[1,[2],{}],"eo":{},"ea":[],"keep":1}');
    expect(redacted(body, ["o", "a", "eo", "ea"])).toBe('{"s":"secret","n":-1.5e3,"t":true,"f":false,"z":null,"o":' + R + ',"a":' + R + ',"eo":' + R + ',"ea":' + R + ',"keep":1}');
    const r = run(body, ["o"]);
    expect(r.redacted).toBe(true);
    expect(r.truncated).toBe(false);
    expect(r.notJson).toBe(false);
  });
  it("nothing to redact: the body byte for byte, whitespace, escapes and number spellings kept", () => {
    const body = ' {\n  "b" : [ 1.0E+2 , -0.000 , "\\u00e9\\/\\n" ] ,\t"a":{"x" :null}\r\n} ';
    expect(redacted(body, ["missing", "b[7]", "**.nope"])).toBe(body);
    expect(run(body, ["missing"]).redacted).toBe(false);
    expect(redacted(body, [])).toBe(body);
  });
  it("whitespace around a redacted value stays; only the value's own bytes go", () => {
    expect(redacted('{ "a" :  [ 1 , 2 ]  , "b" : 2 }', ["a"])).toBe('{ "a" :  ' + R + '  , "b" : 2 }');
    expect(redacted('[ 1 ,\n  "x"\n]', ["[1]"])).toBe('[ 1 ,\n  ' + R + "\n]");
    expect(redacted('{"a":12}', ["a"])).toBe('{"a":' + R + "}");
    expect(redacted('{"a":12 }', ["a"])).toBe('{"a":' + R + " }");
  });
  it("nested paths, [*] and [N], and root arrays", () => {
    const body = '{"items":[{"sku":"A","card":{"pan":"4111"}},{"sku":"B","card":{"pan":"5500"}}],"meta":{"card":{"pan":"x"}}}';
    expect(redacted(body, ["items[*].card.pan"])).toBe('{"items":[{"sku":"A","card":{"pan":' + R + '}},{"sku":"B","card":{"pan":' + R + '}}],"meta":{"card":{"pan":"x"}}}');
    expect(redacted(body, ["items[1].card"])).toBe('{"items":[{"sku":"A","card":{"pan":"4111"}},{"sku":"B","card":' + R + '}],"meta":{"card":{"pan":"x"}}}');
    expect(redacted(body, ["*.card"])).toBe('{"items":[{"sku":"A","card":{"pan":"4111"}},{"sku":"B","card":{"pan":"5500"}}],"meta":{"card":' + R + "}}");
    expect(redacted("[[1,2],[3,4],[5]]", ["[*][1]"])).toBe("[[1," + R + "],[3," + R + "],[5]]");
    expect(redacted('[{"id":1},{"id":2}]', ["[1].id"])).toBe('[{"id":1},{"id":' + R + "}]");
    expect(redacted("[0,1,2,3,4,5,6,7,8,9,10,11]", ["[10]"])).toBe("[0,1,2,3,4,5,6,7,8,9," + R + ",11]");
  });
  it("** at any depth, the root included", () => {
    const body = '{"email":"a@x","user":{"email":"b@x","friends":[{"email":"c@x"}]},"n":1}';
    expect(redacted(body, ["**.email"])).toBe('{"email":' + R + ',"user":{"email":' + R + ',"friends":[{"email":' + R + '}]},"n":1}');
    expect(redacted(body, ["user.**.email"])).toBe('{"email":"a@x","user":{"email":' + R + ',"friends":[{"email":' + R + '}]},"n":1}');
    expect(redacted(" [1] \n", ["**"])).toBe(" " + R + " \n");
    expect(redacted("42", ["**"])).toBe(R);
    expect(redacted(" 42 ", ["**"])).toBe(" " + R + " ");
  });
  it("quoted names, and keys matched by their unescaped bytes", () => {
    expect(redacted('{"a.b":1,"a":{"b":2}}', ['["a.b"]'])).toBe('{"a.b":' + R + ',"a":{"b":2}}');
    expect(redacted('{"with space":{"x":1}}', ['["with space"].x'])).toBe('{"with space":{"x":' + R + "}}");
    expect(redacted('{"pass\\u0077ord":"x","password":"y"}', ["password"])).toBe('{"pass\\u0077ord":' + R + ',"password":' + R + "}");
    expect(redacted('{"\\u00e9":1,"é":2,"e":3}', ['["é"]'])).toBe('{"\\u00e9":' + R + ',"é":' + R + ',"e":3}');
    expect(redacted('{"\\ud83d\\ude00":1,"😀":2}', ['["\\ud83d\\ude00"]'])).toBe('{"\\ud83d\\ude00":' + R + ',"😀":' + R + "}");
    expect(redacted('{"\\ud800":1,"\\ud800x":2,"\\ud800\\u0041":3}', ['["\\ud800"]', '["\\ud800A"]'])).toBe('{"\\ud800":' + R + ',"\\ud800x":2,"\\ud800\\u0041":' + R + "}");
    expect(redacted('{"q\\"t":1,"b\\\\s":2,"t\\tb":3}', ['["q\\"t"]', '["b\\\\s"]', '["t\\tb"]'])).toBe('{"q\\"t":' + R + ',"b\\\\s":' + R + ',"t\\tb":' + R + "}");
    expect(redacted('{"":1,"x":2}', ['[""]'])).toBe('{"":' + R + ',"x":2}');
    // Case matters, and a key longer than every name matches no name (only wildcards).
    expect(redacted('{"Password":1,"passwords":2}', ["password"])).toBe('{"Password":1,"passwords":2}');
    expect(redacted('{"' + "k".repeat(300) + '":{"x":1}}', ["*.x"])).toBe('{"' + "k".repeat(300) + '":{"x":' + R + "}}");
  });
  it("duplicate members are each redacted", () => {
    expect(redacted('{"a":1,"a":{"b":2}}', ["a"])).toBe('{"a":' + R + ',"a":' + R + "}");
  });
});

// Bodies with every token kind, escapes, surrogate pairs, multi-byte UTF-8, numbers in every part.
const SPLIT_BODIES: string[] = [
  '{"name":"Zoë \\"Z\\" \\u00c5kesson","tags":["a\\/b","😀","\\ud83d\\ude00"],"price":-12.50e+1,"n":0,"ok":true,"no":false,"none":null,"deep":{"x":[[],{}]}}',
  ' [ 1 , 1.5 , -0.0025E-3 , 123456789012345678901234567890 , "\\u0041\\u00e9\\u4e2d" ] ',
  '"é日本😀\\t"',
  "-0.5e-7",
  '{"p\\u0061ss":{"big":[1,2,3]},"kept":"日本","\\ud83d\\ude00":[true,null]}',
];
const SPLIT_PATHS: string[] = ["tags[1]", "price", "ok", "deep.x[0]", "[2]", "[4]", "pass", '["😀"][1]', "none"];

describe("json_redact: any chunking", () => {
  it("two pieces cut at every byte, and one byte at a time, give the output of the whole", () => {
    const r = redactor(SPLIT_PATHS);
    for (let k = 0; k < SPLIT_BODIES.length; k++) {
      const bytes = String.UTF8.encode(SPLIT_BODIES[k]);
      const whole = redactBytes(r, bytes, []).output;
      expect(r.notJson).toBe(false, SPLIT_BODIES[k]);
      for (let cut = 1; cut < bytes.byteLength; cut++) {
        expect(sameBytes(redactBytes(r, bytes, [cut]).output, whole)).toBe(true, SPLIT_BODIES[k] + " cut at " + cut.toString());
        for (let cut2 = cut + 1; cut2 < bytes.byteLength; cut2 += 7) {
          expect(sameBytes(redactBytes(r, bytes, [cut, cut2]).output, whole)).toBe(true, SPLIT_BODIES[k] + " cut at " + cut.toString() + "," + cut2.toString());
        }
      }
      const every = new Array<i32>();
      for (let i = 1; i < bytes.byteLength; i++) every.push(i);
      expect(sameBytes(redactBytes(r, bytes, every).output, whole)).toBe(true, SPLIT_BODIES[k] + " byte by byte");
    }
    expect(redacted(SPLIT_BODIES[0], SPLIT_PATHS)).toBe(
      '{"name":"Zoë \\"Z\\" \\u00c5kesson","tags":["a\\/b",' + R + ',"\\ud83d\\ude00"],"price":' + R + ',"n":0,"ok":' + R + ',"no":false,"none":' + R + ',"deep":{"x":[' + R + ",{}]}}",
    );
    expect(redacted(SPLIT_BODIES[4], SPLIT_PATHS)).toBe('{"p\\u0061ss":' + R + ',"kept":"日本","\\ud83d\\ude00":[true,' + R + "]}");
    expect(redacted(SPLIT_BODIES[3], ["**"])).toBe(R);
  });
  it("empty writes change nothing; reset makes a redactor new again", () => {
    const r = redactor(["a"]);
    const bytes = String.UTF8.encode('{"a":1}');
    r.reset();
    r.write(changetype<usize>(bytes), 0);
    r.write(changetype<usize>(bytes), 3);
    r.write(changetype<usize>(bytes) + 3, 0);
    r.write(changetype<usize>(bytes) + 3, 4);
    r.finish();
    expect(String.UTF8.decode(r.output)).toBe('{"a":' + R + "}");
    redactBytes(r, String.UTF8.encode("<html>"), []);
    expect(r.notJson).toBe(true);
    redactBytes(r, String.UTF8.encode('{"b":2}'), []);
    expect(String.UTF8.decode(r.output)).toBe('{"b":2}');
    expect(r.notJson).toBe(false);
    expect(r.redacted).toBe(false);
    expect(r.truncated).toBe(false);
  });
});

describe("json_redact: the cap", () => {
  const body = '{"a":"xyz","b":[1,2]}'; // 21 bytes
  it("exactly the body's length: all of it, not truncated; one below: cut", () => {
    const exact = run(body, [], 21);
    expect(String.UTF8.decode(exact.output)).toBe(body);
    expect(exact.truncated).toBe(false);
    const below = run(body, [], 20);
    expect(String.UTF8.decode(below.output)).toBe(body.slice(0, 20));
    expect(below.truncated).toBe(true);
    expect(run("", [], 0).truncated).toBe(false);
    expect(run("1", [], 0).truncated).toBe(true);
    expect(run("1", [], 0).outputLength).toBe(0);
    // A negative cap is 0; the largest is no cap at all.
    expect(run("1", ["a"], -5).truncated).toBe(true);
    expect(run("1", ["a"], -5).outputLength).toBe(0);
    expect(redacted(body, ["a"], i32.MAX_VALUE)).toBe('{"a":' + R + ',"b":[1,2]}');
  });
  it("counts the output after redaction: exact, one below, inside the replacement", () => {
    const out = '{"a":' + R + ',"b":[1,2]}'; // 28 bytes
    expect(out.length).toBe(28);
    const exact = run(body, ["a"], 28);
    expect(String.UTF8.decode(exact.output)).toBe(out);
    expect(exact.truncated).toBe(false);
    expect(exact.redacted).toBe(true);
    for (let cap = 0; cap < 28; cap++) {
      const r = run(body, ["a"], cap);
      expect(String.UTF8.decode(r.output)).toBe(out.slice(0, cap), "cap " + cap.toString());
      expect(r.truncated).toBe(true);
      // A replacement counts once at least its first byte is in the output.
      expect(r.redacted).toBe(cap > 5, "cap " + cap.toString());
    }
  });
  it("a redacted value larger than the cap never shows", () => {
    const secret = "s".repeat(5000);
    const r = run('{"k":"' + secret + '"}', ["k"], 100);
    expect(String.UTF8.decode(r.output)).toBe('{"k":' + R + "}");
    expect(r.truncated).toBe(false);
    const cut = run('{"k":"' + secret + '","next":"' + secret + '"}', ["k"], 100);
    expect(String.UTF8.decode(cut.output)).toBe(('{"k":' + R + ',"next":"' + secret).slice(0, 100));
    expect(cut.truncated).toBe(true);
  });
  it("inside an escape: the escape's bytes so far", () => {
    const text = '["\\u00e9\\n"]';
    for (let cap = 0; cap < text.length; cap++) {
      expect(String.UTF8.decode(run(text, [], cap).output)).toBe(text.slice(0, cap));
    }
  });
  it("inside a UTF-8 sequence: the incomplete sequence is dropped", () => {
    const text = '["é日😀"]'; // [ " C3 A9 E6 97 A5 F0 9F 98 80 " ]
    const bytes = String.UTF8.encode(text);
    const ends: i32[] = [0, 1, 2, 2, 4, 4, 4, 7, 7, 7, 7, 11, 12, 13];
    for (let cap = 0; cap < bytes.byteLength; cap++) {
      const r = redactBytes(new JsonRedactor(JsonPathSet.EMPTY, cap), bytes, []);
      expect(r.outputLength).toBe(ends[cap], "cap " + cap.toString());
      expect(sameBytes(r.output, bytes.slice(0, ends[cap]))).toBe(true);
      expect(r.truncated).toBe(true);
    }
    // Without paths, a body that is not JSON is cut the same way.
    const html = String.UTF8.encode("<p>é</p>");
    expect(redactBytes(new JsonRedactor(JsonPathSet.EMPTY, 4), html, []).outputLength).toBe(3);
  });
  it("reading stops at the cap: what follows is not judged", () => {
    const r = run('["abc", nonsense', [], 4);
    expect(r.truncated).toBe(true);
    expect(r.notJson).toBe(false);
    expect(run('["abc", nonsense', [], 100).notJson).toBe(true);
  });
});

describe("json_redact: bodies that are not JSON", () => {
  it("with nothing to redact: a plain bounded copy of any body", () => {
    const html = "<!doctype html>\n<title>502</title>\n";
    const r = run(html, []);
    expect(String.UTF8.decode(r.output)).toBe(html);
    expect(r.notJson).toBe(true);
    expect(r.redacted).toBe(false);
    const binary = bytesOf([0x00, 0x01, 0xff, 0xfe, 0x22, 0x7b]);
    const b = redactBytes(new JsonRedactor(JsonPathSet.EMPTY, 100), binary, [2]);
    expect(sameBytes(b.output, binary)).toBe(true);
    expect(b.notJson).toBe(true);
  });
  it("with paths to redact: only what was read as JSON before the first byte that is not, then nothing", () => {
    const cases: string[] = [
      "<!doctype html><p>password=hunter2</p>", "",
      '{"password":"x"} {"password":"hunter2"}', '{"password":' + R + "} ",
      '{"password":"x"}\n{"password":"hunter2"}\n', '{"password":' + R + "}\n",
      '{"a":1 "password":"hunter2"}', '{"a":1 ',
      '{"password": hunter2}', '{"password": ',
      '{"password":"hun\u0001ter2"}', '{"password":' + R,
      '{"other":"x\\q", "password":"hunter2"}', '{"other":"x\\',
      "{'password':'hunter2'}", "{",
      '[1,2,]  "hunter2"', "[1,2,",
      '{"password":"x", /* */ "y":1}', '{"password":' + R + ", ",
    ];
    for (let i = 0; i < cases.length; i += 2) {
      const r = run(cases[i], ["password"]);
      expect(String.UTF8.decode(r.output)).toBe(cases[i + 1], cases[i]);
      expect(r.notJson).toBe(true, cases[i]);
      expect(r.withheld).toBe(true, cases[i]);
      expect(r.redacted).toBe(true, cases[i]);
      expect(r.truncated).toBe(false, cases[i]);
    }
  });
  it("a sequence cut by the first invalid byte is dropped too", () => {
    // "a" then C3 (needs a continuation) then "(": the output ends before C3.
    const r = redactBytes(redactor(["x"]), bytesOf([0x5b, 0x22, 0x61, 0xc3, 0x28, 0x22, 0x5d]), []);
    expect(String.UTF8.decode(r.output)).toBe('["a');
    expect(r.withheld).toBe(true);
  });
  it("an unfinished body is kept as read: nothing in it is at a redacted path unreplaced", () => {
    const cases: string[] = [
      '{"password":"hunt', '{"password":' + R,
      '{"a":[1,2', '{"a":[1,2',
      '{"pass', '{"pass',
      '{"password"', '{"password"',
      "  ", "  ",
      "", "",
    ];
    for (let i = 0; i < cases.length; i += 2) {
      const r = run(cases[i], ["password"]);
      expect(String.UTF8.decode(r.output)).toBe(cases[i + 1], cases[i]);
      expect(r.notJson).toBe(true, cases[i]);
      expect(r.withheld).toBe(false, cases[i]);
    }
    expect(run('{"password":"hunt', ["password"]).redacted).toBe(true);
    expect(run("", ["password"]).redacted).toBe(false);
  });
  it("nesting: 128 levels are JSON; the 129th opening bracket ends the output", () => {
    const ok = "[".repeat(128) + '"x"' + "]".repeat(128);
    expect(redacted(ok, ["**.y"])).toBe(ok);
    expect(redacted(ok, ["[0][0]"])).toBe("[[" + R + "]]");
    expect(run(ok, ["**.y"]).notJson).toBe(false);
    const deep = "[".repeat(129) + '"x"' + "]".repeat(129);
    const r = run(deep, ["**.y"]);
    expect(String.UTF8.decode(r.output)).toBe("[".repeat(128));
    expect(r.notJson).toBe(true);
    expect(r.withheld).toBe(true);
    // Without paths the deep body is copied (it is not JSON, nothing can be redacted by path).
    expect(redacted(deep, [])).toBe(deep);
    // Inside a redacted value the nesting is still counted.
    const inside = run('{"a":' + deep + ',"b":"hunter2"}', ["a"]);
    expect(String.UTF8.decode(inside.output)).toBe('{"a":' + R);
    expect(inside.notJson).toBe(true);
  });
});

// The comparator's own tables of what is and is not JSON: the redactor must agree on each.
const VALIDITY: string[] = [
  "", "  ", "{", '{"a"', '{"a":', '{"a":1', "[1,2", '"abc', '"abc\\', '"\\u12', "tru", "fals", "nul", "-", "1.", "1e", "1e+", "[", "[1,",
  "{} {}", "1 2", "[1]x", "truex", "nullnull", '"a""b"', "1,", "{}}", "[]]", "0x10",
  '"\\x"', '"\\u12G4"', '"\\\'"', '"\\U0041"', '"\\ "', '"\\0"',
  "01", "-01", "00", "00.5", "+1", ".5", "-.5", "1.e5", "--1", "1.2.3", "1e5.5", "0x1F", "NaN", "Infinity", "-Infinity", "1_000",
  "0", "-0", "0.5", "-0.5e-0", "10", "1E7", "1e+007", "0e0", "1e5e5", "1.5.", "1-",
  "abc", "True", "NULL", "nil", "undefined", "'a'", "{a:1}", "[a]", "true", "false", "null", " null ",
  "[1,]", '{"a":1,}', "{,}", '{"a" 1}', '{"a"::1}', "{1:2}", "[1 2]", '{"a":1 "b":2}', "[,1]", "{]", "[}", '{"a"}',
  '"a\tb"', '"\u0000"', '"\u007f"', '"\\ud800"', '"\\ud800\\u0041"', '"\\ud800\\n"', '{"\\ud800\\n":1}', '{"\\ud800\\x":1}',
  '{"a":{"b":[1,{"c":null}]},"d":"e"}', "[[],{},[{}]]", '{"":""}',
];

describe("json_redact: validity as the comparator's", () => {
  it("every body of the comparator's tables, with and without paths, any two pieces", () => {
    const withPaths = redactor(["a", "**.c"]);
    const without = new JsonRedactor(JsonPathSet.EMPTY, 1 << 20);
    for (let i = 0; i < VALIDITY.length; i++) {
      const bytes = String.UTF8.encode(VALIDITY[i]);
      const valid = digestOf(VALIDITY[i]).valid;
      for (let cut = 0; cut <= bytes.byteLength; cut++) {
        const cuts: i32[] = cut == 0 ? [] : [cut];
        expect(redactBytes(withPaths, bytes, cuts).notJson).toBe(!valid, VALIDITY[i]);
        expect(redactBytes(without, bytes, cuts).notJson).toBe(!valid, VALIDITY[i]);
        expect(sameBytes(without.output, bytes)).toBe(true, VALIDITY[i]);
      }
    }
  });
  it("bytes that are not UTF-8, and the bounds that are", () => {
    const bad: u8[][] = [
      [0x22, 0xc0, 0x80, 0x22], [0x22, 0xed, 0xa0, 0x80, 0x22], [0x22, 0xf5, 0x80, 0x80, 0x80, 0x22], [0x22, 0x80, 0x22],
      [0x22, 0xc3, 0x22], [0x22, 0xe0, 0x9f, 0xbf, 0x22], [0x22, 0xf4, 0x90, 0x80, 0x80, 0x22], [0xef, 0xbb, 0xbf, 0x31],
    ];
    for (let i = 0; i < bad.length; i++) {
      expect(redactBytes(redactor(["x"]), bytesOf(bad[i]), []).notJson).toBe(true, i.toString());
    }
    const good = bytesOf([0x22, 0xc2, 0x80, 0xdf, 0xbf, 0xe0, 0xa0, 0x80, 0xef, 0xbf, 0xbf, 0xf0, 0x90, 0x80, 0x80, 0xf4, 0x8f, 0xbf, 0xbf, 0x22]);
    const r = redactBytes(redactor(["x"]), good, []);
    expect(r.notJson).toBe(false);
    expect(sameBytes(r.output, good)).toBe(true);
  });
});
