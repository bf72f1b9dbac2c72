// The host-call wrappers against a real proxy-wasm host: as-pect.config.js instantiates each spec
// module with the imports of proxy-wasm-host (the package's test kit), so every wrapper here goes
// through the host's implementation of the ABI. `test_host` lets a spec open a stream for its host
// calls to act on and read back what only the host knows. Each spec also checks the error
// convention: a holder is written on Ok and left as it was otherwise.
import {
  addHeaderValue, continueStream, defineMetric, dequeueSharedQueue, enqueueSharedQueue, getBufferBytes, getHeaderMap,
  getHeaderValue, getLogLevel, getMetric, getProperty, getSharedData, getStatus, httpCall, incrementMetric, log,
  monotonicNanos, randomU64, recordMetric, setProperty, registerSharedQueue, removeHeaderValue, replaceHeaderValue, resolveSharedQueue,
  sendLocalResponse, setBufferBytes, setHeaderMap, setSharedData, setTickPeriod, wallClockNanos,
} from "../hostcalls";
import { BufferType, LogLevel, MapType, MetricType, StreamType, WasmResult } from "../enums";
import { HeaderMap, HeaderMapWriter } from "../headers";
import { Out, SharedValue } from "../out";

// The host hands values over through the module's malloc.
export { malloc } from "../memory";

/** Opens a stream (request headers :method GET, :path /a, x-one 1, x-two 2, x-two 3; body "hello world"); host calls act for it. */
@external("test_host", "open_stream") declare function openStream(): u32;
@external("test_host", "log_count") declare function logCount(): i32;
@external("test_host", "last_log_level") declare function lastLogLevel(): i32;
@external("test_host", "local_status") declare function localStatus(): i32;
@external("test_host", "tick_period") declare function tickPeriod(): u32;
@external("test_host", "request_continued") declare function requestContinued(): i32;

function b(s: string): ArrayBuffer {
  return String.UTF8.encode(s);
}

function text(bytes: ArrayBuffer): string {
  return String.UTF8.decode(bytes);
}

function header(map: MapType, name: string): string {
  const out = new Out<ArrayBuffer>(b("(absent)"));
  getHeaderValue(map, b(name), out);
  return text(out.value);
}

describe("logging", () => {
  it("log reaches the host at its level; getLogLevel reads the host's", () => {
    const before = logCount();
    expect(log(LogLevel.Warn, "from the spec")).toBe(WasmResult.Ok);
    expect(logCount()).toBe(before + 1);
    expect(lastLogLevel()).toBe(<i32>LogLevel.Warn);
    const level = new Out<LogLevel>(LogLevel.Critical);
    expect(getLogLevel(level)).toBe(WasmResult.Ok);
    expect(level.value).toBe(LogLevel.Info);
  });
});

describe("header maps", () => {
  it("get a value, and NotFound leaves the holder as it was", () => {
    openStream();
    const out = new Out<ArrayBuffer>(b("untouched"));
    expect(getHeaderValue(MapType.RequestHeaders, b("X-One"), out)).toBe(WasmResult.Ok);
    expect(text(out.value)).toStrictEqual("1");
    const miss = new Out<ArrayBuffer>(b("untouched"));
    expect(getHeaderValue(MapType.RequestHeaders, b("x-none"), miss)).toBe(WasmResult.NotFound);
    expect(text(miss.value)).toStrictEqual("untouched");
  });

  it("add, replace and remove on request headers", () => {
    openStream();
    expect(addHeaderValue(MapType.RequestHeaders, b("x-one"), b("again"))).toBe(WasmResult.Ok);
    expect(replaceHeaderValue(MapType.RequestHeaders, b("x-two"), b("only"))).toBe(WasmResult.Ok);
    expect(removeHeaderValue(MapType.RequestHeaders, b("x-none"))).toBe(WasmResult.Ok);
    expect(removeHeaderValue(MapType.RequestHeaders, b(":path"))).toBe(WasmResult.Ok);
    const map = new Out<HeaderMap>(HeaderMap.empty());
    expect(getHeaderMap(MapType.RequestHeaders, map)).toBe(WasmResult.Ok);
    let pairs = "";
    for (let i = 0; i < map.value.count; i++) pairs += map.value.nameString(i) + "=" + map.value.valueString(i) + ";";
    expect(pairs).toStrictEqual(":method=GET;x-one=1;x-two=only;x-one=again;");
  });

  it("set a whole map; response headers and trailers, request trailers", () => {
    openStream();
    const w = new HeaderMapWriter(2);
    w.addBuffers(b(":status"), b("200"));
    w.addBuffers(b("server"), b("spec"));
    expect(setHeaderMap(MapType.ResponseHeaders, w.encode())).toBe(WasmResult.Ok);
    expect(header(MapType.ResponseHeaders, "server")).toStrictEqual("spec");
    expect(addHeaderValue(MapType.RequestTrailers, b("x-t"), b("1"))).toBe(WasmResult.Ok);
    expect(header(MapType.RequestTrailers, "x-t")).toStrictEqual("1");
    expect(replaceHeaderValue(MapType.ResponseTrailers, b("grpc-status"), b("0"))).toBe(WasmResult.Ok);
    expect(header(MapType.ResponseTrailers, "grpc-status")).toStrictEqual("0");
    expect(removeHeaderValue(MapType.ResponseTrailers, b("grpc-status"))).toBe(WasmResult.Ok);
    expect(header(MapType.ResponseTrailers, "grpc-status")).toStrictEqual("(absent)");
  });
});

