// A proxy-wasm 0.2.1 host in TypeScript: loads the compiled filter (build/dark-launch.wasm) in Node
// and drives its contexts through request/response lifecycles, with a manual clock, scripted
// http-call responses, shared data with compare-and-swap, and metrics read back by name.
// It implements the host side as Envoy does (see the project notes on the proxy-wasm ABI); the
// same scenarios run against the real Envoy tier, which stays the reference.
//
// Contexts live as in Envoy 1.40 (proxy-wasm-cpp-host): every configuration gets its own root
// context (proxy_on_context_create, proxy_on_vm_start, proxy_on_configure); a stream belongs to the
// root that was current when it was created, and its http calls to that root; a root replaced by
// a new configuration is shut down (proxy_on_done) only once its last stream is gone, because each
// stream holds the plugin alive; a root whose proxy_on_done returned 0 is deleted once it calls
// proxy_done (from any of its contexts), after that callback returns; deleting a root cancels its
// calls still pending (no callback will come for them).
//
// Tick timers: a root that asks for a tick period (proxy_set_tick_period_milliseconds) gets
// proxy_on_tick when the clock passes its deadline (advanceMs), re-armed from then, as Envoy's
// timers do; tick() fires them all now. The filter hands its counters to Envoy at its ticks, so a
// test reads them after a tick, explicitly.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

// The ABI's enums, from the filter's own source (plain enums: the same file is valid TypeScript).
export { WasmResult, MapType, BufferType, MetricType } from "../../assembly/abi/enums.ts";
import { WasmResult, MapType, BufferType, MetricType } from "../../assembly/abi/enums.ts";

export type Headers = Array<[string, string]>;

export interface Metric {
  name: string;
  type: MetricType;
  value: number;
  samples: number[];
}

export interface HttpCall {
  token: number;
  /** The root context the response goes to: the root of the context that made the call. */
  rootId: number;
  /** The context that made the call (a stream, or the root itself). */
  contextId: number;
  cluster: string;
  headers: Headers;
  body: Buffer;
  timeoutMs: number;
  /** Answered, failed, timed out or cancelled. */
  done: boolean;
  /** Cancelled without a callback: its root was deleted while it was pending. */
  cancelled: boolean;
}

/**
 * Where a root context is in its life: `active` (new streams go to it), `replaced` (a newer
 * configuration took over; it waits for its streams to end), `pendingDone` (proxy_on_done returned
 * 0; it waits to call proxy_done), `deleted`.
 */
export type RootPhase = "active" | "replaced" | "pendingDone" | "deleted";

interface RootState {
  phase: RootPhase;
  /** Its streams not ended yet. */
  streams: Set<number>;
}

/** The context whose callback is running: its id and its root's (equal for a root). */
interface Running {
  id: number;
  rootId: number;
}

export interface LogLine {
  level: number;
  message: string;
}

const utf8 = new TextDecoder("utf-8");
const NS_PER_MS = 1_000_000n;

function configBytes(config: string | Uint8Array | object): Buffer {
  if (typeof config === "string") return Buffer.from(config, "utf8");
  if (config instanceof Uint8Array) return Buffer.from(config);
  return Buffer.from(JSON.stringify(config));
}

/** Header-map wire format: u32 N | N × {u32 klen, u32 vlen} | N × {key 0 value 0}. */
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

export function decodeHeaderMap(bytes: Uint8Array): Headers {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 4) return [];
  const n = buf.readUInt32LE(0);
  const out: Headers = [];
  let data = 4 + n * 8;
  for (let i = 0; i < n; i++) {
    const kl = buf.readUInt32LE(4 + i * 8);
    const vl = buf.readUInt32LE(8 + i * 8);
    const k = buf.subarray(data, data + kl).toString("utf8");
    data += kl + 1;
    const v = buf.subarray(data, data + vl).toString("latin1");
    data += vl + 1;
    out.push([k, v]);
  }
  return out;
}

/** A trap inside the module, with the host call or callback that was running. */
export class FilterTrap extends Error {}

export interface StreamState {
  maps: Map<MapType, Headers>;
  requestBody: Buffer;
  responseBody: Buffer;
}

