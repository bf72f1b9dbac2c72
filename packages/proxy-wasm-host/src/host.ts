// A proxy-wasm 0.2.1 host in TypeScript: loads a compiled module in Node and drives its contexts
// through their lifecycles, with a manual clock, scripted http-call responses, shared data with
// compare-and-swap, shared queues, and metrics and logs to read back. It implements the host side
// as Envoy 1.40 does (proxy-wasm-cpp-host underneath); a test against the real Envoy stays the
// reference.
//
// Contexts live as in Envoy: every configuration gets its own root context
// (proxy_on_context_create, proxy_on_vm_start, proxy_on_configure); a stream belongs to the root
// that was current when it was created, and its http calls to that root; a root replaced by a new
// configuration is shut down (proxy_on_done) only once its last stream is gone, because each
// stream holds the plugin alive; a root whose proxy_on_done returned 0 is deleted once it calls
// proxy_done (from any of its contexts), after that callback returns; deleting a root cancels its
// calls still pending (no callback will come for them).
//
// Tick timers: a root that asks for a tick period (proxy_set_tick_period_milliseconds) gets
// proxy_on_tick when the clock passes its deadline (advanceMs), re-armed from then, as Envoy's
// timers do; tick() fires them all now.
import { readFileSync } from "node:fs";
import { BufferType, type LogLevel, MapType, MetricType, WasmResult } from "./abi.ts";
import { abiProblems } from "./abi-exports.ts";
import { decodeHeaderMap, encodeHeaderMap, type Headers } from "./header-map.ts";
import { Stream } from "./stream.ts";

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
  trailers: Headers;
  timeoutMs: number;
  /** Answered, failed, timed out or cancelled. */
  done: boolean;
  /** Cancelled without a callback: its root was deleted while it was pending. */
  cancelled: boolean;
}

export interface LogLine {
  level: LogLevel;
  message: string;
}

/**
 * Where a root context is in its life: `active` (new streams go to it), `replaced` (a newer
 * configuration took over; it waits for its streams to end), `pendingDone` (proxy_on_done returned
 * 0; it waits to call proxy_done), `deleted`.
 */
export type RootPhase = "active" | "replaced" | "pendingDone" | "deleted";

/** A trap inside the module, with the host call or callback that was running. */
export class FilterTrap extends Error {}

/** A shared queue: its items and the root context told of each new one. */
export interface SharedQueue {
  id: number;
  vmId: string;
  name: string;
  rootId: number;
  items: Buffer[];
}

export interface HostOptions {
  /** The module: a path to a .wasm file, or its bytes. */
  wasm: string | Uint8Array;
  /** Seed of the host's random_get (deterministic runs). */
  seed?: number;
  /** Properties by dotted path, e.g. "xds.route_name", as UTF-8 text or raw bytes. */
  properties?: Record<string, string | Uint8Array>;
  /** Clusters the host knows; calls to others are refused with BadArgument, as Envoy does. Default: none. */
  clusters?: string[];
  /** The VM's configuration (BufferType.VmConfiguration; its size goes to proxy_on_vm_start). */
  vmConfiguration?: string | Uint8Array;
  /** The VM's vm_id (shared queues are named within it). Default "". */
  vmId?: string;
  /** What proxy_get_log_level answers. Default Info. Every log line is kept whatever its level. */
  logLevel?: LogLevel;
  /**
   * The module hands its counters to the metrics at its ticks: then stat() and allStats() refuse
   * to read after a callback that no tick has followed (tick() or advanceMs() first), so a test
   * never reads a count the module has not handed over yet. Default false.
   */
  countsFlushedAtTicks?: boolean;
  /** Record every callback into the module in `callbacks`. Default false. */
  traceCallbacks?: boolean;
}

/** An answer to an http call. */
export interface CallResponse {
  status: number;
  headers?: Headers;
  body?: string | Uint8Array;
  trailers?: Headers;
  /**
   * Whether the answer came from the upstream (default true): Envoy's router adds
   * x-envoy-upstream-service-time to those, and its own local replies lack it.
   */
  fromUpstream?: boolean;
}

const utf8 = new TextDecoder("utf-8");
const NS_PER_MS = 1_000_000n;

