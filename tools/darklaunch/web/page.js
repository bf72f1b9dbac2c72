// The diff page served by `darklaunch collect` at /. Three views, chosen by the URL's hash:
//   #/                      the rules, with the share of their samples that differ (dark, noise)
//   #/rule/NAME[/key/PATH]  a rule's tree of differing parts and JSON paths, the suggested
//                           compare.body.ignore list, and samples that differ at the chosen path
//   #/sample/ID             one pair: primary, dark (and noise) side by side, differences marked
// Data from the collector's JSON API (/api/...), read fresh on every view.

import { bar, count, h, shortTime } from "./dom.js";
import { ROOT_PATH } from "./json-paths.js";
import { pairView } from "./pair-view.js";

/**
 * @param {string} path
 * @returns {Promise<any>}
 */
async function api(path) {
  const response = await fetch(path, { cache: "no-store" });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error ?? `${path}: HTTP ${response.status}`);
  return body;
}

/** @param {HTMLElement[]} nodes */
function show(...nodes) {
  const main = /** @type {HTMLElement} */ (document.getElementById("main"));
  main.replaceChildren(...nodes);
}

const ruleLink = (/** @type {string} */ rule) => `#/rule/${encodeURIComponent(rule)}`;
const sampleLink = (/** @type {number} */ id) => `#/sample/${id}`;

async function showInfo() {
  const info = await api("/api/info");
  const days = info.keep_seconds / 86400;
  const keep = days >= 1 && Number.isInteger(days) ? `${days} d` : `${info.keep_seconds} s`;
  const el = /** @type {HTMLElement} */ (document.getElementById("info"));
  el.textContent = `${count(info.samples)} samples stored · kept ${keep}, at most ${count(info.max_samples)}`;
}

// ---------------------------------------------------------------------------------------------
// #/  the rules

