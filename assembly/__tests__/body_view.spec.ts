// One side's body as the comparison sees it, and what it hands back for the next body: the gzip
// decoder when the body finishes, the JSON digest when the pair is settled (BodyView.release).
// A decoder or digest taken again must read the next body exactly as a new one would.
import { BodyView, idleInflaterCount } from "../darklaunch/body_view";
import { Compare } from "../darklaunch/config";
import { ContentCoding } from "../darklaunch/inflate";
import { jsonValuesEqual } from "../darklaunch/json_digest";
import { INFLATE_VECTORS, InflateVector } from "./fixtures/inflate_vectors";
import { compareOf, digestOf, hexBytes, utf8 } from "./helpers";

function vector(name: string): InflateVector {
  for (let i = 0; i < INFLATE_VECTORS.length; i++) if (INFLATE_VECTORS[i].name == name) return INFLATE_VECTORS[i];
  throw new Error("no vector " + name);
}

function write(view: BodyView, bytes: ArrayBuffer, from: i32 = 0, to: i32 = -1): void {
  const end = to < 0 ? bytes.byteLength : to;
  view.write(changetype<usize>(bytes) + <usize>from, end - from);
}

function text(view: BodyView, s: string): void {
  write(view, utf8(s));
}

/** A gzip body through a new view: finished, its decoded length and hash checked. */
function decodeInto(c: Compare, v: InflateVector, bytes: ArrayBuffer): BodyView {
  const view = new BodyView(c);
  view.setCoding(ContentCoding.Gzip);
  write(view, bytes);
  view.finish();
  expect(view.isDecoded).toBe(true);
  expect(view.length).toBe(<i64>v.outputLength);
  expect(view.hash).toBe(v.outputHash);
  return view;
}

describe("BodyView: the gzip decoder goes back for the next body", () => {
  test("a finished body gives its decoder back, and the next body decodes with it exactly", () => {
    const c = compareOf("{}");
    const v = vector("gzip level 9 json");
    const bytes = hexBytes(v.hex);
    decodeInto(c, v, bytes);
    const idle = idleInflaterCount();
    expect(idle).toBeGreaterThan(0);
    // The next body takes the idle decoder and gives it back: the count is the same after it.
    decodeInto(c, v, bytes);
    expect(idleInflaterCount()).toBe(idle);
  });

  test("a decoder given back from a failed or unfinished body decodes the next body exactly", () => {
    const c = compareOf("{}");
    const v = vector("gzip level 1 json");
    const bytes = hexBytes(v.hex);
    // Truncated: the decoder fails at finish, and goes back all the same.
    const truncated = new BodyView(c);
    truncated.setCoding(ContentCoding.Gzip);
    write(truncated, bytes, 0, bytes.byteLength / 2);
    truncated.finish();
    expect(truncated.undecoded).toBe(true);
    decodeInto(c, v, bytes);
    // Never finished (its stream went away mid-body): released, its decoder goes back mid-stream.
    const before = idleInflaterCount();
    const cut = new BodyView(c);
    cut.setCoding(ContentCoding.Gzip);
    write(cut, bytes, 0, 100);
    expect(idleInflaterCount()).toBe(before - 1);
    cut.release();
    expect(idleInflaterCount()).toBe(before);
    decodeInto(c, v, bytes);
  });

  test("a released body ignores later bytes", () => {
    const view = new BodyView(compareOf("{}"));
    text(view, "abc");
    view.release();
    text(view, "def");
    view.finish();
    expect(view.length).toBe(3);
  });
});

describe("BodyView: the JSON digest goes back when the pair is settled", () => {
  test("release gives the digest to the rule's pool; the next body takes it and reads as new", () => {
    const c = compareOf('{"body":{"json":true}}');
    const pool = c.jsonDigests;
    const first = new BodyView(c);
    const digest = first.json!;
    // Left in the middle of a \u escape, of a string and of an object.
    text(first, '{"a":"\\u00');
    first.release();
    expect(first.json).toBeNull();
    expect(pool.idleCount).toBe(1);
    const second = new BodyView(c);
    expect(pool.idleCount).toBe(0);
    expect(changetype<usize>(second.json!)).toBe(changetype<usize>(digest));
    text(second, '{"b":[1,2.50,"x"]}');
    second.finish();
    expect(second.jsonValid).toBe(true);
    expect(jsonValuesEqual(second.json!, digestOf('{"b":[1,2.5,"x"]}'))).toBe(true);
    expect(second.json!.leaves).toBe(3);
  });

  test("a digest that found its body invalid reads the next body as new", () => {
    const c = compareOf('{"body":{"json":true}}');
    const first = new BodyView(c);
    text(first, '{"a":tru!');
    first.finish();
    expect(first.jsonValid).toBe(false);
    first.release();
    const second = new BodyView(c);
    text(second, '{"a":true}');
    second.finish();
    expect(second.jsonValid).toBe(true);
    expect(jsonValuesEqual(second.json!, digestOf('{"a":true}'))).toBe(true);
  });

  test("releasing twice gives the digest back once", () => {
    const c = compareOf('{"body":{"json":true}}');
    const view = new BodyView(c);
    view.release();
    view.release();
    expect(c.jsonDigests.idleCount).toBe(1);
  });
});
