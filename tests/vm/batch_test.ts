import assert from "node:assert/strict";
import { extendedMs, markerName, pendingOf, timeoutOf } from "./batch.ts";
import { loadSettings } from "./settings.ts";
import { SCENARIO_START } from "./verdict.ts";

Deno.test("markerName: the scenario in the runner's console lines", () => {
  assert.equal(
    markerName("xrig: running sb_stress on 6.1.0-57-amd64", SCENARIO_START),
    "sb_stress",
  );
  assert.equal(markerName("[6.1] xrig: done mux", "xrig: done "), "mux");
  assert.equal(markerName("ok 1 - xrig", SCENARIO_START), undefined);
});

Deno.test("pendingOf: the running case and the last lines", () => {
  const out = [
    "# case: fuzz",
    "ok 1 - a",
    "# case: churn",
    ...Array.from({ length: 10 }, (_, i) => `ok ${i + 2} - b`),
    "",
  ].join("\n");
  const p = pendingOf(out);
  assert.deepEqual(p.slice(0, 2), ["# case: churn", "..."]);
  assert.equal(p.at(-1), "ok 11 - b");
  assert.equal(p.length, 10);
  assert.deepEqual(pendingOf("# case: x\nok 1 - y\n"), [
    "# case: x",
    "ok 1 - y",
  ]);
});

Deno.test("timeoutOf: a debug kernel's timeout on debug kernels only", () => {
  // settings.json's own: lab_fabric has one of its own for debug kernels
  const s = loadSettings();
  assert.equal(timeoutOf(s, "6.12", "lab_fabric"), 900);
  assert.equal(timeoutOf(s, "6.12-debug", "lab_fabric"), 1800);
  assert.equal(timeoutOf(s, "6.1-debug", "mux"), timeoutOf(s, "6.1", "mux"));
});

Deno.test("extendedMs: more time only when the machine slowed and the new bound is ahead", () => {
  // 20 s at scale 1 ran out after 20 s; the machine now measures 2.5
  assert.equal(extendedMs(20, 1, 2.5, 20), 30_000);
  // no slower, or faster: the timeout stands
  assert.equal(extendedMs(20, 1.5, 1.5, 30), undefined);
  assert.equal(extendedMs(20, 2, 1, 40), undefined);
  // slower, but the scenario is past the new bound too
  assert.equal(extendedMs(20, 1, 1.2, 25), undefined);
  assert.equal(extendedMs(20, 1, 1.25, 25), undefined);
});