async function overview() {
  const diff = await api("/api/diff");
  if (diff.rules.length === 0) {
    show(
      h("h1", {}, "Rules"),
      h(
        "p",
        { class: "empty" },
        "No samples yet. Samples arrive when the filter's samples.cluster points at this collector and pairs differ.",
      ),
    );
    return;
  }
  const rows = diff.rules.map((/** @type {any} */ r) => {
    const differ = r.samples - r.parts.match;
    const noiseDiffer = r.noise_parts.status + r.noise_parts.headers + r.noise_parts.body;
    return h(
      "tr",
      { class: "clickable", "data-rule": r.rule, onclick: () => (location.hash = ruleLink(r.rule)) },
      h("td", {}, h("a", { href: ruleLink(r.rule) }, r.rule)),
      h("td", { class: "num" }, count(r.samples)),
      h("td", { "data-col": "dark" }, bar(differ, r.samples, "dark"), h("span", { class: "muted" }, ` ${count(differ)}`)),
      h(
        "td",
        { "data-col": "noise" },
        r.noise_samples > 0
          ? [
              bar(noiseDiffer, r.noise_samples, "noise"),
              h("span", { class: "muted" }, ` ${count(noiseDiffer)} of ${count(r.noise_samples)}`),
            ]
          : h(
              "span",
              { class: "muted" },
              r.noise_parts.incomplete > 0 ? `no noise response (${count(r.noise_parts.incomplete)} incomplete)` : "no noise cluster",
            ),
      ),
      h("td", { class: "num" }, count(r.parts.status)),
      h("td", { class: "num" }, count(r.parts.headers)),
      h("td", { class: "num" }, count(r.parts.body)),
      h("td", { class: "num" }, count(r.parts.match)),
      h("td", { class: "muted" }, shortTime(r.last_received)),
    );
  });
  show(
    h("h1", {}, "Rules"),
    h(
      "p",
      { class: "sub" },
      "Share of each rule's samples in which the dark response differs from the primary, and in which the noise response (a second copy of the current version) does.",
    ),
    h(
      "table",
      { id: "rules" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ["rule", "samples", "dark differs", "noise differs", "status", "headers", "body", "match", "last sample"].map((t, i) =>
            h("th", { class: i === 1 || (i >= 4 && i <= 7) ? "num" : undefined }, t),
          ),
        ),
      ),
      h("tbody", {}, rows),
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// #/rule/NAME  the tree of differences

/**
 * @typedef {{ label: string, path: string, dark: number, noise: number, exact: boolean, children: TreeNode[] }} TreeNode
 */

/**
 * @param {string} rule
 * @param {string | null} key
 */
async function ruleView(rule, key) {
  const [diff, tree] = await Promise.all([
    api(`/api/diff?rule=${encodeURIComponent(rule)}`),
    api(`/api/tree?rule=${encodeURIComponent(rule)}`),
  ]);
  const r = diff.rules[0];
  const diffy = new Map(r.differences.map((/** @type {any} */ d) => [d.what, d.diffy]));
  const withNoise = r.noise_samples > 0;
  /** @type {HTMLElement[]} */
  const rows = [];
  /**
   * @param {TreeNode} node
   * @param {number} depth
   */
  const addRow = (node, depth) => {
    // (status), (headers), (body); (root) is a JSON path, the root value.
    const isPart = node.path.startsWith("(") && node.path !== ROOT_PATH;
    const label = h("span", { class: "tree-path" });
    label.style.paddingLeft = `${depth * 1.2}em`;
    label.append(h("span", { class: `seg${isPart ? " part" : ""}`, title: node.path }, isPart ? node.label.slice(1, -1) : node.label));
    const judgement = node.exact ? diffy.get(node.path) : null;
    rows.push(
      h(
        "tr",
        {
          class: `clickable${node.path === key ? " selected" : ""}`,
          "data-path": node.path,
          onclick: () => (location.hash = `${ruleLink(rule)}/key/${encodeURIComponent(node.path)}`),
        },
        h("td", {}, label),
        h("td", { "data-col": "dark" }, bar(node.dark, r.samples, "dark")),
        h("td", { class: "num" }, count(node.dark)),
        withNoise ? h("td", { "data-col": "noise" }, bar(node.noise, r.noise_samples, "noise")) : null,
        withNoise ? h("td", { class: "num" }, count(node.noise)) : null,
        withNoise
          ? h(
              "td",
              {},
              judgement === "real"
                ? h("span", { class: "tag real" }, "real")
                : judgement === "noise"
                  ? h("span", { class: "tag noise" }, "noise")
                  : "",
            )
          : null,
      ),
    );
    for (const child of node.children) addRow(child, depth + 1);
  };
  for (const node of tree.nodes) addRow(node, 0);

  const noiseLine = withNoise
    ? `${count(r.noise_samples)} with a noise response`
    : r.noise_parts.incomplete > 0
      ? "noise calls incomplete"
      : "no noise cluster";
  const head = [
    h("p", {}, h("a", { href: "#/" }, "← rules")),
    h("h1", {}, r.rule),
    h("p", { class: "sub" }, `${count(r.samples)} samples · ${noiseLine} · ${shortTime(r.first_received)} – ${shortTime(r.last_received)}`),
  ];
  const table =
    rows.length === 0
      ? h("p", { class: "empty" }, "No differences in these samples (matching pairs sampled as a baseline only).")
      : h(
          "table",
          { id: "tree" },
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              h("th", {}, "part / JSON path"),
              h("th", {}, "% differing"),
              h("th", { class: "num" }, "dark"),
              withNoise ? h("th", {}, "% noise") : null,
              withNoise ? h("th", { class: "num" }, "noise") : null,
              withNoise ? h("th", { title: "Diffy's rule: real when dark > noise, relative > 20 % and absolute > 0.03 %" }, "diffy") : null,
            ),
          ),
          h("tbody", {}, rows),
        );
  const side = [suggestionBox(r)];
  if (key !== null) side.unshift(await samplesBox(rule, key));
  show(...head, h("div", { class: "layout" }, h("div", {}, table), h("div", {}, side)));
}

/** @param {any} r */
function suggestionBox(r) {
  const yaml =
    r.suggestion.ignore.length === 0
      ? "ignore: []"
      : [
          "ignore:",
          ...r.suggestion.ignore.map((/** @type {string} */ p) => `  - ${/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(p) ? p : JSON.stringify(p)}`),
        ].join("\n");
  return h(
    "section",
    { id: "suggestion" },
    h("h2", {}, "Suggested compare.body.ignore"),
    h("p", { class: "sub" }, `${r.suggestion.explanation}.`),
    h("pre", { class: "yaml" }, yaml),
    h("p", { class: "muted" }, `The same with comments: darklaunch noise --rule ${r.rule}`),
  );
}

