// The sample redactor's rules (docs/samples.md, "Bodies") restated in plain TypeScript, for the
// fuzz test of assembly/darklaunch/json_redact.ts: a strict RFC 8259 reader of the body's bytes
// (UTF-8 checked, 128 levels) that finds the values at redacted paths and the first byte that is
// not JSON, and from them the output the filter must send. Written apart from the filter's code
// (recursive descent on a whole body, not a streamed state machine) so that the two can disagree.
import { type PatternSegment, patternMatches, type Segment } from "./json-twins.ts";

/** What a value at a redacted path becomes. */
export const REDACTED = Buffer.from('"[redacted]"');
const MAX_NESTING = 128;

export interface RedactionExpected {
  output: Buffer;
  truncated: boolean;
  redacted: boolean;
  notJson: boolean;
  withheld: boolean;
  /** Values replaced in the whole body (before any cut). */
  replacedValues: number;
}

class Stop {
  constructor(readonly at: number) {}
}

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isHex = (c: number): boolean => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);

class Reader {
  pos = 0;
  /** [start, end) of each value replaced; end -1 while (or if it stays) unfinished. */
  readonly spans: Array<[number, number]> = [];

  constructor(
    private readonly b: Buffer,
    private readonly patterns: ReadonlyArray<readonly PatternSegment[]>,
  ) {}

  private fail(at = this.pos): never {
    throw new Stop(at);
  }

  private peek(): number {
    if (this.pos >= this.b.length) this.fail();
    return this.b[this.pos]!;
  }

  private ws(): void {
    while (this.pos < this.b.length) {
      const c = this.b[this.pos]!;
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return;
      this.pos++;
    }
  }

  document(): void {
    this.value(0, [], false);
    this.ws();
    if (this.pos < this.b.length) this.fail();
  }

  /** A value; `depth` containers are open around it. */
  private value(depth: number, path: Segment[], inside: boolean): void {
    this.ws();
    const c = this.peek();
    const container = c === 0x7b || c === 0x5b;
    const known = c === 0x22 || c === 0x2d || isDigit(c) || container || c === 0x74 || c === 0x66 || c === 0x6e;
    if (!known || (container && depth >= MAX_NESTING)) this.fail();
    let span: [number, number] | null = null;
    if (!inside && this.patterns.some((p) => patternMatches(p, path))) {
      span = [this.pos, -1];
      this.spans.push(span);
    }
    const under = inside || span !== null;
    if (c === 0x22) this.string(false);
    else if (c === 0x7b) this.object(depth + 1, path, under);
    else if (c === 0x5b) this.array(depth + 1, path, under);
    else if (c === 0x74) this.word("true");
    else if (c === 0x66) this.word("false");
    else if (c === 0x6e) this.word("null");
    else this.number();
    if (span !== null) span[1] = this.pos;
  }

  private object(depth: number, path: Segment[], under: boolean): void {
    this.pos++;
    this.ws();
    if (this.peek() === 0x7d) {
      this.pos++;
      return;
    }
    for (;;) {
      this.ws();
      if (this.peek() !== 0x22) this.fail();
      const key = this.string(!under);
      this.ws();
      if (this.peek() !== 0x3a) this.fail();
      this.pos++;
      this.value(depth, under ? path : [...path, { member: key! }], under);
      this.ws();
      const c = this.peek();
      this.pos++;
      if (c === 0x7d) return;
      if (c !== 0x2c) this.fail(this.pos - 1);
    }
  }

  private array(depth: number, path: Segment[], under: boolean): void {
    this.pos++;
    this.ws();
    if (this.peek() === 0x5d) {
      this.pos++;
      return;
    }
    for (let index = 0; ; index++) {
      this.value(depth, under ? path : [...path, { index }], under);
      this.ws();
      const c = this.peek();
      this.pos++;
      if (c === 0x5d) return;
      if (c !== 0x2c) this.fail(this.pos - 1);
    }
  }

