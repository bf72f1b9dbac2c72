// The configuration's keys, per object (contract section 2): the one list the parser refuses
// unknown keys by, and the one list the docs test checks docs/configuration.md against. Written in
// the subset of TypeScript that is also AssemblyScript, so Node tests import this same file.

export const TOP_KEYS: string[] = ["enabled", "mismatch_log_per_second", "samples", "rules"];
export const RULE_KEYS: string[] = ["name", "enabled", "expires_at", "match", "methods", "sample", "dark", "compare", "limits", "breaker"];
export const MATCH_KEYS: string[] = ["route", "path_prefix", "headers"];
export const HEADER_CONDITION_KEYS: string[] = ["name", "exact", "prefix", "present", "absent"];
export const SAMPLE_KEYS: string[] = ["percent", "by"];
export const DARK_KEYS: string[] = ["cluster", "authority", "timeout_ms", "max_body_bytes", "set_headers", "remove_headers"];
export const COMPARE_KEYS: string[] = ["status", "headers", "body", "noise_cluster"];
export const BODY_KEYS: string[] = ["json", "ignore", "decode"];
export const LIMITS_KEYS: string[] = ["max_in_flight", "max_per_second"];
export const BREAKER_KEYS: string[] = ["failure_ratio", "min_calls", "window_ms", "open_ms"];
export const SAMPLES_KEYS: string[] = ["cluster", "per_second", "match_percent", "max_body_bytes", "headers", "redact"];
