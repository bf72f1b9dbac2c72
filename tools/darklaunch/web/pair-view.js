// The pair view: primary, dark and (when there is one) noise response side by side, with what
// differs from the primary highlighted: JSON bodies pretty-printed with the differing paths
// marked (those the filter reported get a bar at the left), other bodies as a line diff.

import { append, h } from "./dom.js";
import { isMarked, jsonDifferences, jsonLines } from "./json-diff.js";
import { canonicalPath } from "./json-paths.js";
import { lineDiff, middleDifference } from "./text-diff.js";

/**
 * @typedef {{ status: number, grpc_status: number | null, headers: Record<string, string>, body: string,
 *   body_base64: boolean, truncated: boolean, redacted: boolean, part?: string, paths?: string[] }} SampleResponse
 * @typedef {{ name: "primary" | "dark" | "noise", title: string, response: SampleResponse, reported: Set<string> }} Side
 */

/**
 * @param {{ paths: string[], primary: SampleResponse, dark: SampleResponse, noise: SampleResponse | { part: "incomplete" } | null }} doc
 * @returns {HTMLElement}
 */
export function pairView(doc) {
  /** @type {Side[]} */
  const sides = [
    { name: "primary", title: "Primary", response: doc.primary, reported: new Set() },
    { name: "dark", title: "Dark", response: doc.dark, reported: new Set(doc.paths.map(canonicalPath)) },
  ];
  const noise = doc.noise;
  if (noise !== null && noise.part !== "incomplete") {
    const full = /** @type {SampleResponse} */ (noise);
    sides.push({ name: "noise", title: "Noise", response: full, reported: new Set((full.paths ?? []).map(canonicalPath)) });
  }
  const bodies = bodyViews(sides);
  const columns = sides.map((side, i) =>
    h(
      "section",
      { class: `side ${side.name}`, "data-side": side.name },
      h("h3", {}, side.title),
      fieldsTable(side, sides[0]),
      flags(side.response),
      bodies[i],
    ),
  );
  const grid = h("div", { class: `pair cols-${sides.length}` }, columns);
  if (noise !== null && noise.part === "incomplete") {
    return h("div", {}, h("p", { class: "muted" }, "Noise: no response to show (the noise call failed or timed out)."), grid);
  }
  return grid;
}

/**
 * Status, grpc-status and the sampled headers, each highlighted where it differs from the primary.
 * @param {Side} side
 * @param {Side} primary
 */
function fieldsTable(side, primary) {
  const cls = side.name === "noise" ? "diff-noise" : "diff-dark";
  /** @type {HTMLElement[]} */
  const rows = [];
  /**
   * @param {string} label
   * @param {string} value
   * @param {string} primaryValue
   * @param {string} field
   */
  const row = (label, value, primaryValue, field) =>
    rows.push(
      h(
        "tr",
        { "data-field": field },
        h("th", {}, label),
        h("td", { class: side.name !== "primary" && value !== primaryValue ? cls : undefined }, value),
      ),
    );
  row("status", String(side.response.status), String(primary.response.status), "status");
  if (side.response.grpc_status !== null || primary.response.grpc_status !== null) {
    row("grpc-status", String(side.response.grpc_status ?? "–"), String(primary.response.grpc_status ?? "–"), "grpc-status");
  }
  const names = [...new Set([...Object.keys(primary.response.headers), ...Object.keys(side.response.headers)])].sort();
  for (const name of names) {
    row(name, side.response.headers[name] ?? "(absent)", primary.response.headers[name] ?? "(absent)", `header:${name}`);
  }
  return h("table", {}, h("tbody", {}, rows));
}

/** @param {SampleResponse} r */
function flags(r) {
  const notes = [];
  if (r.truncated) notes.push("cut at samples.max_body_bytes");
  if (r.redacted) notes.push("values redacted");
  if (r.body_base64) notes.push("not UTF-8: shown as base64");
  if (r.body === "") notes.push("empty body");
  return notes.length === 0 ? null : h("div", { class: "flags" }, notes.join(" · "));
}

/**
 * @param {SampleResponse} r
 * @returns {{ ok: true, value: unknown } | { ok: false }}
 */
function parseJson(r) {
  if (r.body_base64 || r.body.trim() === "") return { ok: false };
  try {
    return { ok: true, value: JSON.parse(r.body) };
  } catch {
    return { ok: false };
  }
}

/**
 * One body view per side: JSON-aware when every body parses as JSON, else a text diff.
 * @param {Side[]} sides
 * @returns {HTMLElement[]}
 */
