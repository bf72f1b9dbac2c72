// A filter that uses every host call a filter author needs, each driven by a request header, so
// the package's tests (test/host-calls.test.ts) can check each one under proxy-wasm-host:
//   x-op-local-reply        answers 418 itself (proxy_send_local_response)
//   x-op-call: <cluster>    pauses the request, calls <cluster>, and resumes with
//                           x-call-status: <status> (or answers 503 when the call fails)
//   x-op-shared: <key>      reads <key> (value and CAS) at the request headers and writes the
//                           request body to it with that CAS at the body's end; the result goes
//                           to the response as x-shared-set (ok / cas-mismatch)
//   x-op-enqueue: <item>    enqueues <item> on the queue "example.queue"; the root dequeues it at
//                           on_queue_ready and stores it in shared data "example.last_item"
//   x-op-upper-body         upper-cases the request body and replaces the response body
// and always: request headers x-added (add), x-replaced (replace), x-remove-me (remove);
// response headers x-example (add), server (replace), x-internal (remove), x-requests (the
// requests counter read back); trailers likewise; the property "example.tenant" as
// x-tenant; a log line per request; metrics example.requests (counter), example.in_flight
// (gauge), example.body_bytes (histogram), example.ticks (counter, at each tick).
// The plugin configuration is the tick period in milliseconds (e.g. "1000").
import {
  BufferType, FilterDataStatus, FilterHeadersStatus, FilterTrailersStatus, HeaderMap, HeaderMapWriter, LogLevel, MapType,
  MetricType, Out, RootContext, SharedValue, StreamContext, StreamType, WasmResult, addHeaderValue, defineMetric,
  dequeueSharedQueue, enqueueSharedQueue, getBufferBytes, getHeaderMap, getHeaderValue, getMetric, getProperty,
  getSharedData, getStatus, incrementMetric, log, parseDecimal, recordMetric, registerSharedQueue, removeHeaderValue,
  replaceHeaderValue, continueStream, resolveSharedQueue, sendLocalResponse, setBufferBytes, setRootContextFactory, setSharedData,
  setTickPeriod,
} from "proxy-wasm-sdk-as";

export * from "proxy-wasm-sdk-as/assembly/module";

const QUEUE = "example.queue";

function b(s: string): ArrayBuffer {
  return String.UTF8.encode(s);
}

function text(bytes: ArrayBuffer): string {
  return String.UTF8.decode(bytes);
}

/** The first value of request header `name`, or null when the request has none. */
function requestHeader(name: string): string | null {
  const out = new Out<ArrayBuffer>(new ArrayBuffer(0));
  return getHeaderValue(MapType.RequestHeaders, b(name), out) == WasmResult.Ok ? text(out.value) : null;
}

class ExampleRoot extends RootContext {
  requests: u32 = 0;
  inFlight: u32 = 0;
  bodyBytes: u32 = 0;
  ticks: u32 = 0;
  queueId: u32 = 0;

  onConfigure(size: i32): bool {
    const config = new Out<ArrayBuffer>(new ArrayBuffer(0));
    if (getBufferBytes(BufferType.PluginConfiguration, 0, size, config) != WasmResult.Ok) return false;
    const period = parseDecimal(changetype<usize>(config.value), config.value.byteLength, 9);
    if (period < 0) {
      log(LogLevel.Error, "example: the configuration is not a tick period in ms: " + text(config.value));
      return false;
    }
    const id = new Out<u32>(0);
    if (defineMetric(MetricType.Counter, "example.requests", id) != WasmResult.Ok) return false;
    this.requests = id.value;
    if (defineMetric(MetricType.Gauge, "example.in_flight", id) != WasmResult.Ok) return false;
    this.inFlight = id.value;
    if (defineMetric(MetricType.Histogram, "example.body_bytes", id) != WasmResult.Ok) return false;
    this.bodyBytes = id.value;
    if (defineMetric(MetricType.Counter, "example.ticks", id) != WasmResult.Ok) return false;
    this.ticks = id.value;
    if (registerSharedQueue(QUEUE, id) != WasmResult.Ok) return false;
    this.queueId = id.value;
    setTickPeriod(<u32>period);
    log(LogLevel.Info, "example: configured, tick every " + period.toString() + " ms");
    return true;
  }

