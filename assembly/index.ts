// The dark-launch filter module (root_id "dark_launch"): the ABI exports and the filter's root.
import { RootContext } from "proxy-wasm-sdk-as/assembly/context";
import { setRootContextFactory } from "proxy-wasm-sdk-as/assembly/exports";
import { DarkLaunchRoot } from "./filter/root";

export * from "proxy-wasm-sdk-as/assembly/module";

setRootContextFactory((id: u32): RootContext => new DarkLaunchRoot(id));
