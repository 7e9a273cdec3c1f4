/**
 * Logging of SWITCHD: LogTape loggers under the category "xeth-switchd",
 * written to stderr as text or JSON lines (one object per record, for log
 * collectors).
 *
 * @module
 */

import {
  configure,
  getJsonLinesFormatter,
  getLogger,
  getTextFormatter,
  isLogLevel,
  type Logger,
  type LogLevel,
  type LogRecord,
  reset,
} from "@logtape/logtape";

export type { Logger, LogLevel };

/** Output formats of --log-format. */
export const LOG_FORMATS = ["text", "json"] as const;
export type LogFormat = typeof LOG_FORMATS[number];

/** Levels of --log-level, quietest last. */
export const LOG_LEVELS: readonly LogLevel[] = [
  "trace",
  "debug",
  "info",
  "warning",
  "error",
  "fatal",
];

export function isLogFormat(s: string): s is LogFormat {
  return (LOG_FORMATS as readonly string[]).includes(s);
}

export { isLogLevel };

/** The logger of one part of SWITCHD ("session", "relay", ...). */
export function logger(part: string): Logger {
  return getLogger(["xeth-switchd", part]);
}

/**
 * Sends records at `level` and above to `write` (stderr by default) in
 * `format`. Call once at start-up; {@link stopLogging} undoes it.
 */
export async function startLogging(
  level: LogLevel,
  format: LogFormat,
  write: (line: string) => void = writeStderr,
): Promise<void> {
  const formatter = format === "json"
    ? getJsonLinesFormatter()
    : getTextFormatter({ timestamp: "date-time-timezone" });
  await configure({
    reset: true,
    sinks: {
      out: (record: LogRecord) => write(formatter(record)),
    },
    loggers: [
      { category: ["xeth-switchd"], lowestLevel: level, sinks: ["out"] },
      // LogTape's own warnings (a bad configuration) must be seen.
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["out"] },
    ],
  });
}

export async function stopLogging(): Promise<void> {
  await reset();
}

const encoder = new TextEncoder();

function writeStderr(line: string): void {
  // Synchronous, so that a record logged just before exit is not lost.
  Deno.stderr.writeSync(
    encoder.encode(line.endsWith("\n") ? line : line + "\n"),
  );
}

/**
 * Lets `limit` events through per `windowMs` and counts the rest, so that
 * a flood of bad input costs a few log lines, not one per message.
 */
export class RateLimit {
  #windowStart = 0;
  #passed = 0;
  #suppressed = 0;

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    readonly now: () => number = Date.now,
  ) {}

  /**
   * True when this event may be logged. `suppressed` then says how many
   * were held back since the last one that passed (to log with it).
   */
  take(): { ok: boolean; suppressed: number } {
    const t = this.now();
    if (t - this.#windowStart >= this.windowMs) {
      this.#windowStart = t;
      this.#passed = 0;
    }
    if (this.#passed < this.limit) {
      this.#passed++;
      const suppressed = this.#suppressed;
      this.#suppressed = 0;
      return { ok: true, suppressed };
    }
    this.#suppressed++;
    return { ok: false, suppressed: this.#suppressed };
  }
}