  onTick(): void {
    incrementMetric(this.ticks, 1);
  }

  onQueueReady(queueId: u32): void {
    const item = new Out<ArrayBuffer>(new ArrayBuffer(0));
    while (dequeueSharedQueue(queueId, item) == WasmResult.Ok) {
      setSharedData(b("example.last_item"), item.value, 0);
      log(LogLevel.Info, "example: dequeued " + text(item.value));
    }
  }

  /** Answers to calls whose stream has gone. */
  onHttpCallResponse(token: u32, numHeaders: i32, bodySize: i32, numTrailers: i32): void {
    log(LogLevel.Warn, "example: call " + token.toString() + " answered after its stream ended");
  }

  createStreamContext(id: u32): StreamContext | null {
    return new ExampleStream(id, this);
  }
}

class ExampleStream extends StreamContext {
  sharedKey: string | null = null;
  sharedCas: u32 = 0;
  sharedResult: string = "";
  upperBody: bool = false;

  get example(): ExampleRoot {
    return changetype<ExampleRoot>(this.root);
  }

  onRequestHeaders(numHeaders: i32, endOfStream: bool): FilterHeadersStatus {
    const root = this.example;
    incrementMetric(root.requests, 1);
    incrementMetric(root.inFlight, 1);
    const path = requestHeader(":path");
    log(LogLevel.Info, "example: request " + (path !== null ? path : "(no path)"));

    addHeaderValue(MapType.RequestHeaders, b("x-added"), b("1"));
    replaceHeaderValue(MapType.RequestHeaders, b("x-replaced"), b("new"));
    removeHeaderValue(MapType.RequestHeaders, b("x-remove-me"));

    const tenant = new Out<ArrayBuffer>(new ArrayBuffer(0));
    const found = getProperty(b("example\0tenant"), tenant) == WasmResult.Ok;
    replaceHeaderValue(MapType.RequestHeaders, b("x-tenant"), found ? tenant.value : b("(none)"));

    if (requestHeader("x-op-local-reply") !== null) {
      const headers = new HeaderMapWriter(1);
      headers.addBuffers(b("x-local"), b("yes"));
      sendLocalResponse(418, b("example_local_reply"), b("short and stout"), headers.encode());
      return FilterHeadersStatus.StopIteration;
    }
    const shared = requestHeader("x-op-shared");
    if (shared !== null) {
      const value = new SharedValue();
      // NotFound: the key is new; CAS 0 would write unconditionally, so keep what the host says.
      if (getSharedData(b(shared), value) == WasmResult.Ok) this.sharedCas = value.cas;
      this.sharedKey = shared;
    }
    const item = requestHeader("x-op-enqueue");
    if (item !== null) {
      const id = new Out<u32>(0);
      if (resolveSharedQueue("", QUEUE, id) == WasmResult.Ok) enqueueSharedQueue(id.value, b(item));
    }
    this.upperBody = requestHeader("x-op-upper-body") !== null;
    const cluster = requestHeader("x-op-call");
    if (cluster !== null) {
      const headers = new HeaderMapWriter(3);
      headers.addBuffers(b(":method"), b("GET"));
      headers.addBuffers(b(":path"), b("/lookup"));
      headers.addBuffers(b(":authority"), b(cluster));
      const token = new Out<u32>(0);
      if (this.httpCall(b(cluster), headers.encode(), null, 1000, token) == WasmResult.Ok) return FilterHeadersStatus.StopIteration;
      replaceHeaderValue(MapType.RequestHeaders, b("x-call-status"), b("refused"));
    }
    return FilterHeadersStatus.Continue;
  }

