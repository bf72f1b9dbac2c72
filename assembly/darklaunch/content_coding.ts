// Which decoder a response body needs, from its content-encoding header value (contract §2.4).

/** The content codings the comparison tells apart. */
export enum ContentCoding {
  /** No coding (`identity`, or no header): compared as it is. */
  Identity = 0,
  /** `gzip` / `x-gzip` (RFC 1952, one or more members). */
  Gzip = 1,
  /** `deflate`: zlib-wrapped (RFC 1950) as the RFC says, or raw deflate as some servers send. */
  Deflate = 2,
  /** Anything else (`br`, `zstd`, `compress`, a list of codings): compared as received. */
  Other = 3,
}

// @ts-ignore: decorator
@inline function isBlank(c: u32): bool {
  return c == 0x20 || c == 0x09 || c == 0x0d || c == 0x0a;
}

/** True when the `len` bytes at `ptr` spell `lower` (ASCII lowercase), ignoring ASCII case. */
function equalsIgnoringCase(ptr: usize, len: i32, lower: string): bool {
  if (len != lower.length) return false;
  for (let i = 0; i < len; i++) {
    let c = <u32>load<u8>(ptr + i);
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    if (c != <u32>lower.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * The coding named by a content-encoding header value (bytes at ptr,len): "gzip"/"x-gzip" → Gzip,
 * "deflate" → Deflate, "" / "identity" → Identity, anything else (br, zstd, lists like "gzip, br")
 * → Other. Case-insensitive, surrounding whitespace ignored.
 */
export function contentCodingOf(ptr: usize, len: i32): ContentCoding {
  let start = 0;
  let end = len;
  while (start < end && isBlank(load<u8>(ptr + start))) start++;
  while (end > start && isBlank(load<u8>(ptr + end - 1))) end--;
  const p = ptr + start;
  const n = end - start;
  if (n == 0 || equalsIgnoringCase(p, n, "identity")) return ContentCoding.Identity;
  if (equalsIgnoringCase(p, n, "gzip") || equalsIgnoringCase(p, n, "x-gzip")) return ContentCoding.Gzip;
  if (equalsIgnoringCase(p, n, "deflate")) return ContentCoding.Deflate;
  return ContentCoding.Other;
}
