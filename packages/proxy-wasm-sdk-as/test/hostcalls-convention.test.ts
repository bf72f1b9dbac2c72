// The error convention of the host-call wrappers (assembly/hostcalls.ts): every exported
// wrapper returns a WasmResult, and a value only through a holder parameter. Read from the source
// with the TypeScript parser, so a wrapper that returns a value, null or -1 again fails here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import ts from "typescript";

const SOURCE = new URL("../assembly/hostcalls.ts", import.meta.url);

test("every host-call wrapper returns a WasmResult and hands values back through a holder", () => {
  const file = ts.createSourceFile("hostcalls.ts", readFileSync(SOURCE, "utf8"), ts.ScriptTarget.Latest, true);
  const wrappers: string[] = [];
  const wrong: string[] = [];
  for (const statement of file.statements) {
    if (!ts.isFunctionDeclaration(statement) || statement.name === undefined) continue;
    if (!statement.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) continue;
    const name = statement.name.text;
    wrappers.push(name);
    const returns = statement.type?.getText(file);
    if (returns !== "WasmResult") wrong.push(`${name} returns ${returns ?? "(nothing declared)"}`);
  }
  assert.ok(wrappers.length >= 15, `found the wrappers (${wrappers.join(", ")})`);
  assert.deepEqual(wrong, []);
});
