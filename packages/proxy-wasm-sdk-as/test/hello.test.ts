// The README's example (examples/hello.ts) does what the README says.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Action, MapType, ProxyWasmHost } from "proxy-wasm-host";

const WASM = new URL("../build/hello.wasm", import.meta.url).pathname;

test("hello: responses get x-hello, a request with x-block is answered 403 by the filter", async () => {
  const host = new ProxyWasmHost({ wasm: WASM });
  await host.load();
  assert.equal(host.configure(""), true);
  const ok = host.stream();
  assert.equal(ok.requestHeaders([[":path", "/"]]), Action.Continue);
  ok.responseHeaders([[":status", "200"]]);
  assert.equal(ok.header(MapType.ResponseHeaders, "x-hello"), "world");
  assert.equal(ok.localResponse, null);
  ok.end();
  const blocked = host.stream();
  assert.equal(
    blocked.requestHeaders([
      [":path", "/"],
      ["x-block", "1"],
    ]),
    Action.StopIteration,
  );
  assert.equal(blocked.localResponse?.status, 403);
  assert.equal(blocked.localResponse?.body.toString(), "blocked\n");
  blocked.end();
});
