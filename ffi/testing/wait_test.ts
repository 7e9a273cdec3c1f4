// waitFor resolves once the condition holds, and otherwise times out with
// what it waited for.

import { equal, rejects } from "node:assert/strict";
import { waitFor } from "./wait.ts";

Deno.test("waitFor: resolves when the condition becomes true", async () => {
  let n = 0;
  await waitFor("three looks", () => ++n >= 3);
  equal(n, 3);
});

Deno.test("waitFor: throws naming what it waited for after the bound", async () => {
  const start = Date.now();
  await rejects(
    waitFor("the impossible", () => false, 50),
    /timed out waiting for the impossible/,
  );
  // It waited at least its bound (a lower limit only: the machine may be
  // busy).
  equal(Date.now() - start >= 50, true);
});

Deno.test("waitFor: a condition that answers later is awaited", async () => {
  let n = 0;
  await waitFor("two answers", () => Promise.resolve(++n >= 2));
  equal(n, 2);
});