export interface HostOptions {
  wasmPath?: string;
  /** Seed of the host's random_get (deterministic runs). */
  seed?: number;
  /** Properties by dotted path, e.g. "xds.route_name". */
  properties?: Record<string, string>;
  /** Clusters the host knows; calls to others are refused with BadArgument, as Envoy does. */
  clusters?: string[];
}

export class ProxyWasmHost {
  readonly metrics = new Map<number, Metric>();
  readonly logs: LogLine[] = [];
  readonly calls = new Map<number, HttpCall>();
  /** Tokens of the calls not answered yet (calls keeps every call, for inspection). */
  private readonly pending = new Set<number>();
  readonly shared = new Map<string, { value: Buffer; cas: number }>();
  properties: Record<string, string>;
  clusters: Set<string>;
  /** Monotonic clock, in nanoseconds; tests advance it (advanceMs moves the wall clock too). */
  nowNs = 1_000_000_000_000n;
  /**
   * The wall clock (proxy_get_current_time_nanoseconds) is nowNs plus this: by default
   * 2026-01-01T00:00:00Z at the start, so `expires_at` times read as they would in Envoy.
   */
  wallClockOffsetNs: bigint = BigInt(Date.UTC(2026, 0, 1)) * NS_PER_MS - 1_000_000_000_000n;

  /** The wall clock now, in ms since the Unix epoch. */
  get wallClockMs(): number {
    return Number((this.nowNs + this.wallClockOffsetNs) / NS_PER_MS);
  }

  private instance!: WebAssembly.Instance;
  private memory!: WebAssembly.Memory;
  private exports!: Record<string, CallableFunction>;
  private nextContextId = 1;
  private nextToken = 1;
  private nextCas = 1;
  private rng: number;
  private current: StreamState | null = null;
  private callResponse: { headers: Headers; body: Buffer; trailers: Headers } | null = null;
  private metricIdsByName = new Map<string, number>();
  private nextMetricId = 1;
  /** The root new streams go to (0 before configure). */
  private rootId = 0;
  private readonly roots = new Map<number, RootState & { config: Buffer }>();
  private status = { code: 0, message: "" };
  /** The context whose callback is running, else null; callbacks nest (a host call may call back). */
  private running: Running | null = null;
  private depth = 0;
  /** Roots that called proxy_done during the callback in progress. */
  private readonly doneRequested = new Set<number>();
  /** A module callback ran since the last tick: what it counted may not have reached the metrics yet. */
  private unflushedCallbacks = false;
  /** Tick timers by root id: period and next deadline (monotonic ns). */
  private readonly tickTimers = new Map<number, { periodMs: number; dueNs: bigint }>();
  /** Roots shut down that have not called proxy_done yet, and roots deleted. */
  readonly rootsPendingDone = new Set<number>();
  readonly deletedRoots = new Set<number>();

  constructor(private readonly options: HostOptions = {}) {
    this.properties = options.properties ?? {};
    this.clusters = new Set(options.clusters ?? ["dark"]);
    this.rng = options.seed ?? 12345;
  }

  async load(): Promise<void> {
    const path = this.options.wasmPath ?? fileURLToPath(new URL("../../build/dark-launch.wasm", import.meta.url));
    const module = await WebAssembly.compile(readFileSync(path));
    this.instance = await WebAssembly.instantiate(module, {
      env: this.counted(this.envImports()),
      wasi_snapshot_preview1: this.counted(this.wasiImports()),
    });
    this.exports = this.instance.exports as unknown as Record<string, CallableFunction>;
    this.memory = this.instance.exports.memory as WebAssembly.Memory;
    // A WASI reactor's start; Envoy calls it only when the module exports it.
    if (typeof this.exports._initialize === "function") this.guard("_initialize", () => this.exports._initialize!());
  }

  /** How often the module called each host function (for measuring the cost of a request). */
  readonly hostCalls = new Map<string, number>();
  /** How often the host called back into the module's malloc to hand a value over. */
  mallocCallbacks = 0;

  private counted(imports: Record<string, CallableFunction>): Record<string, CallableFunction> {
    const out: Record<string, CallableFunction> = {};
    for (const [name, fn] of Object.entries(imports)) {
      out[name] = (...args: unknown[]) => {
        this.hostCalls.set(name, (this.hostCalls.get(name) ?? 0) + 1);
        return fn(...args);
      };
    }
    return out;
  }

