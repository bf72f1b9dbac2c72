// The proxy-wasm header-map wire format, both directions:
//   u32 N | N × { u32 name_len, u32 value_len } | N × { name, 0x00, value, 0x00 }   (little-endian)
// Names are UTF-8, values bytes (held as latin1 strings, so every byte value survives).

/** Header pairs in order (a name may repeat). */
export type Headers = Array<[string, string]>;

export function encodeHeaderMap(headers: Headers): Buffer {
  const parts = headers.map(([k, v]) => [Buffer.from(k, "utf8"), Buffer.from(v, "latin1")] as const);
  let size = 4;
  for (const [k, v] of parts) size += 8 + k.length + 1 + v.length + 1;
  const out = Buffer.alloc(size);
  out.writeUInt32LE(parts.length, 0);
  let data = 4 + parts.length * 8;
  parts.forEach(([k, v], i) => {
    out.writeUInt32LE(k.length, 4 + i * 8);
    out.writeUInt32LE(v.length, 8 + i * 8);
    k.copy(out, data);
    data += k.length + 1;
    v.copy(out, data);
    data += v.length + 1;
  });
  return out;
}

/** The pairs of an encoded map; null when the bytes are not a well-formed map (Envoy reads those as empty). */
export function decodeHeaderMap(bytes: Uint8Array): Headers | null {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length === 0) return [];
  if (buf.length < 4) return null;
  const n = buf.readUInt32LE(0);
  if (4 + n * 8 > buf.length) return null;
  const out: Headers = [];
  let data = 4 + n * 8;
  for (let i = 0; i < n; i++) {
    const kl = buf.readUInt32LE(4 + i * 8);
    const vl = buf.readUInt32LE(8 + i * 8);
    if (data + kl + vl + 2 > buf.length || buf[data + kl] !== 0 || buf[data + kl + 1 + vl] !== 0) return null;
    const k = buf.subarray(data, data + kl).toString("utf8");
    data += kl + 1;
    const v = buf.subarray(data, data + vl).toString("latin1");
    data += vl + 1;
    out.push([k, v]);
  }
  return data === buf.length ? out : null;
}
