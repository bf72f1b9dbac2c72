// A few DOM helpers for the diff page. Everything from the samples goes in as text nodes, never
// as HTML: a response body must not be able to become markup on this page.

/**
 * @typedef {string | number | Node | null | undefined | false} Child
 */

/**
 * An element with attributes (class, href, title, data-*, on* handlers) and children.
 * @param {string} tag
 * @param {Record<string, string | number | boolean | ((e: Event) => void) | undefined>} [attrs]
 * @param {...(Child | Child[])} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === "function") el.addEventListener(name.replace(/^on/, ""), value);
    else if (name === "class") el.className = String(value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

/**
 * @param {Node} parent
 * @param {(Child | Child[])[]} children
 */
export function append(parent, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child);
  }
}

/** @param {number} n */
export const count = (n) => n.toLocaleString("en-US");

/**
 * A share as a percentage with one decimal, or an en dash when there is no denominator.
 * @param {number} part
 * @param {number} whole
 */
export function percent(part, whole) {
  return whole > 0 ? `${((part / whole) * 100).toFixed(1)}%` : "–";
}

/**
 * A small horizontal bar and the percentage.
 * @param {number} part
 * @param {number} whole
 * @param {"dark" | "noise"} side
 */
export function bar(part, whole, side) {
  const width = whole > 0 ? Math.max(part > 0 ? 2 : 0, Math.round((part / whole) * 80)) : 0;
  const fill = h("span", { class: `bar ${side}` });
  fill.style.width = `${width}px`; // a CSSOM property, which the page's CSP allows (a style attribute it would not)
  return h("span", { class: "pctcell" }, fill, h("span", { class: "pct" }, percent(part, whole)));
}

/** @param {string} iso */
export function shortTime(iso) {
  return iso.replace("T", " ").replace(/\.[0-9]+Z$/, "Z");
}
