// as-pect 8: the SDK's specs, one module per spec file; compiler options in as-pect.asconfig.json.
// Each module is instantiated with the imports of a real proxy-wasm host (the proxy-wasm-host
// package, TypeScript: asp runs with NODE_OPTIONS=--import=tsx), so the host-call wrappers are
// tested against the host's implementation of the ABI, not a stand-in; the pure specs (codec,
// bytes, dispatch) import none of it. `test_host` lets a spec open a stream and read what only
// the host knows.
import { ProxyWasmHost } from "proxy-wasm-host";

/** The spec-facing side of the host: opens streams and reads back the host's state. */
function testHost(host) {
  let stream = null;
  return {
    open_stream() {
      if (host.currentRootId === 0 && !host.configure("")) throw new Error("the host refused to configure");
      stream = host.stream();
      stream.requestHeaders(
        [
          [":method", "GET"],
          [":path", "/a"],
          ["x-one", "1"],
          ["x-two", "2"],
          ["x-two", "3"],
        ],
        false,
      );
      stream.requestBody("hello world", true);
      host.actFor(stream.id);
      return stream.id;
    },
    log_count: () => host.logs.length,
    last_log_level: () => host.logs.at(-1)?.level ?? -1,
    local_status: () => stream?.localResponse?.status ?? -1,
    tick_period: () => host.tickPeriodMs(),
    request_continued: () => stream?.continued.request ?? -1,
  };
}

export default {
  entries: ["assembly/__tests__/**/*.spec.ts"],
  include: [],
  disclude: [/node_modules/],
  async instantiate(memory, createImports, instantiate, binary) {
    const host = new ProxyWasmHost({ wasm: binary, clusters: ["up"], properties: { "example.tenant": "acme" } });
    const own = host.imports();
    const result = await instantiate(
      binary,
      createImports({ env: { memory, ...own.env }, wasi_snapshot_preview1: own.wasi_snapshot_preview1, test_host: testHost(host) }),
    );
    host.attach(result.instance);
    return result;
  },
  outputBinary: false,
};
