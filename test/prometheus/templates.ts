// The queries of the progressive-delivery templates (deploy/) with their variables filled in,
// for templates.test.ts (schemas, names) and fleet.test.ts (run against a real Prometheus).

type Json = Record<string, unknown>;

/** Every PromQL query of a template, with its template variables filled in. */
export function argoQueries(template: Json): { name: string; query: string; success: string; failure: string }[] {
  return ((template.spec as Json).metrics as Json[]).map((m) => ({
    name: String(m.name),
    query: String(((m.provider as Json).prometheus as Json).query),
    success: String(m.successCondition),
    failure: String(m.failureCondition),
  }));
}

export function fillArgo(query: string, rule: string): string {
  return query.replace(/\{\{args\.rule\}\}/g, rule);
}

export function fillFlagger(query: string, rule: string): string {
  return query.replace(/\{\{ variables\.rule \}\}/g, rule);
}