  /** Bytes of module memory now in use (linear memory never shrinks). */
  get memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  // ---- contexts -----------------------------------------------------------------------------

  /**
   * Configures the plugin: the first call creates its root context (proxy_on_context_create,
   * proxy_on_vm_start, proxy_on_configure); later calls configure that same root again (a quick
   * way to try many configurations; a configuration update as Envoy applies one is reconfigure()).
   * Returns whether the configuration was accepted.
   */
  configure(config: string | Uint8Array | object): boolean {
    const bytes = configBytes(config);
    if (this.rootId === 0) {
      const id = this.startRoot(bytes);
      if (id === 0) return false;
      this.rootId = id;
      this.roots.get(id)!.phase = "active";
    } else {
      this.roots.get(this.rootId)!.config = bytes;
    }
    const root = this.rootId;
    return this.invoke(root, root, "proxy_on_configure", () => this.exports.proxy_on_configure(root, bytes.length)) === 1;
  }

  /**
   * A configuration update as Envoy applies one (e.g. by ECDS): a new root context is created,
   * started and configured in the same VM, and new streams go to it. The old root is shut down
   * (proxy_on_done) once its last stream has ended, at once if it has none: in Envoy each stream
   * holds its plugin, and with it its root context, alive. It is deleted when proxy_on_done returns
   * 1, else once it calls proxy_done; until then its calls still answer to it and it still ticks.
   * Returns whether the new configuration was accepted; if not, the new root is shut down and the
   * old one stays in service, as Envoy keeps the old filter when an update is refused. A
   * configuration byte for byte the same as the current one changes nothing (Envoy 1.40 counts
   * such an ECDS update as a success but does not reload the filter) and returns true.
   */
  reconfigure(config: string | Uint8Array | object): boolean {
    const bytes = configBytes(config);
    const oldRoot = this.rootId;
    if (oldRoot !== 0 && this.roots.get(oldRoot)!.config.equals(bytes)) return true;
    const newRoot = this.startRoot(bytes);
    const accepted = newRoot !== 0 && this.invoke(newRoot, newRoot, "proxy_on_configure", () => this.exports.proxy_on_configure(newRoot, bytes.length)) === 1;
    if (!accepted) {
      if (newRoot !== 0) this.shutDownRoot(newRoot);
      return false;
    }
    this.rootId = newRoot;
    this.roots.get(newRoot)!.phase = "active";
    if (oldRoot !== 0) {
      const old = this.roots.get(oldRoot)!;
      old.phase = "replaced";
      if (old.streams.size === 0) this.shutDownRoot(oldRoot);
    }
    return accepted;
  }

  /**
   * The VM is stopping (proxy-wasm's WasmBase::startShutdown): every root not shut down yet gets
   * proxy_on_done now, whether or not it still has streams; those streams may still be driven to
   * their end, and pending calls still answer to their roots until those are deleted.
   */
  shutdown(): void {
    for (const [id, root] of [...this.roots]) {
      if (root.phase === "active" || root.phase === "replaced") this.shutDownRoot(id);
    }
  }

  /** The root context new streams go to (0 before configure()). */
  get currentRootId(): number {
    return this.rootId;
  }

  /** Where root context `id` is in its life (undefined: no such root). */
  rootPhase(id: number): RootPhase | undefined {
    return this.roots.get(id)?.phase;
  }

  /** The ids of the streams of root `id` that have not ended. */
  liveStreamsOf(id: number): number[] {
    return [...(this.roots.get(id)?.streams ?? [])];
  }

  /** Creates and starts a root context with its configuration; returns its id, or 0 if proxy_on_vm_start refused. */
  private startRoot(config: Buffer): number {
    const id = this.nextContextId++;
    // Not "active" until its configuration is accepted: no stream goes to it before.
    this.roots.set(id, { phase: "replaced", streams: new Set(), config });
    this.invoke(id, id, "proxy_on_context_create", () => this.exports.proxy_on_context_create(id, 0));
    // proxy-wasm-cpp-host starts every root context it creates (ContextBase::onStart): vm_start too.
    const started = this.invoke(id, id, "proxy_on_vm_start", () => this.exports.proxy_on_vm_start(id, 0));
    if (started !== 1) {
      this.shutDownRoot(id);
      return 0;
    }
    return id;
  }

