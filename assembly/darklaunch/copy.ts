// The headers of the dark copy (contract section 2 "The copy"; details in docs/behaviour-decisions.md).
import { HeaderMap, HeaderMapWriter, equalsIgnoreCase } from "proxy-wasm-sdk-as/assembly/headers";
import { Rule } from "./config";
import { CONTENT_LENGTH_HEADER, DARK_LAUNCH_HEADER, MANAGED_HEADERS, ManagedHeader, TE_HEADER } from "./managed_headers";

const AUTHORITY: ArrayBuffer = String.UTF8.encode(":authority");
const CONTENT_LENGTH: ArrayBuffer = String.UTF8.encode(CONTENT_LENGTH_HEADER);
const DARK_LAUNCH: ArrayBuffer = String.UTF8.encode(DARK_LAUNCH_HEADER);
const SHADOW: ArrayBuffer = String.UTF8.encode("-shadow");
const TE: ArrayBuffer = String.UTF8.encode(TE_HEADER);
const TRAILERS: ArrayBuffer = String.UTF8.encode("trailers");

/** The headers the filter decides itself (managed_headers.ts): never taken from the primary, `te: trailers` apart. */
const DROPPED: ArrayBuffer[] = encodeNames(MANAGED_HEADERS);

function encodeNames(list: ManagedHeader[]): ArrayBuffer[] {
  const out = new Array<ArrayBuffer>(list.length);
  for (let i = 0; i < list.length; i++) unchecked((out[i] = String.UTF8.encode(unchecked(list[i]).name)));
  return out;
}

function inList(list: ArrayBuffer[], ptr: usize, len: i32): bool {
  for (let k = 0; k < list.length; k++) {
    const item = unchecked(list[k]);
    if (equalsIgnoreCase(ptr, len, changetype<usize>(item), item.byteLength)) return true;
  }
  return false;
}

/** The default dark authority: "-shadow" added to the host, before any port (as Envoy's mirror does). */
export function shadowAuthority(ptr: usize, len: i32): ArrayBuffer {
  // The port starts at the last ':' unless that ':' is inside an IPv6 literal "[...]".
  let split = len;
  for (let i = len - 1; i >= 0; i--) {
    const c = load<u8>(ptr + i);
    if (c == 0x3a /* : */) {
      split = i;
      break;
    }
    if (c == 0x5d /* ] */ || c < 0x30 || c > 0x39) break;
  }
  const out = new ArrayBuffer(len + SHADOW.byteLength);
  const base = changetype<usize>(out);
  memory.copy(base, ptr, split);
  memory.copy(base + split, changetype<usize>(SHADOW), SHADOW.byteLength);
  memory.copy(base + split + SHADOW.byteLength, ptr + split, len - split);
  return out;
}

/** Whether a `te` value is exactly `trailers` (any case, surrounding spaces ignored): the one kept. */
function keptTe(ptr: usize, len: i32): bool {
  let start = 0;
  let end = len;
  while (start < end && (load<u8>(ptr + start) == 0x20 || load<u8>(ptr + start) == 0x09)) start++;
  while (end > start && (load<u8>(ptr + end - 1) == 0x20 || load<u8>(ptr + end - 1) == 0x09)) end--;
  return equalsIgnoreCase(ptr + start, end - start, changetype<usize>(TRAILERS), TRAILERS.byteLength);
}

/** Decimal ASCII of a non-negative integer. */
function decimal(n: i32): ArrayBuffer {
  return String.UTF8.encode(n.toString());
}

/**
 * The wire-format header map of the copy of `headers` under `rule`: primary headers minus the
 * dropped ones and `remove_headers`, `:authority` rewritten, `set_headers` applied, the
 * `x-dark-launch` marker set to the rule name, and content-length for a non-empty body.
 */
export function darkCopyHeaders(rule: Rule, ruleName: ArrayBuffer, headers: HeaderMap, bodyLength: i32): ArrayBuffer {
  const dark = rule.dark;
  // Pairs: the primary's, at most one :authority more, set_headers, the marker, content-length.
  const w = new HeaderMapWriter(headers.count + dark.setHeaderNames.length + 3);
  let sawAuthority = false;
  for (let i = 0; i < headers.count; i++) {
    const np = headers.namePtr(i);
    const nl = headers.nameLen(i);
    if (equalsIgnoreCase(np, nl, changetype<usize>(AUTHORITY), AUTHORITY.byteLength)) {
      if (sawAuthority) continue;
      sawAuthority = true;
      const explicit = dark.authorityBytes;
      if (explicit !== null) w.addBuffers(AUTHORITY, explicit);
      else if (dark.keepAuthority) w.addPair(headers, i);
      else w.addBuffers(AUTHORITY, shadowAuthority(headers.valuePtr(i), headers.valueLen(i)));
      continue;
    }
    if (inList(DROPPED, np, nl)) {
      const isTe = equalsIgnoreCase(np, nl, changetype<usize>(TE), TE.byteLength);
      if (!isTe || !keptTe(headers.valuePtr(i), headers.valueLen(i))) continue;
    }
    if (inList(dark.removeHeaders, np, nl) || inList(dark.setHeaderNames, np, nl)) continue;
    w.addPair(headers, i);
  }
  if (!sawAuthority) {
    const explicit = dark.authorityBytes;
    w.addBuffers(AUTHORITY, explicit !== null ? explicit : dark.clusterBytes);
  }
  for (let k = 0; k < dark.setHeaderNames.length; k++) {
    w.addBuffers(unchecked(dark.setHeaderNames[k]), unchecked(dark.setHeaderValues[k]));
  }
  w.addBuffers(DARK_LAUNCH, ruleName);
  if (bodyLength > 0) w.addBuffers(CONTENT_LENGTH, decimal(bodyLength));
  return w.encode();
}
