import { deepEqual } from "node:assert/strict";
import {
  capped,
  cargoTestFailures,
  checkpatchFindings,
  denoTestFailures,
  failLines,
  MAX_FAILURE_LINES,
} from "./failures.ts";

Deno.test("denoTestFailures: each failed test and uncaught error, with its error line", async () => {
  // deno's own report of a failing, a leaking and a cancelled test
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(
    `${dir}/a_test.ts`,
    [
      'Deno.test("good", () => {});',
      'Deno.test("bad", () => { throw new Error("boom"); });',
      'Deno.test("leaky", () => { setTimeout(() => { throw new Error("late"); }, 10); });',
      'Deno.test("after", async () => { await new Promise((r) => setTimeout(r, 50)); });',
    ].join("\n"),
  );
  const run = await new Deno.Command(Deno.execPath(), {
    args: ["test", "--no-check", "a_test.ts"],
    cwd: dir,
    env: { NO_COLOR: "1" },
  }).output();
  await Deno.remove(dir, { recursive: true });
  const out = new TextDecoder().decode(run.stdout);
  deepEqual(denoTestFailures(out), [
    "bad => ./a_test.ts:2:6: error: Error: boom",
    "./a_test.ts (uncaught error): error: Error: late",
  ]);
  deepEqual(denoTestFailures("ok | 3 passed | 0 failed (2ms)\n"), []);
});

Deno.test("cargoTestFailures and failLines: the lines that name a failure", () => {
  deepEqual(
    cargoTestFailures(
      "test a::b ... ok\ntest a::c ... FAILED\nfailures:\n    a::c\n",
    ),
    ["test a::c ... FAILED"],
  );
  deepEqual(
    failLines(
      "PASS 6.1 mux: 3 passed\nFAIL 6.12 mux: 1 failed\nok 1 - x\nnot ok 2 - y\n",
    ),
    ["FAIL 6.12 mux: 1 failed", "not ok 2 - y"],
  );
});

Deno.test("checkpatchFindings: the real checkpatch's findings, none on clean code", async () => {
  // bootstrap (./run build) fetches it from Debian's kernel source
  const checkpatch =
    new URL("../.tools/checkpatch/checkpatch.pl", import.meta.url)
      .pathname;
  const dir = await Deno.makeTempDir();
  const check = async (c: string) => {
    await Deno.writeTextFile(`${dir}/a.c`, c);
    const run = await new Deno.Command("perl", {
      args: [checkpatch, "--strict", "--no-tree", "--terse", "-f", "a.c"],
      cwd: dir,
    }).output();
    return checkpatchFindings(new TextDecoder().decode(run.stdout));
  };
  try {
    deepEqual(await check("int f(void){return 0;}\n"), [
      "a.c:1: WARNING: Missing or malformed SPDX-License-Identifier tag in line 1",
      "a.c:1: ERROR: space required after that ';' (ctx:VxV)",
    ]);
    deepEqual(
      await check(
        "// SPDX-License-Identifier: GPL-2.0\nint f(void)\n{\n\treturn 0;\n}\n",
      ),
      [],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("capped: a long list is cut, and says by how much", () => {
  const many = Array.from({ length: MAX_FAILURE_LINES + 3 }, (_, i) => `${i}`);
  const c = capped(many);
  deepEqual(c.length, MAX_FAILURE_LINES + 1);
  deepEqual(c.at(-1), "(3 more in the step's log)");
  deepEqual(capped(["a"]), ["a"]);
});
