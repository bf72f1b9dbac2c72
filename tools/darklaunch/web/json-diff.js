// The diff page's JSON view: where two parsed JSON values differ (by path, in the comparator's
// spelling), and a value pretty-printed as lines that each know their path, so that the lines of
// a differing path (or of anything under it) can be highlighted.

import { CUT_MARK, isCutPath, pathName, ROOT_PATH } from "./json-paths.js";

/** @typedef {import("./json-paths.js").Step} Step */

/** Stop collecting differences past this many (the view stays readable; the first ones show). */
const MAX_DIFFERENCES = 2000;

/**
 * @param {unknown} value
 * @returns {"object" | "array" | "null" | "string" | "number" | "boolean"}
 */
function kind(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return /** @type {"object" | "string" | "number" | "boolean"} */ (typeof value);
}

/**
 * The paths at which `a` and `b` differ: a member only one side has, a value of another type or
 * another value, an element beyond the other array's end. Object members are compared as a set,
 * arrays in order, as the filter compares them.
 * @param {unknown} a
 * @param {unknown} b
 * @returns {Set<string>}
 */
export function jsonDifferences(a, b) {
  /** @type {Set<string>} */
  const out = new Set();
  walk(a, b, [], out);
  return out;
}

/**
 * @param {unknown} a
 * @param {unknown} b
 * @param {Step[]} steps
 * @param {Set<string>} out
 */
function walk(a, b, steps, out) {
  if (out.size >= MAX_DIFFERENCES) return;
  const ka = kind(a);
  if (ka !== kind(b)) {
    out.add(pathName(steps));
  } else if (ka === "object") {
    const oa = /** @type {Record<string, unknown>} */ (a);
    const ob = /** @type {Record<string, unknown>} */ (b);
    for (const name of new Set([...Object.keys(oa), ...Object.keys(ob)])) {
      const p = [...steps, { member: name }];
      if (!Object.hasOwn(oa, name) || !Object.hasOwn(ob, name)) out.add(pathName(p));
      else walk(oa[name], ob[name], p, out);
    }
  } else if (ka === "array") {
    const aa = /** @type {unknown[]} */ (a);
    const ab = /** @type {unknown[]} */ (b);
    for (let i = 0; i < Math.max(aa.length, ab.length); i++) {
      const p = [...steps, { index: i }];
      if (i >= aa.length || i >= ab.length) out.add(pathName(p));
      else walk(aa[i], ab[i], p, out);
    }
  } else if (a !== b) {
    out.add(pathName(steps));
  }
}

/**
 * @typedef {object} JsonLine
 * @property {number} depth
 * @property {string | null} key   the member name shown before the value, JSON-quoted
 * @property {string} text         the value, or an opening or closing bracket
 * @property {string} path         the comparator's name of the value this line belongs to
 * @property {boolean} comma
 */

/**
 * A value pretty-printed, two spaces per level, one line per primitive and per bracket.
 * @param {unknown} value
 * @returns {JsonLine[]}
 */
export function jsonLines(value) {
  /** @type {JsonLine[]} */
  const lines = [];
  emit(value, [], 0, null, false, lines);
  return lines;
}

/**
 * @param {unknown} value
 * @param {Step[]} steps
 * @param {number} depth
 * @param {string | null} key
 * @param {boolean} comma
 * @param {JsonLine[]} lines
 */
function emit(value, steps, depth, key, comma, lines) {
  const path = pathName(steps);
  const k = kind(value);
  if (k === "object" || k === "array") {
    /** @type {{ key: string | null, steps: Step[], v: unknown }[]} */
    const entries =
      k === "object"
        ? Object.entries(/** @type {Record<string, unknown>} */ (value)).map(([name, v]) => ({
            key: JSON.stringify(name),
            steps: [...steps, { member: name }],
            v,
          }))
        : /** @type {unknown[]} */ (value).map((v, i) => ({ key: null, steps: [...steps, { index: i }], v }));
    const [open, close] = k === "object" ? ["{", "}"] : ["[", "]"];
    if (entries.length === 0) {
      lines.push({ depth, key, text: open + close, path, comma });
      return;
    }
    lines.push({ depth, key, text: open, path, comma: false });
    for (const [i, e] of entries.entries()) emit(e.v, e.steps, depth + 1, e.key, i < entries.length - 1, lines);
    lines.push({ depth, key: null, text: close, path, comma });
    return;
  }
  lines.push({ depth, key, text: JSON.stringify(value), path, comma });
}

/**
 * True when `path` is one of `marked` or lies under one of them (a member of a differing object
 * differs with it). Both are comparator names: a cut name covers the values whose names it is a
 * cut of (they are cut to the same name), and only the kept part of a cut path has ancestors.
 * @param {string} path
 * @param {Set<string>} marked
 */
export function isMarked(path, marked) {
  if (marked.has(path) || marked.has(ROOT_PATH)) return true;
  const known = isCutPath(path) ? path.length - CUT_MARK.length : path.length;
  for (let i = known - 1; i > 0; i--) {
    const c = path[i];
    if ((c === "." || c === "[") && marked.has(path.slice(0, i))) return true;
  }
  return false;
}
