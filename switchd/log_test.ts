// SWITCHD's logging through LogTape for real: records at and above the
// level reach the writer in the chosen format, LogTape's own warnings too,
// and the rate limit lets through what it says.

import { deepEqual, equal, match, ok } from "node:assert/strict";
import {
  isLogFormat,
  isLogLevel,
  LOG_LEVELS,
  logger,
  RateLimit,
  startLogging,
  stopLogging,
} from "./log.ts";

async function logged(
  level: Parameters<typeof startLogging>[0],
  format: Parameters<typeof startLogging>[1],
  fn: () => void,
): Promise<string[]> {
  const lines: string[] = [];
  await startLogging(level, format, (l) => lines.push(l));
  try {
    fn();
  } finally {
    await stopLogging();
  }
  return lines;
}

Deno.test("log: json lines, one object per record at or above the level", async () => {
  const lines = await logged("info", "json", () => {
    const log = logger("session");
    log.debug("not shown");
    log.info("connected to {mux}", { mux: "xm0" });
    log.error("gone");
  });
  equal(lines.length, 2, lines.join(""));
  const [first, second] = lines.map((l) => JSON.parse(l));
  equal(first.level, "INFO");
  equal(first.logger, "xeth-switchd.session");
  equal(first.message, 'connected to "xm0"');
  deepEqual(first.properties, { mux: "xm0" });
  equal(second.level, "ERROR");
  equal(second.message, "gone");
});

Deno.test("log: text lines carry the level, the category and the message", async () => {
  const lines = await logged("warning", "text", () => {
    logger("relay").info("not shown");
    logger("relay").warn("slow switch");
  });
  equal(lines.length, 1, lines.join(""));
  match(lines[0], /\[WRN\] xeth-switchd·relay: slow switch$/m);
});

Deno.test("log: nothing is written once logging stops", async () => {
  const lines: string[] = [];
  await startLogging("trace", "json", (l) => lines.push(l));
  logger("x").trace("one");
  await stopLogging();
  logger("x").fatal("after");
  equal(lines.length, 1);
});

Deno.test("log: format and level names", () => {
  ok(isLogFormat("text") && isLogFormat("json"));
  ok(!isLogFormat("xml"));
  ok(LOG_LEVELS.every(isLogLevel));
  ok(!isLogLevel("verbose"));
  // Quietest last, as --help lists them.
  equal(LOG_LEVELS.at(0), "trace");
  equal(LOG_LEVELS.at(-1), "fatal");
});

Deno.test("log: the rate limit passes `limit` per window and counts the rest", () => {
  let t = 1000;
  const r = new RateLimit(2, 100, () => t);
  deepEqual(r.take(), { ok: true, suppressed: 0 });
  deepEqual(r.take(), { ok: true, suppressed: 0 });
  deepEqual(r.take(), { ok: false, suppressed: 1 });
  deepEqual(r.take(), { ok: false, suppressed: 2 });
  t += 99;
  deepEqual(r.take(), { ok: false, suppressed: 3 }, "same window");
  t += 1;
  // A new window: the first to pass carries the count held back.
  deepEqual(r.take(), { ok: true, suppressed: 3 });
  deepEqual(r.take(), { ok: true, suppressed: 0 });
  deepEqual(r.take(), { ok: false, suppressed: 1 });
});
