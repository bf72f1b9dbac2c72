// The JSON path grammar of contract §2.3 (ignore) and §2.7 (redact), its compiler and the
// incremental matcher (docs/json-comparison.md, "Paths").
import {
  JsonPath,
  JsonPathMatcher,
  JsonPathSet,
  parseJsonPath,
  SEG_ANY_DEPTH,
  SEG_ANY_ELEMENT,
  SEG_ANY_MEMBER,
  SEG_INDEX,
  SEG_NAME,
} from "../darklaunch/json_path";

/** The compiled path of `text`, failing the test with the parser's message when there is none. */
function compiled(text: string): JsonPath {
  const r = parseJsonPath(text);
  if (r.path === null) {
    assert(false, text + ": " + r.error!);
    unreachable();
  }
  return r.path!;
}

/** The segments of a path as text: name:x, *, [*], [N], ** — to compare in one string. */
function shape(text: string): string {
  const p = compiled(text);
  const out = new Array<string>();
  for (let i = 0; i < p.length; i++) {
    const k = p.kinds[i];
    if (k == SEG_NAME) out.push("name:" + String.UTF8.decode(p.names[i]!));
    else if (k == SEG_ANY_MEMBER) out.push("*");
    else if (k == SEG_ANY_ELEMENT) out.push("[*]");
    else if (k == SEG_INDEX) out.push("[" + p.indexes[i].toString() + "]");
    else if (k == SEG_ANY_DEPTH) out.push("**");
  }
  return out.join(" ");
}

/** The parser's message for `text`, or "ok". */
function error(text: string): string {
  const r = parseJsonPath(text);
  return r.error !== null ? r.error! : "ok";
}

/** Whether `patterns` match the path given as steps: "m:name" (member) or "e:N" (element). */
function matches(patterns: string[], steps: string[]): bool {
  const set = JsonPathSet.compile(patterns)!;
  const m = new JsonPathMatcher(set);
  if (m.rootMatched) return true;
  for (let level = 0; level < steps.length; level++) {
    const step = steps[level];
    let hit: bool;
    if (step.startsWith("m:")) {
      const name = String.UTF8.encode(step.substring(2));
      hit = m.enterMember(level, changetype<usize>(name), name.byteLength);
    } else {
      hit = m.enterElement(level, I32.parseInt(step.substring(2)));
    }
    if (hit) return true;
  }
  return false;
}

describe("json_path: the forms of the grammar", () => {
  it("member names, joined by dots, from the root", () => {
    expect(shape("updated_at")).toBe("name:updated_at");
    expect(shape("meta.request_id")).toBe("name:meta name:request_id");
    expect(shape("$ref.@type.x-y.v1.0")).toBe("name:$ref name:@type name:x-y name:v1 name:0");
  });
  it("* any one member, ** any number of levels", () => {
    expect(shape("*")).toBe("*");
    expect(shape("a.*.b")).toBe("name:a * name:b");
    expect(shape("**")).toBe("**");
    expect(shape("**.trace_id")).toBe("** name:trace_id");
    expect(shape("a.**")).toBe("name:a **");
  });
  it("[*] any element and [N] element N, after a segment or at the start (a root array)", () => {
    expect(shape("items[*].etag")).toBe("name:items [*] name:etag");
    expect(shape("items[12]")).toBe("name:items [12]");
    expect(shape("matrix[*][0]")).toBe("name:matrix [*] [0]");
    expect(shape("[*]")).toBe("[*]");
    expect(shape("[0].id")).toBe("[0] name:id");
    expect(shape("**[*]")).toBe("** [*]");
    expect(shape("*[3]")).toBe("* [3]");
    expect(shape("items[2147483647]")).toBe("name:items [2147483647]");
    // A bracket may also follow a dot.
    expect(shape("items.[0]")).toBe("name:items [0]");
  });
  it("any name quoted as a JSON string: at the start, after a segment, after a dot", () => {
    expect(shape('["a.b"].c')).toBe("name:a.b name:c");
    expect(shape('meta["a.b"]')).toBe("name:meta name:a.b");
    expect(shape('meta.["a.b"]')).toBe("name:meta name:a.b");
    expect(shape('["with space"]')).toBe("name:with space");
    expect(shape('[""]')).toBe("name:");
    expect(shape('["*"]')).toBe("name:*");
    expect(shape('["[0]"]')).toBe("name:[0]");
  });
  it("JSON escapes inside the quotes", () => {
    expect(shape('["q\\"uote"]')).toBe('name:q"uote');
    expect(shape('["back\\\\slash"]')).toBe("name:back\\slash");
    expect(shape('["\\u00e9t\\u00C9"]')).toBe("name:étÉ");
    expect(shape('["\\ud83d\\ude00"]')).toBe("name:😀");
    expect(shape('["a\\/b\\n\\t"]')).toBe("name:a/b\n\t");
    expect(shape('["é日本"]')).toBe("name:é日本");
  });
  it("keeps the text as written", () => {
    expect(compiled("items[*].etag").text).toBe("items[*].etag");
  });
});

