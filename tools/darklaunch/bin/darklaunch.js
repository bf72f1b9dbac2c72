#!/usr/bin/env node
// The `darklaunch` command: registers tsx so Node runs the TypeScript sources as they are, then
// hands over to src/cli.ts (which sets the exit code).
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/cli.ts");
await main();
