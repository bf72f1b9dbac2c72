// Envoy's own warnings and errors, for the demo to show (it runs Envoy with `--log-level warn`
// and the filter's `wasm` logger at info). Lines under warning level are not shown; the warnings
// every demo Envoy prints come with why they are expected, so nobody has to wonder.

/** One Envoy log line: `[time][thread][level][logger] [source:line] message`. */
const LOG_LINE = /^\[[^\]]*\]\[\d+\]\[(\w+)\]\[([\w.-]+)\] (?:\[[^\]]*\] )?(.*)$/;

const SHOWN_LEVELS = new Set(["warning", "error", "critical"]);

/** Warnings of Envoy 1.40 that the demo's configuration causes on purpose, and why. */
const EXPECTED_WARNINGS: Array<{ pattern: RegExp; why: string }> = [
  {
    pattern: /Deprecated field: .*PluginConfig\.fail_open/,
    why: "the filter is loaded with fail_open: true on purpose; failure_policy: FAIL_OPEN, its replacement, answers 503 to the requests of a crashed VM in Envoy 1.40 (docs/operating.md)",
  },
  {
    pattern: /no configured limit to the number of allowed active downstream connections/,
    why: "the demo Envoy listens on 127.0.0.1 only; set a connection limit in production",
  },
  {
    pattern: /caught ENVOY_SIGTERM|caught SIGTERM/,
    why: "the demo stopping its Envoy",
  },
];

/** The line as the demo shows it (`envoy warning: ...`, with why when expected), or null to hide it. */
export function envoyLogLineForPeople(line: string): string | null {
  const parsed = LOG_LINE.exec(line.trimEnd());
  if (parsed === null) return null; // continuation lines of multi-line messages, banners
  const [, level, logger, message] = parsed as unknown as [string, string, string, string];
  if (!SHOWN_LEVELS.has(level)) return null;
  const expected = EXPECTED_WARNINGS.find((w) => w.pattern.test(message));
  const text = `envoy ${level} [${logger}]: ${message}`;
  return expected === undefined ? text : `${text}\n  (expected: ${expected.why})`;
}
