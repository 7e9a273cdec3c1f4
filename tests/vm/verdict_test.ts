import assert from "node:assert/strict";
import {
  crashedBeforeScenario,
  failedChecks,
  findSplats,
  type GuestResult,
  judge,
  parseCounts,
} from "./verdict.ts";
import { pruneRuns, RUN_OWNER } from "./rig.ts";

const base: GuestResult = {
  timedOut: false,
  timeoutSeconds: 60,
  rc: 0,
  output: "ok 1 - a\nok 2 - b\n1..2\n2 passed, 0 failed\n",
  dmesg: "[    1.0] xeth: loaded\n",
  console: "",
};

Deno.test("parseCounts: TAP lines, and a summary line wins", () => {
  assert.deepEqual(parseCounts("ok 1 - a\nnot ok 2 - b\nok 3\n"), {
    passed: 2,
    failed: 1,
  });
  assert.deepEqual(parseCounts("ok 1 - a\nvm: 7 passed, 3 failed\n"), {
    passed: 7,
    failed: 3,
  });
  assert.deepEqual(parseCounts("nothing here\n"), { passed: 0, failed: 0 });
});

Deno.test("findSplats: oops, WARN, lockdep and hung tasks are found", () => {
  for (
    const line of [
      "[ 3.2] BUG: kernel NULL pointer dereference, address: 0",
      "[ 3.2] WARNING: CPU: 0 PID: 1 at net/core/dev.c:1 foo+0x1/0x2",
      "[ 3.2] WARNING: possible circular locking dependency detected",
      "[ 3.2] INFO: task ip:99 blocked for more than 120 seconds.",
      "[ 3.2] unregister_netdevice: waiting for xm0 to become free. Usage count = 2",
      "[ 3.2] Oops: 0000 [#1] PREEMPT SMP NOPTI",
    ]
  ) {
    assert.notEqual(
      findSplats(`[ 1.0] fine\n${line}\n[ 4.0] after`).length,
      0,
      line,
    );
  }
  assert.equal(
    findSplats("[ 1.0] xeth: module verification failed: tainting kernel\n")
      .length,
    0,
  );
});

Deno.test("judge: each way to fail", () => {
  assert.equal(judge(base).outcome, "pass");
  assert.equal(judge({ ...base, dmesg: "Oops: 0000 [#1]\n" }).outcome, "splat");
  assert.equal(
    judge({ ...base, timedOut: true, rc: undefined }).outcome,
    "timeout",
  );
  assert.equal(judge({ ...base, rc: undefined }).outcome, "no-result");
  assert.equal(judge({ ...base, rc: 1 }).outcome, "fail");
  assert.equal(judge({ ...base, output: "ok 1\nnot ok 2\n" }).outcome, "fail");
  assert.equal(judge({ ...base, output: "" }).outcome, "fail");
  // a panic leaves no dmesg file: the console is searched too
  assert.equal(
    judge({
      ...base,
      rc: undefined,
      dmesg: "",
      console: "Kernel panic - not syncing",
    }).outcome,
    "splat",
  );
});

Deno.test("failedChecks: each failed check after its case, with its diagnostics", () => {
  const output = [
    "# case: up",
    "# lab: building",
    "ok 1 - lab up",
    "# case: reach",
    "ok 2 - h1 reaches h2",
    "not ok 3 - h1 reaches h3",
    "# ping: 100% loss",
    "# rc=1",
    "ok 4 - h2 reaches h3",
    "# routed: 80 of 96",
    "not ok 5 - the spines routed it",
    "# case: down",
    "not ok 6 - nothing left",
    "1..6",
  ].join("\n");
  assert.deepEqual(failedChecks(output), [
    "# case: reach",
    "not ok 3 - h1 reaches h3",
    "# ping: 100% loss",
    "# rc=1",
    "not ok 5 - the spines routed it",
    "# case: down",
    "not ok 6 - nothing left",
  ]);
  assert.deepEqual(failedChecks(output, 1).slice(0, 3), [
    "# case: reach",
    "not ok 3 - h1 reaches h3",
    "# ping: 100% loss",
  ]);
  assert.deepEqual(judge({ ...base, output }).failures, failedChecks(output));
  assert.equal(judge(base).failures, undefined);
});

Deno.test("judge: a splat in the peer guest's kernel fails the scenario", () => {
  const v = judge({
    ...base,
    peerDmesg: "[ 2.0] BUG: unable to handle page\n",
  });
  assert.equal(v.outcome, "splat");
  assert.ok(
    v.excerpt.some((l) => l.startsWith("peer: ") && l.includes("BUG:")),
  );
  assert.equal(
    judge({ ...base, peerDmesg: "[ 1.0] virtio_net\n" }).outcome,
    "pass",
  );
});

Deno.test("crashedBeforeScenario: only a splat before the scenario started", () => {
  const oops = "[ 1.5] Oops: int3: 0000 [#1] PREEMPT SMP NOPTI\n";
  const start = "xrig: running /x.sh on 6.12\n";
  const at = (console: string) =>
    crashedBeforeScenario({ ...base, console, dmesg: console });
  assert.equal(at(oops), true, "never started");
  assert.equal(at(oops + start), true, "crashed, then started anyway");
  assert.equal(at(start + oops), false, "the scenario's own splat");
  assert.equal(at(start + "ok 1 - fine\n"), false);
});

Deno.test("pruneRuns: keeps the newest runs' logs", async () => {
  const dir = await Deno.makeTempDir();
  for (const n of ["2026-01-01", "2026-01-03", "2026-01-02", "2026-01-04"]) {
    await Deno.mkdir(`${dir}/${n}/6.1-x`, { recursive: true });
  }
  pruneRuns(dir, 2);
  const left = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  assert.deepEqual(left, ["2026-01-03", "2026-01-04"]);
  pruneRuns(`${dir}/missing`, 2); // no runs yet: nothing to do
  // a run whose rig still runs stays, however old; a dead rig's goes
  await Deno.writeTextFile(`${dir}/2026-01-03/${RUN_OWNER}`, `${Deno.pid}`);
  await Deno.mkdir(`${dir}/2026-01-05`);
  await Deno.mkdir(`${dir}/2026-01-06`);
  pruneRuns(dir, 2);
  assert.deepEqual(
    [...Deno.readDirSync(dir)].map((e) => e.name).sort(),
    ["2026-01-03", "2026-01-05", "2026-01-06"],
  );
  await Deno.writeTextFile(`${dir}/2026-01-03/${RUN_OWNER}`, "999999999");
  pruneRuns(dir, 2);
  assert.deepEqual(
    [...Deno.readDirSync(dir)].map((e) => e.name).sort(),
    ["2026-01-05", "2026-01-06"],
  );
  await Deno.remove(dir, { recursive: true });
});
