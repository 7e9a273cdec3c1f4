import assert from "node:assert/strict";
import { childSeconds, readCpuSeconds, withCpuTime } from "./cpu_time.ts";

Deno.test("cpu time: parses the children's line of bash's times", () => {
  assert.equal(
    childSeconds("0m0.001s 0m0.002s\n1m2.500s 0m0.250s\n"),
    62.75,
  );
  assert.equal(childSeconds("0m0.001s 0m0.002s\n"), undefined);
  assert.equal(childSeconds("garbage"), undefined);
});

Deno.test("cpu time: counts a grandchild's busy loop and keeps the exit status", async () => {
  const file = await Deno.makeTempFile();
  try {
    // a fixed amount of work in a grandchild (sh under sh), so that the
    // figure does not depend on how busy the machine is
    const cmd = withCpuTime([
      "sh",
      "-c",
      "sh -c 'i=0; while [ $i -lt 300000 ]; do i=$((i + 1)); done'; exit 3",
    ], file);
    const out = await new Deno.Command(cmd[0], { args: cmd.slice(1) })
      .output();
    assert.equal(out.code, 3);
    const secs = await readCpuSeconds(file);
    assert.ok(secs !== undefined, "times were written");
    assert.ok(secs > 0.05, `a busy loop used ${secs}s of processor time`);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("cpu time: no file, no figure", async () => {
  assert.equal(await readCpuSeconds("/nonexistent/xeth-cpu"), undefined);
});
