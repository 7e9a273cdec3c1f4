/**
 * The debug kernels catch what they are built for, and the rig fails the
 * run and shows the report: a module that reads freed memory (KASAN) and
 * one that loses a buffer (kmemleak, scanned by guest/runner.sh after the
 * scenario). Boots real guests on the debug kernels
 * (scripts/build-debug-kernel.sh); `./run test --debug-kernels` runs it.
 * XETH_DEBUG_TEST_KERNELS: the kernels (default "debug": both).
 */
import assert from "node:assert/strict";
import { ROOT } from "./rig.ts";
import { parseKernels } from "./kernels.ts";

const kernels = Deno.env.get("XETH_DEBUG_TEST_KERNELS") ?? "debug";
const fixture = (name: string) => `${ROOT}/tests/vm/fixtures/${name}.sh`;

Deno.test("debug kernels: a use after free and a leak each fail their run, with the report", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      `${ROOT}/tests/vm/rig.ts`,
      "--no-build",
      "--kernel",
      kernels,
      fixture("uaf"),
      fixture("leak"),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) +
    new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 1, text);
  for (const k of parseKernels(kernels)) {
    // every check of both passed: the kernel's report alone fails them
    assert.match(text, new RegExp(`FAIL ${k} uaf: 1 passed, 0 failed`), text);
    assert.match(text, new RegExp(`FAIL ${k} leak: 2 passed, 0 failed`), text);
  }
  assert.match(text, /\| .*KASAN: .*use-after-free.*xeth_sanitize_init/, text);
  assert.match(
    text,
    /\| kmemleak: unreferenced object 0x[0-9a-f]+ \(size 512\)/,
    text,
  );
});
