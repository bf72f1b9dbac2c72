// as-pect 8 configuration: unit tests of the pure modules (no host calls), one module per spec file.
// Compiler options for the tests are in as-pect.asconfig.json (not the filter's asconfig.json,
// whose entry and abort handler are for Envoy).
export default {
  /** Test files. */
  entries: ["assembly/__tests__/**/*.spec.ts"],
  /** Files added to every test compilation. */
  include: ["assembly/__tests__/**/*.include.ts"],
  /** Test files left out. */
  disclude: [/node_modules/],
  /** The tested modules import no host functions: as-pect's own imports are enough. */
  async instantiate(memory, createImports, instantiate, binary) {
    return instantiate(binary, createImports({ env: { memory } }));
  },
  outputBinary: false,
};