describe("buffers", () => {
  it("get a range of the body, replace part of it", () => {
    openStream();
    const out = new Out<ArrayBuffer>(new ArrayBuffer(0));
    expect(getBufferBytes(BufferType.HttpRequestBody, 6, 100, out)).toBe(WasmResult.Ok);
    expect(text(out.value)).toStrictEqual("world");
    expect(setBufferBytes(BufferType.HttpRequestBody, 0, 5, b("HOWDY"))).toBe(WasmResult.Ok);
    expect(getBufferBytes(BufferType.HttpRequestBody, 0, 100, out)).toBe(WasmResult.Ok);
    expect(text(out.value)).toStrictEqual("HOWDY world");
    const none = new Out<ArrayBuffer>(b("untouched"));
    expect(getBufferBytes(BufferType.HttpCallResponseBody, 0, 10, none)).toBe(WasmResult.NotFound);
    expect(text(none.value)).toStrictEqual("untouched");
  });
});

describe("streams", () => {
  it("a local reply; continuing the request", () => {
    openStream();
    expect(sendLocalResponse(429, b("spec_limited"), b("slow down"), new HeaderMapWriter(0).encode())).toBe(WasmResult.Ok);
    expect(localStatus()).toBe(429);
    expect(continueStream(StreamType.HttpRequest)).toBe(WasmResult.Ok);
    expect(requestContinued()).toBe(1);
  });
});

describe("properties", () => {
  it("a property's bytes; NotFound leaves the holder", () => {
    openStream();
    const out = new Out<ArrayBuffer>(b("untouched"));
    expect(getProperty(b("example\0tenant"), out)).toBe(WasmResult.Ok);
    expect(text(out.value)).toStrictEqual("acme");
    const miss = new Out<ArrayBuffer>(b("untouched"));
    expect(getProperty(b("no\0such"), miss)).toBe(WasmResult.NotFound);
    expect(text(miss.value)).toStrictEqual("untouched");
  });

  it("a property the stream sets reads back on that stream only", () => {
    openStream();
    expect(setProperty(b("spec\0flag"), b("on"))).toBe(WasmResult.Ok);
    const out = new Out<ArrayBuffer>(b("untouched"));
    expect(getProperty(b("spec\0flag"), out)).toBe(WasmResult.Ok);
    expect(text(out.value)).toStrictEqual("on");
    openStream();
    const other = new Out<ArrayBuffer>(b("untouched"));
    expect(getProperty(b("spec\0flag"), other)).toBe(WasmResult.NotFound);
    expect(text(other.value)).toStrictEqual("untouched");
  });
});

describe("metrics", () => {
  it("define, increment, record and get; a histogram has no value to get", () => {
    openStream();
    const id = new Out<u32>(0);
    expect(defineMetric(MetricType.Counter, "spec.count", id)).toBe(WasmResult.Ok);
    expect(incrementMetric(id.value, 3)).toBe(WasmResult.Ok);
    expect(incrementMetric(id.value, 4)).toBe(WasmResult.Ok);
    const value = new Out<u64>(0);
    expect(getMetric(id.value, value)).toBe(WasmResult.Ok);
    expect(value.value).toBe(7);
    const gauge = new Out<u32>(0);
    expect(defineMetric(MetricType.Gauge, "spec.gauge", gauge)).toBe(WasmResult.Ok);
    expect(recordMetric(gauge.value, 42)).toBe(WasmResult.Ok);
    expect(getMetric(gauge.value, value)).toBe(WasmResult.Ok);
    expect(value.value).toBe(42);
    const histogram = new Out<u32>(0);
    expect(defineMetric(MetricType.Histogram, "spec.histogram", histogram)).toBe(WasmResult.Ok);
    expect(recordMetric(histogram.value, 5)).toBe(WasmResult.Ok);
    const untouched = new Out<u64>(99);
    expect(getMetric(histogram.value, untouched)).toBe(WasmResult.BadArgument);
    expect(untouched.value).toBe(99);
  });
});

