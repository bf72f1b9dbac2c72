// Every relative link in the project's Markdown (README.md, docs/, and every other committed .md)
// leads to a file inside the repository, and to a heading that exists when it names one; no link
// and no text points outside the repository (a clone has nothing beside it).

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { test } from "node:test";
import { PROJECT_ROOT } from "../../tools/lib/envoy.js";

const SKIPPED_DIRS = new Set([".git", "node_modules", ".venv", "build", ".tools", "tmp"]);

/** The Markdown files git keeps or would keep (not ignored); a walk of the tree where there is no git. */
function markdownFiles(): string[] {
  try {
    const out = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "*.md"], {
      cwd: PROJECT_ROOT,
      encoding: "utf8",
    });
    return out.split("\0").filter((f) => f !== "" && existsSync(join(PROJECT_ROOT, f)));
  } catch {
    const found: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.isDirectory() && !SKIPPED_DIRS.has(entry.name)) walk(join(dir, entry.name));
        else if (entry.isFile() && entry.name.endsWith(".md")) found.push(relative(PROJECT_ROOT, join(dir, entry.name)));
      }
    };
    walk(PROJECT_ROOT);
    return found;
  }
}

/** The text without code: fenced blocks and inline code spans hold examples, not links. */
function withoutCode(text: string): string {
  return text.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "").replace(/`[^`\n]*`/g, "");
}

/** Link targets: inline links and images, and reference definitions. */
export function linkTargets(markdown: string): string[] {
  const text = withoutCode(markdown);
  const targets: string[] = [];
  for (const m of text.matchAll(/!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) targets.push(m[1]!);
  for (const m of text.matchAll(/^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/gm)) targets.push(m[1]!);
  return targets;
}

/** GitHub's heading anchors of a Markdown file. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const text = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "");
  for (const m of text.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const slug = m[1]!
      .toLowerCase()
      .replace(/`/g, "")
      .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const n = seen.get(slug) ?? 0;
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
    seen.set(slug, n + 1);
  }
  return anchors;
}

const FILES = markdownFiles();

test("the Markdown files include the README and the docs", () => {
  assert.ok(FILES.includes("README.md"), FILES.join(", "));
  for (const doc of ["docs/configuration.md", "docs/stats.md", "docs/istio.md", "docs/deploy.md", "docs/cli.md"]) {
    assert.ok(FILES.includes(doc), `${doc} is committed`);
  }
});

test("the link parser finds links, and the anchors are GitHub's", () => {
  assert.deepEqual(linkTargets('a [b](c.md) `[x](y)` ![i](img.png "t")\n[ref]: d.md#e\n```\n[z](w)\n```\n'), ["c.md", "img.png", "d.md#e"]);
  assert.deepEqual(
    [...headingAnchors("# The `set` command\n## 1. The image\n## A\n## A\n")],
    ["the-set-command", "1-the-image", "a", "a-1"],
  );
});

for (const file of FILES) {
  test(`${file}: every link resolves inside the repository`, () => {
    const text = readFileSync(join(PROJECT_ROOT, file), "utf8");
    assert.doesNotMatch(text, /\.\.\/shared\//, "nothing may point at ../shared: a clone has nothing beside it");
    const problems: string[] = [];
    for (const target of linkTargets(text)) {
      // No link leaves the repository: a source outside it is cited in words, not linked.
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) {
        problems.push(`${target}: a link that leaves the repository`);
        continue;
      }
      const [pathPart, anchor] = target.split("#", 2) as [string, string | undefined];
      const path = decodeURIComponent(pathPart);
      const absolute = path === "" ? join(PROJECT_ROOT, file) : resolve(dirname(join(PROJECT_ROOT, file)), path);
      if (absolute !== PROJECT_ROOT && !absolute.startsWith(PROJECT_ROOT + sep)) {
        problems.push(`${target}: outside the repository`);
        continue;
      }
      if (!existsSync(absolute)) {
        problems.push(`${target}: no such file`);
        continue;
      }
      if (anchor !== undefined && anchor !== "" && absolute.endsWith(".md") && statSync(absolute).isFile()) {
        if (!headingAnchors(readFileSync(absolute, "utf8")).has(anchor))
          problems.push(`${target}: no heading #${anchor} in ${relative(PROJECT_ROOT, absolute)}`);
      }
    }
    assert.deepEqual(problems, []);
  });
}
