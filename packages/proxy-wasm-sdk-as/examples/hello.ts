// The smallest useful filter: every response gets `x-hello: world`, and a request carrying
// `x-block` is answered 403 by the filter itself. README.md walks through it.
import {
  FilterHeadersStatus, HeaderMapWriter, MapType, Out, RootContext, StreamContext, WasmResult,
  addHeaderValue, getHeaderValue, sendLocalResponse, setRootContextFactory,
} from "proxy-wasm-sdk-as";

export * from "proxy-wasm-sdk-as/assembly/module";

class HelloRoot extends RootContext {
  createStreamContext(id: u32): StreamContext | null {
    return new HelloStream(id, this);
  }
}

class HelloStream extends StreamContext {
  onRequestHeaders(numHeaders: i32, endOfStream: bool): FilterHeadersStatus {
    const value = new Out<ArrayBuffer>(new ArrayBuffer(0));
    if (getHeaderValue(MapType.RequestHeaders, String.UTF8.encode("x-block"), value) == WasmResult.Ok) {
      const headers = new HeaderMapWriter(1);
      headers.addBuffers(String.UTF8.encode("content-type"), String.UTF8.encode("text/plain"));
      sendLocalResponse(403, String.UTF8.encode("blocked_by_hello"), String.UTF8.encode("blocked\n"), headers.encode());
      return FilterHeadersStatus.StopIteration;
    }
    return FilterHeadersStatus.Continue;
  }

  onResponseHeaders(numHeaders: i32, endOfStream: bool): FilterHeadersStatus {
    addHeaderValue(MapType.ResponseHeaders, String.UTF8.encode("x-hello"), String.UTF8.encode("world"));
    return FilterHeadersStatus.Continue;
  }
}

setRootContextFactory((id: u32): RootContext => new HelloRoot(id));