  /** proxy_on_done for a root; deleted at once if it returns 1, else it waits for proxy_done. */
  private shutDownRoot(id: number): void {
    const root = this.roots.get(id)!;
    const done = this.invoke(id, id, "proxy_on_done", () => this.exports.proxy_on_done(id));
    if (root.phase === "deleted") return;
    if (done === 1) {
      this.deleteRoot(id);
    } else {
      root.phase = "pendingDone";
      this.rootsPendingDone.add(id);
    }
  }

  private deleteRoot(id: number): void {
    const root = this.roots.get(id)!;
    root.phase = "deleted";
    this.rootsPendingDone.delete(id);
    this.deletedRoots.add(id);
    this.tickTimers.delete(id);
    this.invoke(id, id, "proxy_on_delete", () => this.exports.proxy_on_delete(id));
    // Envoy's Context destructor cancels the root's outstanding requests: no callback comes.
    for (const token of [...this.pending]) {
      const call = this.calls.get(token)!;
      if (call.rootId !== id) continue;
      call.done = true;
      call.cancelled = true;
      this.pending.delete(token);
    }
  }

  /**
   * Runs callback `name` of context `id` (root `rootId`). Host calls made during it act for that
   * context (http calls answer to its root, a tick period is its root's, proxy_done concerns its
   * root); roots that called proxy_done are deleted once the outermost callback has returned.
   */
  private invoke(id: number, rootId: number, name: string, fn: () => unknown): number {
    const before = this.running;
    this.running = { id, rootId };
    this.depth++;
    try {
      return Number(this.guard(name, fn) ?? 0);
    } finally {
      this.depth--;
      this.running = before;
      if (this.depth === 0) this.afterCallbacks();
    }
  }

  private afterCallbacks(): void {
    while (this.doneRequested.size > 0) {
      const [id] = this.doneRequested;
      this.doneRequested.delete(id!);
      this.deleteRoot(id!);
    }
  }

  // ---- tick timers --------------------------------------------------------------------------

  /** The tick period root `rootId` (default: the current one) asked for, in ms; 0 when none. */
  tickPeriodMs(rootId = this.rootId): number {
    return this.tickTimers.get(rootId)?.periodMs ?? 0;
  }

  /**
   * Every tick timer fires now (the clock is left where it is, so a scenario keeps its timing):
   * proxy_on_tick for each root that asked for a period and is not deleted (also one replaced or
   * waiting for proxy_done: Envoy ticks every live root context), as Envoy runs it once per
   * period. Returns how many roots ticked.
   */
  tick(): number {
    let ticked = 0;
    for (const id of [...this.tickTimers.keys()]) if (this.fireTick(id)) ticked++;
    return ticked;
  }

  private fireTick(id: number): boolean {
    const timer = this.tickTimers.get(id);
    if (!timer || this.deletedRoots.has(id)) return false;
    timer.dueNs = this.nowNs + BigInt(timer.periodMs) * NS_PER_MS; // re-armed after the callback, as Envoy does
    this.unflushedCallbacks = false;
    this.invoke(id, id, "proxy_on_tick", () => this.exports.proxy_on_tick(id));
    return true;
  }

  // ---- streams ------------------------------------------------------------------------------

  /** Starts an HTTP stream under the current root; drive it with the returned object's methods. */
  stream(): Stream {
    if (this.rootId === 0) throw new Error("configure() first: a stream needs a root context");
    const id = this.nextContextId++;
    const rootId = this.rootId;
    this.roots.get(rootId)!.streams.add(id);
    this.invoke(id, rootId, "proxy_on_context_create", () => this.exports.proxy_on_context_create(id, rootId));
    return new Stream(this, id, rootId);
  }

  /** Runs the stream callback `name` of stream `stream` with its state as the current stream. */
  callStream(stream: Stream, state: StreamState, name: string, args: number[]): number {
    const fn = this.exports[name] as (...a: number[]) => number | undefined;
    const before = this.current;
    this.current = state;
    try {
      return this.invoke(stream.id, stream.rootId, name, () => fn(...args) ?? 0);
    } finally {
      this.current = before;
    }
  }

