// The progressive-delivery templates (deploy/): the Argo Rollouts AnalysisTemplate and Rollout
// snippet validate against Argo Rollouts' CRD schema (as compiled in
// @kubernetes-models/argo-rollouts), the Flagger MetricTemplates and Canary against Flagger's own
// CRD (vendored in deploy/flagger/crd/); every query reads only recording rules of
// prometheus/darklaunch.rules.yml, and promtool parses it. The queries are run against a real
// Prometheus with real traffic in fleet.test.ts.

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { AnalysisTemplate, Rollout } from "@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1";
import Ajv from "ajv";
import { parse, parseAllDocuments } from "yaml";
import { PROJECT_ROOT } from "../../tools/lib/envoy.js";
import { isRecording, loadRuleGroups, metricNamesIn, runTool } from "./promql.js";
import { argoQueries, fillArgo, fillFlagger } from "./templates.js";

type Json = Record<string, unknown>;

const DEPLOY = join(PROJECT_ROOT, "deploy");
const readYaml = (path: string): Json => parse(readFileSync(join(DEPLOY, path), "utf8")) as Json;
const readAll = (path: string): Json[] => parseAllDocuments(readFileSync(join(DEPLOY, path), "utf8")).map((d) => d.toJS() as Json);

/** The openAPIV3Schema of a kind's served version in Flagger's vendored CRD file. */
function flaggerSchema(kind: string): object {
  const crds = readAll("flagger/crd/crd.yaml");
  const crd = crds.find((c) => ((c.spec as Json).names as Json).kind === kind);
  assert.ok(crd !== undefined, `Flagger's CRD file defines ${kind}`);
  const versions = (crd.spec as Json).versions as Json[];
  const served = versions.find((v) => v.name === "v1beta1")!;
  return (served.schema as Json).openAPIV3Schema as object;
}

/** A validator for Kubernetes structural schemas (their x-kubernetes-* keywords are annotations here). */
function validator(schema: object): (doc: unknown) => string[] {
  // Kubernetes' formats (int32, string, ...) are not JSON Schema's: left to the API server.
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  const validate = ajv.compile(schema);
  return (doc) => (validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ""}`));
}

describe("progressive-delivery templates", () => {
  const recorded = new Set(
    loadRuleGroups()
      .flatMap((g) => g.rules)
      .filter(isRecording)
      .map((r) => r.record),
  );
  const analysis = readYaml("argo-rollouts/analysis-template.yaml");
  const rollout = readYaml("argo-rollouts/rollout-snippet.yaml");
  const metricTemplates = readAll("flagger/metric-templates.yaml");
  const canary = readYaml("flagger/canary-snippet.yaml");

  test("Argo Rollouts: the AnalysisTemplate and the Rollout snippet validate against the CRD schema", () => {
    assert.doesNotThrow(() => new AnalysisTemplate(analysis as never).validate());
    assert.doesNotThrow(() => new Rollout(rollout as never).validate());
    // The schema does reject a broken template (the check is not vacuous).
    const broken = structuredClone(analysis);
    delete ((broken.spec as Json).metrics as Json[])[0]!.name; // required
    assert.throws(() => new AnalysisTemplate(broken as never).validate(), /name/);
    const wrongType = structuredClone(analysis);
    ((wrongType.spec as Json).metrics as Json[])[0]!.successCondition = 0.01;
    assert.throws(() => new AnalysisTemplate(wrongType as never).validate(), /string/);
    // The Rollout runs this template with the rule as its argument.
    const steps = (((rollout.spec as Json).strategy as Json).canary as Json).steps as Json[];
    const step = steps.find((s) => "analysis" in s)!.analysis as Json;
    assert.deepEqual(step.templates, [{ templateName: (analysis.metadata as Json).name }]);
    assert.deepEqual(step.args, [{ name: "rule", value: "checkout" }]);
  });

  test("Flagger: the MetricTemplates and the Canary validate against Flagger's CRD schema", () => {
    const templateErrors = validator(flaggerSchema("MetricTemplate"));
    assert.equal(metricTemplates.length, 4);
    for (const t of metricTemplates) assert.deepEqual(templateErrors(t), [], String((t.metadata as Json).name));
    const canaryErrors = validator(flaggerSchema("Canary"));
    assert.deepEqual(canaryErrors(canary), []);
    // Not vacuous: a wrong type is refused.
    const broken = structuredClone(canary);
    (((broken.spec as Json).analysis as Json).metrics as Json[])[0]!.thresholdRange = { max: "one" };
    assert.notDeepEqual(canaryErrors(broken), []);
    // The Canary refers to the four templates, each with the rule as its variable.
    const metrics = ((canary.spec as Json).analysis as Json).metrics as Json[];
    assert.deepEqual(
      metrics.map((m) => [(m.templateRef as Json).name, (m.templateVariables as Json).rule]),
      metricTemplates.map((t) => [(t.metadata as Json).name, "checkout"]),
    );
  });

  test("every query reads only the recording rules, and promtool parses it", () => {
    const queries = [
      ...argoQueries(analysis).map((q) => ({ id: `argo ${q.name}`, expr: fillArgo(q.query, "checkout") })),
      ...metricTemplates.map((t) => ({
        id: `flagger ${(t.metadata as Json).name}`,
        expr: fillFlagger(String((t.spec as Json).query), "checkout"),
      })),
    ];
    assert.equal(queries.length, 8);
    for (const q of queries) {
      assert.doesNotMatch(q.expr, /\{\{/, `${q.id}: a template variable is left`);
      for (const name of metricNamesIn(q.expr)) assert.ok(recorded.has(name), `${q.id} reads ${name}, not a recording rule`);
    }
    const dir = mkdtempSync(join(tmpdir(), "darklaunch-templates-"));
    try {
      const file = join(dir, "templates.rules.yml");
      writeFileSync(
        file,
        JSON.stringify({
          groups: [{ name: "templates", rules: queries.map((q, i) => ({ record: `templates:query_${i}`, expr: q.expr })) }],
        }),
      );
      const { status, output } = runTool("promtool", ["check", "rules", file]);
      assert.equal(status, 0, output);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the Argo conditions are the verdict's default limits, and an empty result is neither", () => {
    const limits = Object.fromEntries(argoQueries(analysis).map((q) => [q.name, q.success]));
    assert.deepEqual(limits, {
      divergence: "len(result) > 0 && result[0] <= 0.01",
      "dark-error-excess": "len(result) > 0 && result[0] <= 0.005",
      "latency-p95-ratio": "len(result) > 0 && result[0] <= 1.25",
      "breaker-open": "len(result) > 0 && result[0] <= 0",
    });
    for (const q of argoQueries(analysis)) assert.equal(q.failure, q.success.replace("<=", ">"));
  });
});
