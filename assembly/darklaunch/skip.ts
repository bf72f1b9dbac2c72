// Skip reasons as numbers, in the order they are checked; names in stats_names.ts SKIP_REASONS.

export enum Skip {
  None = -1,
  Disabled = 0,
  Method = 1,
  SampledOut = 2,
  BodyTooLarge = 3,
  InFlightLimit = 4,
  RateLimited = 5,
  BreakerOpen = 6,
  Aborted = 7,
  DispatchFailed = 8,
}
