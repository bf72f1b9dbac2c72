// The proxy-wasm header-map wire format (assembly/headers.ts), both directions:
//   u32 N | N × { u32 name_len, u32 value_len } | N × { name, 0x00, value, 0x00 }   (little-endian)
// Fixtures are written byte group by byte group.
import {
  equalsBytes,
  equalsIgnoreCase,
  HeaderMap,
  HeaderMapWriter,
  lowerAscii,
  MAX_HEADER_PAIRS,
} from "../headers";

/** The bytes of an ASCII string. */
function ascii(s: string): u8[] {
  const out = new Array<u8>(s.length);
  for (let i = 0; i < s.length; i++) out[i] = <u8>s.charCodeAt(i);
  return out;
}

/** The groups of a fixture joined into one buffer. */
function fixture(groups: u8[][]): ArrayBuffer {
  let n = 0;
  for (let g = 0; g < groups.length; g++) n += groups[g].length;
  const buf = new ArrayBuffer(n);
  let at = changetype<usize>(buf);
  for (let g = 0; g < groups.length; g++) {
    const group = groups[g];
    for (let i = 0; i < group.length; i++) store<u8>(at++, group[i]);
  }
  return buf;
}

function decode(buf: ArrayBuffer): HeaderMap | null {
  return HeaderMap.decode(changetype<usize>(buf), buf.byteLength);
}

/** The pairs of a decoded map as "name=value", joined with "|"; "(null)" if it did not decode. */
function pairs(map: HeaderMap | null): string {
  if (map === null) return "(null)";
  const out = new Array<string>();
  for (let i = 0; i < map.count; i++) out.push(map.nameString(i) + "=" + map.valueString(i));
  return out.join("|");
}

/** Bytes as lower-case hex, for exact comparisons with readable diffs. */
function hex(buf: ArrayBuffer): string {
  const digits = "0123456789abcdef";
  let out = "";
  for (let i = 0; i < buf.byteLength; i++) {
    const b = <i32>load<u8>(changetype<usize>(buf) + i);
    out += digits.charAt(b >> 4) + digits.charAt(b & 15);
  }
  return out;
}

function utf8(s: string): ArrayBuffer {
  return String.UTF8.encode(s);
}

// One pair, `:method: GET`.
const ONE_PAIR: u8[][] = [
  [0x01, 0x00, 0x00, 0x00], // N = 1
  [0x07, 0x00, 0x00, 0x00], // pair 0: name length 7
  [0x03, 0x00, 0x00, 0x00], // pair 0: value length 3
  ascii(":method"), [0x00], // pair 0: name, NUL
  ascii("GET"), [0x00], // pair 0: value, NUL
];

// Three pairs: `x-a:` (empty value), `X-B: v`, `x-b: second`.
const THREE_PAIRS: u8[][] = [
  [0x03, 0x00, 0x00, 0x00], // N = 3
  [0x03, 0x00, 0x00, 0x00], // pair 0: name length 3
  [0x00, 0x00, 0x00, 0x00], // pair 0: value length 0
  [0x03, 0x00, 0x00, 0x00], // pair 1: name length 3
  [0x01, 0x00, 0x00, 0x00], // pair 1: value length 1
  [0x03, 0x00, 0x00, 0x00], // pair 2: name length 3
  [0x06, 0x00, 0x00, 0x00], // pair 2: value length 6
  ascii("x-a"), [0x00], // pair 0: name, NUL
  [0x00], // pair 0: (empty value), NUL
  ascii("X-B"), [0x00], // pair 1: name, NUL
  ascii("v"), [0x00], // pair 1: value, NUL
  ascii("x-b"), [0x00], // pair 2: name, NUL
  ascii("second"), [0x00], // pair 2: value, NUL
];

