// `darklaunch noise --rule NAME`: the compare.body.ignore list the stored samples suggest, as YAML
// to paste under the rule's compare.body (analysis.ts says how it is chosen). Exit code 0 (also
// for an empty list); 2 when the source cannot be read or the rule has no samples.

import type { CliIO } from "../cli.js";
import { EXIT } from "../errors.js";
import type { RuleDiff } from "../samples/analysis.js";
import { describeSource, readDiff, type SampleSource } from "../samples/source.js";

export interface NoiseOptions {
  source: SampleSource;
  rule: string;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;

/** A YAML scalar: plain where that is unambiguous, else double-quoted (JSON's escapes are YAML's). */
function yamlScalar(text: string): string {
  return /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(text) && !/^(true|false|null|yes|no|on|off|y|n)$/i.test(text) ? text : JSON.stringify(text);
}

export function renderNoise(r: RuleDiff, source: string): string {
  const lines: string[] = [];
  lines.push(
    `# darklaunch noise --rule ${r.rule}: ${source}, ${plural(r.samples, "sample")}, ` +
      (r.noise_samples > 0 ? `${r.noise_samples} with a noise response` : "none with a noise response"),
  );
  lines.push(`# Suggested: ${r.suggestion.explanation}.`);
  lines.push(`# Paste under rules[${r.rule}].compare.body (with json: true); keep any paths you already ignore.`);
  if (r.suggestion.left_out > 0) {
    lines.push(`# ${r.suggestion.left_out} more paths qualify but compare.body.ignore holds at most 64: use ** patterns for them.`);
  }
  if (r.suggestion.ignore.length === 0) {
    lines.push("ignore: []");
    return `${lines.join("\n")}\n`;
  }
  const rows = new Map(r.differences.map((d) => [d.what, d]));
  const entries = r.suggestion.ignore.map((path) => {
    const row = rows.get(path) ?? rows.get(`$${path}`);
    const note =
      row === undefined ? "" : `dark ${row.dark} of ${r.samples}${r.noise_samples > 0 ? `, noise ${row.noise} of ${r.noise_samples}` : ""}`;
    return { item: `  - ${yamlScalar(path)}`, note };
  });
  const width = Math.max(...entries.map((e) => e.item.length));
  lines.push("ignore:");
  for (const e of entries) lines.push(e.note === "" ? e.item : `${e.item.padEnd(width)}  # ${e.note}`);
  return `${lines.join("\n")}\n`;
}

export async function noiseCommand(opts: NoiseOptions, io: CliIO): Promise<number> {
  const doc = await readDiff(opts.source, opts.rule);
  io.out(renderNoise(doc.rules[0]!, describeSource(opts.source)));
  return EXIT.ok;
}
