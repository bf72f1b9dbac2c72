// Test-only builders: header maps through the real wire codec, configs through the real parser,
// JSON digests through the real reader.
import { ByteSink } from "proxy-wasm-sdk-as/assembly/bytes";
import { HeaderMap, HeaderMapWriter } from "proxy-wasm-sdk-as/assembly/headers";
import { Compare, Config, Rule } from "../darklaunch/config";
import { parseConfig } from "../darklaunch/config_parse";
import { JsonDigest } from "../darklaunch/json_digest";
import { JsonPathSet } from "../darklaunch/json_path";

/** A decoded header map of `pairs` given flat: name, value, name, value, ... */
export function headerMap(pairs: string[]): HeaderMap {
  assert(pairs.length % 2 == 0, "headerMap: pairs must be name, value, ...");
  const w = new HeaderMapWriter();
  for (let i = 0; i < pairs.length; i += 2) {
    w.addBuffers(String.UTF8.encode(pairs[i]), String.UTF8.encode(pairs[i + 1]));
  }
  return decodeMap(w.encode());
}

/** Decodes wire bytes, failing the test when they are not a well-formed map. */
export function decodeMap(wire: ArrayBuffer): HeaderMap {
  const map = HeaderMap.decode(changetype<usize>(wire), wire.byteLength);
  assert(map !== null, "not a well-formed header map");
  return map!;
}

/** The pairs of wire-format header bytes as "name: value" strings, in order. */
export function pairsOf(wire: ArrayBuffer): string[] {
  const map = decodeMap(wire);
  const out = new Array<string>();
  for (let i = 0; i < map.count; i++) out.push(map.nameString(i) + ": " + map.valueString(i));
  return out;
}

/** The configuration of `json`, failing the test with every problem when it does not parse. */
export function configOf(json: string): Config {
  const result = parseConfig(String.UTF8.encode(json));
  const config = result.config;
  if (config === null) {
    assert(false, "config did not parse: " + result.errors.join("; "));
    unreachable();
  }
  return config!;
}

/** The single rule of a config `{"rules":[<ruleJson>]}`. */
export function ruleOf(ruleJson: string): Rule {
  return configOf('{"rules":[' + ruleJson + "]}").rules[0];
}

/** The UTF-8 bytes of a string, as a pointer/length pair's owner. */
export function utf8(s: string): ArrayBuffer {
  return String.UTF8.encode(s);
}

/** The bytes of a hex string. */
export function hexBytes(hex: string): ArrayBuffer {
  const out = new ArrayBuffer(hex.length >> 1);
  for (let i = 0; i < out.byteLength; i++) {
    store<u8>(changetype<usize>(out) + i, <u8>I32.parseInt(hex.substr(i * 2, 2), 16));
  }
  return out;
}

/** The `compare` block of a rule with `compareJson` (and a name and dark cluster), parsed for real. */
export function compareOf(compareJson: string): Compare {
  return ruleOf('{"name":"a","dark":{"cluster":"v2"},"compare":' + compareJson + "}").compare;
}

/** JSON paths compiled as a rule's ignore list (all well-formed). */
export function paths(texts: string[]): JsonPathSet {
  return JsonPathSet.compile(texts)!;
}

/** Writes `bytes` to `sink` in pieces cut at `cuts` (increasing offsets). */
export function writeInPieces(sink: ByteSink, bytes: ArrayBuffer, cuts: i32[]): void {
  let at = 0;
  for (let i = 0; i <= cuts.length; i++) {
    const next = i < cuts.length ? cuts[i] : bytes.byteLength;
    sink.write(changetype<usize>(bytes) + <usize>at, next - at);
    at = next;
  }
}

/** A new digest of `bytes` written in pieces cut at `cuts` (increasing offsets), then finished. */
export function digestBytes(bytes: ArrayBuffer, cuts: i32[], ignore: JsonPathSet): JsonDigest {
  const d = new JsonDigest(ignore);
  writeInPieces(d, bytes, cuts);
  d.finish();
  return d;
}

/** A new digest of `text` in one piece, finished. */
export function digestOf(text: string, ignore: JsonPathSet = JsonPathSet.EMPTY): JsonDigest {
  return digestBytes(String.UTF8.encode(text), [], ignore);
}