/**
 * @param {string} rule
 * @param {string} key
 */
async function samplesBox(rule, key) {
  const { samples } = await api(`/api/samples?rule=${encodeURIComponent(rule)}&key=${encodeURIComponent(key)}&limit=20`);
  return h(
    "section",
    { id: "examples" },
    h("h2", {}, "Samples differing at ", h("code", {}, key)),
    samples.length === 0
      ? h("p", { class: "empty" }, "None left (deleted by retention).")
      : h(
          "table",
          {},
          h(
            "tbody",
            {},
            samples.map((/** @type {any} */ s) =>
              h(
                "tr",
                { class: "clickable", onclick: () => (location.hash = sampleLink(s.id)) },
                h("td", {}, h("a", { href: sampleLink(s.id) }, `${s.method} ${s.path}`)),
                h("td", { class: "mono" }, s.x_request_id ?? "–"),
                h("td", { class: "muted" }, shortTime(s.time)),
              ),
            ),
          ),
        ),
  );
}

// ---------------------------------------------------------------------------------------------
// #/sample/ID  one pair

/** @param {number} id */
async function sampleView(id) {
  const { doc, received } = await api(`/api/samples/${id}`);
  /**
   * @param {string} part
   * @param {string[]} paths
   */
  const what = (part, paths) =>
    (part === "match" ? "matches the primary" : `differs: ${part}`) + (paths.length > 0 ? ` at ${paths.join(", ")}` : "");
  const noise = doc.noise;
  show(
    h("p", {}, h("a", { href: ruleLink(doc.rule) }, `← ${doc.rule}`)),
    h("h1", {}, `${doc.method} ${doc.path}`),
    h(
      "dl",
      { class: "meta" },
      h("dt", {}, "rule"),
      h("dd", {}, doc.rule),
      h("dt", {}, "x-request-id"),
      h("dd", { class: "mono" }, doc.x_request_id ?? "(none)"),
      h("dt", {}, "compared"),
      h("dd", {}, `${shortTime(doc.time)} (received ${shortTime(received)})`),
      h("dt", {}, "dark"),
      h("dd", { id: "dark-part" }, what(doc.part, doc.paths)),
      noise === null ? null : h("dt", {}, "noise"),
      noise === null
        ? null
        : h("dd", { id: "noise-part" }, noise.part === "incomplete" ? "no response (failed or timed out)" : what(noise.part, noise.paths)),
    ),
    h(
      "p",
      { class: "legend" },
      h("span", { class: "diff-dark" }, "differs: dark vs primary"),
      noise !== null && noise.part !== "incomplete" ? h("span", { class: "diff-noise" }, "differs: noise vs primary") : null,
      h("span", { class: "reported" }, "a path the filter reported"),
    ),
    pairView(doc),
  );
}

// ---------------------------------------------------------------------------------------------

async function route() {
  const hash = decodeURIComponent(location.hash.replace(/^#/, "")) === "" ? "/" : location.hash.slice(1);
  const parts = hash.split("/").slice(1).map(decodeURIComponent);
  try {
    await showInfo();
    if (parts[0] === "rule" && parts[1] !== undefined)
      await ruleView(parts[1], parts[2] === "key" && parts[3] !== undefined ? parts.slice(3).join("/") : null);
    else if (parts[0] === "sample" && /^[0-9]+$/.test(parts[1] ?? "")) await sampleView(Number(parts[1]));
    else await overview();
    document.body.dataset.view = parts[0] === "rule" || parts[0] === "sample" ? parts[0] : "rules";
    // Which address the page now shows, for whoever waits on it (the browser tests do).
    document.body.dataset.shown = location.hash === "" ? "#/" : location.hash;
  } catch (err) {
    show(
      h("p", { class: "error" }, `Could not load: ${/** @type {Error} */ (err).message}`),
      h("p", {}, h("a", { href: "#/" }, "← rules")),
    );
    document.body.dataset.view = "error";
  }
}

window.addEventListener("hashchange", () => void route());
void route();
