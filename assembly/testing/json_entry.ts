// TEST-ONLY module: the JSON comparison (darklaunch/json_digest.ts, json_path.ts) and the sample
// redactor (json_redact.ts) alone, driven from Node by test/emulator/json-digest.test.ts,
// test/emulator/json-redact.test.ts and bench/json-speed.ts. Built as
// build/json-digest.test.wasm by `npm run build:json-test`, with the filter's own compiler options
// (assembly/testing/asconfig.json), so the code measured is the code Envoy runs. Never deploy it.
//
// Objects live in handle tables here; Node passes bytes through blocks from `alloc`. Results
// (text) are left in one buffer that `resultPtr` / `resultLength` point at until the next call.
import { JsonPathSet, parseJsonPath } from "../darklaunch/json_path";
import { describeJsonDifferences, JsonDigest, jsonValuesEqual } from "../darklaunch/json_digest";
import { JsonRedactor } from "../darklaunch/json_redact";

// Keeps the abort replacement (asconfig "use": abort=...) in the compilation.
export { abortHandler as __darklaunch_abort } from "proxy-wasm-sdk-as/assembly/abort";

const sets = new Array<JsonPathSet | null>();
const digests = new Array<JsonDigest | null>();
const redactors = new Array<JsonRedactor | null>();
let result: ArrayBuffer = new ArrayBuffer(0);

/** A block of `size` bytes for Node to write into; give it back with `release`. */
export function alloc(size: i32): usize {
  return heap.alloc(<usize>size);
}

export function release(ptr: usize): void {
  heap.free(ptr);
}

/** Frees unreachable objects; Node calls it between cases (nothing managed is on the stack here). */
export function collect(): void {
  __collect();
}

export function resultPtr(): usize {
  return changetype<usize>(result);
}

export function resultLength(): i32 {
  return result.byteLength;
}

function setResult(text: string): void {
  result = String.UTF8.encode(text);
}

/** Parses one path: 1 when well-formed, else 0 with the message as the result. */
export function parsePath(ptr: usize, len: i32): i32 {
  const r = parseJsonPath(String.UTF8.decodeUnsafe(ptr, <usize>len));
  setResult(r.error !== null ? r.error! : "");
  return r.path !== null ? 1 : 0;
}

/**
 * Compiles paths given one per line (an empty text: no paths). Returns a set handle, or -1 with
 * every message (one per line) as the result.
 */
export function compilePaths(ptr: usize, len: i32): i32 {
  const text = String.UTF8.decodeUnsafe(ptr, <usize>len);
  const texts = text.length == 0 ? new Array<string>() : text.split("\n");
  const errors = new Array<string>();
  const set = JsonPathSet.compile(texts, errors);
  if (set === null) {
    setResult(errors.join("\n"));
    return -1;
  }
  sets.push(set);
  return sets.length - 1;
}

/** Lets set `h` go (digests and redactors made with it keep it). */
export function pathsDrop(h: i32): void {
  sets[h] = null;
}

function setOf(h: i32): JsonPathSet {
  return h >= 0 ? sets[h]! : JsonPathSet.EMPTY;
}

/** A new digest ignoring the paths of set `set` (-1: none). */
export function digestCreate(set: i32): i32 {
  digests.push(new JsonDigest(setOf(set)));
  return digests.length - 1;
}

export function digestDrop(h: i32): void {
  digests[h] = null;
}

export function digestReset(h: i32): void {
  digests[h]!.reset();
}

export function digestWrite(h: i32, ptr: usize, len: i32): void {
  digests[h]!.write(ptr, len);
}

export function digestFinish(h: i32): i32 {
  return digests[h]!.finish() ? 1 : 0;
}

export function digestLeaves(h: i32): i64 {
  return digests[h]!.leaves;
}

export function digestsEqual(a: i32, b: i32): i32 {
  return jsonValuesEqual(digests[a]!, digests[b]!) ? 1 : 0;
}

/**
 * The differing paths of two finished digests, one per line, as the result; returns their count,
 * negated when the leaf tables did not decode (the paths are then approximate).
 */
export function differingPaths(a: i32, b: i32, max: i32): i32 {
  const d = describeJsonDifferences(digests[a]!, digests[b]!, max);
  setResult(d.paths.join("\n"));
  return d.exact ? d.paths.length : -d.paths.length;
}

/** A new redactor of the paths of set `set` (-1: none) whose output is cut at `cap` bytes. */
export function redactorCreate(set: i32, cap: i32): i32 {
  redactors.push(new JsonRedactor(setOf(set), cap));
  return redactors.length - 1;
}

export function redactorDrop(h: i32): void {
  redactors[h] = null;
}

export function redactorReset(h: i32): void {
  redactors[h]!.reset();
}

export function redactorWrite(h: i32, ptr: usize, len: i32): void {
  redactors[h]!.write(ptr, len);
}

export function redactorFinish(h: i32): void {
  redactors[h]!.finish();
}

export function redactorOutputPtr(h: i32): usize {
  return redactors[h]!.outputPtr;
}

export function redactorOutputLength(h: i32): i32 {
  return redactors[h]!.outputLength;
}

/** Bit 0 truncated, 1 redacted, 2 notJson, 3 withheld. */
export function redactorFlags(h: i32): i32 {
  const r = redactors[h]!;
  return (r.truncated ? 1 : 0) | (r.redacted ? 2 : 0) | (r.notJson ? 4 : 0) | (r.withheld ? 8 : 0);
}