describe("json_path: malformed paths", () => {
  it("empty paths and empty segments", () => {
    expect(error("")).toBe('invalid JSON path "": the path is empty');
    expect(error(".a")).toBe('invalid JSON path ".a": starts with "."');
    expect(error("a.")).toBe('invalid JSON path "a.": ends with "."');
    expect(error("a..b")).toBe('invalid JSON path "a..b": empty segment ("..") at character 3');
  });
  it("characters a bare name cannot have", () => {
    expect(error("a b")).toBe('invalid JSON path "a b": expected "." or "[" after a segment at character 2 (found " ")');
    expect(error("a/b")).toBe('invalid JSON path "a/b": expected "." or "[" after a segment at character 2 (found "/")');
    expect(error("é")).toBe('invalid JSON path "é": expected a member name, *, ** or [ at character 1 (found byte 0xc3) (quote other names: ["a b"])');
    expect(error("a.#")).toBe('invalid JSON path "a.#": expected a member name, *, ** or [ at character 3 (found "#") (quote other names: ["a b"])');
  });
  it("wildcards that are not whole segments", () => {
    expect(error("*a")).toBe('invalid JSON path "*a": "*" must be a whole segment (names have no wildcards) at character 1');
    expect(error("a*")).toBe('invalid JSON path "a*": "*" must be a whole segment (names have no wildcards) at character 2');
    expect(error("***")).toBe('invalid JSON path "***": "***" is not a segment (use * or **) at character 1');
    expect(error("**a")).toBe('invalid JSON path "**a": "**" must be a whole segment at character 1');
  });
  it("brackets: unclosed, bad indexes, bad contents", () => {
    expect(error("items[")).toBe('invalid JSON path "items[": unclosed "[" at character 6');
    expect(error("items[1")).toBe('invalid JSON path "items[1": expected "]" after the index at character 8 (found the end)');
    expect(error("items[*")).toBe('invalid JSON path "items[*": expected "]" after "[*" at character 8');
    expect(error("items[x]")).toBe('invalid JSON path "items[x]": expected *, an index or a quoted name after "[" at character 7 (found "x")');
    expect(error("items[01]")).toBe('invalid JSON path "items[01]": index with a leading zero at character 7');
    expect(error("items[-1]")).toBe('invalid JSON path "items[-1]": negative indexes are not supported at character 7');
    expect(error("items[2147483648]")).toBe('invalid JSON path "items[2147483648]": index larger than 2147483647 at character 7');
    expect(error("items[1]x")).toBe('invalid JSON path "items[1]x": expected "." or "[" after a segment at character 9 (found "x")');
    expect(error("items[]")).toBe('invalid JSON path "items[]": expected *, an index or a quoted name after "[" at character 7 (found "]")');
  });
  it("quoted names: unterminated, bad escapes, raw control characters, single quotes", () => {
    // The path is quoted in the message as a JSON string: its quotes and backslashes escaped.
    expect(error('["a')).toBe('invalid JSON path "[\\"a": unterminated quoted name at character 2');
    expect(error('["a"')).toBe('invalid JSON path "[\\"a\\"": expected "]" after the quoted name at character 5 (found the end)');
    expect(error('["a"x]')).toBe('invalid JSON path "[\\"a\\"x]": expected "]" after the quoted name at character 5 (found "x")');
    expect(error('["\\x"]')).toBe('invalid JSON path "[\\"\\\\x\\"]": bad escape in a quoted name at character 3');
    expect(error('["\\u12"]')).toBe('invalid JSON path "[\\"\\\\u12\\"]": bad \\u escape in a quoted name (four hex digits) at character 3');
    expect(error('["a\tb"]')).toBe('invalid JSON path "[\\"a\\tb\\"]": control character in a quoted name (escape it) at character 4');
    expect(error("['a']")).toBe('invalid JSON path "[\'a\']": quote names with double quotes: ["name"] at character 2');
  });
  it("paths too long or too deep for any document", () => {
    // Long paths are cut in the message after 40 characters.
    expect(error("a".repeat(1025))).toBe('invalid JSON path "' + "a".repeat(40) + '…": longer than 1024 bytes');
    expect(error("a" + ".a".repeat(128))).toBe("ok");
    expect(error("a" + ".a".repeat(129))).toBe('invalid JSON path "' + ("a" + ".a".repeat(129)).substring(0, 40) + '…": more than 129 segments (JSON nests at most 128 levels)');
  });
  it("a set reports every malformed path and compiles none", () => {
    const errors = new Array<string>();
    expect(JsonPathSet.compile(["ok", "a..b", "x[", "**.fine"], errors)).toBeNull();
    expect(errors.length).toBe(2);
    expect(errors[0]).toBe('invalid JSON path "a..b": empty segment ("..") at character 3');
    expect(errors[1]).toBe('invalid JSON path "x[": unclosed "[" at character 2');
    expect(JsonPathSet.compile([])).toBe(JsonPathSet.EMPTY);
  });
});

