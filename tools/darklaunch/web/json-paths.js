// JSON paths as the filter's comparator writes them: items[3].price, meta.version, ["a.b"] for a
// name that is not [A-Za-z0-9_$@-]+, and $ for the root value. Shared by the diff page (the
// browser loads this file as it is) and the collector (src/samples/paths.ts imports it), so both
// take paths apart the same way.

/** @typedef {{ text: string, end: number }} Segment */

/** The root value's path. */
export const ROOT_PATH = "$";

const PLAIN_NAME = /^[A-Za-z0-9_$@-]+$/;

/**
 * The segments of a path with where each ends in it, so that a prefix keeps the path's own
 * spelling: `items[*].etag` → items (5), [*] (8), etag (13). Bracket segments (`[3]`, `[*]`,
 * `["a.b"]`) stand alone whether or not a dot precedes them; a quoted name may hold `.`, `[`, `]`.
 * @param {string} path
 * @returns {Segment[]}
 */
export function pathSegments(path) {
  /** @type {Segment[]} */
  const segments = [];
  let i = 0;
  while (i < path.length) {
    if (path[i] === ".") {
      i++;
      continue;
    }
    const start = i;
    if (path[i] === "[") {
      if (path[i + 1] === '"') {
        i += 2;
        while (i < path.length && path[i] !== '"') i += path[i] === "\\" ? 2 : 1;
        i += 1; // the closing quote
      }
      while (i < path.length && path[i] !== "]") i++;
      i = Math.min(i + 1, path.length);
    } else {
      while (i < path.length && path[i] !== "." && path[i] !== "[") i++;
    }
    segments.push({ text: path.slice(start, i), end: i });
  }
  return segments;
}

/**
 * `items[3].tags[0]` → `items[*].tags[*]`; quoted names are left as they are.
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
 * One spelling per path (a leading `$` dropped, names quoted only where needed, no dot before a
 * bracket), so that paths written slightly differently compare equal.
 * @param {string} path
 */
export function canonicalPath(path) {
  if (path === ROOT_PATH) return ROOT_PATH;
  let out = "";
  for (const { text } of pathSegments(path)) {
    if (text === ROOT_PATH && out === "") continue;
    if (text.startsWith('["')) {
      /** @type {string} */
      let name;
      try {
        name = JSON.parse(text.slice(1, -1));
      } catch {
        name = text;
      }
      out = childPath(out, name);
    } else if (text.startsWith("[")) {
      out += text;
    } else {
      out = childPath(out, text);
    }
  }
  return out === "" ? ROOT_PATH : out;
}

/**
 * The path of member `name` of the value at `parent` ("" or $ for the root).
 * @param {string} parent
 * @param {string} name
 */
export function childPath(parent, name) {
  const base = parent === ROOT_PATH ? "" : parent;
  if (!PLAIN_NAME.test(name)) return `${base}[${JSON.stringify(name)}]`;
  return base === "" ? name : `${base}.${name}`;
}

/**
 * The path of element `index` of the array at `parent`.
 * @param {string} parent
 * @param {number} index
 */
export function elementPath(parent, index) {
  return `${parent === ROOT_PATH ? "" : parent}[${index}]`;
}
