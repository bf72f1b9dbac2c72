// Random JSON documents and their twins, for the tests of the JSON comparison (contract §2.3,
// docs/json-comparison.md). A document is a tree (JsonNode) kept apart from its text, so that one
// value can be written in many ways: `serialize` writes it plainly, `twin` writes the same value
// differently (members shuffled, whitespace and pretty-printing, random \u escapes, other spellings
// of every number). The oracle half (`leafMultiset`, `differingPaths`, `pathName`) restates the
// comparison's semantics in plain TypeScript: the leaves (path, scalar) of a value, ignored paths
// left out, and the paths named for them, spelled as the filter spells them.
import type { Rng } from "../emulator/random.ts";

/** A number as its exact value: (negative ? -1 : 1) × 0.digits × 10^point; digits "" is zero. */
export interface JsonNumber {
  negative: boolean;
  /** Significant digits, no leading or trailing zeros. */
  digits: string;
  point: number;
}

export type JsonNode =
  | { kind: "object"; members: Array<[string, JsonNode]> }
  | { kind: "array"; items: JsonNode[] }
  | { kind: "string"; value: string }
  | { kind: "number"; value: JsonNumber }
  | { kind: "true" }
  | { kind: "false" }
  | { kind: "null" };

/** One step of a path: a member name or an array index. */
export type Segment = { member: string } | { index: number };

// ---- random documents ----

/** Keys: plain ones the path grammar writes bare, and ones it must quote. */
const PLAIN_KEYS = ["id", "name", "items", "meta", "trace_id", "price", "a", "b", "v1", "x-y", "@type", "$ref", "0", "ETag"];
const QUOTED_KEYS = [
  "a.b",
  "with space",
  'quo"te',
  "back\\slash",
  "é",
  "日本",
  "emoji😀",
  "",
  "comma,eq=",
  "ctl\u0001",
  "tab\t",
  "lone\ud800x",
  "[x]",
];

export interface DocumentOptions {
  /** Deepest nesting (containers); default random 0..6. */
  maxDepth?: number;
  /** Most members or elements per container; default random 0..6, sometimes 20. */
  maxWidth?: number;
  /** Most values in the document; default 300. */
  maxValues?: number;
}

export function randomDocument(rng: Rng, options: DocumentOptions = {}): JsonNode {
  const maxDepth = options.maxDepth ?? rng.int(0, 6);
  const maxWidth = options.maxWidth ?? (rng.chance(0.1) ? 20 : rng.int(0, 6));
  const budget = { values: options.maxValues ?? 300 };
  return randomValue(rng, maxDepth, maxWidth, budget);
}

function randomValue(rng: Rng, depth: number, width: number, budget: { values: number }): JsonNode {
  budget.values--;
  const container = depth > 0 && rng.chance(0.55);
  if (container) {
    const n = Math.min(rng.int(0, width), Math.max(0, budget.values));
    if (rng.chance(0.5)) return { kind: "array", items: Array.from({ length: n }, () => randomValue(rng, depth - 1, width, budget)) };
    const members: Array<[string, JsonNode]> = [];
    const used = new Set<string>();
    for (let i = 0; i < n; i++) {
      const key = randomKey(rng);
      if (used.has(key)) continue; // no duplicate members: they have their own rule (docs)
      used.add(key);
      members.push([key, randomValue(rng, depth - 1, width, budget)]);
    }
    return { kind: "object", members };
  }
  return randomScalar(rng);
}

export function randomKey(rng: Rng): string {
  const r = rng.next();
  if (r < 0.6) return rng.pick(PLAIN_KEYS);
  if (r < 0.85) return rng.pick(QUOTED_KEYS);
  if (r < 0.95) return rng.ascii(rng.int(1, 12), "abcdefghijklmnopqrstuvwxyz_-$@0123456789");
  return rng.ascii(rng.int(60, 80), "abcdefghijklmnopqrstuvwxyz."); // past the kept name width
}

export function randomScalar(rng: Rng): JsonNode {
  const r = rng.next();
  if (r < 0.35) return { kind: "string", value: randomString(rng) };
  if (r < 0.75) return { kind: "number", value: randomNumber(rng) };
  if (r < 0.83) return { kind: "true" };
  if (r < 0.91) return { kind: "false" };
  return { kind: "null" };
}

