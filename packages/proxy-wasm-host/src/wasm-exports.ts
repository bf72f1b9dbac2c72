// What a compiled module exports, with each function's signature, read from the binary's type,
// import, function and export sections (the WebAssembly JS API gives names and kinds only). Envoy
// checks the signatures of the proxy-wasm exports when it loads a module ("Bad function
// signature"), so two builds that must be interchangeable are compared with this.

export type ValType = "i32" | "i64" | "f32" | "f64" | "v128" | "funcref" | "externref";

export interface ExportEntry {
  name: string;
  kind: "func" | "table" | "memory" | "global" | "tag";
  /** For a function: its signature. */
  params?: ValType[];
  results?: ValType[];
}

const VALTYPES: Record<number, ValType> = { 127: "i32", 126: "i64", 125: "f32", 124: "f64", 123: "v128", 112: "funcref", 111: "externref" };
const KINDS = ["func", "table", "memory", "global", "tag"] as const;

class Reader {
  pos = 0;
  private readonly bytes: Uint8Array;
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }
  get done(): boolean {
    return this.pos >= this.bytes.length;
  }
  byte(): number {
    if (this.pos >= this.bytes.length) throw new Error("wasm: unexpected end of module");
    return this.bytes[this.pos++]!;
  }
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result >>> 0;
      shift += 7;
      if (shift > 35) throw new Error("wasm: LEB128 too long");
    }
  }
  name(): string {
    const len = this.u32();
    const text = new TextDecoder().decode(this.bytes.subarray(this.pos, this.pos + len));
    this.pos += len;
    return text;
  }
  valtype(): ValType {
    const b = this.byte();
    const t = VALTYPES[b];
    if (t === undefined) throw new Error(`wasm: unknown value type 0x${b.toString(16)}`);
    return t;
  }
  limits(): void {
    const flags = this.byte();
    this.u32();
    if (flags & 1) this.u32();
  }
}

/** The exports of the module in `bytes`, in their order, functions with their signatures. */
export function readExports(bytes: Uint8Array): ExportEntry[] {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d)
    throw new Error("wasm: not a module");
  const r = new Reader(bytes);
  r.pos = 8;
  const types: { params: ValType[]; results: ValType[] }[] = [];
  const funcTypes: number[] = []; // imported functions first, then the module's own
  const exports: ExportEntry[] = [];
  while (!r.done) {
    const id = r.byte();
    const size = r.u32();
    const end = r.pos + size;
    if (id === 1) {
      for (let n = r.u32(); n > 0; n--) {
        if (r.byte() !== 0x60) throw new Error("wasm: unsupported type form");
        const params = Array.from({ length: r.u32() }, () => r.valtype());
        const results = Array.from({ length: r.u32() }, () => r.valtype());
        types.push({ params, results });
      }
    } else if (id === 2) {
      for (let n = r.u32(); n > 0; n--) {
        r.name();
        r.name();
        const kind = r.byte();
        if (kind === 0) funcTypes.push(r.u32());
        else if (kind === 1) {
          r.byte();
          r.limits();
        } else if (kind === 2) r.limits();
        else if (kind === 3) {
          r.valtype();
          r.byte();
        } else if (kind === 4) {
          r.byte();
          r.u32();
        } else throw new Error(`wasm: unknown import kind ${kind}`);
      }
    } else if (id === 3) {
      for (let n = r.u32(); n > 0; n--) funcTypes.push(r.u32());
    } else if (id === 7) {
      for (let n = r.u32(); n > 0; n--) {
        const name = r.name();
        const kind = KINDS[r.byte()];
        const index = r.u32();
        if (kind === undefined) throw new Error(`wasm: unknown export kind of ${name}`);
        const entry: ExportEntry = { name, kind };
        if (kind === "func") {
          const type = types[funcTypes[index]!];
          if (type === undefined) throw new Error(`wasm: export ${name} has no type`);
          entry.params = type.params;
          entry.results = type.results;
        }
        exports.push(entry);
      }
    }
    r.pos = end;
  }
  return exports;
}
