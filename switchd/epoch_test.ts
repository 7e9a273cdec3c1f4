import assert from "node:assert/strict";
import { driftForTest, epochMs } from "./epoch.ts";

Deno.test("epochMs: another process's moments fall between this one's", async () => {
  const before = epochMs();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "console.log(performance.timeOrigin + performance.now())"],
    env: { NO_COLOR: "1" },
  }).output();
  const after = epochMs();
  const there = Number(new TextDecoder().decode(out.stdout));
  // a few ms of slack: the other process reads the wall clock once, at
  // its start, with its own rounding
  assert.ok(
    there >= before - 5 && there <= after + 5,
    `${before} <= ${there} <= ${after}`,
  );
});

Deno.test("epochMs: within the millisecond Date.now says, finer than it", () => {
  for (let i = 0; i < 1000; i++) {
    const lo = Date.now();
    const t = epochMs();
    const hi = Date.now();
    assert.ok(t >= lo && t < hi + 1, `${lo} <= ${t} < ${hi} + 1`);
  }
  const fractions = Array.from({ length: 20 }, () => epochMs() % 1);
  assert.ok(fractions.some((f) => f !== 0), "sub-millisecond resolution");
});

Deno.test("epochMs: follows the wall clock when the monotonic one drifts from it", () => {
  // as after hours of an NTP slew, either way
  for (const drift of [250, -250]) {
    driftForTest(drift);
    const lo = Date.now();
    const t = epochMs();
    const hi = Date.now();
    assert.ok(t >= lo && t < hi + 1, `after ${drift} ms: ${lo} <= ${t}`);
    // and the moments after it go on from there
    const next = epochMs();
    assert.ok(next >= t, `${next} >= ${t}`);
  }
});
