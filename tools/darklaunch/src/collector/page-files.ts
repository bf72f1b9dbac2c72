// The diff page's files (tools/darklaunch/web/), read once at start and served as they are:
// plain HTML, CSS and JavaScript modules, nothing to build, nothing from the network.

import { readdirSync, readFileSync } from "node:fs";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface PageFile {
  contentType: string;
  body: Buffer;
}

export const PAGE_DIR = fileURLToPath(new URL("../../web/", import.meta.url));

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".svg": "image/svg+xml",
};

/** URL path (/index.html, /page.js, ...) → file. */
export function loadPage(): Map<string, PageFile> {
  const files = new Map<string, PageFile>();
  for (const name of readdirSync(PAGE_DIR)) {
    const contentType = TYPES[extname(name)];
    if (contentType === undefined) continue;
    files.set(`/${name}`, { contentType, body: readFileSync(join(PAGE_DIR, name)) });
  }
  return files;
}
