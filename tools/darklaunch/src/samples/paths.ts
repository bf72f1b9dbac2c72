// JSON paths for grouping differences. Taking a path apart lives in web/json-paths.js, which the
// diff page loads too; here are the collector's additions: the keys of the non-path parts and the
// compare.body.ignore entry a path becomes.

import { isCutPath, ROOT_PATH } from "../../web/json-paths.js";

export { generalisePath, isCutPath, pathName, pathPrefixes, pathSegments, ROOT_PATH } from "../../web/json-paths.js";

/** The keys a sample's differences are counted under, besides JSON paths. */
export const PART_KEYS = { status: "(status)", headers: "(headers)", body: "(body)" } as const;
export type PartKey = (typeof PART_KEYS)[keyof typeof PART_KEYS];

export function isPartKey(key: string): key is PartKey {
  return key === PART_KEYS.status || key === PART_KEYS.headers || key === PART_KEYS.body;
}

/**
 * The entry for `compare.body.ignore` that covers a (generalised) path, or null: for the root value
 * `(root)` (ignoring it would ignore the whole body), and for a name the filter cut at 63 bytes
 * (ending in `...`: its end is unknown, so no path can say what it names). The comparator's
 * spelling is the path grammar's, so any other path is an entry as it is (`[*].id` under a root
 * array, `["a.b"]`, `$` for a member named "$").
 */
export function ignoreEntry(path: string): string | null {
  if (path === ROOT_PATH || isCutPath(path)) return null;
  return path;
}
