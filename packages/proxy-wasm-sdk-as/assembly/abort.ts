// AssemblyScript's `abort` replacement: Envoy provides no `env.abort`. Logs where the module
// failed at critical level, then traps; Envoy's failure_policy decides what happens to traffic.
import { proxy_log } from "./imports";
import { LogLevel } from "./enums";

export function abortHandler(message: string | null, fileName: string | null, line: u32, column: u32): void {
  let text = "aborted: " + (message !== null ? message : "(no message)");
  if (fileName !== null) text += " at " + fileName + ":" + line.toString() + ":" + column.toString();
  const bytes = String.UTF8.encode(text);
  proxy_log(LogLevel.Critical, changetype<usize>(bytes), <usize>bytes.byteLength);
  unreachable();
}