  /** A stream has ended (after its proxy_on_delete): a replaced root whose last stream it was is shut down. */
  streamEnded(stream: Stream): void {
    const root = this.roots.get(stream.rootId);
    if (!root) return;
    root.streams.delete(stream.id);
    if (root.phase === "replaced" && root.streams.size === 0) this.shutDownRoot(stream.rootId);
  }

  // ---- http calls ---------------------------------------------------------------------------

  /** Answers a pending http call (on the root of the context that made it). */
  respond(
    token: number,
    response: { status: number; headers?: Headers; body?: string | Buffer; trailers?: Headers; fromUpstream?: boolean },
  ): void {
    const call = this.takeCall(token);
    const headers: Headers = [[":status", String(response.status)], ...(response.headers ?? [])];
    // Envoy's router marks answers that came from an upstream; its own local replies lack this.
    if (response.fromUpstream !== false) headers.push(["x-envoy-upstream-service-time", "1"]);
    const body = typeof response.body === "string" ? Buffer.from(response.body) : (response.body ?? Buffer.alloc(0));
    this.deliver(call, headers, body, response.trailers ?? []);
  }

  /** The call failed without a response (reset, refused): num_headers 0, status BrokenConnection. */
  fail(token: number): void {
    const call = this.takeCall(token);
    this.status = { code: 11, message: "reset" };
    this.deliver(call, [], Buffer.alloc(0), []);
  }

  /** The call hit its timeout: Envoy's async client answers with a local 504. */
  timeout(token: number): void {
    const call = this.takeCall(token);
    this.deliver(call, [[":status", "504"], ["content-length", "24"], ["content-type", "text/plain"]], Buffer.from("upstream request timeout"), []);
  }

  pendingCalls(): HttpCall[] {
    // A test may mark a call done by hand (a call the host lost): it is no longer pending.
    return [...this.pending].map((token) => this.calls.get(token)!).filter((c) => !c.done);
  }

  /** Calls cancelled because their root was deleted first (no callback ever came for them). */
  cancelledCalls(): HttpCall[] {
    return [...this.calls.values()].filter((c) => c.cancelled);
  }

  private takeCall(token: number): HttpCall {
    const call = this.calls.get(token);
    if (call?.cancelled) throw new Error(`call ${token} was cancelled: its root context ${call.rootId} was deleted`);
    if (!call || call.done) throw new Error(`no pending call ${token}`);
    call.done = true;
    this.pending.delete(token);
    return call;
  }

  private deliver(call: HttpCall, headers: Headers, body: Buffer, trailers: Headers): void {
    const before = this.callResponse;
    this.callResponse = { headers, body, trailers };
    try {
      this.invoke(call.rootId, call.rootId, "proxy_on_http_call_response", () =>
        this.exports.proxy_on_http_call_response(call.rootId, call.token, headers.length, body.length, trailers.length),
      );
    } finally {
      this.callResponse = before;
    }
  }

  // ---- reading results ----------------------------------------------------------------------

  /**
   * A counter's or gauge's value by its full name as Envoy shows it (with "wasmcustom."). A module
   * that flushes its counts at ticks (it asked for a tick period) must have ticked since its last
   * callback: reading earlier throws, so no test reads a value the filter has not handed over yet
   * (tick() or advanceMs() first; statNow() reads without that check).
   */
  stat(name: string): number {
    this.assertTicked(name);
    return this.statNow(name);
  }

  /** A counter's or gauge's value as the metrics hold it now, flushed or not. */
  statNow(name: string): number {
    const id = this.metricIdsByName.get(name.replace(/^wasmcustom\./, ""));
    if (id === undefined) throw new Error(`metric ${name} is not defined`);
    return this.metrics.get(id)!.value;
  }

  private assertTicked(what: string): void {
    if (this.tickTimers.size > 0 && this.unflushedCallbacks) {
      throw new Error(`${what} read before a tick: the filter hands its counts to the metrics at its ticks; call host.tick() (or advanceMs past the period) after the traffic`);
    }
  }

  histogram(name: string): number[] {
    const id = this.metricIdsByName.get(name.replace(/^wasmcustom\./, ""));
    if (id === undefined) throw new Error(`metric ${name} is not defined`);
    return this.metrics.get(id)!.samples;
  }

