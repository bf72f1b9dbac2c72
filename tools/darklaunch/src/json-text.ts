// The filter's JSON configuration as people like to read it in a file: an object or list stays on
// one line when that line is short, and is spread over lines, indented, when it is not.

const INDENT = "  ";

function oneLine(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(oneLine).join(", ")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value);
    return entries.length === 0 ? "{}" : `{ ${entries.map(([k, v]) => `${JSON.stringify(k)}: ${oneLine(v)}`).join(", ")} }`;
  }
  return JSON.stringify(value) ?? "null";
}

function format(value: unknown, indent: string, room: number): string {
  const flat = oneLine(value);
  if (flat.length <= room || typeof value !== "object" || value === null) return flat;
  const inner = indent + INDENT;
  const innerRoom = Math.max(20, room - INDENT.length);
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    return `[\n${value.map((v) => inner + format(v, inner, innerRoom)).join(",\n")}\n${indent}]`;
  }
  const entries = Object.entries(value);
  return `{\n${entries
    .map(([k, v]) => {
      const key = `${JSON.stringify(k)}: `;
      return inner + key + format(v, inner, innerRoom - key.length);
    })
    .join(",\n")}\n${indent}}`;
}

/** JSON text of `value` (same data as JSON.stringify), compact where it fits in `width` columns. */
export function formatJson(value: unknown, width = 80): string {
  return `${format(value, "", width)}\n`;
}