const STRING_PIECES = [
  "a",
  "b",
  "hello",
  " ",
  "/",
  '"',
  "\\",
  "\n",
  "\t",
  "\u0000",
  "\u001f",
  "\u007f",
  "é",
  "ß",
  "日本語",
  "😀",
  "𝄞",
  "\u2028",
  "\ufeff",
  "\uffff",
];

export function randomString(rng: Rng): string {
  let s = "";
  const n = rng.chance(0.1) ? rng.int(20, 120) : rng.int(0, 10);
  for (let i = 0; i < n; i++) {
    if (rng.chance(0.02))
      s += String.fromCharCode(rng.int(0xd800, 0xdfff)); // a lone surrogate
    else s += rng.chance(0.6) ? rng.ascii(1, "abcdefghijklmnopqrstuvwxyz0123456789 .,:-") : rng.pick(STRING_PIECES);
  }
  return s;
}

export function randomNumber(rng: Rng): JsonNumber {
  const negative = rng.chance(0.3);
  const r = rng.next();
  if (r < 0.1) return { negative, digits: "", point: 0 };
  if (r < 0.5) {
    // An integer, as APIs send most numbers.
    const v = String(rng.int(1, 1_000_000));
    return canonicalNumber(negative, v, v.length);
  }
  if (r < 0.85) {
    // A decimal fraction.
    const digits = String(rng.int(1, 99_999_999));
    return canonicalNumber(negative, digits, rng.int(-3, digits.length));
  }
  // Beyond the precision of i64 and f64, and far exponents.
  const digits = rng.int(1, 9) + rng.ascii(rng.int(0, 40), "0123456789");
  return canonicalNumber(negative, digits, rng.int(-40, 40));
}

/** The canonical form of 0.<digits> × 10^point (leading and trailing zeros of `digits` removed). */
export function canonicalNumber(negative: boolean, digits: string, point: number): JsonNumber {
  let lead = 0;
  while (lead < digits.length && digits[lead] === "0") lead++;
  let end = digits.length;
  while (end > lead && digits[end - 1] === "0") end--;
  if (end === lead) return { negative, digits: "", point: 0 };
  return { negative, digits: digits.slice(lead, end), point: point - lead };
}

// ---- writing ----

/** The document as compact JSON: members in order, no escapes but the necessary ones. */
export function serialize(node: JsonNode): string {
  return write(node, null, 0);
}

/**
 * The same value written differently: members shuffled, whitespace anywhere (or pretty-printed),
 * characters escaped at random (\u with either hex case, surrogate pairs, short escapes), every
 * number spelled another way.
 */
export function twin(node: JsonNode, rng: Rng): string {
  const style: TwinStyle = {
    rng,
    pretty: rng.chance(0.3) ? rng.pick(["  ", "\t", "    "]) : null,
    whitespace: rng.chance(0.5) ? 0.3 : 0,
    escape: rng.pick([0, 0.1, 0.5, 1]),
    shuffle: rng.chance(0.8),
  };
  return gap(style) + write(node, style, 0) + gap(style);
}

interface TwinStyle {
  rng: Rng;
  pretty: string | null;
  whitespace: number;
  escape: number;
  shuffle: boolean;
}

const WHITESPACE = [" ", "\n", "\t", "\r\n", "  ", " \n  "];

function gap(style: TwinStyle | null): string {
  if (style === null || style.whitespace === 0 || !style.rng.chance(style.whitespace)) return "";
  return style.rng.pick(WHITESPACE);
}

function write(node: JsonNode, style: TwinStyle | null, depth: number): string {
  switch (node.kind) {
    case "true":
    case "false":
    case "null":
      return node.kind;
    case "string":
      return quote(node.value, style);
    case "number":
      return style === null ? plainNumber(node.value) : spellNumber(node.value, style.rng);
    case "array":
    case "object": {
      const open = node.kind === "array" ? "[" : "{";
      const close = node.kind === "array" ? "]" : "}";
      let parts: string[] =
        node.kind === "array"
          ? node.items.map((item) => write(item, style, depth + 1))
          : node.members.map(
              ([k, v]) => `${quote(k, style) + gap(style)}:${style?.pretty ? " " : gap(style)}${write(v, style, depth + 1)}`,
            );
      if (parts.length === 0) return open + gap(style) + close;
      if (style?.shuffle && node.kind === "object") parts = shuffled(parts, style.rng);
      if (style?.pretty) {
        const inner = `\n${style.pretty.repeat(depth + 1)}`;
        return `${open + inner + parts.join(`,${inner}`)}\n${style.pretty.repeat(depth)}${close}`;
      }
      return open + gap(style) + parts.map((p) => p + gap(style)).join(`,${gap(style)}`) + close;
    }
  }
}