  onHttpCallResponse(token: u32, numHeaders: i32, bodySize: i32, numTrailers: i32): void {
    if (numHeaders == 0) {
      const code = new Out<u32>(0);
      getStatus(code);
      sendLocalResponse(503, b("example_call_failed"), b("call failed: " + code.value.toString()), new HeaderMapWriter(0).encode());
      return;
    }
    const headers = new Out<HeaderMap>(HeaderMap.empty());
    let status = "(none)";
    if (getHeaderMap(MapType.HttpCallResponseHeaders, headers) == WasmResult.Ok) {
      const at = headers.value.indexOf(b(":status"));
      if (at >= 0) status = headers.value.valueString(at);
    }
    const body = new Out<ArrayBuffer>(new ArrayBuffer(0));
    getBufferBytes(BufferType.HttpCallResponseBody, 0, bodySize, body);
    replaceHeaderValue(MapType.RequestHeaders, b("x-call-status"), b(status));
    replaceHeaderValue(MapType.RequestHeaders, b("x-call-body"), body.value);
    continueStream(StreamType.HttpRequest);
  }

  onRequestBody(bodySize: i32, endOfStream: bool): FilterDataStatus {
    if (!endOfStream) return FilterDataStatus.StopIterationAndBuffer;
    const body = new Out<ArrayBuffer>(new ArrayBuffer(0));
    if (getBufferBytes(BufferType.HttpRequestBody, 0, bodySize, body) != WasmResult.Ok) return FilterDataStatus.Continue;
    recordMetric(this.example.bodyBytes, <u64>bodySize);
    const key = this.sharedKey;
    if (key !== null) {
      const r = setSharedData(b(key), body.value, this.sharedCas);
      this.sharedResult = r == WasmResult.Ok ? "ok" : r == WasmResult.CasMismatch ? "cas-mismatch" : "error";
    }
    if (this.upperBody) setBufferBytes(BufferType.HttpRequestBody, 0, bodySize, b(text(body.value).toUpperCase()));
    return FilterDataStatus.Continue;
  }

  onRequestTrailers(numTrailers: i32): FilterTrailersStatus {
    addHeaderValue(MapType.RequestTrailers, b("x-trailer-added"), b("1"));
    removeHeaderValue(MapType.RequestTrailers, b("x-trailer-remove"));
    return FilterTrailersStatus.Continue;
  }

  onResponseHeaders(numHeaders: i32, endOfStream: bool): FilterHeadersStatus {
    addHeaderValue(MapType.ResponseHeaders, b("x-example"), b("sdk"));
    replaceHeaderValue(MapType.ResponseHeaders, b("server"), b("example"));
    removeHeaderValue(MapType.ResponseHeaders, b("x-internal"));
    const requests = new Out<u64>(0);
    if (getMetric(this.example.requests, requests) == WasmResult.Ok) {
      addHeaderValue(MapType.ResponseHeaders, b("x-requests"), b(requests.value.toString()));
    }
    if (this.sharedResult.length > 0) addHeaderValue(MapType.ResponseHeaders, b("x-shared-set"), b(this.sharedResult));
    return FilterHeadersStatus.Continue;
  }

  onResponseBody(bodySize: i32, endOfStream: bool): FilterDataStatus {
    if (this.upperBody) setBufferBytes(BufferType.HttpResponseBody, 0, bodySize, b("replaced"));
    return FilterDataStatus.Continue;
  }

  onResponseTrailers(numTrailers: i32): FilterTrailersStatus {
    replaceHeaderValue(MapType.ResponseTrailers, b("grpc-message"), b("rewritten"));
    removeHeaderValue(MapType.ResponseTrailers, b("x-trailer-internal"));
    return FilterTrailersStatus.Continue;
  }

  onDone(): void {
    incrementMetric(this.example.inFlight, -1);
  }
}

setRootContextFactory((id: u32): RootContext => new ExampleRoot(id));
