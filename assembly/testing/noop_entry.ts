// BENCHMARK-ONLY module: the project's ABI layer with no filter behind it. Every stream gets a
// context whose callbacks return Continue at once. Built as build/noop.wasm by
// `npm run build:noop`; `npm run bench -- --wasm build/noop.wasm --configs A,D` measures what any
// proxy-wasm filter costs in Envoy before doing anything (the floor under configuration D).
import { RootContext, StreamContext } from "proxy-wasm-sdk-as/assembly/context";
import { setRootContextFactory } from "proxy-wasm-sdk-as/assembly/exports";

export * from "proxy-wasm-sdk-as/assembly/module";

class NoopRoot extends RootContext {
  createStreamContext(id: u32): StreamContext | null {
    return new StreamContext(id, this);
  }
}

setRootContextFactory((id: u32): RootContext => new NoopRoot(id));