describe("HeaderMap.decode: well-formed maps", () => {
  it("reads zero bytes as the empty map", () => {
    const map = HeaderMap.decode(0, 0);
    expect(map).not.toBeNull();
    expect((<HeaderMap>map).count).toBe(0);
  });

  it("reads N = 0 as the empty map", () => {
    const map = decode(fixture([
      [0x00, 0x00, 0x00, 0x00], // N = 0
    ]));
    expect(pairs(map)).toBe("");
    expect((<HeaderMap>map).count).toBe(0);
  });

  it("reads one pair, with its spans", () => {
    const map = decode(fixture(ONE_PAIR));
    expect(pairs(map)).toBe(":method=GET");
    const m = <HeaderMap>map;
    expect(m.nameLen(0)).toBe(7);
    expect(m.valueLen(0)).toBe(3);
    expect(<i32>(m.namePtr(0) - changetype<usize>(m.bytes))).toBe(12); // after N and one size pair
    expect(<i32>(m.valuePtr(0) - changetype<usize>(m.bytes))).toBe(20); // after the name and its NUL
  });

  it("reads empty values and keeps the names' case and order", () => {
    expect(pairs(decode(fixture(THREE_PAIRS)))).toBe("x-a=|X-B=v|x-b=second");
  });

  it("finds names without regard to ASCII case, from a given index", () => {
    const map = <HeaderMap>decode(fixture(THREE_PAIRS));
    expect(map.indexOf(utf8("x-b"))).toBe(1);
    expect(map.indexOf(utf8("X-b"), 2)).toBe(2);
    expect(map.indexOf(utf8("x-b"), 3)).toBe(-1);
    expect(map.indexOf(utf8("x-c"))).toBe(-1);
    expect(map.indexOf(utf8("x-"))).toBe(-1);
  });

  it("copies the bytes: later changes to the source do not show", () => {
    const buf = fixture(ONE_PAIR);
    const map = <HeaderMap>decode(buf);
    store<u8>(changetype<usize>(buf) + 20, 0x50); // 'G' -> 'P' in the source
    expect(map.valueString(0)).toBe("GET");
  });

  it("keeps non-ASCII and NUL-free binary values as bytes", () => {
    const map = decode(fixture([
      [0x01, 0x00, 0x00, 0x00], // N = 1
      [0x01, 0x00, 0x00, 0x00], // pair 0: name length 1
      [0x02, 0x00, 0x00, 0x00], // pair 0: value length 2
      ascii("x"), [0x00], // pair 0: name, NUL
      [0xc3, 0xa9], [0x00], // pair 0: value "é" (UTF-8), NUL
    ]));
    expect(pairs(map)).toBe("x=é");
  });

  it("accepts exactly 1024 pairs", () => {
    const w = new HeaderMapWriter();
    const empty = new ArrayBuffer(0);
    for (let i = 0; i < MAX_HEADER_PAIRS; i++) w.addBuffers(empty, empty);
    const map = decode(w.encode());
    expect(map).not.toBeNull();
    expect((<HeaderMap>map).count).toBe(1024);
  });
});

