// How figures look to people: number formats, aligned tables, and colour only where it helps
// (a terminal, and never when NO_COLOR is set).

import type { Verdict } from "./judge.js";

/** Colour on a terminal unless NO_COLOR is set to anything but "" (https://no-color.org). */
export function colourWanted(isTTY: boolean, env: NodeJS.ProcessEnv): boolean {
  const noColor = env.NO_COLOR;
  return isTTY && (noColor === undefined || noColor === "");
}

const CODES = { red: 31, green: 32, yellow: 33, bold: 1, dim: 2 } as const;
export type Style = keyof typeof CODES;

/** Paints text, or leaves it plain. */
export class Painter {
  constructor(readonly enabled: boolean) {}

  paint(text: string, style: Style): string {
    return this.enabled ? `\x1b[${CODES[style]}m${text}\x1b[0m` : text;
  }

  verdict(v: Verdict): string {
    const word = verdictWord(v);
    return this.paint(word, v === "PASS" ? "green" : v === "FAIL" ? "red" : "yellow");
  }
}

/** The verdict as people read it: PASS, FAIL, NOT ENOUGH DATA. */
export function verdictWord(v: Verdict): string {
  return v === "NOT_ENOUGH_DATA" ? "NOT ENOUGH DATA" : v;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/** Width on screen: without colour codes. */
export function visibleLength(text: string): number {
  return text.replace(ANSI, "").length;
}

export type Align = "left" | "right";

/** Columns padded to their widest cell (colour codes ignored), two spaces apart. */
export function renderTable(header: string[], rows: string[][], align: Align[] = []): string {
  const widths = header.map((h, i) => Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ""))));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => {
        const pad = " ".repeat(Math.max(0, widths[i]! - visibleLength(cell)));
        return align[i] === "right" ? pad + cell : cell + pad;
      })
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

export function formatPercent(fraction: number | null, digits = 2): string {
  return fraction === null ? "-" : `${(fraction * 100).toFixed(digits)}%`;
}

export function formatMs(value: number | null): string {
  return value === null ? "-" : value.toFixed(1);
}

/** "a / b" for a primary and a dark figure. */
export function pair(primary: string, dark: string): string {
  return `${primary} / ${dark}`;
}

export function formatRate(perSecond: number): string {
  return perSecond >= 100 ? perSecond.toFixed(0) : perSecond.toFixed(1);
}
