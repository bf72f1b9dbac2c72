// `darklaunch diff`: per rule, what differs in the stored samples (status, headers, the body as
// bytes, JSON paths), most frequent first, with dark and noise counts and an example
// x-request-id. Exit code 0; 2 when the source cannot be read or the rule has no samples.

import type { CliIO } from "../cli.js";
import { EXIT } from "../errors.js";
import type { DiffDocument, RuleDiff } from "../samples/analysis.js";
import { describeSource, readDiff, type SampleSource } from "../samples/source.js";
import { Painter, renderTable } from "../table.js";

export interface DiffOptions {
  source: SampleSource;
  rule?: string;
  json: boolean;
}

const count = (n: number): string => n.toLocaleString("en-US");
const pct = (p: number): string => `${p.toFixed(1)}%`;

function ruleHeadline(r: RuleDiff): string {
  const differ = r.samples - r.parts.match;
  let line =
    `${r.samples} sample${r.samples === 1 ? "" : "s"}: ${differ} differ ` +
    `(status ${r.parts.status}, headers ${r.parts.headers}, body ${r.parts.body})` +
    (r.parts.match > 0 ? `, ${r.parts.match} match (baseline)` : "");
  if (r.noise_samples > 0 || r.noise_parts.incomplete > 0) {
    const noiseDiffer = r.noise_parts.status + r.noise_parts.headers + r.noise_parts.body;
    line += `; noise: ${noiseDiffer} of ${r.noise_samples} differ${r.noise_parts.incomplete > 0 ? `, ${r.noise_parts.incomplete} incomplete` : ""}`;
  }
  return line;
}

export function renderDiff(doc: DiffDocument, painter: Painter): string {
  const out: string[] = [];
  out.push(`${painter.paint("darklaunch diff", "bold")}  ${doc.source}  ${doc.taken_at}`);
  out.push(
    `${count(doc.samples)} stored sample${doc.samples === 1 ? "" : "s"}: a sample of the mismatching pairs (and of matching ones with match_percent),`,
    "not the filter's stats; for rates and the verdict, see darklaunch verdict.",
  );
  if (doc.rules.length === 0) {
    out.push("", "No samples yet: is samples.cluster set in the filter's configuration and pointing at this collector?");
  }
  for (const r of doc.rules) {
    out.push("", `${painter.paint(r.rule, "bold")}  ${ruleHeadline(r)}`);
    if (r.differences.length === 0) {
      out.push("  no differences in the samples");
      continue;
    }
    const withNoise = r.noise_samples > 0;
    const header = withNoise
      ? ["WHAT", "DARK", "", "NOISE", "", "DIFFY", "EXAMPLE x-request-id"]
      : ["WHAT", "DARK", "", "EXAMPLE x-request-id"];
    const rows = r.differences.map((d) => {
      const example = d.example_x_request_id ?? `(none; sample ${d.example_sample_id})`;
      const diffy = d.diffy === "real" ? painter.paint("real", "red") : painter.paint("noise", "dim");
      return withNoise
        ? [d.what, count(d.dark), pct(d.dark_percent), count(d.noise), pct(d.noise_percent ?? 0), diffy, example]
        : [d.what, count(d.dark), pct(d.dark_percent), example];
    });
    const align = withNoise
      ? (["left", "right", "right", "right", "right", "left", "left"] as const)
      : (["left", "right", "right", "left"] as const);
    out.push(
      renderTable(header, rows, [...align])
        .split("\n")
        .map((l) => `  ${l}`)
        .join("\n"),
    );
    if (r.suggestion.ignore.length > 0) {
      out.push(`  suggested compare.body.ignore: ${r.suggestion.ignore.join(", ")}  (darklaunch noise --rule ${r.rule})`);
    }
  }
  return `${out.join("\n")}\n`;
}

export async function diffCommand(opts: DiffOptions, io: CliIO): Promise<number> {
  const doc = await readDiff(opts.source, opts.rule);
  if (opts.json) io.out(`${JSON.stringify(doc, null, 2)}\n`);
  else io.out(renderDiff({ ...doc, source: describeSource(opts.source) }, new Painter(io.colour)));
  return EXIT.ok;
}
