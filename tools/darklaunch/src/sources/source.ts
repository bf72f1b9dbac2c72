// A source of figures for the judging commands (`verdict`, `watch`, `ramp`): exactly one of
// Envoy admin endpoints (`--admin`, repeatable) or a Prometheus server (`--prometheus`).

import type { StatsReading } from "../reading.js";

export interface Source {
  /** How the output names it, e.g. "Envoy admin http://127.0.0.1:9901". */
  readonly label: string;
  /** Every rule's figures: since each Envoy started (admin), over the window ending now (Prometheus). */
  read(): Promise<StatsReading>;
  /**
   * Every rule's figures between two readings of this source (`before` taken first): the
   * traffic of `watch`'s last interval, or of a ramp so far.
   */
  between(before: StatsReading, now: StatsReading): Promise<StatsReading>;
}
