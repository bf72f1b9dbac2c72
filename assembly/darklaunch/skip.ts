// Skip reasons as numbers, in the order they are checked; names in stats_names.ts SKIP_REASONS.

export enum Skip {
  None = -1,
  Disabled = 0,
  Expired = 1,
  Method = 2,
  SampledOut = 3,
  BodyTooLarge = 4,
  InFlightLimit = 5,
  RateLimited = 6,
  BreakerOpen = 7,
  Aborted = 8,
  DispatchFailed = 9,
}
