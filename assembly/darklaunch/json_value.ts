// The tree of a JSON document as json_read.ts builds it, for the documents the filter reads whole
// (the plugin configuration). Objects keep their members in document order and never hold a key
// twice (the reader refuses duplicates); numbers keep the text they were written as (messages
// show it), an exact i64 when they are integers that fit, and the nearest double.

/** Any JSON value; test its class with `instanceof`. */
export class JsonValue {}

export class JsonNull extends JsonValue {}

export class JsonBool extends JsonValue {
  constructor(readonly value: bool) {
    super();
  }
}

export class JsonNumber extends JsonValue {
  constructor(
    /** The number as written, e.g. `1e3` or `-0.50`. */
    readonly text: string,
    /** The nearest double. */
    readonly value: f64,
    /** Whether it was written without fraction and exponent and fits an i64 (then `integer` is exact). */
    readonly isInteger: bool,
    readonly integer: i64,
  ) {
    super();
  }
}

export class JsonString extends JsonValue {
  constructor(readonly value: string) {
    super();
  }
}

export class JsonArray extends JsonValue {
  readonly items: JsonValue[] = [];
}

// Objects up to this many members are searched in order; larger ones get a hash index (so a
// document of many keys cannot make duplicate detection quadratic).
// @ts-ignore: decorator
@inline const INDEX_FROM: i32 = 8;

export class JsonObject extends JsonValue {
  /** Member names, in document order; `values[i]` is the value of `keys[i]`. */
  readonly keys: string[] = [];
  readonly values: JsonValue[] = [];
  private index: Map<string, i32> | null = null;

  get size(): i32 {
    return this.keys.length;
  }

  has(key: string): bool {
    return this.find(key) >= 0;
  }

  /** The value of member `key`, or null if there is none. */
  get(key: string): JsonValue | null {
    const i = this.find(key);
    return i >= 0 ? unchecked(this.values[i]) : null;
  }

  /** Adds a member at the end; returns false (and adds nothing) if `key` is already there. */
  add(key: string, value: JsonValue): bool {
    if (this.find(key) >= 0) return false;
    const at = this.keys.length;
    this.keys.push(key);
    this.values.push(value);
    let index = this.index;
    if (index !== null) {
      index.set(key, at);
    } else if (at + 1 > INDEX_FROM) {
      index = new Map<string, i32>();
      for (let i = 0; i <= at; i++) index.set(unchecked(this.keys[i]), i);
      this.index = index;
    }
    return true;
  }

  private find(key: string): i32 {
    const index = this.index;
    if (index !== null) return index.has(key) ? index.get(key) : -1;
    const keys = this.keys;
    for (let i = 0, n = keys.length; i < n; i++) {
      if (unchecked(keys[i]) == key) return i;
    }
    return -1;
  }
}
