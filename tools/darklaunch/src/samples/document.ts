// The sample document the filter POSTs to the collector (docs/samples.md), as TypeScript types,
// and its validation against tools/darklaunch/schema/sample.schema.json, the one definition of
// its shape.

import { readFileSync } from "node:fs";
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { RULE_NAME_MAX_CHARS } from "../../../../assembly/darklaunch/stats_names.js";

export type Part = "status" | "headers" | "body" | "match";

export interface SampleResponse {
  status: number;
  grpc_status: number | null;
  headers: Record<string, string>;
  body: string;
  body_base64: boolean;
  truncated: boolean;
  redacted: boolean;
}

export interface NoiseResponse extends SampleResponse {
  part: Part;
  paths: string[];
}

export interface NoiseIncomplete {
  part: "incomplete";
}

export interface SampleDocument {
  version: 1;
  rule: string;
  time: string;
  x_request_id: string | null;
  method: string;
  path: string;
  part: Part;
  paths: string[];
  primary: SampleResponse;
  dark: SampleResponse;
  noise: NoiseResponse | NoiseIncomplete | null;
}

export const SCHEMA_URL = new URL("../../schema/sample.schema.json", import.meta.url);

/** The largest document the collector accepts, in bytes. */
export const MAX_DOCUMENT_BYTES = 1024 * 1024;

let compiled: ValidateFunction | null = null;

function validator(): ValidateFunction {
  if (compiled === null) {
    const schema = JSON.parse(readFileSync(SCHEMA_URL, "utf8")) as object;
    // allErrors: a refused sample names every problem, not only the first.
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    // ajv-formats is CommonJS; under Node's ESM loader its function is the default export's default.
    const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv2020) => void;
    addFormats(ajv);
    compiled = ajv.compile(schema);
  }
  return compiled;
}

/** An ajv instance path (/primary/headers/x) in the project's JSON path spelling (primary.headers.x). */
function jsonPath(instancePath: string, extra?: string): string {
  const parts = instancePath
    .split("/")
    .slice(1)
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  if (extra !== undefined) parts.push(extra);
  let out = "";
  for (const part of parts) {
    if (/^[0-9]+$/.test(part)) out += `[${part}]`;
    else if (/^[A-Za-z0-9_$@-]+$/.test(part)) out += out === "" ? part : `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out === "" ? "(document)" : out;
}

// What each pattern in the schema asks for, by the field it applies to.
const PATTERN_MEANING: Record<string, string> = {
  rule: `must be a rule name (a-z, 0-9, _ and -, 1 to ${RULE_NAME_MAX_CHARS} characters)`,
  time: "must be an RFC 3339 time in UTC (2026-11-26T09:47:49.891Z)",
  method: "must be an HTTP method (a token of 1 to 32 characters)",
  path: "must start with / (or be *) and carry no query string",
  body: "is not base64 (body_base64 is true)",
};

function describe(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "required":
      return `${jsonPath(error.instancePath, String(params.missingProperty))}: missing`;
    case "additionalProperties":
    case "unevaluatedProperties": {
      const name = String(params.additionalProperty ?? params.unevaluatedProperty);
      return `${jsonPath(error.instancePath, name)}: unknown field`;
    }
    case "propertyNames":
      return `${jsonPath(error.instancePath)}: header name ${JSON.stringify(params.propertyName)} must be a lower-case HTTP token`;
    case "type":
      return `${jsonPath(error.instancePath)}: must be ${String(params.type).split(",").join(" or ")}`;
    case "const":
      return `${jsonPath(error.instancePath)}: must be ${JSON.stringify(params.allowedValue)}`;
    case "pattern":
      return `${jsonPath(error.instancePath)}: ${PATTERN_MEANING[error.instancePath.split("/").pop() ?? ""] ?? `must match ${String(params.pattern)}`}`;
    case "enum":
      return `${jsonPath(error.instancePath)}: must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
    default:
      return `${jsonPath(error.instancePath)}: ${error.message ?? error.keyword}`;
  }
}

export type Validation = { ok: true; doc: SampleDocument } | { ok: false; problems: string[] };

/** Checks a parsed JSON value against the sample schema; problems are named by JSON path. */
export function validateSample(value: unknown): Validation {
  const validate = validator();
  if (validate(value)) return { ok: true, doc: value as SampleDocument };
  const errors = validate.errors ?? [];
  // "if/then" and "oneOf" add a summary error on top of the detailed ones: keep the details.
  // A bad header name is reported once, by propertyNames, not again by the pattern inside it.
  const detailed = errors.filter((e) => e.keyword !== "if" && !e.schemaPath.includes("/propertyNames/"));
  const problems = [...new Set((detailed.length > 0 ? detailed : errors).map(describe))];
  return { ok: false, problems };
}

/** True for a noise response with a body (not null, not incomplete). */
export function isNoiseResponse(noise: SampleDocument["noise"]): noise is NoiseResponse {
  return noise !== null && noise.part !== "incomplete";
}
