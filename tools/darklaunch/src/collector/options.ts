// The collector's command-line values: HOST:PORT, durations (7d, 36h, 1h30m, 90s), the token file.

import { readFileSync } from "node:fs";
import { UsageError } from "../errors.js";

export const DEFAULT_LISTEN = "127.0.0.1:9977";
export const DEFAULT_DB = "darklaunch-samples.db";
export const DEFAULT_KEEP = "7d";
export const DEFAULT_MAX_SAMPLES = 100_000;
export const DEFAULT_COLLECTOR_URL = `http://${DEFAULT_LISTEN}`;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `7d`, `36h`, `1h30m`, `90s`, `500ms` → milliseconds; null when malformed or zero. */
export function parseDuration(text: string): number | null {
  const re = /([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d|w)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    consumed = re.lastIndex;
  }
  if (text.length === 0 || consumed !== text.length || total <= 0) return null;
  return total;
}

export function durationOption(name: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === null) throw new UsageError(`--${name} must be a duration such as 7d, 36h, 1h30m or 90s (got ${JSON.stringify(text)})`);
  return ms;
}

/** `HOST:PORT`, `[v6]:PORT` or `:PORT` (loopback); port 0 lets the system choose. */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):([0-9]{1,5})$/.exec(text);
  const port = m === null ? NaN : Number(m[3]);
  if (m === null || port > 65535)
    throw new UsageError(`--listen must be HOST:PORT, e.g. 127.0.0.1:9977 or [::1]:9977 (got ${JSON.stringify(text)})`);
  const host = m[1] ?? (m[2] === "" ? "127.0.0.1" : m[2]!);
  return { host, port };
}

/** The token in a file: its content without surrounding whitespace; must not be empty. */
export function readTokenFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read --token-file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const token = text.trim();
  if (token === "" || /\s/.test(token))
    throw new UsageError(`--token-file ${path} must hold one token (no spaces), and holds ${token === "" ? "nothing" : "more"}`);
  return token;
}
