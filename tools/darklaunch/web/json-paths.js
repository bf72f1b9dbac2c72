// JSON paths exactly as the filter's comparator names them (assembly/darklaunch/json_names.ts;
// docs/json-comparison.md, "Naming what differs"): items[3].price, meta.version, ["a.b"] for a
// name that is not [A-Za-z0-9_$@-]+ (with \" \\ and \u00XX escapes, space, "," and "=" escaped
// too), [2].id under a root array, (root) for the root value ("$" is a member name), and names
// longer than 63 bytes cut and ending in "...". Shared by the diff page (the browser loads this
// file as it is) and the collector (src/samples/paths.ts imports it), so both take paths apart and
// spell them the same way.

/** @typedef {{ text: string, end: number }} Segment */
/** @typedef {{ member: string } | { index: number }} Step */

/** The root value's name. */
export const ROOT_PATH = "(root)";
/** The end of a name cut at NAME_KEPT_BYTES. */
export const CUT_MARK = "...";
/** Bytes of a name the comparator keeps; longer names are cut and end with CUT_MARK. */
const NAME_KEPT_BYTES = 63;
/** Bytes of a member name the comparator spells; a longer one makes the whole name cut. */
const KEY_KEPT_BYTES = 64;
const NAME_CHAR = /^[A-Za-z0-9_$@-]$/;

/**
 * Whether `path` is a cut name: its end is unknown, so it names no one path (never an ignore
 * entry; it covers the paths it is a cut of).
 * @param {string} path
 */
export function isCutPath(path) {
  return path.endsWith(CUT_MARK);
}

/**
 * The code points of `s` with their UTF-8 sizes; a lone surrogate counts 3 bytes, as the filter
 * keeps it.
 * @param {string} s
 * @returns {{ cp: number, text: string, size: number, lone: boolean }[]}
 */
function codePoints(s) {
  const out = [];
  for (let i = 0; i < s.length; i++) {
    const unit = s.charCodeAt(i);
    const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
    if (unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      out.push({ cp: 0x10000 + ((unit - 0xd800) << 10) + (next - 0xdc00), text: s.slice(i, i + 2), size: 4, lone: false });
      i++;
      continue;
    }
    const lone = unit >= 0xd800 && unit <= 0xdfff;
    out.push({ cp: unit, text: s[i] ?? "", size: unit < 0x80 ? 1 : unit < 0x800 ? 2 : 3, lone });
  }
  return out;
}

/** @param {number} unit */
const hexEscape = (unit) => `\\u${unit.toString(16).padStart(4, "0")}`;

/**
 * A member's segment as the comparator spells it: `.name` (no dot first) when its first 64 bytes
 * are all [A-Za-z0-9_$@-], else `["…"]`; a member name longer than 64 bytes is spelled from its
 * first 64 and leaves the quotes open (the whole name is then cut).
 * @param {string} name
 * @param {boolean} first
 * @returns {{ text: string, long: boolean }}
 */
function memberSegment(name, first) {
  let bytes = 0;
  let plain = name.length > 0;
  let spelled = "";
  let quoted = "";
  for (const c of codePoints(name)) {
    if (bytes >= KEY_KEPT_BYTES) {
      bytes += c.size;
      continue;
    }
    if (c.cp >= 0x80 || !NAME_CHAR.test(c.text)) plain = false;
    if (bytes + c.size <= KEY_KEPT_BYTES) {
      spelled += c.text;
      if (c.cp === 0x22 || c.cp === 0x5c) quoted += `\\${c.text}`;
      else if (c.cp <= 0x20 || c.cp === 0x2c || c.cp === 0x3d || c.lone) quoted += hexEscape(c.cp);
      else quoted += c.text;
    }
    bytes += c.size;
  }
  const long = bytes > KEY_KEPT_BYTES;
  if (plain) return { text: (first ? "" : ".") + spelled, long };
  return { text: `["${quoted}${long ? "" : '"]'}`, long };
}

/**
 * The comparator's name of the value reached by `steps` from the root: `items[3].price`,
 * `["a.b"].c`, `[2].id`, `(root)`; over 63 bytes, cut there (never inside a character) with "...".
 * @param {readonly Step[]} steps
 */
