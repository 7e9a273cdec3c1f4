/**
 * The suite's sample of the debug kernels (`deno task test --full`): a
 * short rtnl_fuzz run on the newest debug kernel in the cache. A debug guest
 * boots in minutes and runs about ten times slower than one on Debian's
 * kernel, so every scenario on both is a run of its own
 * (`--debug-kernels`); and a first build takes most of an hour, longer
 * than the suite's budget, so without a cached kernel there is no sample
 * and the suite says so.
 */
import {
  DEBUG_ALIASES,
  type KernelAlias,
  resolveDebugKernel,
} from "./vm/kernels.ts";

/** Operations of the sampled fuzz run. */
export const DEBUG_SAMPLE_OPS = 250;

/** What the quick run says about the sample. */
export const DEBUG_SAMPLE_IN_FULL =
  "the debug-kernel sample (rtnl_fuzz on a cached debug kernel) runs with --full: its guest does not fit the quick run's budget";

/** The newest debug kernel with a finished build in CACHE, if any. */
export function debugSampleKernel(cache: string): KernelAlias | undefined {
  return DEBUG_ALIASES.filter((alias) => {
    try {
      resolveDebugKernel(alias, cache);
      return true;
    } catch {
      return false;
    }
  }).at(-1);
}

/** Why the suite has no debug sample: what the user reads instead. */
export function noDebugSample(cache: string): string {
  return `no debug kernel in ${cache}: the sampled debug run is skipped (build one once with bash scripts/build-debug-kernel.sh 6.12, about an hour; README, "Debug kernels")`;
}
