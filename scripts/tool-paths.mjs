// Where the project finds the command-line tools that single test tiers need (crane,
// docker-compose, prometheus, promtool): the project's own `.tools/bin` first (what the set-up
// installs without root; git-ignored), then PATH. Plain Node without dependencies: setup.mjs
// uses it before `npm install`, and the TypeScript tools import it too.

import { accessSync, constants } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const PROJECT_ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

/** The project's own folder of tools, installed without root (`.tools/bin`). */
export const LOCAL_BIN = join(PROJECT_ROOT, ".tools", "bin");

/** @param {string} path */
function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The absolute path of `name` in `.tools/bin`, else on PATH; null when neither has it.
 * @param {string} name
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {string | null}
 */
export function findTool(name, env = process.env) {
  for (const dir of [LOCAL_BIN, ...(env.PATH ?? "").split(delimiter)]) {
    if (dir === "") continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}
