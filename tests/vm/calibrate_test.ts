import assert from "node:assert/strict";
import { measureMs, scaleOf, timeScale } from "./calibrate.ts";

Deno.test("scaleOf: never below 1, rounded to a tenth", () => {
  assert.equal(scaleOf(350, 700), 1);
  assert.equal(scaleOf(700, 700), 1);
  assert.equal(scaleOf(1260, 700), 1.8);
  assert.equal(scaleOf(0, 700), 1);
  assert.equal(scaleOf(Number.NaN, 700), 1);
});

Deno.test("measureMs: parallel workers report how long they spun", async () => {
  const ms = await measureMs(2, 1_000_000);
  assert.ok(ms > 0 && ms < 60_000, String(ms));
});

Deno.test("timeScale: XETH_TIME_SCALE wins, and must be a number >= 1", async () => {
  const old = Deno.env.get("XETH_TIME_SCALE");
  try {
    Deno.env.set("XETH_TIME_SCALE", "2.5");
    assert.deepEqual(await timeScale(2), { scale: 2.5 });
    Deno.env.set("XETH_TIME_SCALE", "0.5");
    await assert.rejects(() => timeScale(2), /a number of at least 1/);
  } finally {
    if (old === undefined) Deno.env.delete("XETH_TIME_SCALE");
    else Deno.env.set("XETH_TIME_SCALE", old);
  }
});
