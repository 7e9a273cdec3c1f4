/**
 * The kernels the VM rig boots, by alias ("6.1", "6.12"), resolved from what
 * the bootstrap installed: /boot/vmlinuz-<release> plus its headers and modules.
 */

export const KERNEL_ALIASES = ["6.1", "6.12"] as const;
/**
 * Debug builds of the same series (scripts/build-debug-kernel.sh: KASAN,
 * lockdep, kmemleak, reference trackers), cached outside the clone; not
 * part of "all".
 */
export const DEBUG_ALIASES = ["6.1-debug", "6.12-debug"] as const;
/** Debian's own kernels, as installed. */
export type DebianAlias = typeof KERNEL_ALIASES[number];
export type KernelAlias = DebianAlias | typeof DEBUG_ALIASES[number];

/** Where scripts/build-debug-kernel.sh keeps its builds. */
export function debugKernelCache(env = Deno.env.toObject()): string {
  return env.XETH_DEBUG_KERNELS ?? "/var/cache/xeth-debug-kernels";
}

/**
 * How much longer a scenario takes on a debug kernel than on Debian's
 * (KASAN checks every access, lockdep every lock, under TCG): the rig
 * multiplies the time scale by it for those guests.
 */
export const DEBUG_SLOWDOWN = 3;

export function isDebug(alias: KernelAlias): boolean {
  return alias.endsWith("-debug");
}

export interface Kernel {
  alias: KernelAlias;
  /** `uname -r` of the kernel, e.g. 6.1.0-56-amd64 */
  release: string;
  vmlinuz: string;
  modules: string;
}

function compareVersions(a: string, b: string): number {
  const pa = a.split(/[^0-9]+/).filter(Boolean).map(Number);
  const pb = b.split(/[^0-9]+/).filter(Boolean).map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? -1) - (pb[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}

/** The newest installed release of an alias, or undefined. */
export function releaseOf(
  alias: DebianAlias,
  releases: readonly string[],
): string | undefined {
  // "6.1" must match 6.1.0-56-amd64 but not 6.12.95+deb12-amd64.
  const mine = releases.filter((r) =>
    r.startsWith(`${alias}.`) && r.endsWith("-amd64")
  );
  return mine.sort(compareVersions).at(-1);
}

export function installedReleases(boot = "/boot"): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(boot)) {
    if (e.name.startsWith("vmlinuz-")) out.push(e.name.slice(8));
  }
  return out;
}

/** The installed release of an alias, or undefined when it is missing. */
export function installedRelease(
  alias: DebianAlias,
): string | undefined {
  return releaseOf(alias, installedReleases());
}

export function resolveKernel(alias: KernelAlias): Kernel {
  if (isDebug(alias)) return resolveDebugKernel(alias);
  const release = installedRelease(alias as DebianAlias);
  if (!release) {
    throw new Error(
      `kernel ${alias} is not installed (no /boot/vmlinuz-${alias}.*): run ./run build`,
    );
  }
  return {
    alias,
    release,
    vmlinuz: `/boot/vmlinuz-${release}`,
    modules: `/lib/modules/${release}`,
  };
}

/** The newest debug build of a series (scripts/build-debug-kernel.sh). */
export function resolveDebugKernel(
  alias: KernelAlias,
  cache = debugKernelCache(),
): Kernel {
  const series = alias.replace(/-debug$/, "");
  const dir = `${cache}/${series}`;
  let info: { release?: string };
  try {
    info = JSON.parse(Deno.readTextFileSync(`${dir}/kernel.json`));
  } catch {
    throw new Error(
      `no ${alias} kernel in ${dir}: build it with bash scripts/build-debug-kernel.sh ${series} (README: "Debug kernels" says how long the first build takes)`,
    );
  }
  if (!info.release) throw new Error(`${dir}/kernel.json names no release`);
  return {
    alias,
    release: info.release,
    vmlinuz: `${dir}/vmlinuz`,
    modules: `/lib/modules/${info.release}`,
  };
}

/** Parses "6.1", "6.12", "6.1-debug", "6.12-debug", "all" or "debug". */
export function parseKernels(arg: string): KernelAlias[] {
  if (arg === "all") return [...KERNEL_ALIASES];
  if (arg === "debug") return [...DEBUG_ALIASES];
  const known: readonly string[] = [...KERNEL_ALIASES, ...DEBUG_ALIASES];
  const list = arg.split(",");
  for (const a of list) {
    if (!known.includes(a)) {
      throw new Error(
        `unknown kernel "${a}": use ${known.join(", ")}, all or debug`,
      );
    }
  }
  return list as KernelAlias[];
}
