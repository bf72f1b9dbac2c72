// The mismatch sample document (contract §2.7; its schema: docs/samples.md and
// tools/darklaunch/schema/sample.schema.json), written from what the comparison kept. Pure code.
import { Samples } from "./config";
import { ResponseSummary, PairComparison, Outcome } from "./compare";
import { JsonWriter, validUtf8Prefix } from "./json_writer";
import { formatRfc3339Utc } from "./rfc3339";
import { MISMATCH_PARTS } from "./stats_names";

/** The shape of the document; a new shape gets a new number. */
// @ts-ignore: decorator
@inline const SAMPLE_VERSION: i32 = 1;

/** What the document says of the request: nothing but these. */
export class SampleRequest {
  constructor(
    readonly rule: string,
    readonly timeMs: i64,
    readonly requestId: ArrayBuffer | null,
    readonly method: ArrayBuffer,
    /** :path without its query string. */
    readonly path: ArrayBuffer,
  ) {}
}

/** `:path` up to (not including) its first `?` or `#`. */
export function pathWithoutQuery(ptr: usize, len: i32): ArrayBuffer {
  let end = 0;
  while (end < len) {
    const c = load<u8>(ptr + end);
    if (c == 0x3f || c == 0x23) break;
    end++;
  }
  const out = new ArrayBuffer(end);
  memory.copy(changetype<usize>(out), ptr, end);
  return out;
}

function partName(result: PairComparison): string {
  return result.outcome == Outcome.Match ? "match" : MISMATCH_PARTS[<i32>result.outcome];
}

/**
 * A body as text when it is UTF-8 (an incomplete sequence left by the cut is dropped) and escaping
 * at most doubles it; else as base64.
 */
function writeBody(w: JsonWriter, bytes: ArrayBuffer, truncated: bool): bool {
  const p = changetype<usize>(bytes);
  const n = bytes.byteLength;
  const prefix = validUtf8Prefix(p, n);
  let text = prefix >= 0 && (prefix == n || truncated);
  if (text) {
    // Escaping adds a byte for `"`, `\`, `\n`, `\r`, `\t` and five for other control characters:
    // past a doubling of the body, base64 (4/3) is the smaller, and the document stays bounded.
    let extra = 0;
    for (let i = 0; i < prefix; i++) {
      const c = load<u8>(p + i);
      if (c == 0x22 || c == 0x5c || c == 0x0a || c == 0x0d || c == 0x09) extra++;
      else if (c < 0x20) extra += 5;
    }
    text = extra <= prefix;
  }
  w.key("body");
  if (text) w.utf8String(p, prefix);
  else w.base64String(p, n);
  w.key("body_base64");
  w.boolean(!text);
  return text;
}

function writeResponse(w: JsonWriter, samples: Samples, side: ResponseSummary): void {
  const capture = side.capture!;
  w.key("status");
  w.integer(side.httpStatus);
  w.key("grpc_status");
  if (side.grpcStatus >= 0) w.integer(side.grpcStatus);
  else w.nul();
  w.key("headers");
  w.beginObject();
  for (let k = 0; k < samples.headers.length; k++) {
    const value = capture.headerValues[k];
    if (value === null) continue;
    w.key(samples.headers[k]);
    const prefix = validUtf8Prefix(changetype<usize>(value), value.byteLength);
    // A header value is ASCII in practice; bytes that are not UTF-8 are left out rather than sent mangled.
    w.utf8String(changetype<usize>(value), max(prefix, 0));
  }
  w.endObject();
  // The body as compared: decoded, or as received when it had no encoding. A body in an encoding
  // the filter did not decode goes as received, unless values must be redacted: compressed bytes
  // still hold them, so then the body is withheld (empty, marked redacted).
  if (side.body.isDecoded || !side.body.encoded) {
    const body = capture.body;
    body.finish();
    writeBody(w, body.output, body.truncated);
    w.key("truncated");
    w.boolean(body.truncated);
    w.key("redacted");
    w.boolean(body.redacted);
  } else if (samples.redact.length > 0) {
    writeBody(w, new ArrayBuffer(0), false);
    w.key("truncated");
    w.boolean(false);
    w.key("redacted");
    w.boolean(true);
  } else {
    const raw = capture.rawBody;
    writeBody(w, raw.output, raw.truncated);
    w.key("truncated");
    w.boolean(raw.truncated);
    w.key("redacted");
    w.boolean(false);
  }
}

function writePaths(w: JsonWriter, result: PairComparison): void {
  w.key("paths");
  w.beginArray();
  if (result.outcome != Outcome.Match) for (let i = 0; i < result.paths.length; i++) w.string(result.paths[i]);
  w.endArray();
}

/**
 * The document for one pair: `dark` compared with the primary as `result`; `noise` null when the
 * rule has no noise cluster, with `noiseResult` null when the noise pair is incomplete.
 */
export function sampleDocument(
  samples: Samples,
  request: SampleRequest,
  primary: ResponseSummary,
  dark: ResponseSummary,
  result: PairComparison,
  noise: ResponseSummary | null,
  noiseResult: PairComparison | null,
): ArrayBuffer {
  const w = new JsonWriter(4096);
  w.beginObject();
  w.key("version");
  w.integer(SAMPLE_VERSION);
  w.key("rule");
  w.string(request.rule);
  w.key("time");
  w.string(formatRfc3339Utc(request.timeMs));
  w.key("x_request_id");
  const id = request.requestId;
  if (id !== null && validUtf8Prefix(changetype<usize>(id), id.byteLength) == id.byteLength) w.utf8String(changetype<usize>(id), id.byteLength);
  else w.nul();
  w.key("method");
  w.utf8String(changetype<usize>(request.method), request.method.byteLength);
  w.key("path");
  w.utf8String(changetype<usize>(request.path), request.path.byteLength);
  w.key("part");
  w.string(partName(result));
  writePaths(w, result);
  w.key("primary");
  w.beginObject();
  writeResponse(w, samples, primary);
  w.endObject();
  w.key("dark");
  w.beginObject();
  writeResponse(w, samples, dark);
  w.endObject();
  w.key("noise");
  if (noise === null) {
    w.nul();
  } else if (noiseResult === null) {
    w.beginObject();
    w.key("part");
    w.string("incomplete");
    w.endObject();
  } else {
    w.beginObject();
    w.key("part");
    w.string(partName(noiseResult));
    writePaths(w, noiseResult);
    writeResponse(w, samples, noise);
    w.endObject();
  }
  w.endObject();
  return w.toArrayBuffer();
}
