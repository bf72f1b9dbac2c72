// Prototype entry (replaced by the filter): proves the ABI layer loads in Envoy.
import { RootContext, StreamContext } from "./abi/context";
import { setRootContextFactory } from "./abi/exports";
import { BufferType, FilterHeadersStatus, LogLevel, MapType, MetricType } from "./abi/enums";
import { defineMetric, getBufferBytes, getHeaderMap, httpCall, incrementMetric, log } from "./abi/hostcalls";
import { HeaderMapWriter } from "./abi/headers";

export * from "./abi/exports";
export { abortHandler as __abort_handler_kept } from "./abi/abort";
export { malloc } from "./abi/memory";

let counter: u32 = 0;

class ProtoRoot extends RootContext {
  onConfigure(size: i32): bool {
    const cfg = getBufferBytes(BufferType.PluginConfiguration, 0, size);
    log(LogLevel.Info, "darklaunch: proto configured: " + (cfg !== null ? String.UTF8.decode(cfg) : "(none)"));
    counter = <u32>defineMetric(MetricType.Counter, "darklaunch.proto.requests");
    return true;
  }
  createStreamContext(id: u32): StreamContext | null {
    return new ProtoStream(id, this);
  }
  onHttpCallResponse(token: u32, numHeaders: i32, bodySize: i32, numTrailers: i32): void {
    const h = getHeaderMap(MapType.HttpCallResponseHeaders);
    let s = "";
    for (let i = 0; i < h.count; i++) s += h.nameString(i) + "=" + h.valueString(i) + " ";
    log(LogLevel.Info, "darklaunch: proto response token=" + token.toString() + " headers=" + numHeaders.toString() + " body=" + bodySize.toString() + " " + s);
  }
}

class ProtoStream extends StreamContext {
  onRequestHeaders(n: i32, eos: bool): FilterHeadersStatus {
    incrementMetric(counter, 1);
    const h = getHeaderMap(MapType.RequestHeaders);
    const w = new HeaderMapWriter();
    for (let i = 0; i < h.count; i++) w.addPair(h, i);
    const enc = w.encode();
    const t = httpCall(String.UTF8.encode("dark"), enc, null, 1000);
    log(LogLevel.Info, "darklaunch: proto call token=" + t.toString());
    return FilterHeadersStatus.Continue;
  }
}

setRootContextFactory((id: u32): RootContext => new ProtoRoot(id));
