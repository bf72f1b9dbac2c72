// as-pect's runtime, found wherever npm put @as-pect/assembly (this package's node_modules or a
// workspace root's): as-pect.asconfig.json compiles it into every test module.
export * from "@as-pect/assembly/assembly/index";
