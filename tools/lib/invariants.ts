// The contract's invariants (section 3), checked once traffic has stopped and dark calls have
// finished. One implementation for every place that checks them: the test tiers and the demo.
import { MISMATCH_PARTS, SKIP_REASONS, STATUS_CLASSES } from "../../assembly/darklaunch/stats_names.ts";

/** A rule's counter by its suffix after `darklaunch.<rule>.` ("requests", "skipped.aborted", …). */
export type CounterOf = (suffix: string) => number;

const sum = (count: CounterOf, prefix: string, parts: readonly string[]): number =>
  parts.reduce((total, part) => total + count(prefix + part), 0);

/** Dark calls that have ended: every dark status class, failed, timed out. */
export function darkCallsEnded(count: CounterOf): number {
  return sum(count, "dark.status.", STATUS_CLASSES) + count("dark.failed") + count("dark.timeout");
}

/**
 * The invariants that do not hold, each with its numbers; [] when all hold. `noiseOn`: the rule
 * has a noise cluster (the fourth invariant, over the `noise.*` counters).
 */
export function brokenInvariants(count: CounterOf, comparisonOn = true, noiseOn = false): string[] {
  const broken: string[] = [];
  const requests = count("requests");
  const mirrored = count("mirrored");
  const skipped = sum(count, "skipped.", SKIP_REASONS);
  if (requests !== mirrored + skipped) broken.push(`requests ${requests} != mirrored ${mirrored} + Σ skipped.* ${skipped}`);
  const ended = darkCallsEnded(count);
  if (mirrored !== ended) broken.push(`mirrored ${mirrored} != Σ dark.status.* + dark.failed + dark.timeout ${ended}`);
  if (comparisonOn) {
    const compared = count("compare.match") + sum(count, "compare.mismatch.", MISMATCH_PARTS) + count("compare.incomplete");
    if (mirrored !== compared) broken.push(`mirrored ${mirrored} != compare.match + Σ compare.mismatch.* + compare.incomplete ${compared}`);
  }
  if (noiseOn) {
    const noise = count("noise.match") + sum(count, "noise.mismatch.", MISMATCH_PARTS) + count("noise.incomplete");
    if (mirrored !== noise) broken.push(`mirrored ${mirrored} != noise.match + Σ noise.mismatch.* + noise.incomplete ${noise}`);
  }
  return broken;
}
