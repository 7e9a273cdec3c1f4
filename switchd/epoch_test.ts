import assert from "node:assert/strict";
import { epochMs } from "./epoch.ts";

Deno.test("epochMs: another process's moments fall between this one's", async () => {
  const before = epochMs();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "console.log(performance.timeOrigin + performance.now())"],
    env: { NO_COLOR: "1" },
  }).output();
  const after = epochMs();
  const there = Number(new TextDecoder().decode(out.stdout));
  // a few ms of slack: each process reads the wall clock once, at start
  assert.ok(
    there >= before - 5 && there <= after + 5,
    `${before} <= ${there} <= ${after}`,
  );
});

Deno.test("epochMs: agrees with Date.now, finer than a millisecond", () => {
  const t = epochMs();
  assert.ok(Math.abs(t - Date.now()) < 5, `${t} vs ${Date.now()}`);
  const fractions = Array.from({ length: 20 }, () => epochMs() % 1);
  assert.ok(fractions.some((f) => f !== 0), "sub-millisecond resolution");
});