function shuffled<T>(items: T[], rng: Rng): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const SHORT_ESCAPES: Record<string, string> = { '"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f" };

function hex4(unit: number, rng: Rng | null): string {
  const h = unit.toString(16).padStart(4, "0");
  return `\\u${rng?.chance(0.5) ? h.toUpperCase() : h}`;
}

/** A JSON string literal of `s`; with a style, escapes chosen at random. Lone surrogates are always escaped. */
export function quote(s: string, style: TwinStyle | null): string {
  const rng = style?.rng ?? null;
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const unit = s.charCodeAt(i);
    const isHigh = unit >= 0xd800 && unit <= 0xdbff;
    const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
    const pair = isHigh && next >= 0xdc00 && next <= 0xdfff;
    const lone = !pair && unit >= 0xd800 && unit <= 0xdfff;
    const ch = pair ? s.slice(i, i + 2) : s[i]!;
    const randomEscape = rng !== null && style!.escape > 0 && rng.chance(style!.escape);
    if (lone) {
      out += hex4(unit, rng);
    } else if (ch in SHORT_ESCAPES && !(randomEscape && rng!.chance(0.5))) {
      out += SHORT_ESCAPES[ch];
    } else if (unit < 0x20 || randomEscape) {
      out += pair ? hex4(unit, rng) + hex4(next, rng) : ch === "/" && rng!.chance(0.5) ? "\\/" : hex4(unit, rng);
    } else {
      out += ch;
    }
    if (pair) i++;
  }
  return `${out}"`;
}

/** The shortest plain decimal spelling. */
export function plainNumber(n: JsonNumber): string {
  if (n.digits === "") return "0";
  const sign = n.negative ? "-" : "";
  const { digits, point } = n;
  if (point > 40 || point < -40) return `${sign}0.${digits}e${point}`;
  if (point >= digits.length) return sign + digits + "0".repeat(point - digits.length);
  if (point > 0) return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
  return `${sign}0.${"0".repeat(-point)}${digits}`;
}

/** Another spelling of the same value: plain or with an exponent, extra zeros, e/E, signs, zeros in the exponent. */
export function spellNumber(n: JsonNumber, rng: Rng): string {
  const sign = n.negative ? "-" : "";
  const zeros = () => "0".repeat(rng.chance(0.5) ? 0 : rng.int(1, 3));
  const expo = (e: number) => {
    const mark = rng.pick(["e", "E"]);
    const s = e < 0 ? "-" : rng.chance(0.3) ? "+" : "";
    return mark + s + "0".repeat(rng.chance(0.2) ? rng.int(1, 2) : 0) + String(Math.abs(e));
  };
  if (n.digits === "") {
    const base = rng.pick(["0", "0.0", "0.000"]);
    return (rng.chance(0.5) ? "-" : "") + base + (rng.chance(0.4) ? expo(rng.int(-5, 5)) : "");
  }
  const { digits, point } = n;
  const r = rng.next();
  if (r < 0.3 && point <= 40 && point >= -40) {
    const plain = plainNumber(n);
    return plain.includes(".") ? plain + zeros() : plain + (rng.chance(0.3) ? `.${"0".repeat(rng.int(1, 3))}` : "");
  }
  if (r < 0.45) return `${sign}0.${digits}${zeros()}${expo(point)}`;
  // k digits before the point, the rest after it: 0.D × 10^p = D[0..k).D[k..] × 10^(p-k).
  const k = rng.int(1, digits.length + 2);
  const padded = digits.padEnd(k, "0");
  const fraction = padded.slice(k) + zeros();
  return sign + padded.slice(0, k) + (fraction ? `.${fraction}` : "") + expo(point - k);
}