describe("http calls", () => {
  it("a call to a known cluster gets a token; an unknown cluster is BadArgument and no token", () => {
    openStream();
    const w = new HeaderMapWriter(3);
    w.addBuffers(b(":method"), b("GET"));
    w.addBuffers(b(":path"), b("/x"));
    w.addBuffers(b(":authority"), b("up"));
    const token = new Out<u32>(0);
    expect(httpCall(b("up"), w.encode(), b("body"), 1000, token)).toBe(WasmResult.Ok);
    expect(token.value).toBeGreaterThan(0);
    const refused = new Out<u32>(12345);
    expect(httpCall(b("nowhere"), w.encode(), null, 1000, refused)).toBe(WasmResult.BadArgument);
    expect(refused.value).toBe(12345);
    const code = new Out<u32>(99);
    expect(getStatus(code)).toBe(WasmResult.Ok);
    expect(code.value).toBe(0);
  });
});

describe("shared data", () => {
  it("get with its CAS, set with it; a stale CAS is CasMismatch", () => {
    openStream();
    const value = new SharedValue();
    expect(getSharedData(b("spec.key"), value)).toBe(WasmResult.NotFound);
    expect(value.cas).toBe(0);
    expect(setSharedData(b("spec.key"), b("one"), 0)).toBe(WasmResult.Ok);
    expect(getSharedData(b("spec.key"), value)).toBe(WasmResult.Ok);
    expect(text(value.bytes)).toStrictEqual("one");
    const cas = value.cas;
    expect(setSharedData(b("spec.key"), b("two"), cas)).toBe(WasmResult.Ok);
    expect(setSharedData(b("spec.key"), b("three"), cas)).toBe(WasmResult.CasMismatch);
    expect(getSharedData(b("spec.key"), value)).toBe(WasmResult.Ok);
    expect(text(value.bytes)).toStrictEqual("two");
  });
});

describe("shared queues", () => {
  it("register, resolve, enqueue, dequeue; Empty and NotFound leave the holders", () => {
    openStream();
    const id = new Out<u32>(0);
    expect(registerSharedQueue("spec.queue", id)).toBe(WasmResult.Ok);
    const resolved = new Out<u32>(0);
    expect(resolveSharedQueue("", "spec.queue", resolved)).toBe(WasmResult.Ok);
    expect(resolved.value).toBe(id.value);
    const unknown = new Out<u32>(777);
    expect(resolveSharedQueue("", "no.queue", unknown)).toBe(WasmResult.NotFound);
    expect(unknown.value).toBe(777);
    expect(enqueueSharedQueue(id.value, b("item"))).toBe(WasmResult.Ok);
    const item = new Out<ArrayBuffer>(new ArrayBuffer(0));
    expect(dequeueSharedQueue(id.value, item)).toBe(WasmResult.Ok);
    expect(text(item.value)).toStrictEqual("item");
    expect(dequeueSharedQueue(id.value, item)).toBe(WasmResult.Empty);
    expect(text(item.value)).toStrictEqual("item");
  });
});

describe("ticks, clocks, randomness", () => {
  it("a tick period for the stream's root; clocks and random bits from the host", () => {
    openStream();
    expect(setTickPeriod(250)).toBe(WasmResult.Ok);
    expect(tickPeriod()).toBe(250);
    const wall = new Out<u64>(0);
    expect(wallClockNanos(wall)).toBe(WasmResult.Ok);
    expect(wall.value).toBeGreaterThan(1_700_000_000_000_000_000);
    const mono = new Out<u64>(0);
    expect(monotonicNanos(mono)).toBe(WasmResult.Ok);
    expect(mono.value).toBeGreaterThan(0);
    const r1 = new Out<u64>(0);
    const r2 = new Out<u64>(0);
    expect(randomU64(r1)).toBe(WasmResult.Ok);
    expect(randomU64(r2)).toBe(WasmResult.Ok);
    expect(r1.value).not.toBe(r2.value);
  });
});
