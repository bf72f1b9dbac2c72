// How JSON paths and values appear in messages: `rules[0].dark.cluster`, `["x y"][2]`, a value
// shown as compact JSON cut after MAX_SHOWN_CHARS characters. Shared by the reader (duplicate
// keys), the configuration's validation and the path grammar.
import { JsonArray, JsonBool, JsonNumber, JsonObject, JsonString, JsonValue } from "./json_value";

/** Longest key shown in a path segment or value shown in a message, in UTF-16 code units. */
export const MAX_SHOWN_CHARS: i32 = 40;

/** The path used for problems of the whole document. */
export const ROOT_PATH: string = "(root)";

export const HEX_DIGITS = "0123456789ABCDEF";

/** The path of member `key` of the object at `path` ("" is the document itself). */
export function memberPath(path: string, key: string): string {
  if (isPlainKey(key)) return path.length == 0 ? key : path + "." + key;
  return path + "[" + quoteForMessage(key) + "]";
}

/** The path of element `index` of the array at `path`. */
export function elementPath(path: string, index: i32): string {
  return path + "[" + index.toString() + "]";
}

/** `path`, or `(root)` for the document itself. */
export function shownPath(path: string): string {
  return path.length == 0 ? ROOT_PATH : path;
}

// A key is shown bare in a path when it is short and cannot be mistaken for path syntax.
function isPlainKey(key: string): bool {
  const n = key.length;
  if (n == 0 || n > MAX_SHOWN_CHARS) return false;
  for (let i = 0; i < n; i++) {
    const c = key.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c == 0x2e /* . */ || c == 0x5b /* [ */ || c == 0x5d /* ] */ ||
        c == 0x22 /* " */ || c == 0x5c /* \ */) return false;
  }
  return true;
}

/**
 * `s` as a JSON-ish quoted string for a message: control characters, DEL, C1 controls, line
 * separators and lone surrogates escaped; cut after MAX_SHOWN_CHARS characters with "…".
 */
export function quoteForMessage(s: string): string {
  let out = "\"";
  const n = s.length;
  let shown = 0;
  for (let i = 0; i < n; i++) {
    if (shown >= MAX_SHOWN_CHARS) return out + "…\"";
    const c = s.charCodeAt(i);
    if (c == 0x22) out += "\\\"";
    else if (c == 0x5c) out += "\\\\";
    else if (c == 0x0a) out += "\\n";
    else if (c == 0x0d) out += "\\r";
    else if (c == 0x09) out += "\\t";
    else if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 || c == 0x2029) out += unicodeEscape(c);
    else if (c >= 0xd800 && c <= 0xdbff) {
      const next = i + 1 < n ? s.charCodeAt(i + 1) : 0;
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += s.substring(i, i + 2);
        i++;
      } else {
        out += unicodeEscape(c);
      }
    } else if (c >= 0xdc00 && c <= 0xdfff) out += unicodeEscape(c);
    else out += String.fromCharCode(c);
    shown++;
  }
  return out + "\"";
}

function unicodeEscape(c: i32): string {
  return "\\u" +
    HEX_DIGITS.charAt((c >> 12) & 15) + HEX_DIGITS.charAt((c >> 8) & 15) +
    HEX_DIGITS.charAt((c >> 4) & 15) + HEX_DIGITS.charAt(c & 15);
}

/** `v` as compact JSON-ish text (numbers as written), cut after about MAX_SHOWN_CHARS characters with "…". */
export function describeValue(v: JsonValue): string {
  if (v instanceof JsonString) return quoteForMessage((<JsonString>v).value); // cut inside the quotes
  const out = new Array<string>();
  const used = appendValue(out, v, 0);
  const text = out.join("");
  if (used <= MAX_SHOWN_CHARS) return text;
  return cutText(text, MAX_SHOWN_CHARS) + "…";
}

function cutText(text: string, n: i32): string {
  if (text.length <= n) return text;
  const last = text.charCodeAt(n - 1);
  if (last >= 0xd800 && last <= 0xdbff) n--; // keep surrogate pairs whole
  return text.substring(0, n);
}

// Appends the rendering of `v` while fewer than MAX_SHOWN_CHARS characters are out; returns the
// number out afterwards (once over the limit, the rest is not rendered).
function appendValue(out: string[], v: JsonValue, used: i32): i32 {
  if (used > MAX_SHOWN_CHARS) return used;
  let piece: string;
  if (v instanceof JsonString) {
    piece = quoteForMessage((<JsonString>v).value);
  } else if (v instanceof JsonNumber) {
    piece = (<JsonNumber>v).text;
  } else if (v instanceof JsonBool) {
    piece = (<JsonBool>v).value ? "true" : "false";
  } else if (v instanceof JsonArray) {
    const items = (<JsonArray>v).items;
    out.push("[");
    used++;
    for (let i = 0; i < items.length && used <= MAX_SHOWN_CHARS; i++) {
      if (i > 0) {
        out.push(",");
        used++;
      }
      used = appendValue(out, unchecked(items[i]), used);
    }
    out.push("]");
    return used + 1;
  } else if (v instanceof JsonObject) {
    const obj = <JsonObject>v;
    out.push("{");
    used++;
    for (let i = 0; i < obj.size && used <= MAX_SHOWN_CHARS; i++) {
      if (i > 0) {
        out.push(",");
        used++;
      }
      const k = quoteForMessage(unchecked(obj.keys[i])) + ":";
      out.push(k);
      used = appendValue(out, unchecked(obj.values[i]), used + k.length);
    }
    out.push("}");
    return used + 1;
  } else {
    piece = "null";
  }
  out.push(piece);
  return used + piece.length;
}
