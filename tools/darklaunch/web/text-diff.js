// The diff page's view of bodies that are not JSON: a line diff (longest common subsequence),
// and for one-line bodies the differing middle of the line.

/** Above this many lines on a side (product of both), only prefix and suffix are matched. */
const MAX_LCS_CELLS = 4_000_000;

/**
 * @typedef {{ op: "same" | "del" | "add", text: string }} LineOp
 */

/**
 * The edit from `a` to `b`, line by line: "del" lines are only in a, "add" lines only in b.
 * @param {string[]} a
 * @param {string[]} b
 * @returns {LineOp[]}
 */
export function lineDiff(a, b) {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  /** @type {LineOp[]} */
  const ops = a.slice(0, start).map((text) => ({ op: /** @type {const} */ ("same"), text }));
  const midA = a.slice(start, endA);
  const midB = b.slice(start, endB);
  if (midA.length * midB.length > MAX_LCS_CELLS) {
    for (const text of midA) ops.push({ op: "del", text });
    for (const text of midB) ops.push({ op: "add", text });
  } else {
    ops.push(...lcsOps(midA, midB));
  }
  for (const text of a.slice(endA)) ops.push({ op: "same", text });
  return ops;
}

/**
 * @param {string[]} a
 * @param {string[]} b
 * @returns {LineOp[]}
 */
function lcsOps(a, b) {
  const n = a.length;
  const m = b.length;
  // lengths[i][j]: LCS length of a[i..] and b[j..], in one flat array.
  const lengths = new Uint32Array((n + 1) * (m + 1));
  const at = (/** @type {number} */ i, /** @type {number} */ j) => i * (m + 1) + j;
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lengths[at(i, j)] = a[i] === b[j] ? lengths[at(i + 1, j + 1)] + 1 : Math.max(lengths[at(i + 1, j)], lengths[at(i, j + 1)]);
    }
  }
  /** @type {LineOp[]} */
  const ops = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      ops.push({ op: "same", text: a[i] });
      i++;
      j++;
    } else if (lengths[at(i + 1, j)] >= lengths[at(i, j + 1)]) {
      ops.push({ op: "del", text: a[i++] });
    } else {
      ops.push({ op: "add", text: b[j++] });
    }
  }
  while (i < n) ops.push({ op: "del", text: a[i++] });
  while (j < m) ops.push({ op: "add", text: b[j++] });
  return ops;
}

/**
 * Where two strings differ: the common prefix and suffix lengths (the rest is the difference).
 * @param {string} a
 * @param {string} b
 */
export function middleDifference(a, b) {
  let prefix = 0;
  while (prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix++;
  let suffix = 0;
  while (suffix < a.length - prefix && suffix < b.length - prefix && a[a.length - 1 - suffix] === b[b.length - 1 - suffix]) suffix++;
  return { prefix, suffix };
}