  /** All metrics as { "wasmcustom.<name>": value } (after a tick, as stat()). */
  allStats(): Record<string, number> {
    this.assertTicked("stats");
    const out: Record<string, number> = {};
    for (const m of this.metrics.values()) out[`wasmcustom.${m.name}`] = m.value;
    return out;
  }

  /** Moves the clocks on; every tick timer whose deadline has passed fires (once: Envoy re-arms it after the tick). */
  advanceMs(ms: number): void {
    this.nowNs += BigInt(Math.round(ms)) * NS_PER_MS;
    for (const [id, timer] of [...this.tickTimers]) if (timer.dueNs <= this.nowNs) this.fireTick(id);
  }

  // ---- memory -------------------------------------------------------------------------------

  private bytes(ptr: number, len: number): Uint8Array {
    if (ptr < 0 || len < 0 || ptr + len > this.memory.buffer.byteLength) throw new FilterTrap(`filter passed out-of-range memory ${ptr}+${len}`);
    return new Uint8Array(this.memory.buffer, ptr, len);
  }

  private string(ptr: number, len: number): string {
    return utf8.decode(this.bytes(ptr, len));
  }

  private view(): DataView {
    return new DataView(this.memory.buffer);
  }

  /** Copies `data` into a block from the module's malloc and writes its address and size to the return slots. */
  private giveBack(data: Uint8Array, ptrPtr: number, lenPtr: number): number {
    if (data.length === 0) {
      this.view().setUint32(ptrPtr, 0, true);
      this.view().setUint32(lenPtr, 0, true);
      return WasmResult.Ok;
    }
    this.mallocCallbacks++;
    const ptr = (this.exports.malloc as (n: number) => number)(data.length) >>> 0;
    new Uint8Array(this.memory.buffer, ptr, data.length).set(data);
    this.view().setUint32(ptrPtr, ptr, true);
    this.view().setUint32(lenPtr, data.length, true);
    return WasmResult.Ok;
  }

  private guard<T>(name: string, fn: () => T): T {
    if (name !== "proxy_on_tick") this.unflushedCallbacks = true;
    try {
      return fn();
    } catch (e) {
      if (e instanceof WebAssembly.RuntimeError) {
        const last = this.logs.at(-1)?.message ?? "";
        throw new FilterTrap(`filter trapped in ${name}: ${e.message}${last ? ` (last log: ${last})` : ""}`);
      }
      throw e;
    }
  }

  private random(): number {
    // xorshift32: deterministic per seed.
    let x = this.rng | 0;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rng = x;
    return (x >>> 0) & 0xff;
  }

  // ---- imports ------------------------------------------------------------------------------

  private headerMap(type: MapType): Headers | null {
    if (type === MapType.HttpCallResponseHeaders) return this.callResponse?.headers ?? null;
    if (type === MapType.HttpCallResponseTrailers) return this.callResponse?.trailers ?? null;
    return this.current?.maps.get(type) ?? null;
  }

  private buffer(type: BufferType): Buffer | null {
    switch (type) {
      case BufferType.PluginConfiguration:
        // Each root has its own configuration (Envoy: its plugin's).
        return this.running !== null ? (this.roots.get(this.running.rootId)?.config ?? null) : null;
      case BufferType.VmConfiguration:
        return Buffer.alloc(0);
      case BufferType.HttpCallResponseBody:
        return this.callResponse?.body ?? null;
      case BufferType.HttpRequestBody:
        return this.current?.requestBody ?? null;
      case BufferType.HttpResponseBody:
        return this.current?.responseBody ?? null;
      default:
        return null;
    }
  }