// ---- paths and the oracle ----

const PLAIN_NAME = /^[A-Za-z0-9_$@-]+$/;
/** Bytes of a path name the filter keeps; longer names come back cut, with "...". */
export const NAME_KEPT_BYTES = 63;
/** Key bytes a digest keeps (with no longer name among the ignored paths). */
const KEY_KEPT_BYTES = 64;
/** The root value's name. */
export const ROOT_NAME = "(root)";

function utf8(s: string): Buffer {
  // Lone surrogates as their 3-byte form, as the digest keeps them (Buffer.from would give U+FFFD).
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    let cp = s.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < s.length) {
      const low = s.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    }
    if (cp < 0x80) bytes.push(cp);
    else if (cp < 0x800) bytes.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
    else if (cp < 0x10000) bytes.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
    else bytes.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  }
  return Buffer.from(bytes);
}

/** How the filter spells a member's segment (a key longer than 64 bytes is spelled from its first 64). */
function memberSegment(key: string, first: boolean): string {
  const bytes = utf8(key);
  const kept = bytes.subarray(0, KEY_KEPT_BYTES);
  const plain = bytes.length > 0 && [...kept].every((c) => PLAIN_NAME.test(String.fromCharCode(c)));
  if (plain) return (first ? "" : ".") + kept.toString("latin1");
  let out = '["';
  for (let i = 0; i < kept.length; i++) {
    const c = kept[i]!;
    if (c === 0x22 || c === 0x5c) out += `\\${String.fromCharCode(c)}`;
    else if (c <= 0x20 || c === 0x2c || c === 0x3d) out += `\\u${c.toString(16).padStart(4, "0")}`;
    else if (c === 0xed && i + 2 < kept.length && kept[i + 1]! >= 0xa0) {
      const unit = 0xd000 | ((kept[i + 1]! & 0x3f) << 6) | (kept[i + 2]! & 0x3f);
      out += `\\u${unit.toString(16)}`;
      i += 2;
    } else {
      out += `\u0000${c.toString(16).padStart(2, "0")}`; // a raw byte, decoded below
    }
  }
  // Raw bytes back to text (UTF-8 sequences of the key, unchanged).
  out = out.replace(/(\u0000[0-9a-f]{2})+/g, (run) =>
    Buffer.from(
      run
        .split("\u0000")
        .slice(1)
        .map((h) => parseInt(h, 16)),
    ).toString("utf8"),
  );
  return bytes.length > KEY_KEPT_BYTES ? out : `${out}"]`;
}

/** The path name the filter gives `path`: `items[3].price`, `["a.b"].c`, `(root)`; cut after 63 bytes with "...". */
export function pathName(path: readonly Segment[]): string {
  if (path.length === 0) return ROOT_NAME;
  let name = "";
  let cut = false;
  for (const seg of path) {
    if ("index" in seg) name += `[${seg.index}]`;
    else {
      name += memberSegment(seg.member, name.length === 0);
      if (utf8(seg.member).length > KEY_KEPT_BYTES) cut = true;
    }
    if (cut) break;
  }
  const bytes = Buffer.from(name, "utf8");
  if (!cut && bytes.length <= NAME_KEPT_BYTES) return name;
  let kept = Math.min(NAME_KEPT_BYTES, bytes.length);
  // Drop a character whose bytes were not all kept.
  let lead = kept - 1;
  while (lead > 0 && (bytes[lead]! & 0xc0) === 0x80) lead--;
  const c = bytes[lead]!;
  const size = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
  if (lead + size > kept) kept = lead;
  return `${bytes.subarray(0, kept).toString("utf8")}...`;
}

/** One segment of an ignore pattern. */
export type PatternSegment = { name: string } | { anyMember: true } | { anyElement: true } | { index: number } | { anyDepth: true };

/** A pattern as text in the path grammar; `variant` picks between equivalent spellings. */
export function patternText(pattern: readonly PatternSegment[], rng?: Rng): string {
  let out = "";
  pattern.forEach((seg, i) => {
    const dot = i === 0 ? "" : ".";
    if ("name" in seg) {
      if (PLAIN_NAME.test(seg.name)) out += dot + seg.name;
      else out += `${i > 0 && rng?.chance(0.5) ? "." : ""}[${JSON.stringify(seg.name)}]`;
    } else if ("anyMember" in seg) out += `${dot}*`;
    else if ("anyDepth" in seg) out += `${dot}**`;
    else if ("anyElement" in seg) out += "[*]";
    else out += `[${seg.index}]`;
  });
  return out;
}