interface RootState {
  phase: RootPhase;
  /** Its streams not ended yet. */
  streams: Set<number>;
  config: Buffer;
}

/** The context whose callback is running (or made effective): its id and its root's (equal for a root). */
interface Running {
  id: number;
  rootId: number;
}

/** What proxy-wasm-cpp-host takes a callback the module does not export to have returned. */
const SKIPPED_CALLBACK_RESULTS: Record<string, number> = { proxy_on_vm_start: 1, proxy_on_configure: 1, proxy_on_done: 1 };

function bytesOf(value: string | Uint8Array): Buffer {
  return typeof value === "string" ? Buffer.from(value, "utf8") : Buffer.from(value);
}

function configBytes(config: string | Uint8Array | object): Buffer {
  if (typeof config === "string" || config instanceof Uint8Array) return bytesOf(config);
  return Buffer.from(JSON.stringify(config));
}

export class ProxyWasmHost {
  readonly metrics = new Map<number, Metric>();
  readonly logs: LogLine[] = [];
  /** Every http call the module made, by token (pendingCalls() are those not done). */
  readonly calls = new Map<number, HttpCall>();
  /** Tokens of the calls not yet done (what pendingCalls() looks at: `calls` keeps every call). */
  private readonly pending = new Set<number>();
  readonly shared = new Map<string, { value: Buffer; cas: number }>();
  readonly queues = new Map<number, SharedQueue>();
  /** Every callback into the module, with its arguments (with the traceCallbacks option). */
  readonly callbacks: { name: string; args: number[] }[] = [];
  /** How often the module called each host function (for measuring the cost of a request). */
  readonly hostCalls = new Map<string, number>();
  /** How often the host called back into the module's malloc to hand a value over. */
  mallocCallbacks = 0;
  properties: Record<string, string | Uint8Array>;
  clusters: Set<string>;
  /** Monotonic clock, in nanoseconds; tests advance it (advanceMs moves the wall clock too). */
  nowNs = 1_000_000_000_000n;
  /**
   * The wall clock (proxy_get_current_time_nanoseconds) is nowNs plus this: by default
   * 2026-01-01T00:00:00Z at the start.
   */
  wallClockOffsetNs: bigint = BigInt(Date.UTC(2026, 0, 1)) * NS_PER_MS - 1_000_000_000_000n;
  /** Roots shut down that have not called proxy_done yet, and roots deleted. */
  readonly rootsPendingDone = new Set<number>();
  readonly deletedRoots = new Set<number>();

  private readonly options: HostOptions;
  private memory!: WebAssembly.Memory;
  private exports!: Record<string, CallableFunction>;
  private nextContextId = 1;
  private nextToken = 1;
  private nextCas = 1;
  private nextQueueId = 1;
  private rng: number;
  private callResponse: { headers: Headers; body: Buffer; trailers: Headers } | null = null;
  private readonly metricIdsByName = new Map<string, number>();
  private nextMetricId = 1;
  /** The root new streams go to (0 before configure). */
  private rootId = 0;
  private readonly roots = new Map<number, RootState>();
  private readonly streams = new Map<number, Stream>();
  private status = { code: 0, message: "" };
  /** The context host calls act for, else null; callbacks nest (a host call may call back). */
  private running: Running | null = null;
  private depth = 0;
  /** Roots that called proxy_done during the callback in progress. */
  private readonly doneRequested = new Set<number>();
  /** Queue ids whose new items are announced once the callback in progress has returned. */
  private readonly readyQueues: number[] = [];
  /** A module callback ran since the last tick: what it counted may not have reached the metrics yet. */
  private unflushedCallbacks = false;
  /** Tick timers by root id: period and next deadline (monotonic ns). */
  private readonly tickTimers = new Map<number, { periodMs: number; dueNs: bigint }>();

  constructor(options: HostOptions) {
    this.options = options;
    this.properties = options.properties ?? {};
    this.clusters = new Set(options.clusters ?? []);
    this.rng = options.seed ?? 12345;
  }

