// Seeded, deterministic bodies for the decoder's tests and benchmark: text, JSON, random bytes,
// runs, and a mix of them. The same seed always gives the same bytes (the committed fixtures
// depend on it).

import { Rng } from "../emulator/random.ts";

// The generator is the tests' one (mulberry32): the same seed, the same bytes everywhere.
export { Rng };

const WORDS = (
  "the of and to in is that for it as was with be by on not he this are or his from at which but have an they " +
  "you were her all she there would their we him been has when who will more no if out so said what up its about " +
  "into than them can only other new some could time these two may then do first any my now such like our over " +
  "request response primary dark cluster envoy filter latency compare mirror sample status header body gzip"
).split(" ");

export type BodyKind = "text" | "json" | "random" | "runs" | "mixed";
export const BODY_KINDS: readonly BodyKind[] = ["text", "json", "random", "runs", "mixed"];

/** Prose-like lines of common words. */
export function textBody(rng: Rng, size: number): Buffer {
  const out = Buffer.alloc(size);
  let at = 0;
  let column = 0;
  while (at < size) {
    const word = rng.pick(WORDS);
    const sep = column > 60 ? "\n" : rng.next() < 0.08 ? ", " : " ";
    at += out.write(word + sep, at, "latin1");
    column = sep === "\n" ? 0 : column + word.length + sep.length;
  }
  return out;
}

/** An API-like JSON document (an array of records), cut to `size` bytes. */
export function jsonBody(rng: Rng, size: number): Buffer {
  const parts: string[] = ['{"items":['];
  let length = parts[0]!.length;
  for (let id = 1; length < size; id++) {
    const record = JSON.stringify({
      id,
      name: `${rng.pick(WORDS)}-${rng.pick(WORDS)}`,
      price: Math.round(rng.next() * 100000) / 100,
      active: rng.next() < 0.5,
      tags: [rng.pick(WORDS), rng.pick(WORDS)],
      owner: { id: rng.int(1, 5000), region: rng.pick(["eu-west-1", "us-east-1", "ap-south-1"]) },
      updated: `2026-${String(rng.int(1, 12)).padStart(2, "0")}-${String(rng.int(1, 28)).padStart(2, "0")}T${String(rng.int(0, 23)).padStart(2, "0")}:00:00Z`,
    });
    parts.push((id > 1 ? "," : "") + record);
    length += record.length + 1;
  }
  parts.push("]}");
  return Buffer.from(parts.join("")).subarray(0, size);
}

/** Uniformly random bytes: incompressible, so deflate stores them. */
export function randomBody(rng: Rng, size: number): Buffer {
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = rng.int(0, 255);
  return out;
}

/** Runs of one byte (1 to 600 long): long overlapping matches, distance 1 especially. */
export function runsBody(rng: Rng, size: number): Buffer {
  const out = Buffer.alloc(size);
  for (let at = 0; at < size; ) {
    const end = Math.min(size, at + rng.int(1, 600));
    out.fill(rng.int(0, 255), at, end);
    at = end;
  }
  return out;
}

/** Pieces of every kind above, with repeats of earlier pieces from far back (long distances). */
export function mixedBody(rng: Rng, size: number): Buffer {
  const pieces: Buffer[] = [];
  let length = 0;
  while (length < size) {
    const n = Math.min(size - length, rng.int(1, 40000));
    const kind = rng.int(0, 4);
    let piece: Buffer;
    if (kind === 4 && length > 0) {
      const all = Buffer.concat(pieces);
      const from = rng.int(0, all.length - 1);
      piece = all.subarray(from, Math.min(all.length, from + n));
    } else {
      piece = [textBody, jsonBody, randomBody, runsBody][kind % 4]!(rng, n);
    }
    pieces.push(piece);
    length += piece.length;
  }
  return Buffer.concat(pieces).subarray(0, size);
}

export function bodyOf(kind: BodyKind, rng: Rng, size: number): Buffer {
  switch (kind) {
    case "text":
      return textBody(rng, size);
    case "json":
      return jsonBody(rng, size);
    case "random":
      return randomBody(rng, size);
    case "runs":
      return runsBody(rng, size);
    case "mixed":
      return mixedBody(rng, size);
  }
}
