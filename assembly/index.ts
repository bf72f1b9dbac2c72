// The dark-launch filter module (root_id "dark_launch"): the ABI exports and the filter's root.
import { RootContext } from "./abi/context";
import { setRootContextFactory } from "./abi/exports";
import { DarkLaunchRoot } from "./filter/root";

export * from "./abi/module";

setRootContextFactory((id: u32): RootContext => new DarkLaunchRoot(id));
