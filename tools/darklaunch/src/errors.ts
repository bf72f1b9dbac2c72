// Failures the CLI reports as one clear line and an exit code, not as a stack trace.

/** Exit codes shared by every command. */
export const EXIT = {
  /** verdict: every rule PASS; validate: valid; set/render: done. */
  ok: 0,
  /** verdict: some rule FAIL; validate/set/render: the filter refuses the configuration. */
  failed: 1,
  /** verdict: NOT ENOUGH DATA or no rules; any command: usage error, unreadable input, Envoy admin unreachable. */
  other: 2,
} as const;

/** An error with its message meant for people, and the exit code it ends the command with. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.other,
  ) {
    super(message);
    this.name = "CliError";
  }
}

/** Wrong arguments: the message is followed by a pointer to `--help`. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT.other);
    this.name = "UsageError";
  }
}