  /**
   * Compiles and instantiates the module, refusing one that Envoy would refuse (no ABI 0.2.1
   * version export, no allocator, a callback with another signature), and runs its `_initialize`.
   */
  async load(): Promise<void> {
    const bytes = new Uint8Array(typeof this.options.wasm === "string" ? readFileSync(this.options.wasm) : this.options.wasm);
    const problems = abiProblems(bytes);
    if (problems.length > 0) throw new Error(`not a proxy-wasm 0.2.1 module: ${problems.join("; ")}`);
    const module = await WebAssembly.compile(bytes);
    this.attach(await WebAssembly.instantiate(module, this.imports()));
    // A WASI reactor's start; Envoy calls it only when the module exports it.
    if (typeof this.exports._initialize === "function") this.guard("_initialize", () => this.exports._initialize!());
  }

  /**
   * The host functions a module imports (`env`, `wasi_snapshot_preview1`), for instantiating it
   * yourself, e.g. under a test runner such as as-pect; then attach() the instance. load() does both.
   */
  imports(): { env: Record<string, CallableFunction>; wasi_snapshot_preview1: Record<string, CallableFunction> } {
    return { env: this.counted(this.envImports()), wasi_snapshot_preview1: this.counted(this.wasiImports()) };
  }

  /** Adopts an instance made with imports(): its memory, its allocator and its callbacks. */
  attach(instance: WebAssembly.Instance): void {
    this.exports = instance.exports as unknown as Record<string, CallableFunction>;
    this.memory = instance.exports.memory as WebAssembly.Memory;
  }

  /**
   * Host calls made outside any callback (code a test runner calls in the module directly) act for
   * context `id` (a stream or a root) from now on, as if its callback were running; null: for none.
   */
  actFor(id: number | null): void {
    if (id === null) {
      this.running = null;
      return;
    }
    const stream = this.streams.get(id);
    if (stream !== undefined) this.running = { id, rootId: stream.rootId };
    else if (this.roots.has(id)) this.running = { id, rootId: id };
    else throw new Error(`no context ${id}`);
  }

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

