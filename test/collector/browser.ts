// Headless Chromium for the page tests: the system's chromium (Debian package, which
// `node scripts/setup.mjs chromium` installs as root), found in .tools/bin or on PATH, driven by
// playwright-core, which downloads no browser of its own.

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { findTool } from "../../scripts/tool-paths.mjs";
import { PROJECT_ROOT } from "../../tools/lib/envoy.js";

/** Screenshots and other things a test leaves to look at (build/ is git-ignored). */
export const TEST_OUTPUT = join(PROJECT_ROOT, "build", "test-output", "collector");

export function chromiumPath(): string {
  const found = findTool("chromium");
  if (found === null) {
    throw new Error(
      "chromium not found in .tools/bin or on PATH: run `node scripts/setup.mjs chromium` (as root it installs the Debian package chromium)",
    );
  }
  return found;
}

/** Launches headless Chromium, closed in `t.after`. */
export async function launchBrowser(t: { after(fn: () => Promise<void>): void }): Promise<Browser> {
  const browser = await chromium.launch({ executablePath: chromiumPath(), headless: true });
  t.after(() => browser.close());
  mkdirSync(TEST_OUTPUT, { recursive: true });
  return browser;
}
