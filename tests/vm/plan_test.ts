import assert from "node:assert/strict";
import {
  declaredCases,
  parseScenarioArg,
  planBatches,
  type Scenario,
} from "./plan.ts";
import type { Settings } from "./settings.ts";

const settings: Settings = {
  timeoutSeconds: 100,
  bootSeconds: 120,
  batchSeconds: 300,
  scenarios: {
    big: { timeoutSeconds: 600 },
    smp: { cpus: 2 },
    smp2: { cpus: 2, timeoutSeconds: 150 },
    alone: { boot: "own" },
    daemon: { quickKernels: ["6.12"] },
  },
};
const sc = (name: string): Scenario => ({ name, path: `/s/${name}.sh` });
const names = (bs: ReturnType<typeof planBatches>) =>
  bs.map((b) => `${b.kernel}:${b.scenarios.map((s) => s.name).join("+")}`);

Deno.test("planBatches: equal machines share a guest up to batchSeconds, longest first", () => {
  const plan = planBatches(
    ["6.1", "6.12"],
    ["a", "b", "c", "d", "big", "smp", "smp2", "alone"].map(sc),
    settings,
  );
  assert.deepEqual(names(plan), [
    "6.1:big",
    "6.12:big",
    "6.1:a+b+c",
    "6.12:a+b+c",
    "6.1:smp+smp2",
    "6.12:smp+smp2",
    "6.1:alone",
    "6.1:d",
    "6.12:alone",
    "6.12:d",
  ]);
});

Deno.test("planBatches: a scenario with its own boot is never batched", () => {
  const plan = planBatches(["6.12"], [sc("alone"), sc("a")], settings);
  assert.deepEqual(names(plan), ["6.12:alone", "6.12:a"]);
});

Deno.test("planBatches: quickKernels narrow a run on several kernels, not a run on one", () => {
  let plan = planBatches(["6.1", "6.12"], [sc("daemon"), sc("a")], settings);
  assert.deepEqual(names(plan), ["6.12:daemon+a", "6.1:a"]);
  plan = planBatches(["6.1"], [sc("daemon")], settings);
  assert.deepEqual(names(plan), ["6.1:daemon"]);
});

Deno.test("parseScenarioArg: NAME and NAME:case,case", () => {
  assert.deepEqual(parseScenarioArg("sb_stress"), { name: "sb_stress" });
  assert.deepEqual(parseScenarioArg("sb_stress:fuzz,churn"), {
    name: "sb_stress",
    cases: ["fuzz", "churn"],
  });
  assert.deepEqual(parseScenarioArg("x.sh:"), {
    name: "x.sh",
    cases: undefined,
  });
  assert.deepEqual(parseScenarioArg("/p/x.sh:a"), {
    name: "/p/x.sh",
    cases: ["a"],
  });
});

Deno.test("declaredCases: the ALL_CASES line of a script", () => {
  assert.deepEqual(
    declaredCases('#!/bin/bash\n. lib.sh\nALL_CASES="one two  three"\n'),
    ["one", "two", "three"],
  );
  assert.equal(declaredCases("#!/bin/bash\nok x\n"), undefined);
});