describe("HeaderMap.decode: malformed maps decode to null", () => {
  it("refuses fewer than 4 bytes (truncated N)", () => {
    expect(decode(fixture([[0x01, 0x00, 0x00]]))).toBeNull(); // N, 3 of 4 bytes
  });

  it("refuses a size table shorter than N entries", () => {
    expect(decode(fixture([
      [0x02, 0x00, 0x00, 0x00], // N = 2
      [0x01, 0x00, 0x00, 0x00], // pair 0: name length 1
      [0x01, 0x00, 0x00, 0x00], // pair 0: value length 1
      ascii("a"), [0x00], // pair 0 name, NUL   (pair 1's sizes are missing)
    ]))).toBeNull();
  });

  it("refuses data shorter than the lengths say (truncated value)", () => {
    expect(decode(fixture([
      [0x01, 0x00, 0x00, 0x00], // N = 1
      [0x07, 0x00, 0x00, 0x00], // pair 0: name length 7
      [0x03, 0x00, 0x00, 0x00], // pair 0: value length 3
      ascii(":method"), [0x00], // pair 0: name, NUL
      ascii("GE"), // pair 0: value cut short, no NUL
    ]))).toBeNull();
  });

  it("refuses a name length that points past the end", () => {
    expect(decode(fixture([
      [0x01, 0x00, 0x00, 0x00], // N = 1
      [0x08, 0x00, 0x00, 0x00], // pair 0: name length 8 (really 7)
      [0x03, 0x00, 0x00, 0x00], // pair 0: value length 3
      ascii(":method"), [0x00], // pair 0: name, NUL
      ascii("GET"), [0x00], // pair 0: value, NUL
    ]))).toBeNull();
  });

  it("refuses lengths with the top bit set (negative as i32)", () => {
    expect(decode(fixture([
      [0x01, 0x00, 0x00, 0x00], // N = 1
      [0xff, 0xff, 0xff, 0xff], // pair 0: name length 2^32 - 1
      [0x02, 0x00, 0x00, 0x00], // pair 0: value length 2
      ascii("a"), [0x00], // some data
      ascii("b"), [0x00],
    ]))).toBeNull();
  });

  it("refuses lengths whose sum overflows i32", () => {
    expect(decode(fixture([
      [0x01, 0x00, 0x00, 0x00], // N = 1
      [0xff, 0xff, 0xff, 0x7f], // pair 0: name length 2^31 - 1
      [0xff, 0xff, 0xff, 0x7f], // pair 0: value length 2^31 - 1
      ascii("a"), [0x00], // some data
      ascii("b"), [0x00],
    ]))).toBeNull();
  });

  it("refuses a missing NUL after a name", () => {
    expect(decode(fixture([
      [0x01, 0x00, 0x00, 0x00], // N = 1
      [0x01, 0x00, 0x00, 0x00], // pair 0: name length 1
      [0x01, 0x00, 0x00, 0x00], // pair 0: value length 1
      ascii("a"), ascii("="), // pair 0: name, then '=' where the NUL belongs
      ascii("b"), [0x00], // pair 0: value, NUL
    ]))).toBeNull();
  });

  it("refuses a missing NUL after a value", () => {
    expect(decode(fixture([
      [0x01, 0x00, 0x00, 0x00], // N = 1
      [0x01, 0x00, 0x00, 0x00], // pair 0: name length 1
      [0x01, 0x00, 0x00, 0x00], // pair 0: value length 1
      ascii("a"), [0x00], // pair 0: name, NUL
      ascii("b"), ascii("c"), // pair 0: value, then 'c' where the NUL belongs
    ]))).toBeNull();
  });

  it("refuses bytes after the last pair", () => {
    expect(decode(fixture([
      [0x01, 0x00, 0x00, 0x00], // N = 1
      [0x01, 0x00, 0x00, 0x00], // pair 0: name length 1
      [0x01, 0x00, 0x00, 0x00], // pair 0: value length 1
      ascii("a"), [0x00], // pair 0: name, NUL
      ascii("b"), [0x00], // pair 0: value, NUL
      [0x00], // one byte too many
    ]))).toBeNull();
  });

  it("refuses more than 1024 pairs, even when well-formed", () => {
    const w = new HeaderMapWriter();
    const empty = new ArrayBuffer(0);
    for (let i = 0; i <= MAX_HEADER_PAIRS; i++) w.addBuffers(empty, empty);
    const wire = w.encode();
    expect(wire.byteLength).toBe(4 + 1025 * 10); // well-formed: N + 1025 × (8 + NUL + NUL)
    expect(decode(wire)).toBeNull();
  });

  it("refuses N with the top bit set", () => {
    expect(decode(fixture([
      [0x00, 0x00, 0x00, 0x80], // N = 2^31 (negative as i32)
      [0x00, 0x00, 0x00, 0x00],
      [0x00, 0x00, 0x00, 0x00],
    ]))).toBeNull();
  });

  it("refuses every proper prefix of a well-formed map", () => {
    const buf = fixture(THREE_PAIRS);
    for (let n = 1; n < buf.byteLength; n++) {
      expect(HeaderMap.decode(changetype<usize>(buf), n)).toBeNull("a prefix of " + n.toString() + " bytes");
    }
  });
});

describe("HeaderMapWriter.encode", () => {
  it("grows past its capacity and keeps every pair, in order", () => {
    const w = new HeaderMapWriter(2);
    for (let i = 0; i < 37; i++) {
      if (i % 2 == 0) w.addBuffers(utf8("n" + i.toString()), utf8("v" + i.toString()));
      else {
        const b = utf8("n" + i.toString() + "=v" + i.toString());
        const nameLen = b.byteLength - 2 - (i < 10 ? 1 : 2);
        w.add(changetype<usize>(b), nameLen, changetype<usize>(b) + nameLen + 1, b.byteLength - nameLen - 1);
        w.addBuffers(new ArrayBuffer(0), b); // keeps b alive until encode, as the caller must
      }
    }
    const map = <HeaderMap>decode(w.encode());
    let pair = 0;
    for (let i = 0; i < 37; i++) {
      expect(map.nameString(pair)).toBe("n" + i.toString());
      expect(map.valueString(pair)).toBe("v" + i.toString());
      pair += i % 2 == 0 ? 1 : 2;
    }
    expect(map.count).toBe(pair);
  });

  it("encodes no pairs as N = 0", () => {
    const w = new HeaderMapWriter();
    expect(w.count).toBe(0);
    expect(w.encodedSize()).toBe(4);
    expect(hex(w.encode())).toBe(hex(fixture([
      [0x00, 0x00, 0x00, 0x00], // N = 0
    ])));
  });

  it("encodes one pair byte for byte", () => {
    const w = new HeaderMapWriter();
    w.addBuffers(utf8(":method"), utf8("GET"));
    expect(w.count).toBe(1);
    expect(w.encodedSize()).toBe(4 + 8 + 7 + 1 + 3 + 1);
    expect(hex(w.encode())).toBe(hex(fixture(ONE_PAIR)));
  });

  it("encodes pairs from raw ranges, buffers and a decoded map alike", () => {
    const source = <HeaderMap>decode(fixture(THREE_PAIRS));
    const name = utf8("x-a");
    const w = new HeaderMapWriter();
    w.add(changetype<usize>(name), name.byteLength, 0, 0); // x-a: (empty)
    w.addBuffers(utf8("X-B"), utf8("v"));
    w.addPair(source, 2); // x-b: second
    expect(w.encodedSize()).toBe(fixture(THREE_PAIRS).byteLength);
    expect(hex(w.encode())).toBe(hex(fixture(THREE_PAIRS)));
  });

  it("encodes an empty name and an empty value", () => {
    const w = new HeaderMapWriter();
    w.addBuffers(new ArrayBuffer(0), new ArrayBuffer(0));
    expect(hex(w.encode())).toBe(hex(fixture([
      [0x01, 0x00, 0x00, 0x00], // N = 1
      [0x00, 0x00, 0x00, 0x00], // pair 0: name length 0
      [0x00, 0x00, 0x00, 0x00], // pair 0: value length 0
      [0x00], // pair 0: (empty name), NUL
      [0x00], // pair 0: (empty value), NUL
    ])));
  });

  it("writes lengths above 255 little-endian", () => {
    const w = new HeaderMapWriter();
    w.addBuffers(utf8("x"), utf8("v".repeat(0x1234)));
    const wire = w.encode();
    expect(hex(wire.slice(0, 12))).toBe(hex(fixture([
      [0x01, 0x00, 0x00, 0x00], // N = 1
      [0x01, 0x00, 0x00, 0x00], // pair 0: name length 1
      [0x34, 0x12, 0x00, 0x00], // pair 0: value length 0x1234
    ])));
    expect(wire.byteLength).toBe(12 + 1 + 1 + 0x1234 + 1);
  });
});