export function pathName(steps) {
  if (steps.length === 0) return ROOT_PATH;
  let name = "";
  let cut = false;
  for (const step of steps) {
    if ("index" in step) {
      name += `[${step.index}]`;
      continue;
    }
    const segment = memberSegment(step.member, name === "");
    name += segment.text;
    if (segment.long) {
      cut = true;
      break;
    }
  }
  const bytes = new TextEncoder().encode(name);
  if (!cut && bytes.length <= NAME_KEPT_BYTES) return name;
  let kept = Math.min(NAME_KEPT_BYTES, bytes.length);
  let lead = kept - 1;
  while (lead > 0 && ((bytes[lead] ?? 0) & 0xc0) === 0x80) lead--;
  const c = bytes[lead] ?? 0;
  const size = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
  if (lead + size > kept) kept = lead;
  return new TextDecoder().decode(bytes.subarray(0, kept)) + CUT_MARK;
}

/**
 * The segments of a path with where each ends in it, so that a prefix keeps the path's own
 * spelling: `items[*].etag` → items (5), [*] (8), etag (13). Bracket segments (`[3]`, `[*]`,
 * `["a.b"]`) stand alone whether or not a dot precedes them; a quoted name may hold `.`, `[`, `]`.
 * `(root)` is one segment; the last segment of a cut path holds its "...".
 * @param {string} path
 * @returns {Segment[]}
 */
export function pathSegments(path) {
  if (path === ROOT_PATH) return [{ text: path, end: path.length }];
  const cut = isCutPath(path);
  const body = cut ? path.slice(0, -CUT_MARK.length) : path;
  /** @type {Segment[]} */
  const segments = [];
  let i = 0;
  while (i < body.length) {
    if (body[i] === ".") {
      i++;
      continue;
    }
    const start = i;
    if (body[i] === "[") {
      if (body[i + 1] === '"') {
        i += 2;
        while (i < body.length && body[i] !== '"') i += body[i] === "\\" ? 2 : 1;
        i += 1; // the closing quote
      }
      while (i < body.length && body[i] !== "]") i++;
      i = Math.min(i + 1, body.length);
    } else {
      while (i < body.length && body[i] !== "." && body[i] !== "[") i++;
    }
    segments.push({ text: body.slice(start, i), end: i });
  }
  if (cut) {
    const last = segments[segments.length - 1];
    if (last !== undefined && last.end === body.length) {
      segments[segments.length - 1] = { text: last.text + CUT_MARK, end: path.length };
    } else {
      // Cut right after a dot: the cut segment is the mark alone.
      segments.push({ text: CUT_MARK, end: path.length });
    }
  }
  return segments;
}

/**
 * `items[3].tags[0]` → `items[*].tags[*]`; quoted names (and a cut end) are left as they are.
 * @param {string} path
 */
export function generalisePath(path) {
  let out = "";
  let last = 0;
  for (const segment of pathSegments(path)) {
    const start = segment.end - segment.text.length;
    out += path.slice(last, start);
    out += /^\[[0-9]+\]$/.test(segment.text) ? "[*]" : segment.text;
    last = segment.end;
  }
  return out + path.slice(last);
}

/**
 * The path's prefixes, each in the path's own spelling: `a.b[*]` → a, a.b, a.b[*].
 * @param {string} path
 */
export function pathPrefixes(path) {
  return pathSegments(path).map((s) => path.slice(0, s.end));
}

/**
 * The comparator's spelling of a path written another way (`meta.["version"]` → `meta.version`,
 * `["id"]` → `id`), so that paths compare equal however they were written. The root, cut names,
 * `[*]` and anything that does not parse are returned as they are.
 * @param {string} path
 */
export function canonicalPath(path) {
  if (path === ROOT_PATH || isCutPath(path)) return path;
  /** @type {Step[]} */
  const steps = [];
  for (const { text } of pathSegments(path)) {
    if (text.startsWith('["')) {
      try {
        steps.push({ member: String(JSON.parse(text.slice(1, -1))) });
      } catch {
        return path;
      }
    } else if (/^\[[0-9]+\]$/.test(text)) {
      steps.push({ index: Number(text.slice(1, -1)) });
    } else if (text.startsWith("[") || text === "*" || text === "**") {
      return path;
    } else {
      steps.push({ member: text });
    }
  }
  return steps.length === 0 ? path : pathName(steps);
}
