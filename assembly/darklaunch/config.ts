import { JsonPathSet } from "./json_path";
import { JsonDigestPool } from "./json_digest";

// The filter's configuration, as validated and frozen at configure time (contract section 2).
// Parsing and validation live in config_parse.ts; this file holds the shapes and defaults.
// Strings that are compared with request bytes are kept pre-encoded as UTF-8 (`...Bytes`).

// @ts-ignore: decorator
@inline export const MAX_RULES: i32 = 64;
// @ts-ignore: decorator
@inline export const DEFAULT_TIMEOUT_MS: i32 = 1000;
// @ts-ignore: decorator
@inline export const DEFAULT_MAX_BODY_BYTES: i32 = 65536;
// @ts-ignore: decorator
@inline export const DEFAULT_MAX_IN_FLIGHT: i32 = 256;

export enum HeaderConditionKind {
  Exact = 0,
  Prefix = 1,
  Present = 2,
  Absent = 3,
}

/** One `match.headers` entry. `name` is lower-cased. */
export class HeaderCondition {
  nameBytes: ArrayBuffer;
  valueBytes: ArrayBuffer;
  constructor(
    readonly name: string,
    readonly kind: HeaderConditionKind,
    readonly value: string,
  ) {
    this.nameBytes = String.UTF8.encode(name);
    this.valueBytes = String.UTF8.encode(value);
  }
}

export class RuleMatch {
  route: string | null = null;
  routeBytes: ArrayBuffer | null = null;
  pathPrefix: string | null = null;
  pathPrefixBytes: ArrayBuffer | null = null;
  headers: HeaderCondition[] = [];
}

export enum StickyKeySource {
  Random = 0,
  Header = 1,
  Cookie = 2,
}

export class Sample {
  /** percent × 100, rounded: 0..10000. A request is in iff its bucket < threshold. */
  threshold: i32 = 10000;
  percent: f64 = 100;
  by: StickyKeySource = StickyKeySource.Random;
  /** Header name (lower-cased) or cookie name of the sticky key. */
  key: string = "";
  keyBytes: ArrayBuffer = new ArrayBuffer(0);
}

export class Dark {
  cluster: string = "";
  clusterBytes: ArrayBuffer = new ArrayBuffer(0);
  /** null: the original authority with "-shadow" added to the host (or kept: keepAuthority). */
  authority: string | null = null;
  authorityBytes: ArrayBuffer | null = null;
  /** `authority: ""`: the copy keeps the original authority unchanged. */
  keepAuthority: bool = false;
  timeoutMs: i32 = DEFAULT_TIMEOUT_MS;
  maxBodyBytes: i32 = DEFAULT_MAX_BODY_BYTES;
  /** Names lower-cased; parallel arrays, in the order given. */
  setHeaderNames: ArrayBuffer[] = [];
  setHeaderValues: ArrayBuffer[] = [];
  /** Lower-cased. */
  removeHeaders: ArrayBuffer[] = [];
}

/** At most this many `compare.body.ignore` paths per rule. */
// @ts-ignore: decorator
@inline export const MAX_IGNORE_PATHS: i32 = 64;

export class Compare {
  status: bool = true;
  /** Lower-cased response header names whose values are compared (looked up in headers, then trailers). */
  headers: string[] = [];
  headerBytes: ArrayBuffer[] = [];
  /** Whether bodies are compared at all (`body: false` turns it off). */
  body: bool = true;
  /** Bodies compared as JSON values (`body: {json: true}`), else as bytes. */
  json: bool = false;
  /** gzip / deflate bodies decompressed before comparing (contract §2.4). */
  decode: bool = true;
  /** `body.ignore`: JSON paths left out on both sides, as written. */
  ignore: string[] = [];
  /** `body.ignore` compiled. */
  ignorePaths: JsonPathSet = JsonPathSet.EMPTY;
  /** `noise_cluster`: a second instance of the current version (contract §2.6), or null. */
  noiseCluster: string | null = null;
  noiseClusterBytes: ArrayBuffer | null = null;

  /** Whether any part is compared (the compare.* counters move only then). */
  get any(): bool {
    return this.status || this.headers.length > 0 || this.body;
  }

  private digestPool: JsonDigestPool | null = null;

  /** JSON mode: the digests of this rule's bodies, reused from body to body (made on first use, once ignorePaths is set). */
  get jsonDigests(): JsonDigestPool {
    let pool = this.digestPool;
    if (pool === null) {
      pool = new JsonDigestPool(this.ignorePaths);
      this.digestPool = pool;
    }
    return pool;
  }
}

export class Limits {
  maxInFlight: i32 = DEFAULT_MAX_IN_FLIGHT;
  /** 0 = unlimited. */
  maxPerSecond: i32 = 0;
}

export class Breaker {
  failureRatio: f64 = 0.5;
  minCalls: i32 = 20;
  windowMs: i32 = 10000;
  openMs: i32 = 30000;
}

/** `Rule.expiresAtMs` of a rule without `expires_at`. */
// @ts-ignore: decorator
@inline export const NEVER_EXPIRES: i64 = i64.MAX_VALUE;

export class Rule {
  name: string = "";
  enabled: bool = true;
  /** `expires_at` as milliseconds since the Unix epoch (Envoy's wall clock); NEVER_EXPIRES without one. */
  expiresAtMs: i64 = NEVER_EXPIRES;
  match: RuleMatch = new RuleMatch();
  /** Upper-case method names; default GET, HEAD, OPTIONS. */
  methods: string[] = ["GET", "HEAD", "OPTIONS"];
  methodBytes: ArrayBuffer[] = [];
  sample: Sample = new Sample();
  dark: Dark = new Dark();
  compare: Compare = new Compare();
  limits: Limits = new Limits();
  breaker: Breaker = new Breaker();
}

/** Mismatch samples for a collector (contract §2.7); `samples` of the configuration. */
export class Samples {
  cluster: string = "";
  clusterBytes: ArrayBuffer = new ArrayBuffer(0);
  /** Samples per second per Envoy process, all rules together (token bucket, burst = this); 0 = off. */
  perSecond: i32 = 1;
  /** match_percent × 100, rounded: matching pairs sampled as a baseline, 0..10000. */
  matchThreshold: i32 = 0;
  matchPercent: f64 = 0;
  /** Each body is cut to this many bytes (after decoding). */
  maxBodyBytes: i32 = 16384;
  /** Lower-cased response header names included; no other header is ever sent. */
  headers: string[] = ["content-type"];
  headerBytes: ArrayBuffer[] = [String.UTF8.encode("content-type")];
  /** JSON paths whose values are replaced by "[redacted]", as written and compiled. */
  redact: string[] = [];
  redactPaths: JsonPathSet = JsonPathSet.EMPTY;
}

export class Config {
  enabled: bool = true;
  mismatchLogPerSecond: i32 = 1;
  samples: Samples | null = null;
  rules: Rule[] = [];

  /** Whether any rule matches on the route name (only then is the property read per request). */
  get needsRouteName(): bool {
    for (let i = 0; i < this.rules.length; i++) {
      if (this.rules[i].match.route !== null) return true;
    }
    return false;
  }
}

/** The outcome of parsing: a config, or every problem found (each "<json path>: <message>"). */
export class ConfigResult {
  constructor(
    readonly config: Config | null,
    readonly errors: string[],
  ) {}
}