  // ---- root contexts ------------------------------------------------------------------------

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
    return this.invoke(root, root, "proxy_on_configure", [root, bytes.length]) === 1;
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
    const accepted = newRoot !== 0 && this.invoke(newRoot, newRoot, "proxy_on_configure", [newRoot, bytes.length]) === 1;
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
    return true;
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
    this.invoke(id, id, "proxy_on_context_create", [id, 0]);
    // proxy-wasm-cpp-host starts every root context it creates (ContextBase::onStart): vm_start too.
    const vmConfigSize = this.options.vmConfiguration !== undefined ? bytesOf(this.options.vmConfiguration).length : 0;
    const started = this.invoke(id, id, "proxy_on_vm_start", [id, vmConfigSize]);
    if (started !== 1) {
      this.shutDownRoot(id);
      return 0;
    }
    return id;
  }

  /** proxy_on_done for a root; deleted at once if it returns 1, else it waits for proxy_done. */
  private shutDownRoot(id: number): void {
    const root = this.roots.get(id)!;
    const done = this.invoke(id, id, "proxy_on_done", [id]);
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
    this.invoke(id, id, "proxy_on_delete", [id]);
    // Envoy's Context destructor cancels the root's outstanding requests: no callback comes.
    for (const call of this.pendingCalls()) {
      if (call.rootId !== id) continue;
      call.done = true;
      call.cancelled = true;
    }
  }

  /**
   * Runs callback `name` of context `id` (root `rootId`). Host calls made during it act for that
   * context (http calls answer to its root, a tick period is its root's, proxy_done concerns its
   * root) unless it makes another one effective; roots that called proxy_done are deleted, and
   * new queue items announced, once the outermost callback has returned.
   */
  private invoke(id: number, rootId: number, name: string, args: number[]): number {
    const fn = this.exports[name] as ((...a: number[]) => unknown) | undefined;
    // A callback the module does not export: the host goes on as proxy-wasm-cpp-host does.
    if (fn === undefined) return SKIPPED_CALLBACK_RESULTS[name] ?? 0;
    const before = this.running;
    this.running = { id, rootId };
    this.depth++;
    if (this.options.traceCallbacks) this.callbacks.push({ name, args });
    try {
      return Number(this.guard(name, () => fn(...args)) ?? 0);
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
    while (this.readyQueues.length > 0) this.announce(this.readyQueues.shift()!);
  }

  // ---- tick timers --------------------------------------------------------------------------

  /** The tick period root `rootId` (default: the current one) asked for, in ms; 0 when none. */
  tickPeriodMs(rootId = this.rootId): number {
    return this.tickTimers.get(rootId)?.periodMs ?? 0;
  }

  /**
   * Every tick timer fires now (the clock is left where it is, so a scenario keeps its timing):
   * proxy_on_tick for each root that asked for a period and is not deleted (also one replaced or
   * waiting for proxy_done: Envoy ticks every live root context). Returns how many roots ticked.
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
    this.invoke(id, id, "proxy_on_tick", [id]);
    return true;
  }

  /** Moves the clocks on; every tick timer whose deadline has passed fires (once: Envoy re-arms it after the tick). */
  advanceMs(ms: number): void {
    this.nowNs += BigInt(Math.round(ms)) * NS_PER_MS;
    for (const [id, timer] of [...this.tickTimers]) if (timer.dueNs <= this.nowNs) this.fireTick(id);
  }

  /** The wall clock now, in ms since the Unix epoch. */
  get wallClockMs(): number {
    return Number((this.nowNs + this.wallClockOffsetNs) / NS_PER_MS);
  }

  // ---- streams ------------------------------------------------------------------------------

  /** Starts an HTTP stream under the current root; drive it with the returned object's methods. */
  stream(): Stream {
    if (this.rootId === 0) throw new Error("configure() first: a stream needs a root context");
    const id = this.nextContextId++;
    const rootId = this.rootId;
    const stream = new Stream(this, id, rootId);
    this.roots.get(rootId)!.streams.add(id);
    this.streams.set(id, stream);
    this.invoke(id, rootId, "proxy_on_context_create", [id, rootId]);
    return stream;
  }

  /** Runs the stream callback `name` of `stream` (Stream calls this). */
  callStream(stream: Stream, name: string, args: number[]): number {
    return this.invoke(stream.id, stream.rootId, name, args);
  }

  /** A stream has ended (after its proxy_on_delete): a replaced root whose last stream it was is shut down. */
  streamEnded(stream: Stream): void {
    this.streams.delete(stream.id);
    const root = this.roots.get(stream.rootId);
    if (!root) return;
    root.streams.delete(stream.id);
    if (root.phase === "replaced" && root.streams.size === 0) this.shutDownRoot(stream.rootId);
  }

  // ---- http calls ---------------------------------------------------------------------------

  /** Answers a pending http call (on the root of the context that made it). */
  respond(token: number, response: CallResponse): void {
    const call = this.takeCall(token);
    const headers: Headers = [[":status", String(response.status)], ...(response.headers ?? [])];
    if (response.fromUpstream !== false) headers.push(["x-envoy-upstream-service-time", "1"]);
    this.deliver(call, headers, response.body === undefined ? Buffer.alloc(0) : bytesOf(response.body), response.trailers ?? []);
  }

  /** The call failed without a response (reset, refused): num_headers 0, status BrokenConnection "reset". */
  fail(token: number): void {
    const call = this.takeCall(token);
    this.status = { code: WasmResult.BrokenConnection, message: "reset" };
    this.deliver(call, [], Buffer.alloc(0), []);
  }

  /** The call hit its timeout: Envoy's async client answers with a local 504. */
  timeout(token: number): void {
    const call = this.takeCall(token);
    this.deliver(
      call,
      [
        [":status", "504"],
        ["content-length", "24"],
        ["content-type", "text/plain"],
      ],
      Buffer.from("upstream request timeout"),
      [],
    );
  }

  /** The calls not answered yet. */
  pendingCalls(): HttpCall[] {
    // A test may mark a call done by hand (a call the host lost): it is no longer pending.
    const out: HttpCall[] = [];
    for (const token of this.pending) {
      const call = this.calls.get(token)!;
      if (call.done) this.pending.delete(token);
      else out.push(call);
    }
    return out;
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
      this.invoke(call.rootId, call.rootId, "proxy_on_http_call_response", [
        call.rootId,
        call.token,
        headers.length,
        body.length,
        trailers.length,
      ]);
    } finally {
      this.callResponse = before;
    }
  }

  // ---- shared queues ------------------------------------------------------------------------

  /** The queue `name` of `vmId` (default: this VM's), or undefined before the module registered it. */
  sharedQueue(name: string, vmId = this.options.vmId ?? ""): SharedQueue | undefined {
    return [...this.queues.values()].find((q) => q.name === name && q.vmId === vmId);
  }

  /**
   * Enqueues an item from outside the module (as another worker's VM would): the root that
   * registered the queue gets proxy_on_queue_ready now. Returns false if there is no such queue.
   */
  enqueue(name: string, item: string | Uint8Array, vmId = this.options.vmId ?? ""): boolean {
    const queue = this.sharedQueue(name, vmId);
    if (queue === undefined) return false;
    queue.items.push(bytesOf(item));
    if (this.depth > 0) this.readyQueues.push(queue.id);
    else this.announce(queue.id);
    return true;
  }

  private announce(id: number): void {
    const queue = this.queues.get(id);
    if (queue === undefined || this.roots.get(queue.rootId)?.phase === "deleted") return;
    this.invoke(queue.rootId, queue.rootId, "proxy_on_queue_ready", [queue.rootId, id]);
  }

  // ---- reading results ----------------------------------------------------------------------

  /**
   * A counter's or gauge's value by its full name as Envoy shows it (with "wasmcustom."). With the
   * countsFlushedAtTicks option, reading after a callback that no tick has followed throws.
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
    if (this.options.countsFlushedAtTicks && this.tickTimers.size > 0 && this.unflushedCallbacks) {
      throw new Error(
        `${what} read before a tick: the module hands its counts to the metrics at its ticks; call tick() (or advanceMs past the period) after the traffic`,
      );
    }
  }

  /** A histogram's recorded samples by its full name. */
  histogram(name: string): number[] {
    const id = this.metricIdsByName.get(name.replace(/^wasmcustom\./, ""));
    if (id === undefined) throw new Error(`metric ${name} is not defined`);
    return this.metrics.get(id)!.samples;
  }

  /** All counters and gauges as { "wasmcustom.<name>": value } (checked as stat() is). */
  allStats(): Record<string, number> {
    this.assertTicked("stats");
    const out: Record<string, number> = {};
    for (const m of this.metrics.values()) out[`wasmcustom.${m.name}`] = m.value;
    return out;
  }

  // ---- memory -------------------------------------------------------------------------------

  private bytes(ptr: number, len: number): Uint8Array {
    if (ptr < 0 || len < 0 || ptr + len > this.memory.buffer.byteLength)
      throw new FilterTrap(`module passed out-of-range memory ${ptr}+${len}`);
    return new Uint8Array(this.memory.buffer, ptr, len);
  }

  private string(ptr: number, len: number): string {
    return utf8.decode(this.bytes(ptr, len));
  }

  /** A property path as the module passes it (segments separated by NUL) in dotted form, as `properties` keys it. */
  private propertyPath(ptr: number, len: number): string {
    return this.string(ptr, len).split("\0").join(".");
  }

  private view(): DataView {
    return new DataView(this.memory.buffer);
  }

  /** Copies `data` into a block from the module's malloc and writes its address and size to the return slots. */
  private giveBack(data: Uint8Array, ptrPtr: number, lenPtr: number): WasmResult {
    if (data.length === 0) {
      this.view().setUint32(ptrPtr, 0, true);
      this.view().setUint32(lenPtr, 0, true);
      return WasmResult.Ok;
    }
    this.mallocCallbacks++;
    const alloc = (this.exports.malloc ?? this.exports.proxy_on_memory_allocate) as (n: number) => number;
    const ptr = alloc(data.length) >>> 0;
    if (ptr === 0) return WasmResult.InvalidMemoryAccess;
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
        throw new FilterTrap(`module trapped in ${name}: ${e.message}${last ? ` (last log: ${last})` : ""}`);
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

  // ---- what host calls act on ---------------------------------------------------------------

  /** The stream host calls act for now, if the running (or effective) context is a live stream. */
  private currentStream(): Stream | undefined {
    return this.running !== null ? this.streams.get(this.running.id) : undefined;
  }

  private headerMap(type: MapType): Headers | null {
    if (type === MapType.HttpCallResponseHeaders) return this.callResponse?.headers ?? null;
    if (type === MapType.HttpCallResponseTrailers) return this.callResponse?.trailers ?? null;
    return this.currentStream()?.maps.get(type) ?? null;
  }

  private buffer(type: BufferType): Buffer | null {
    switch (type) {
      case BufferType.PluginConfiguration:
        // Each root has its own configuration (Envoy: its plugin's).
        return this.running !== null ? (this.roots.get(this.running.rootId)?.config ?? null) : null;
      case BufferType.VmConfiguration:
        return this.options.vmConfiguration !== undefined ? bytesOf(this.options.vmConfiguration) : Buffer.alloc(0);
      case BufferType.HttpCallResponseBody:
        return this.callResponse?.body ?? null;
      case BufferType.HttpRequestBody:
      case BufferType.HttpResponseBody:
        return this.currentStream()?.chunks.get(type) ?? null;
      default:
        return null;
    }
  }

  // ---- imports ------------------------------------------------------------------------------

  private envImports(): Record<string, CallableFunction> {
    return {
      proxy_log: (level: number, ptr: number, len: number) => {
        this.logs.push({ level: level as LogLevel, message: this.string(ptr, len) });
        return WasmResult.Ok;
      },
      proxy_get_log_level: (levelPtr: number) => {
        this.view().setUint32(levelPtr, this.options.logLevel ?? 2, true);
        return WasmResult.Ok;
      },
      proxy_get_buffer_bytes: (type: number, start: number, max: number, ptrPtr: number, lenPtr: number) => {
        const buf = this.buffer(type as BufferType);
        if (buf === null) return WasmResult.NotFound;
        if (start < 0 || max < 0 || start > buf.length) return WasmResult.BadArgument;
        return this.giveBack(buf.subarray(start, Math.min(buf.length, start + max)), ptrPtr, lenPtr);
      },
      proxy_set_buffer_bytes: (type: number, start: number, size: number, ptr: number, len: number) => {
        const stream = this.currentStream();
        if (type !== BufferType.HttpRequestBody && type !== BufferType.HttpResponseBody) return WasmResult.BadArgument;
        if (stream === undefined) return WasmResult.NotFound;
        const old = stream.body(type as BufferType);
        const from = Math.min(start >>> 0, old.length);
        const to = Math.min(from + (size >>> 0), old.length);
        stream.chunks.set(type as BufferType, Buffer.concat([old.subarray(0, from), Buffer.from(this.bytes(ptr, len)), old.subarray(to)]));
        return WasmResult.Ok;
      },
      proxy_get_header_map_pairs: (type: number, ptrPtr: number, lenPtr: number) => {
        const map = this.headerMap(type as MapType);
        if (map === null) return WasmResult.NotFound;
        return this.giveBack(encodeHeaderMap(map), ptrPtr, lenPtr);
      },
      proxy_get_header_map_value: (type: number, kPtr: number, kLen: number, ptrPtr: number, lenPtr: number) => {
        const map = this.headerMap(type as MapType);
        if (map === null) return WasmResult.NotFound;
        const key = this.string(kPtr, kLen).toLowerCase();
        const hit = map.find(([k]) => k.toLowerCase() === key);
        if (!hit) return WasmResult.NotFound;
        return this.giveBack(Buffer.from(hit[1], "latin1"), ptrPtr, lenPtr);
      },
      proxy_set_header_map_pairs: (type: number, ptr: number, len: number) => {
        const map = this.mutableMap(type);
        if (map === null) return WasmResult.NotFound;
        const pairs = decodeHeaderMap(this.bytes(ptr, len).slice()) ?? [];
        map.splice(0, map.length, ...pairs);
        return WasmResult.Ok;
      },
      proxy_add_header_map_value: (type: number, kPtr: number, kLen: number, vPtr: number, vLen: number) => {
        const map = this.mutableMap(type);
        if (map === null) return WasmResult.NotFound;
        map.push([this.string(kPtr, kLen).toLowerCase(), Buffer.from(this.bytes(vPtr, vLen)).toString("latin1")]);
        return WasmResult.Ok;
      },
      proxy_replace_header_map_value: (type: number, kPtr: number, kLen: number, vPtr: number, vLen: number) => {
        const map = this.mutableMap(type);
        if (map === null) return WasmResult.NotFound;
        const key = this.string(kPtr, kLen).toLowerCase();
        const value = Buffer.from(this.bytes(vPtr, vLen)).toString("latin1");
        // The first pair of that name takes the value, in its place; the others go.
        const out: Headers = [];
        let placed = false;
        for (const pair of map) {
          if (pair[0].toLowerCase() !== key) out.push(pair);
          else if (!placed) {
            out.push([key, value]);
            placed = true;
          }
        }
        if (!placed) out.push([key, value]);
        map.splice(0, map.length, ...out);
        return WasmResult.Ok;
      },
      proxy_remove_header_map_value: (type: number, kPtr: number, kLen: number) => {
        const map = this.mutableMap(type);
        if (map === null) return WasmResult.NotFound;
        const key = this.string(kPtr, kLen).toLowerCase();
        map.splice(0, map.length, ...map.filter(([k]) => k.toLowerCase() !== key));
        return WasmResult.Ok;
      },
      proxy_send_local_response: (
        status: number,
        dPtr: number,
        dLen: number,
        bPtr: number,
        bLen: number,
        hPtr: number,
        hLen: number,
        grpcStatus: number,
      ) => {
        const stream = this.currentStream();
        if (stream === undefined) return WasmResult.NotFound;
        stream.localResponse = {
          status,
          details: this.string(dPtr, dLen),
          body: Buffer.from(this.bytes(bPtr, bLen)),
          headers: decodeHeaderMap(this.bytes(hPtr, hLen).slice()) ?? [],
          grpcStatus: grpcStatus >= 0 ? grpcStatus : null,
        };
        return WasmResult.Ok;
      },
      proxy_continue_stream: (type: number) => {
        const stream = this.currentStream();
        if (stream === undefined) return WasmResult.NotFound;
        return stream.continueStream(type) ? WasmResult.Ok : WasmResult.BadArgument;
      },
      proxy_close_stream: (type: number) => {
        const stream = this.currentStream();
        if (stream === undefined) return WasmResult.NotFound;
        return stream.closeStream(type) ? WasmResult.Ok : WasmResult.BadArgument;
      },
      proxy_set_effective_context: (id: number) => {
        // For the rest of the running callback, host calls act for context `id`.
        const stream = this.streams.get(id);
        const root = this.roots.get(id);
        if (this.running === null) return WasmResult.BadArgument;
        if (stream !== undefined) this.running = { id, rootId: stream.rootId };
        else if (root !== undefined && root.phase !== "deleted") this.running = { id, rootId: id };
        else return WasmResult.BadArgument;
        return WasmResult.Ok;
      },
      proxy_http_call: (
        upPtr: number,
        upLen: number,
        hPtr: number,
        hLen: number,
        bPtr: number,
        bLen: number,
        tPtr: number,
        tLen: number,
        timeoutMs: number,
        tokenPtr: number,
      ) => {
        const cluster = this.string(upPtr, upLen);
        const headers = decodeHeaderMap(this.bytes(hPtr, hLen).slice()) ?? [];
        const has = (n: string) => headers.some(([k]) => k === n);
        if (!this.clusters.has(cluster)) return WasmResult.BadArgument;
        if (!has(":method") || !has(":path") || !has(":authority")) return WasmResult.BadArgument;
        if (timeoutMs < 0) return WasmResult.BadArgument;
        const running = this.running;
        if (running === null) return WasmResult.InternalFailure;
        const token = this.nextToken++;
        const body = Buffer.from(this.bytes(bPtr, bLen));
        const trailers = decodeHeaderMap(this.bytes(tPtr, tLen).slice()) ?? [];
        // proxy-wasm-cpp-host makes the call on the calling context's root: the answer goes there.
        this.calls.set(token, {
          token,
          rootId: running.rootId,
          contextId: running.id,
          cluster,
          headers,
          body,
          trailers,
          timeoutMs,
          done: false,
          cancelled: false,
        });
        this.pending.add(token);
        this.view().setUint32(tokenPtr, token, true);
        return WasmResult.Ok;
      },
      proxy_define_metric: (type: number, nPtr: number, nLen: number, idPtr: number) => {
        if (type !== MetricType.Counter && type !== MetricType.Gauge && type !== MetricType.Histogram) return WasmResult.BadArgument;
        const name = this.string(nPtr, nLen);
        let id = this.metricIdsByName.get(name);
        if (id === undefined) {
          id = this.nextMetricId++;
          this.metricIdsByName.set(name, id);
          this.metrics.set(id, { name, type: type as MetricType, value: 0, samples: [] });
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
        if (m.type === MetricType.Histogram) return WasmResult.BadArgument;
        this.view().setBigUint64(resultPtr, BigInt(m.value), true);
        return WasmResult.Ok;
      },
      proxy_get_property: (pPtr: number, pLen: number, ptrPtr: number, lenPtr: number) => {
        const path = this.propertyPath(pPtr, pLen);
        // A property the stream set itself (Envoy: its filter state) comes before the host's.
        const value = this.currentStream()?.properties.get(path) ?? this.properties[path];
        if (value === undefined) return WasmResult.NotFound;
        return this.giveBack(bytesOf(value), ptrPtr, lenPtr);
      },
      proxy_set_property: (pPtr: number, pLen: number, vPtr: number, vLen: number) => {
        // Envoy keeps it in the stream's filter state: a root context has none to set.
        const stream = this.currentStream();
        if (stream === undefined) return WasmResult.NotFound;
        stream.properties.set(this.propertyPath(pPtr, pLen), Buffer.from(this.bytes(vPtr, vLen)));
        return WasmResult.Ok;
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
      proxy_register_shared_queue: (nPtr: number, nLen: number, idPtr: number) => {
        const running = this.running;
        if (running === null) return WasmResult.InternalFailure;
        const name = this.string(nPtr, nLen);
        const vmId = this.options.vmId ?? "";
        let queue = this.sharedQueue(name, vmId);
        if (queue === undefined) {
          queue = { id: this.nextQueueId++, vmId, name, rootId: running.rootId, items: [] };
          this.queues.set(queue.id, queue);
        }
        // Registering again makes the caller's root the one told of new items, keeping the items.
        queue.rootId = running.rootId;
        this.view().setUint32(idPtr, queue.id, true);
        return WasmResult.Ok;
      },
      proxy_resolve_shared_queue: (vPtr: number, vLen: number, nPtr: number, nLen: number, idPtr: number) => {
        const queue = this.sharedQueue(this.string(nPtr, nLen), this.string(vPtr, vLen));
        if (queue === undefined) return WasmResult.NotFound;
        this.view().setUint32(idPtr, queue.id, true);
        return WasmResult.Ok;
      },
      proxy_enqueue_shared_queue: (id: number, vPtr: number, vLen: number) => {
        const queue = this.queues.get(id);
        if (queue === undefined) return WasmResult.NotFound;
        queue.items.push(Buffer.from(this.bytes(vPtr, vLen)));
        // Envoy posts the notice to the registering VM's thread: it comes after this callback.
        this.readyQueues.push(id);
        return WasmResult.Ok;
      },
      proxy_dequeue_shared_queue: (id: number, ptrPtr: number, lenPtr: number) => {
        const queue = this.queues.get(id);
        if (queue === undefined) return WasmResult.NotFound;
        const item = queue.items.shift();
        if (item === undefined) return WasmResult.Empty;
        return this.giveBack(item, ptrPtr, lenPtr);
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

  /** A header map of the current stream the module may change (request/response headers and trailers). */
  private mutableMap(type: number): Headers | null {
    if (type === MapType.HttpCallResponseHeaders || type === MapType.HttpCallResponseTrailers) return null;
    const stream = this.currentStream();
    if (stream === undefined) return null;
    let map = stream.maps.get(type as MapType);
    if (map === undefined) {
      map = [];
      stream.maps.set(type as MapType, map);
    }
    return map;
  }

  private wasiImports(): Record<string, CallableFunction> {
    return {
      clock_time_get: (id: number, _precision: bigint, resultPtr: number) => {
        // 0: realtime, 1: monotonic.
        this.view().setBigUint64(resultPtr, id === 0 ? this.nowNs + this.wallClockOffsetNs : this.nowNs, true);
        return 0;
      },
      random_get: (ptr: number, len: number) => {
        const out = this.bytes(ptr, len);
        for (let i = 0; i < len; i++) out[i] = this.random();
        return 0;
      },
      fd_write: () => 0,
      proc_exit: (code: number) => {
        throw new FilterTrap(`module called proc_exit(${code})`);
      },
    };
  }
}
