// as-pect 8: unit tests of the SDK's pure parts (header-map codec, byte helpers, holders, virtual
// dispatch of contexts), one module per spec file; compiler options in as-pect.asconfig.json.
export default {
  entries: ["assembly/__tests__/**/*.spec.ts"],
  include: [],
  disclude: [/node_modules/],
  /** The tested code calls no host function: as-pect's own imports are enough. */
  async instantiate(memory, createImports, instantiate, binary) {
    return instantiate(binary, createImports({ env: { memory } }));
  },
  outputBinary: false,
};