  private envImports(): Record<string, CallableFunction> {
    return {
      proxy_log: (level: number, ptr: number, len: number) => {
        this.logs.push({ level, message: this.string(ptr, len) });
        return WasmResult.Ok;
      },
      proxy_get_buffer_bytes: (type: number, start: number, max: number, ptrPtr: number, lenPtr: number) => {
        const buf = this.buffer(type);
        if (buf === null) return WasmResult.NotFound;
        if (start < 0 || max < 0 || start > buf.length) return WasmResult.BadArgument;
        return this.giveBack(buf.subarray(start, Math.min(buf.length, start + max)), ptrPtr, lenPtr);
      },
      proxy_get_header_map_pairs: (type: number, ptrPtr: number, lenPtr: number) => {
        const map = this.headerMap(type);
        if (map === null) return WasmResult.NotFound;
        return this.giveBack(encodeHeaderMap(map), ptrPtr, lenPtr);
      },
      proxy_get_header_map_value: (type: number, kPtr: number, kLen: number, ptrPtr: number, lenPtr: number) => {
        const map = this.headerMap(type);
        if (map === null) return WasmResult.NotFound;
        const key = this.string(kPtr, kLen).toLowerCase();
        const hit = map.find(([k]) => k.toLowerCase() === key);
        if (!hit) return WasmResult.NotFound;
        return this.giveBack(Buffer.from(hit[1], "latin1"), ptrPtr, lenPtr);
      },
      proxy_http_call: (
        upPtr: number, upLen: number, hPtr: number, hLen: number, bPtr: number, bLen: number,
        _tPtr: number, _tLen: number, timeoutMs: number, tokenPtr: number,
      ) => {
        const cluster = this.string(upPtr, upLen);
        const headers = decodeHeaderMap(this.bytes(hPtr, hLen).slice());
        const has = (n: string) => headers.some(([k]) => k === n);
        if (!this.clusters.has(cluster)) return WasmResult.BadArgument;
        if (!has(":method") || !has(":path") || !has(":authority")) return WasmResult.BadArgument;
        if (timeoutMs < 0) return WasmResult.BadArgument;
        const running = this.running;
        if (running === null) return WasmResult.InternalFailure;
        const token = this.nextToken++;
        const body = Buffer.from(this.bytes(bPtr, bLen));
        // proxy-wasm-cpp-host makes the call on the calling context's root: the answer goes there.
        this.calls.set(token, { token, rootId: running.rootId, contextId: running.id, cluster, headers, body, timeoutMs, done: false, cancelled: false });
        this.pending.add(token);
        this.view().setUint32(tokenPtr, token, true);
        return WasmResult.Ok;
      },
      proxy_define_metric: (type: number, nPtr: number, nLen: number, idPtr: number) => {
        const name = this.string(nPtr, nLen);
        let id = this.metricIdsByName.get(name);
        if (id === undefined) {
          id = this.nextMetricId++;
          this.metricIdsByName.set(name, id);
          this.metrics.set(id, { name, type, value: 0, samples: [] });
        }
        this.view().setUint32(idPtr, id, true);
        return WasmResult.Ok;
      },
      proxy_increment_metric: (id: number, offset: bigint) => {
        const m = this.metrics.get(id);
        if (!m) return WasmResult.NotFound;
        if (m.type === MetricType.Histogram) return WasmResult.BadArgument;
        if (m.type === MetricType.Counter && offset <= 0n) return WasmResult.BadArgument;
        m.value += Number(offset);
        return WasmResult.Ok;
      },
      proxy_record_metric: (id: number, value: bigint) => {
        const m = this.metrics.get(id);
        if (!m) return WasmResult.NotFound;
        if (m.type === MetricType.Histogram) m.samples.push(Number(value));
        else m.value = Number(value);
        return WasmResult.Ok;
      },
      proxy_get_metric: (id: number, resultPtr: number) => {
        const m = this.metrics.get(id);
        if (!m) return WasmResult.NotFound;
        this.view().setBigUint64(resultPtr, BigInt(m.value), true);
        return WasmResult.Ok;
      },
      proxy_get_property: (pPtr: number, pLen: number, ptrPtr: number, lenPtr: number) => {
        const path = this.string(pPtr, pLen).split("\0").join(".");
        const value = this.properties[path];
        if (value === undefined) return WasmResult.NotFound;
        return this.giveBack(Buffer.from(value, "utf8"), ptrPtr, lenPtr);
      },
      proxy_get_shared_data: (kPtr: number, kLen: number, ptrPtr: number, lenPtr: number, casPtr: number) => {
        const entry = this.shared.get(this.string(kPtr, kLen));
        if (!entry) return WasmResult.NotFound;
        this.view().setUint32(casPtr, entry.cas, true);
        return this.giveBack(entry.value, ptrPtr, lenPtr);
      },
      proxy_set_shared_data: (kPtr: number, kLen: number, vPtr: number, vLen: number, cas: number) => {
        const key = this.string(kPtr, kLen);
        const entry = this.shared.get(key);
        if (cas !== 0 && entry && entry.cas !== cas) return WasmResult.CasMismatch;
        this.shared.set(key, { value: Buffer.from(this.bytes(vPtr, vLen)), cas: this.nextCas++ });
        return WasmResult.Ok;
      },
      proxy_get_status: (codePtr: number, ptrPtr: number, lenPtr: number) => {
        this.view().setUint32(codePtr, this.status.code, true);
        return this.giveBack(Buffer.from(this.status.message), ptrPtr, lenPtr);
      },
      proxy_set_tick_period_milliseconds: (periodMs: number) => {
        // The timer is the running context's root's (a stream's call sets its root's period).
        const id = this.running?.rootId ?? 0;
        if (id === 0) return WasmResult.BadArgument;
        if (periodMs === 0) this.tickTimers.delete(id);
        else this.tickTimers.set(id, { periodMs: periodMs >>> 0, dueNs: this.nowNs + BigInt(periodMs >>> 0) * NS_PER_MS });
        return WasmResult.Ok;
      },
      proxy_done: () => {
        // Any context of a root waiting for proxy_done may call it (proxy-wasm-cpp-host finds the
        // root by the caller's plugin); the root is deleted once the callback has returned.
        const id = this.running?.rootId ?? 0;
        if (id === 0 || this.roots.get(id)?.phase !== "pendingDone" || this.doneRequested.has(id)) return WasmResult.NotFound;
        this.doneRequested.add(id);
        return WasmResult.Ok;
      },
      proxy_get_current_time_nanoseconds: (resultPtr: number) => {
        this.view().setBigUint64(resultPtr, this.nowNs + this.wallClockOffsetNs, true);
        return WasmResult.Ok;
      },
    };
  }

