// What the glue keeps per configured rule: the rule, its metric ids, its shared-data keys.
import { Rule } from "../darklaunch/config";
import { RuleMetrics } from "./metrics";

export class RuleRuntime {
  readonly nameBytes: ArrayBuffer;
  readonly metrics: RuleMetrics = new RuleMetrics();
  /** In-flight slots and breaker (filter/shared_state.ts). */
  readonly guardKey: ArrayBuffer;
  readonly rateKey: ArrayBuffer;
  /** When this worker last logged a refused dispatch for the rule (ms, monotonic). */
  lastDispatchErrorLogMs: i64 = -1;

  constructor(readonly rule: Rule) {
    this.nameBytes = String.UTF8.encode(rule.name);
    // Shared data is per vm_id: rules of the same name in filters sharing a vm_id share limits.
    this.guardKey = String.UTF8.encode("darklaunch/" + rule.name + "/guard");
    this.rateKey = String.UTF8.encode("darklaunch/" + rule.name + "/rate");
  }
}
