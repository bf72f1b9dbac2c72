// docs/API.md names every export of the package's public entry (assembly/index.ts): the named
// re-exports, and every exported declaration of the modules it re-exports with `export *`.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import ts from "typescript";

const ASSEMBLY = new URL("../assembly/", import.meta.url);

function parse(file: string): ts.SourceFile {
  return ts.createSourceFile(file, readFileSync(new URL(file, ASSEMBLY), "utf8"), ts.ScriptTarget.Latest, true);
}

function declaredExports(file: string): string[] {
  const names: string[] = [];
  for (const st of parse(file).statements) {
    if (!ts.canHaveModifiers(st) || !ts.getModifiers(st)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) continue;
    if (ts.isVariableStatement(st)) for (const d of st.declarationList.declarations) names.push(d.name.getText());
    else if ("name" in st && st.name !== undefined) names.push((st.name as ts.Identifier).text);
  }
  return names;
}

function publicNames(): string[] {
  const names: string[] = [];
  for (const st of parse("index.ts").statements) {
    if (!ts.isExportDeclaration(st) || st.moduleSpecifier === undefined) continue;
    const from = `${(st.moduleSpecifier as ts.StringLiteral).text.replace(/^\.\//, "")}.ts`;
    if (st.exportClause === undefined) names.push(...declaredExports(from));
    else if (ts.isNamedExports(st.exportClause)) names.push(...st.exportClause.elements.map((e) => e.name.text));
  }
  return names;
}

test("docs/API.md names every public export", () => {
  const doc = readFileSync(new URL("../docs/API.md", import.meta.url), "utf8");
  const names = publicNames();
  assert.ok(names.length > 50, `found the exports (${names.length})`);
  assert.deepEqual(
    names.filter((n) => !new RegExp(`\`${n}[\`(<]`).test(doc)),
    [],
  );
});
