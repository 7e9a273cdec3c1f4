/**
 * Boots one guest under QEMU (TCG) that runs a batch of scenarios
 * (guest/runner.sh) and returns what it printed on its console.
 */
import { eachLine } from "../lines.ts";
import { reapWithUs } from "./child_reaper.ts";
import type { Kernel } from "./kernels.ts";

export interface BootOptions {
  kernel: Kernel;
  initramfs: string;
  /** project root, as the guest sees it through the host share */
  root: string;
  /** absolute path of the batch file (guest/runner.sh reads it) */
  batch: string;
  /** an empty directory for this boot's results */
  outDir: string;
  /** kills the guest when aborted */
  signal?: AbortSignal;
  memoryMiB?: number;
  cpus?: number;
  /**
   * How TCG runs the vCPUs: "single" (one host thread takes turns) or
   * "multi" (a host thread per vCPU). Default "single": with "multi",
   * x86 guests with more than one vCPU take int3 oopses in kernel text
   * patching (static keys flipped while the other vCPU runs the patched
   * code), and such an oops in an interrupt panics the guest.
   */
  tcgThreads?: "single" | "multi";
  /** extra QEMU arguments (devices) and kernel command line words */
  qemuArgs?: string[];
  cmdline?: string[];
  /** compiled ACPI tables (.aml) the guest's firmware adds (SSDTs) */
  acpiTables?: string[];
  /** called with each line the guest prints on its console */
  onLine?: (line: string) => void;
  /** called once QEMU runs, with its process id */
  onSpawn?: (pid: number) => void;
}

/**
 * Processor seconds (user and system) a live process has used so far,
 * from /proc/PID/stat; undefined once it is gone. A guest's cost on a
 * shared machine, which its wall-clock time cannot tell.
 */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    return statCpuSeconds(Deno.readTextFileSync(`/proc/${pid}/stat`));
  } catch {
    return undefined;
  }
}

/** utime + stime of a /proc/PID/stat line, in seconds. */
export function statCpuSeconds(stat: string): number | undefined {
  // The command's name may hold spaces and ")": it ends at the last ")".
  // utime and stime are fields 14 and 15, in ticks of USER_HZ, which is
  // 100 on every Linux ABI.
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(rest[11]) + Number(rest[12]);
  return Number.isFinite(ticks) ? ticks / 100 : undefined;
}

/**
 * The guests' CPU model. TCG emulates the vector extensions of "max"
 * (AVX, AVX2) more slowly than the plain SSE2 code that glibc, V8 and gcc
 * pick on a baseline CPU: measured 2026-12-04 on 6.12, one guest at a time,
 * qemu64 ran switch_l2 in 76 s against 100 s with "max", punt_mux in 39
 * against 47 s, vfio_edu in 34 against 49 s ("Nehalem", with SSE4, was no
 * faster than "max"). Nothing here needs more than x86-64's baseline.
 */
export const GUEST_CPU = "qemu64";

export function qemuCommand(o: BootOptions): string[] {
  const cmdline = [
    "console=ttyS0",
    "panic=-1",
    "quiet",
    "printk.time=1",
    `xrig_root=${o.root}`,
    `xrig_out=${o.outDir}`,
    `xrig_run=${o.batch}`,
    ...(o.cmdline ?? []),
  ];
  return [
    "qemu-system-x86_64",
    // KVM aborts or hangs on these machines (README, "The VM rig"); TCG works.
    "-accel",
    `tcg,thread=${o.tcgThreads ?? "single"}`,
    "-cpu",
    GUEST_CPU,
    "-m",
    String(o.memoryMiB ?? 1024),
    "-smp",
    String(o.cpus ?? 1),
    "-nodefaults",
    "-no-reboot",
    "-display",
    "none",
    "-serial",
    "stdio",
    "-kernel",
    o.kernel.vmlinuz,
    "-initrd",
    o.initramfs,
    "-append",
    cmdline.join(" "),
    "-virtfs",
    "local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap",
    "-virtfs",
    `local,path=${o.outDir},mount_tag=out,security_model=none`,
    ...(o.acpiTables ?? []).flatMap((t) => ["-acpitable", `file=${t}`]),
    ...(o.qemuArgs ?? []),
  ];
}

/** Runs the guest to its end (or until aborted); returns its console. */
export async function boot(o: BootOptions): Promise<string> {
  const [cmd, ...args] = qemuCommand(o);
  const child = new Deno.Command(cmd, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reaped = reapWithUs(child);
  o.onSpawn?.(child.pid);
  const kill = () => {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  };
  if (o.signal?.aborted) kill();
  o.signal?.addEventListener("abort", kill);

  const consoleChunks: string[] = [];
  const pump = (stream: ReadableStream<Uint8Array>) =>
    eachLine(stream, (l) => o.onLine?.(l), (t) => consoleChunks.push(t));
  try {
    await Promise.all([pump(child.stdout), pump(child.stderr), child.status]);
  } finally {
    reaped();
  }
  o.signal?.removeEventListener("abort", kill);
  const console = consoleChunks.join("").replaceAll("\r", "");
  await Deno.writeTextFile(`${o.outDir}/console.log`, console);
  return console;
}