describe("header maps: round trips", () => {
  it("decode(encode(pairs)) gives the pairs back, in order, repeats kept", () => {
    const w = new HeaderMapWriter();
    w.addBuffers(utf8(":authority"), utf8("shop.example"));
    w.addBuffers(utf8("x-forwarded-for"), utf8("10.0.0.1"));
    w.addBuffers(utf8("X-Forwarded-For"), utf8("10.0.0.2"));
    w.addBuffers(utf8("x-empty"), utf8(""));
    w.addBuffers(utf8("x-utf8"), utf8("café"));
    expect(pairs(decode(w.encode())))
      .toBe(":authority=shop.example|x-forwarded-for=10.0.0.1|X-Forwarded-For=10.0.0.2|x-empty=|x-utf8=café");
  });

  it("encode(decode(wire)) gives the wire bytes back", () => {
    const wire = fixture(THREE_PAIRS);
    const map = <HeaderMap>decode(wire);
    const w = new HeaderMapWriter();
    for (let i = 0; i < map.count; i++) w.addPair(map, i);
    expect(hex(w.encode())).toBe(hex(wire));
  });
});

describe("header byte helpers", () => {
  it("lower-cases only A-Z", () => {
    expect(lowerAscii(0x41)).toBe(0x61); // A
    expect(lowerAscii(0x5a)).toBe(0x7a); // Z
    expect(lowerAscii(0x40)).toBe(0x40); // @, just below A
    expect(lowerAscii(0x5b)).toBe(0x5b); // [, just above Z
    expect(lowerAscii(0x61)).toBe(0x61); // a
    expect(lowerAscii(0xc3)).toBe(0xc3); // a UTF-8 lead byte
  });

  it("compares names without regard to ASCII case, lengths first", () => {
    const a = utf8("Content-Type");
    const b = utf8("content-type");
    const c = utf8("content-typ");
    expect(equalsIgnoreCase(changetype<usize>(a), a.byteLength, changetype<usize>(b), b.byteLength)).toBe(true);
    expect(equalsIgnoreCase(changetype<usize>(a), a.byteLength, changetype<usize>(c), c.byteLength)).toBe(false);
    const at = utf8("x@");
    const bt = utf8("x`"); // '@' | 0x20 == '`': not letters, must differ
    expect(equalsIgnoreCase(changetype<usize>(at), 2, changetype<usize>(bt), 2)).toBe(false);
  });

  it("compares values byte for byte", () => {
    const a = utf8("GET");
    const b = utf8("get");
    expect(equalsBytes(changetype<usize>(a), 3, changetype<usize>(a), 3)).toBe(true);
    expect(equalsBytes(changetype<usize>(a), 3, changetype<usize>(b), 3)).toBe(false);
    expect(equalsBytes(changetype<usize>(a), 3, changetype<usize>(a), 2)).toBe(false);
  });
});
