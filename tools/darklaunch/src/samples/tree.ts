// The page's tree of differences for one rule: the parts (status, headers, body as bytes) and
// the JSON paths, each node counting the samples that differ at it or anywhere under it (a
// sample counts once per node however many of its paths lie below).

import { isPartKey, pathPrefixes, pathSegments } from "./paths.js";
import type { DifferenceRow } from "./store.js";

export interface TreeNode {
  /** The node's own segment as written (items, [*], ["a.b"]), or the part key. */
  label: string;
  /** The path up to this node in the comparator's spelling; the key for part nodes. */
  path: string;
  /** Samples whose dark response differs at or under this node. */
  dark: number;
  /** Samples whose noise response differs at or under this node. */
  noise: number;
  /** true when some sample reports this exact path (not only paths under it). */
  exact: boolean;
  children: TreeNode[];
}

interface Building {
  node: TreeNode;
  darkSamples: Set<number>;
  noiseSamples: Set<number>;
  children: Map<string, Building>;
}

function building(label: string, path: string): Building {
  return {
    node: { label, path, dark: 0, noise: 0, exact: false, children: [] },
    darkSamples: new Set(),
    noiseSamples: new Set(),
    children: new Map(),
  };
}

function finish(b: Building): TreeNode {
  b.node.dark = b.darkSamples.size;
  b.node.noise = b.noiseSamples.size;
  b.node.children = [...b.children.values()].map(finish).sort((x, y) => y.dark - x.dark || y.noise - x.noise || (x.path < y.path ? -1 : 1));
  return b.node;
}

/** The forest of top-level nodes: part keys and the first segments of JSON paths. */
export function differenceTree(rows: readonly DifferenceRow[]): TreeNode[] {
  const roots = new Map<string, Building>();
  for (const row of rows) {
    const chain = isPartKey(row.key) ? [{ prefix: row.key, label: row.key }] : pathChain(row.key);
    let level = roots;
    chain.forEach((link, i) => {
      let b = level.get(link.prefix);
      if (b === undefined) {
        b = building(link.label, link.prefix);
        level.set(link.prefix, b);
      }
      (row.side === "dark" ? b.darkSamples : b.noiseSamples).add(row.sample_id);
      if (i === chain.length - 1) b.node.exact = true;
      level = b.children;
    });
  }
  return [...roots.values()].map(finish).sort((x, y) => y.dark - x.dark || y.noise - x.noise || (x.path < y.path ? -1 : 1));
}

function pathChain(path: string): { prefix: string; label: string }[] {
  const prefixes = pathPrefixes(path);
  return pathSegments(path).map((s, i) => ({ prefix: prefixes[i]!, label: s.text }));
}
