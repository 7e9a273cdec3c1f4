/**
 * The kernels the VM rig boots, by alias ("6.1", "6.12"), resolved from what
 * the bootstrap installed: /boot/vmlinuz-<release> plus its headers and modules.
 */

export const KERNEL_ALIASES = ["6.1", "6.12"] as const;
export type KernelAlias = typeof KERNEL_ALIASES[number];

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
  alias: KernelAlias,
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
export function installedRelease(alias: KernelAlias): string | undefined {
  return releaseOf(alias, installedReleases());
}

export function resolveKernel(alias: KernelAlias): Kernel {
  const release = installedRelease(alias);
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

/** Parses "6.1", "6.12" or "all". */
export function parseKernels(arg: string): KernelAlias[] {
  if (arg === "all") return [...KERNEL_ALIASES];
  const list = arg.split(",");
  for (const a of list) {
    if (!(KERNEL_ALIASES as readonly string[]).includes(a)) {
      throw new Error(
        `unknown kernel "${a}": use ${KERNEL_ALIASES.join(", ")} or all`,
      );
    }
  }
  return list as KernelAlias[];
}
