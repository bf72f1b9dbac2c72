// Headless Chromium for the page tests: the system's chromium (Debian package, installed by
// scripts/setup.mjs), driven by playwright-core, which downloads no browser of its own.

import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { PROJECT_ROOT } from "../../tools/lib/envoy.js";

/** Screenshots and other things a test leaves to look at (build/ is git-ignored). */
export const TEST_OUTPUT = join(PROJECT_ROOT, "build", "test-output", "collector");

export function chromiumPath(): string {
  const fromEnv = process.env["CHROMIUM_PATH"];
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  try {
    return execFileSync("sh", ["-c", "command -v chromium"], { encoding: "utf8" }).trim();
  } catch {
    throw new Error("chromium not found: run `node scripts/setup.mjs` as root (it installs the Debian package chromium), or set CHROMIUM_PATH");
  }
}

/** Launches headless Chromium, closed in `t.after`. */
export async function launchBrowser(t: { after(fn: () => Promise<void>): void }): Promise<Browser> {
  const browser = await chromium.launch({ executablePath: chromiumPath(), headless: true });
  t.after(() => browser.close());
  mkdirSync(TEST_OUTPUT, { recursive: true });
  return browser;
}
