/**
 * Builds the guest's initramfs for one kernel: busybox-static, our /init,
 * and the kernel modules needed to mount the host's root over virtio-9p,
 * in dependency order read from the kernel's own modules.dep.
 */
import { cpioArchive, type CpioEntry } from "./cpio.ts";
import type { Kernel } from "./kernels.ts";

const BUSYBOX = "/bin/busybox";
/** What the guest needs before it can see the host: 9p over virtio-pci. */
const NEEDED = ["virtio_pci", "9pnet_virtio", "9p"];

function moduleName(path: string): string {
  const base = path.slice(path.lastIndexOf("/") + 1);
  return base.replace(/\.ko(\.xz|\.zst|\.gz)?$/, "").replaceAll("-", "_");
}

/**
 * The module files to insmod, dependencies first. Built-in modules are
 * skipped; a needed module that is neither built in nor in modules.dep is
 * an error.
 */
export function loadOrder(
  modulesDep: string,
  modulesBuiltin: string,
  needed: readonly string[] = NEEDED,
): string[] {
  const deps = new Map<string, { path: string; deps: string[] }>();
  for (const line of modulesDep.split("\n")) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const path = line.slice(0, colon).trim();
    const rest = line.slice(colon + 1).trim();
    deps.set(moduleName(path), {
      path,
      deps: rest ? rest.split(/\s+/).map(moduleName) : [],
    });
  }
  const builtin = new Set(
    modulesBuiltin.split("\n").filter(Boolean).map(moduleName),
  );
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    if (builtin.has(name)) return;
    const m = deps.get(name);
    if (!m) {
      throw new Error(`module ${name} is neither built in nor in modules.dep`);
    }
    // modules.dep lists the whole closure; visiting in reverse puts the
    // deepest dependencies first, as modprobe does.
    for (const d of [...m.deps].reverse()) visit(d);
    order.push(m.path);
  };
  for (const n of needed) visit(n);
  return order;
}

async function readModule(path: string): Promise<Uint8Array> {
  if (!path.endsWith(".xz")) return await Deno.readFile(path);
  // busybox insmod cannot read compressed modules: store them plain.
  const out = await new Deno.Command("xz", { args: ["-dc", path] }).output();
  if (!out.success) {
    throw new Error(`xz -dc ${path}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return out.stdout;
}

function newer(a: string, b: string): boolean {
  try {
    return Deno.statSync(a).mtime! > Deno.statSync(b).mtime!;
  } catch {
    return true;
  }
}

/** Returns the path of the kernel's initramfs, building it when stale. */
export async function initramfs(
  kernel: Kernel,
  buildDir: string,
  initScript: string,
): Promise<string> {
  const dir = `${buildDir}/vm/${kernel.release}`;
  const out = `${dir}/initramfs.cpio`;
  const rig = new URL(import.meta.url).pathname;
  if (![initScript, BUSYBOX, rig].some((f) => newer(f, out))) return out;
  await Deno.mkdir(dir, { recursive: true });
  const dep = await Deno.readTextFile(`${kernel.modules}/modules.dep`);
  const builtin = await Deno.readTextFile(`${kernel.modules}/modules.builtin`);
  const mods = loadOrder(dep, builtin);
  const entries: CpioEntry[] = [];
  for (
    const d of [
      "bin",
      "dev",
      "proc",
      "sys",
      "mnt",
      "mnt/host",
      "mnt/host2",
      "modules",
    ]
  ) {
    entries.push({ name: d, mode: 0o040755 });
  }
  entries.push({
    name: "bin/busybox",
    mode: 0o100755,
    data: await Deno.readFile(BUSYBOX),
  });
  entries.push({
    name: "init",
    mode: 0o100755,
    data: await Deno.readFile(initScript),
  });
  const names: string[] = [];
  for (const [i, m] of mods.entries()) {
    const name = `${String(i).padStart(2, "0")}-${moduleName(m)}.ko`;
    names.push(name);
    entries.push({
      name: `modules/${name}`,
      mode: 0o100644,
      data: await readModule(`${kernel.modules}/${m}`),
    });
  }
  entries.push({
    name: "modules/order",
    mode: 0o100644,
    data: new TextEncoder().encode(names.join("\n") + "\n"),
  });
  // its own name: two rigs (the self-tests beside a run) may build at once
  const tmp = `${out}.${Deno.pid}.tmp`;
  await Deno.writeFile(tmp, cpioArchive(entries));
  await Deno.rename(tmp, out);
  return out;
}
