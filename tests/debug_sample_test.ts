import { equal, match } from "node:assert/strict";
import { debugSampleKernel, noDebugSample } from "./debug_sample.ts";

async function cacheWith(series: string[]): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "xeth-debug-cache-" });
  for (const s of series) {
    await Deno.mkdir(`${dir}/${s}`);
    await Deno.writeTextFile(
      `${dir}/${s}/kernel.json`,
      JSON.stringify({ series: s, release: `${s}.1-xeth-debug` }),
    );
  }
  return dir;
}

Deno.test("the sample runs on the newest cached debug kernel", async () => {
  const both = await cacheWith(["6.1", "6.12"]);
  equal(debugSampleKernel(both), "6.12-debug");
  const old = await cacheWith(["6.1"]);
  equal(debugSampleKernel(old), "6.1-debug");
  await Deno.remove(both, { recursive: true });
  await Deno.remove(old, { recursive: true });
});

Deno.test("a build that has not finished is no kernel to sample", async () => {
  const dir = await cacheWith([]);
  // build-debug-kernel.sh writes kernel.json last: a tree alone is a
  // build in progress or interrupted
  await Deno.mkdir(`${dir}/6.12/tree`, { recursive: true });
  equal(debugSampleKernel(dir), undefined);
  equal(debugSampleKernel(`${dir}/missing`), undefined);
  match(noDebugSample(dir), /build-debug-kernel\.sh 6\.12/);
  await Deno.remove(dir, { recursive: true });
});
