/**
 * Boots one guest under QEMU (TCG) that runs one scenario, and collects
 * what it left in its results share.
 */
import type { Kernel } from "./kernels.ts";
import type { GuestResult } from "./verdict.ts";

export interface BootOptions {
  kernel: Kernel;
  initramfs: string;
  /** project root, as the guest sees it through the host share */
  root: string;
  /** absolute path of the scenario script */
  scenario: string;
  /** an empty directory for this run's results */
  outDir: string;
  timeoutSeconds: number;
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
}

export function qemuCommand(o: BootOptions): string[] {
  const cmdline = [
    "console=ttyS0",
    "panic=-1",
    "quiet",
    "printk.time=1",
    `xrig_root=${o.root}`,
    `xrig_out=${o.outDir}`,
    `xrig_run=${o.scenario}`,
    ...(o.cmdline ?? []),
  ];
  return [
    "qemu-system-x86_64",
    // KVM aborts or hangs on these machines (README, "The VM rig"); TCG works.
    "-accel",
    `tcg,thread=${o.tcgThreads ?? "single"}`,
    "-cpu",
    "max",
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

export async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}

/** What a QEMU process printed, and whether it had to be killed. */
export interface QemuRun {
  /** its serial console (stdout and stderr), without carriage returns */
  console: string;
  timedOut: boolean;
}

/**
 * Runs a QEMU command line until QEMU exits, killing it after
 * `timeoutSeconds`; `onLine` sees each console line as it comes.
 */
export async function runQemu(
  cmdline: readonly string[],
  timeoutSeconds: number,
  onLine?: (line: string) => void,
): Promise<QemuRun> {
  const [cmd, ...args] = cmdline;
  const child = new Deno.Command(cmd, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }, timeoutSeconds * 1000);

  const consoleChunks: string[] = [];
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    let partial = "";
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      consoleChunks.push(text);
      partial += text;
      const lines = partial.split(/\r?\n/);
      partial = lines.pop() ?? "";
      for (const l of lines) onLine?.(l);
    }
    if (partial) onLine?.(partial);
  };
  await Promise.all([pump(child.stdout), pump(child.stderr), child.status]);
  clearTimeout(timer);
  return {
    console: consoleChunks.join("").replaceAll("\r", ""),
    timedOut,
  };
}

export async function boot(o: BootOptions): Promise<GuestResult> {
  const { console, timedOut } = await runQemu(
    qemuCommand(o),
    o.timeoutSeconds,
    o.onLine,
  );
  await Deno.writeTextFile(`${o.outDir}/console.log`, console);
  const rcText = await readOptional(`${o.outDir}/rc`);
  const rc = rcText === undefined ? undefined : Number(rcText.trim());
  return {
    timedOut,
    timeoutSeconds: o.timeoutSeconds,
    rc: Number.isNaN(rc) ? undefined : rc,
    output: (await readOptional(`${o.outDir}/output.log`)) ?? "",
    dmesg: (await readOptional(`${o.outDir}/dmesg.log`)) ?? "",
    console,
  };
}