/**
 * A pattern made from one of `paths` (a document's own), generalised at random: sometimes cut to
 * a whole subtree, members and elements sometimes wildcards, sometimes `**` before or after it.
 */
export function generalisedPattern(rng: Rng, paths: readonly Segment[][]): PatternSegment[] {
  let p: Segment[] = rng.pick(paths);
  if (rng.chance(0.3)) p = p.slice(0, rng.int(1, p.length)); // a whole subtree
  let pattern: PatternSegment[] = p.map((s) =>
    "member" in s
      ? rng.chance(0.2)
        ? { anyMember: true }
        : { name: s.member }
      : rng.chance(0.5)
        ? { anyElement: true }
        : { index: s.index },
  );
  if (rng.chance(0.3)) pattern = [{ anyDepth: true }, ...pattern.slice(rng.int(1, pattern.length) - 1)];
  if (rng.chance(0.1)) pattern = [...pattern, { anyDepth: true }];
  return pattern;
}

/** Random places to cut `length` bytes into chunks: none, every byte, small pieces, or a few anywhere. */
export function randomCuts(rng: Rng, length: number): number[] {
  const cuts: number[] = [];
  const r = rng.next();
  if (r < 0.25 || length < 2) return cuts;
  if (r < 0.35) {
    for (let i = 1; i < length; i++) cuts.push(i);
    return cuts;
  }
  const most = r < 0.7 ? 16 : Math.max(2, length >> 1);
  for (let at = rng.int(1, most); at < length; at += rng.int(1, most)) cuts.push(at);
  return cuts;
}

function segmentMatches(p: PatternSegment, s: Segment): boolean {
  if ("name" in p) return "member" in s && s.member === p.name;
  if ("anyMember" in p) return "member" in s;
  if ("anyElement" in p) return "index" in s;
  if ("index" in p) return "index" in s && s.index === p.index;
  return true;
}

/** Whether `pattern` matches exactly `path` (`**` takes any number of segments, none included). */
export function patternMatches(pattern: readonly PatternSegment[], path: readonly Segment[]): boolean {
  const go = (i: number, j: number): boolean => {
    if (i === pattern.length) return j === path.length;
    const p = pattern[i]!;
    if ("anyDepth" in p) {
      for (let k = j; k <= path.length; k++) if (go(i + 1, k)) return true;
      return false;
    }
    return j < path.length && segmentMatches(p, path[j]!) && go(i + 1, j + 1);
  };
  return go(0, 0);
}

/** The canonical text of a scalar (or empty container), for comparing leaves. */
function scalarKey(node: JsonNode): string {
  switch (node.kind) {
    case "string":
      return `s${node.value}`;
    case "number":
      return node.value.digits === "" ? "n0" : `n${node.value.negative ? "-" : "+"}${node.value.digits}e${node.value.point}`;
    case "object":
      return "{}";
    case "array":
      return "[]";
    default:
      return node.kind;
  }
}

/**
 * The leaves of a value: (path name, canonical scalar) for each scalar, and for each container
 * with no leaf under it (empty, or all of it ignored); values at ignored paths left out.
 */
export function leafMultiset(
  node: JsonNode,
  ignore: ReadonlyArray<readonly PatternSegment[]> = [],
): Array<{ path: Segment[]; scalar: string }> {
  const out: Array<{ path: Segment[]; scalar: string }> = [];
  const visit = (n: JsonNode, path: Segment[]): void => {
    if (ignore.some((p) => patternMatches(p, path))) return;
    if (n.kind === "object" || n.kind === "array") {
      const before = out.length;
      if (n.kind === "object") for (const [k, v] of n.members) visit(v, [...path, { member: k }]);
      else for (const [i, v] of n.items.entries()) visit(v, [...path, { index: i }]);
      if (out.length > before) return;
    }
    out.push({ path, scalar: scalarKey(n) });
  };
  visit(node, []);
  return out;
}