function bodyViews(sides) {
  const parsed = sides.map((s) => parseJson(s.response));
  if (parsed.every((p) => p.ok)) {
    const values = parsed.map((p) => /** @type {{ ok: true, value: unknown }} */ (p).value);
    return jsonViews(sides, values);
  }
  return textViews(sides);
}

/**
 * @param {Side[]} sides
 * @param {unknown[]} values
 */
function jsonViews(sides, values) {
  // Differences against the primary: computed here, plus those the filter reported (its number
  // comparison is exact where JavaScript's is not).
  const against = sides.map((side, i) => {
    if (i === 0) return new Set();
    const set = jsonDifferences(values[0], values[i]);
    for (const p of side.reported) set.add(p);
    return set;
  });
  return sides.map((side, i) => {
    const lines = jsonLines(values[i]);
    const pre = h("pre", { class: "body json", "data-mode": "json" });
    for (const line of lines) {
      const classes = ["ln"];
      if (i === 0) {
        sides.forEach((other, j) => {
          if (j > 0 && isMarked(line.path, against[j])) classes.push(other.name === "noise" ? "diff-noise" : "diff-dark");
        });
      } else {
        if (isMarked(line.path, against[i])) classes.push(side.name === "noise" ? "diff-noise" : "diff-dark");
        if (isMarked(line.path, side.reported)) classes.push(side.name === "noise" ? "reported-noise" : "reported");
      }
      const div = h("div", { class: [...new Set(classes)].join(" "), "data-path": line.path });
      append(div, ["  ".repeat(line.depth)]);
      if (line.key !== null) append(div, [h("span", { class: "key" }, line.key), ": "]);
      append(div, [line.text + (line.comma ? "," : "")]);
      pre.appendChild(div);
    }
    return pre;
  });
}

/**
 * @param {Side[]} sides
 */
function textViews(sides) {
  const texts = sides.map((s) => s.response.body);
  const lines = texts.map((t) => t.split("\n"));
  /** @type {Map<number, Set<string>>} primary line index → classes */
  const primaryMarks = new Map();
  const views = sides.map((side, i) => {
    const pre = h("pre", { class: "body text", "data-mode": "text" });
    if (i === 0) return pre; // filled once the other sides are known
    const cls = side.name === "noise" ? "diff-noise" : "diff-dark";
    if (lines[0].length === 1 && lines[i].length === 1) {
      // One line each (minified, or short): mark the differing middle of the line.
      const { prefix, suffix } = middleDifference(texts[0], texts[i]);
      const same = texts[0] === texts[i];
      if (!same) primaryMarks.set(0, new Set([...(primaryMarks.get(0) ?? []), `mid:${cls}:${prefix}:${suffix}`]));
      pre.appendChild(markedLine(texts[i], same ? null : { prefix, suffix, cls }));
      return pre;
    }
    let a = 0;
    for (const op of lineDiff(lines[0], lines[i])) {
      if (op.op === "add") pre.appendChild(h("div", { class: `ln wrap ${cls}` }, op.text));
      else {
        if (op.op === "del") primaryMarks.set(a, new Set([...(primaryMarks.get(a) ?? []), cls]));
        else pre.appendChild(h("div", { class: "ln wrap" }, op.text));
        a++;
      }
    }
    return pre;
  });
  lines[0].forEach((text, index) => {
    const marks = [...(primaryMarks.get(index) ?? [])];
    const middle = marks.find((m) => m.startsWith("mid:"));
    if (middle !== undefined) {
      const [, cls, prefix, suffix] = middle.split(":");
      views[0].appendChild(markedLine(text, { prefix: Number(prefix), suffix: Number(suffix), cls: /** @type {string} */ (cls) }));
    } else {
      views[0].appendChild(h("div", { class: ["ln", "wrap", ...marks].join(" ") }, text));
    }
  });
  return views;
}

/**
 * A line with its middle (between a common prefix and suffix) marked.
 * @param {string} text
 * @param {{ prefix: number, suffix: number, cls: string } | null} mark
 */
function markedLine(text, mark) {
  if (mark === null) return h("div", { class: "ln wrap" }, text);
  const end = text.length - mark.suffix;
  return h(
    "div",
    { class: "ln wrap" },
    text.slice(0, mark.prefix),
    h("mark", { class: mark.cls }, text.slice(mark.prefix, Math.max(mark.prefix, end))),
    text.slice(Math.max(mark.prefix, end)),
  );
}
