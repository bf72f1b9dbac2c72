// One HTTP stream of the host: what the module sees of it (header maps, the current body chunk)
// and what the module did to it (headers changed in place, a body rewritten, a local response,
// a pause and its continuation, a reset).
import { Action, BufferType, MapType, StreamType } from "./abi.ts";
import type { Headers } from "./header-map.ts";

/** A response the module made the host send instead of the upstream's (proxy_send_local_response). */
export interface LocalResponse {
  status: number;
  /** Envoy's response code details. */
  details: string;
  headers: Headers;
  body: Buffer;
  /** The gRPC status, or null when none was given. */
  grpcStatus: number | null;
}

/** What a Stream needs of its host. */
export interface StreamHost {
  callStream(stream: Stream, name: string, args: number[]): number;
  streamEnded(stream: Stream): void;
}

export class Stream {
  readonly id: number;
  /** The root context it belongs to: the current one when it was created. */
  readonly rootId: number;
  /** The header maps as the module left them (changed in place by its add/replace/remove/set). */
  readonly maps = new Map<MapType, Headers>();
  /**
   * The body chunk of the callback in progress, or of the last one, by buffer type
   * (HttpRequestBody, HttpResponseBody), as the module left it (proxy_set_buffer_bytes).
   */
  readonly chunks = new Map<BufferType, Buffer>();
  /** A callback returned StopIteration and proxy_continue_stream has not been called since. */
  requestPaused = false;
  responsePaused = false;
  /** How often the module called proxy_continue_stream for each direction. */
  readonly continued = { request: 0, response: 0 };
  /** The directions the module reset (proxy_close_stream). */
  readonly closed = { request: false, response: false };
  /** Properties the module set on this stream (proxy_set_property), by dotted path. */
  readonly properties = new Map<string, Buffer>();
  /** The local response the module asked for, if any. */
  localResponse: LocalResponse | null = null;
  private ended = false;
  private readonly host: StreamHost;

  constructor(host: StreamHost, id: number, rootId: number) {
    this.host = host;
    this.id = id;
    this.rootId = rootId;
  }

  /** The header map `map` as the module left it (empty when there is none yet). */
  headers(map: MapType): Headers {
    return this.maps.get(map) ?? [];
  }

  /** The current body chunk of `type` (BufferType.HttpRequestBody or HttpResponseBody). */
  body(type: BufferType): Buffer {
    return this.chunks.get(type) ?? Buffer.alloc(0);
  }

  /** The first value of header `name` in `map` (names compared case-insensitively), or undefined. */
  header(map: MapType, name: string): string | undefined {
    const lower = name.toLowerCase();
    return this.headers(map).find(([k]) => k.toLowerCase() === lower)?.[1];
  }

  get isEnded(): boolean {
    return this.ended;
  }

  private call(name: string, ...args: number[]): number {
    if (this.ended) throw new Error(`stream ${this.id} has ended: no ${name}`);
    return this.host.callStream(this, name, [this.id, ...args]);
  }

  private pauses(direction: "request" | "response", action: number): number {
    if (action === Action.StopIteration) {
      if (direction === "request") this.requestPaused = true;
      else this.responsePaused = true;
    }
    return action;
  }

  requestHeaders(headers: Headers, endOfStream = true): number {
    return this.deliverMap("request", MapType.RequestHeaders, "proxy_on_request_headers", headers, endOfStream);
  }

  requestBody(chunk: string | Buffer, endOfStream = true): number {
    return this.deliverBody("request", BufferType.HttpRequestBody, "proxy_on_request_body", chunk, endOfStream);
  }

  requestTrailers(trailers: Headers): number {
    return this.deliverMap("request", MapType.RequestTrailers, "proxy_on_request_trailers", trailers, null);
  }

  responseHeaders(headers: Headers, endOfStream = false): number {
    return this.deliverMap("response", MapType.ResponseHeaders, "proxy_on_response_headers", headers, endOfStream);
  }

  responseBody(chunk: string | Buffer, endOfStream = true): number {
    return this.deliverBody("response", BufferType.HttpResponseBody, "proxy_on_response_body", chunk, endOfStream);
  }

  responseTrailers(trailers: Headers): number {
    return this.deliverMap("response", MapType.ResponseTrailers, "proxy_on_response_trailers", trailers, null);
  }

  /** A header or trailer map for `callback` (trailers carry no end-of-stream flag: `null`). */
  private deliverMap(side: "request" | "response", type: MapType, callback: string, pairs: Headers, endOfStream: boolean | null): number {
    this.maps.set(
      type,
      pairs.map(([k, v]) => [k, v] as [string, string]),
    );
    const args = endOfStream === null ? [pairs.length] : [pairs.length, endOfStream ? 1 : 0];
    return this.pauses(side, this.call(callback, ...args));
  }

  /** A body chunk for `callback`: the buffer the module reads holds this chunk. */
  private deliverBody(
    side: "request" | "response",
    type: BufferType,
    callback: string,
    chunk: string | Buffer,
    endOfStream: boolean,
  ): number {
    const bytes = Buffer.from(chunk);
    this.chunks.set(type, bytes);
    return this.pauses(side, this.call(callback, bytes.length, endOfStream ? 1 : 0));
  }

  /** The stream ends (normally or not): proxy_on_log, proxy_on_done, proxy_on_delete, as Envoy calls them. */
  end(): void {
    if (this.ended) return;
    this.call("proxy_on_log");
    this.call("proxy_on_done");
    this.call("proxy_on_delete");
    this.ended = true;
    this.host.streamEnded(this);
  }

  /** proxy_continue_stream / proxy_close_stream from the module. */
  continueStream(type: number): boolean {
    if (type === StreamType.HttpRequest) {
      this.requestPaused = false;
      this.continued.request++;
    } else if (type === StreamType.HttpResponse) {
      this.responsePaused = false;
      this.continued.response++;
    } else {
      return false;
    }
    return true;
  }

  closeStream(type: number): boolean {
    if (type === StreamType.HttpRequest) this.closed.request = true;
    else if (type === StreamType.HttpResponse) this.closed.response = true;
    else return false;
    return true;
  }
}