  private wasiImports(): Record<string, CallableFunction> {
    return {
      clock_time_get: (_id: number, _precision: bigint, resultPtr: number) => {
        this.view().setBigUint64(resultPtr, this.nowNs, true);
        return 0;
      },
      random_get: (ptr: number, len: number) => {
        const out = this.bytes(ptr, len);
        for (let i = 0; i < len; i++) out[i] = this.random();
        return 0;
      },
      fd_write: () => 0,
      proc_exit: (code: number) => {
        throw new FilterTrap(`filter called proc_exit(${code})`);
      },
    };
  }
}

/** One HTTP stream of the emulated host. */
export class Stream {
  private state: StreamState = { maps: new Map(), requestBody: Buffer.alloc(0), responseBody: Buffer.alloc(0) };
  private ended = false;

  constructor(
    private readonly host: ProxyWasmHost,
    readonly id: number,
    /** The root context it belongs to: the current one when it was created. */
    readonly rootId: number,
  ) {}

  private call(name: string, ...args: number[]): number {
    return this.host.callStream(this, this.state, name, [this.id, ...args]);
  }

  requestHeaders(headers: Headers, endOfStream = true): number {
    this.state.maps.set(MapType.RequestHeaders, headers);
    return this.call("proxy_on_request_headers", headers.length, endOfStream ? 1 : 0);
  }

  requestBody(chunk: string | Buffer, endOfStream = true): number {
    this.state.requestBody = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    return this.call("proxy_on_request_body", this.state.requestBody.length, endOfStream ? 1 : 0);
  }

  requestTrailers(trailers: Headers): number {
    this.state.maps.set(MapType.RequestTrailers, trailers);
    return this.call("proxy_on_request_trailers", trailers.length);
  }

  responseHeaders(headers: Headers, endOfStream = false): number {
    this.state.maps.set(MapType.ResponseHeaders, headers);
    return this.call("proxy_on_response_headers", headers.length, endOfStream ? 1 : 0);
  }

  responseBody(chunk: string | Buffer, endOfStream = true): number {
    this.state.responseBody = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    return this.call("proxy_on_response_body", this.state.responseBody.length, endOfStream ? 1 : 0);
  }

  responseTrailers(trailers: Headers): number {
    this.state.maps.set(MapType.ResponseTrailers, trailers);
    return this.call("proxy_on_response_trailers", trailers.length);
  }

  /** The stream ends (normally or not): on_log, on_done, on_delete, as Envoy calls them. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.call("proxy_on_log");
    this.call("proxy_on_done");
    this.call("proxy_on_delete");
    this.host.streamEnded(this);
  }
}