describe("json_path: matching", () => {
  it("a name matches that member from the root, and not deeper or shallower", () => {
    expect(matches(["meta.request_id"], ["m:meta", "m:request_id"])).toBe(true);
    expect(matches(["meta.request_id"], ["m:request_id"])).toBe(false);
    expect(matches(["meta.request_id"], ["m:x", "m:meta", "m:request_id"])).toBe(false);
    expect(matches(["meta.request_id"], ["m:meta"])).toBe(false);
  });
  it("a match covers the value and everything under it", () => {
    expect(matches(["meta"], ["m:meta", "m:a", "e:3"])).toBe(true);
  });
  it("* is any member, not an element; [*] any element, not a member", () => {
    expect(matches(["*.id"], ["m:a", "m:id"])).toBe(true);
    expect(matches(["*.id"], ["e:0", "m:id"])).toBe(false);
    expect(matches(["[*].id"], ["e:7", "m:id"])).toBe(true);
    expect(matches(["[*].id"], ["m:a", "m:id"])).toBe(false);
  });
  it("[N] is element N only", () => {
    expect(matches(["items[1].etag"], ["m:items", "e:1", "m:etag"])).toBe(true);
    expect(matches(["items[1].etag"], ["m:items", "e:0", "m:etag"])).toBe(false);
    expect(matches(["items[1].etag"], ["m:items", "e:10", "m:etag"])).toBe(false);
  });
  it("** is any number of levels, members or elements, none included", () => {
    expect(matches(["**.trace_id"], ["m:trace_id"])).toBe(true);
    expect(matches(["**.trace_id"], ["m:a", "e:3", "m:b", "m:trace_id"])).toBe(true);
    expect(matches(["**.trace_id"], ["m:a", "m:trace"])).toBe(false);
    expect(matches(["a.**.z"], ["m:a", "m:z"])).toBe(true);
    expect(matches(["a.**.z"], ["m:a", "e:1", "e:2", "m:z"])).toBe(true);
    expect(matches(["a.**.z"], ["m:b", "m:z"])).toBe(false);
    expect(matches(["**.a.**.a"], ["m:x", "m:a", "m:y", "m:a"])).toBe(true);
    expect(matches(["**.a.**.a"], ["m:x", "m:a", "m:y"])).toBe(false);
  });
  it("** alone matches the root value itself", () => {
    const m = new JsonPathMatcher(JsonPathSet.compile(["**"])!);
    expect(m.rootMatched).toBe(true);
    const n = new JsonPathMatcher(JsonPathSet.compile(["a.**"])!);
    expect(n.rootMatched).toBe(false);
  });
  it("quoted names match the exact unescaped bytes", () => {
    expect(matches(['["a.b"].c'], ["m:a.b", "m:c"])).toBe(true);
    expect(matches(['["a.b"].c'], ["m:a", "m:b", "m:c"])).toBe(false);
    expect(matches(['["\\u00e9"]'], ["m:é"])).toBe(true);
    expect(matches(['[""]'], ["m:"])).toBe(true);
  });
  it("any of several paths", () => {
    expect(matches(["x", "y.z", "**.w"], ["m:y", "m:z"])).toBe(true);
    expect(matches(["x", "y.z", "**.w"], ["m:q", "e:0", "m:w"])).toBe(true);
    expect(matches(["x", "y.z", "**.w"], ["m:y", "m:x"])).toBe(false);
  });
  it("follows a reader up and down: each level's state holds until that level is entered again", () => {
    const m = new JsonPathMatcher(JsonPathSet.compile(["a.b", "**.c"])!);
    const a = String.UTF8.encode("a"), b = String.UTF8.encode("b"), c = String.UTF8.encode("c");
    expect(m.enterMember(0, changetype<usize>(a), 1)).toBe(false);
    expect(m.enterMember(1, changetype<usize>(b), 1)).toBe(true);
    expect(m.enterMember(1, changetype<usize>(a), 1)).toBe(false);
    expect(m.enterElement(2, 0)).toBe(false);
    expect(m.enterMember(3, changetype<usize>(c), 1)).toBe(true);
    // Back at the root: another member, whose children are not under "a".
    expect(m.enterMember(0, changetype<usize>(b), 1)).toBe(false);
    expect(m.enterMember(1, changetype<usize>(b), 1)).toBe(false);
    expect(m.enterMember(1, changetype<usize>(c), 1)).toBe(true);
  });
  it("64 paths, 130 levels deep", () => {
    const texts = new Array<string>();
    for (let i = 0; i < 63; i++) texts.push("k" + i.toString() + ".**.leaf" + i.toString());
    texts.push("**.needle");
    const m = new JsonPathMatcher(JsonPathSet.compile(texts)!);
    const k5 = String.UTF8.encode("k5"), x = String.UTF8.encode("x"), leaf5 = String.UTF8.encode("leaf5");
    expect(m.enterMember(0, changetype<usize>(k5), 2)).toBe(false);
    for (let level = 1; level < 127; level++) expect(m.enterMember(level, changetype<usize>(x), 1)).toBe(false);
    expect(m.enterMember(127, changetype<usize>(leaf5), 5)).toBe(true);
    const needle = String.UTF8.encode("needle");
    expect(m.enterMember(128, changetype<usize>(needle), 6)).toBe(true);
  });
});