/** The sorted, distinct path names of the leaves one value has and the other has not (as multisets). */
export function differingPaths(a: JsonNode, b: JsonNode, ignore: ReadonlyArray<readonly PatternSegment[]> = []): string[] {
  const count = new Map<string, { name: string; n: number }>();
  const add = (node: JsonNode, d: number) => {
    for (const leaf of leafMultiset(node, ignore)) {
      const name = pathName(leaf.path);
      const key = JSON.stringify([leaf.path, leaf.scalar]);
      const c = count.get(key) ?? { name, n: 0 };
      c.n += d;
      count.set(key, c);
    }
  };
  add(a, 1);
  add(b, -1);
  const names = new Set<string>();
  for (const c of count.values()) if (c.n !== 0) names.add(c.name);
  return [...names].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)); // UTF-16 order, as the filter sorts
}

// ---- changes ----

/** Every value's path in the document, the root included. */
export function allPaths(node: JsonNode, path: Segment[] = [], out: Segment[][] = []): Segment[][] {
  out.push(path);
  if (node.kind === "object") for (const [k, v] of node.members) allPaths(v, [...path, { member: k }], out);
  else if (node.kind === "array") for (const [i, v] of node.items.entries()) allPaths(v, [...path, { index: i }], out);
  return out;
}

export function valueAt(node: JsonNode, path: readonly Segment[]): JsonNode {
  let n = node;
  for (const seg of path) {
    if ("index" in seg) n = (n as { items: JsonNode[] }).items[seg.index]!;
    else n = (n as { members: Array<[string, JsonNode]> }).members.find(([k]) => k === seg.member)![1];
  }
  return n;
}

/** A copy of the document with the value at `path` replaced (`undefined`: the member or element removed). */
export function replaceAt(node: JsonNode, path: readonly Segment[], value: JsonNode | undefined): JsonNode {
  if (path.length === 0) return value ?? { kind: "null" };
  const [seg, ...rest] = path;
  if (node.kind === "array" && "index" in seg!) {
    const items = node.items.slice();
    if (rest.length === 0 && value === undefined) items.splice(seg.index, 1);
    else items[seg.index] = rest.length === 0 ? value! : replaceAt(items[seg.index]!, rest, value);
    return { kind: "array", items };
  }
  if (node.kind === "object" && "member" in seg!) {
    const members: Array<[string, JsonNode]> = [];
    for (const [k, v] of node.members) {
      if (k !== seg.member) members.push([k, v]);
      else if (rest.length > 0) members.push([k, replaceAt(v, rest, value)]);
      else if (value !== undefined) members.push([k, value]);
    }
    return { kind: "object", members };
  }
  throw new Error("replaceAt: no such path");
}

/** The paths of the leaves of a document (scalars and empty containers), ignoring nothing. */
export function leafPaths(node: JsonNode): Segment[][] {
  return allPaths(node).filter((p) => {
    const v = valueAt(node, p);
    return v.kind === "object" ? v.members.length === 0 : v.kind === "array" ? v.items.length === 0 : true;
  });
}

/** A scalar or empty container whose value differs from `old`'s. */
export function differentLeaf(rng: Rng, old: JsonNode): JsonNode {
  for (;;) {
    const r = rng.next();
    const candidate: JsonNode = r < 0.1 ? { kind: "object", members: [] } : r < 0.2 ? { kind: "array", items: [] } : randomScalar(rng);
    // Small changes of the same type too: one digit of a number, one character of a string.
    if (old.kind === "number" && rng.chance(0.3) && old.value.digits !== "") {
      const d = old.value.digits;
      const at = rng.int(0, d.length - 1);
      const digit = String((Number(d[at]) + rng.int(1, 9)) % 10);
      const changed = canonicalNumber(old.value.negative, d.slice(0, at) + digit + d.slice(at + 1), old.value.point);
      if (scalarKey({ kind: "number", value: changed }) !== scalarKey(old)) return { kind: "number", value: changed };
    }
    if (old.kind === "string" && rng.chance(0.3)) {
      const s = old.value + rng.ascii(1);
      return { kind: "string", value: s };
    }
    if (scalarKey(candidate) !== scalarKey(old)) return candidate;
  }
}
