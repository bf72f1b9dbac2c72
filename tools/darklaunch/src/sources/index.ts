// The source a judging command reads, from its flags: `--admin URL` (repeatable) or
// `--prometheus URL [--window DURATION] [--selector MATCHERS]`, never both.

import { UsageError } from "../errors.js";
import { AdminSource, normaliseAdminUrl } from "./admin.js";
import { PrometheusSource, normalisePrometheusUrl } from "./prometheus.js";
import type { Source } from "./source.js";

export const DEFAULT_ADMIN = "http://127.0.0.1:9901";
export const DEFAULT_WINDOW = "30m";

export interface SourceFlags {
  admin: string[] | undefined;
  prometheus: string | undefined;
  window: string | undefined;
  selector: string | undefined;
}

export function sourceFromFlags(flags: SourceFlags): Source {
  if (flags.admin !== undefined && flags.admin.length > 0 && flags.prometheus !== undefined) {
    throw new UsageError("--admin and --prometheus exclude each other: judge from Envoy admin endpoints or from Prometheus");
  }
  if (flags.prometheus !== undefined) {
    return new PrometheusSource(normalisePrometheusUrl(flags.prometheus), flags.window ?? DEFAULT_WINDOW, flags.selector ?? null);
  }
  if (flags.window !== undefined || flags.selector !== undefined) {
    throw new UsageError("--window and --selector go with --prometheus (an Envoy admin endpoint counts since Envoy started)");
  }
  const urls = (flags.admin ?? [DEFAULT_ADMIN]).map(normaliseAdminUrl);
  const repeated = urls.find((u, i) => urls.indexOf(u) !== i);
  if (repeated !== undefined) throw new UsageError(`--admin ${repeated} is given twice: its figures would count twice`);
  return new AdminSource(urls);
}

export type { Source };