  /** A string from its opening quote; its value when `decode` (for keys). */
  private string(decode: boolean): string | null {
    const start = this.pos;
    this.pos++;
    for (;;) {
      const c = this.peek();
      if (c === 0x22) break;
      if (c < 0x20) this.fail();
      if (c === 0x5c) {
        this.pos++;
        const e = this.peek();
        if (e === 0x75) {
          this.pos++;
          for (let k = 0; k < 4; k++) {
            if (!isHex(this.peek())) this.fail();
            this.pos++;
          }
        } else if ('"\\/bfnrt'.includes(String.fromCharCode(e))) {
          this.pos++;
        } else {
          this.fail();
        }
        continue;
      }
      if (c < 0x80) {
        this.pos++;
        continue;
      }
      // UTF-8 (RFC 3629): no overlongs, no surrogates, nothing above U+10FFFF.
      let need: number;
      let lo = 0x80;
      let hi = 0xbf;
      if (c >= 0xc2 && c <= 0xdf) need = 1;
      else if (c >= 0xe0 && c <= 0xef) {
        need = 2;
        if (c === 0xe0) lo = 0xa0;
        if (c === 0xed) hi = 0x9f;
      } else if (c >= 0xf0 && c <= 0xf4) {
        need = 3;
        if (c === 0xf0) lo = 0x90;
        if (c === 0xf4) hi = 0x8f;
      } else {
        this.fail();
      }
      this.pos++;
      for (let k = 0; k < need; k++) {
        const d = this.peek();
        if (d < lo || d > hi) this.fail();
        lo = 0x80;
        hi = 0xbf;
        this.pos++;
      }
    }
    this.pos++;
    return decode ? (JSON.parse(this.b.toString("utf8", start, this.pos)) as string) : null;
  }

  private number(): void {
    if (this.b[this.pos] === 0x2d) this.pos++;
    const first = this.peek();
    if (!isDigit(first)) this.fail();
    this.pos++;
    if (first === 0x30) {
      if (this.pos < this.b.length && isDigit(this.b[this.pos]!)) this.fail();
    } else {
      while (this.pos < this.b.length && isDigit(this.b[this.pos]!)) this.pos++;
    }
    if (this.pos < this.b.length && this.b[this.pos] === 0x2e) {
      this.pos++;
      if (!isDigit(this.peek())) this.fail();
      while (this.pos < this.b.length && isDigit(this.b[this.pos]!)) this.pos++;
    }
    if (this.pos < this.b.length && (this.b[this.pos] === 0x65 || this.b[this.pos] === 0x45)) {
      this.pos++;
      const s = this.peek();
      if (s === 0x2b || s === 0x2d) this.pos++;
      if (!isDigit(this.peek())) this.fail();
      while (this.pos < this.b.length && isDigit(this.b[this.pos]!)) this.pos++;
    }
  }

  private word(w: string): void {
    for (let k = 0; k < w.length; k++) {
      if (this.peek() !== w.charCodeAt(k)) this.fail();
      this.pos++;
    }
  }
}

/** `bytes` without a UTF-8 sequence left incomplete at its end (at most 3 bytes dropped). */
export function dropCutSequence(bytes: Buffer): Buffer {
  for (let k = 1; k <= 3 && k <= bytes.length; k++) {
    const c = bytes[bytes.length - k]!;
    if ((c & 0xc0) === 0x80) continue;
    if (c >= 0xc0) {
      const size = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
      if (size > k) return bytes.subarray(0, bytes.length - k);
    }
    break;
  }
  return bytes;
}

/**
 * What the filter sends for `body` with the values at `patterns` redacted and the output cut at
 * `cap` bytes (docs/samples.md, "Bodies").
 */
export function expectedRedaction(body: Buffer, patterns: ReadonlyArray<readonly PatternSegment[]>, cap: number): RedactionExpected {
  const reader = new Reader(body, patterns);
  let stopAt: number | null = null;
  try {
    reader.document();
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    stopAt = e.at;
  }
  // A byte that is not JSON (not the end of an unfinished body): with paths, nothing from it on.
  const invalidAt = stopAt !== null && stopAt < body.length ? stopAt : null;
  const withPaths = patterns.length > 0;
  const limit = invalidAt !== null && withPaths ? invalidAt : body.length;
  const parts: Buffer[] = [];
  const markers: number[] = [];
  let length = 0;
  let at = 0;
  for (const [start, end] of reader.spans) {
    if (start >= limit) break;
    parts.push(body.subarray(at, start));
    length += start - at;
    markers.push(length);
    parts.push(REDACTED);
    length += REDACTED.length;
    at = end < 0 ? limit : Math.min(end, limit);
  }
  parts.push(body.subarray(at, limit));
  const full = Buffer.concat(parts);
  const replacedValues = reader.spans.length;
  if (full.length > cap) {
    // Reading stops at the cap: a byte that is not JSON after the first that did not fit is not
    // judged. Without paths input and output positions are the same.
    return {
      output: dropCutSequence(full.subarray(0, cap)),
      truncated: true,
      redacted: markers.some((m) => m < cap),
      notJson: !withPaths && invalidAt !== null && invalidAt < cap,
      withheld: false,
      replacedValues,
    };
  }
  const withheld = invalidAt !== null && withPaths;
  return {
    output: withheld ? dropCutSequence(full) : full,
    truncated: false,
    redacted: markers.length > 0 || withheld,
    notJson: stopAt !== null,
    withheld,
    replacedValues,
  };
}
