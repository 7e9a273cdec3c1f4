/**
 * Debian packages made by hand with dpkg-deb, reproducibly: the pieces
 * scripts/package.ts puts together (control files, md5sums, fixed modes
 * and times, compressed documentation, shared-library dependencies).
 *
 * @module
 */

/** A command's output; throws with its stderr when it fails. */
export async function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): Promise<string> {
  const out = await new Deno.Command(cmd, {
    args,
    cwd: opts.cwd,
    env: opts.env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  if (!out.success) {
    throw new Error(
      `${cmd} ${args.join(" ")} failed (exit ${out.code}):\n${
        dec.decode(out.stderr).trim() || dec.decode(out.stdout).trim()
      }`,
    );
  }
  return dec.decode(out.stdout);
}

/**
 * Replaces every @NAME@ of `text` with `vars[NAME]`; a placeholder without
 * a value is an error, so that a template never ships half filled.
 */
export function fill(
  text: string,
  vars: Record<string, string>,
  what = "template",
): string {
  return text.replace(/@([A-Z_]+)@/g, (_, name: string) => {
    const v = vars[name];
    if (v === undefined) throw new Error(`${what}: no value for @${name}@`);
    return v;
  });
}

/** The UTC year of a time in seconds. */
export function yearOf(epoch: number): number {
  return new Date(epoch * 1000).getUTCFullYear();
}

/** An RFC 2822 date, as debian/changelog wants it, in UTC. */
export function changelogDate(epoch: number): string {
  const d = new Date(epoch * 1000);
  const days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  const months = [
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
  ];
  const two = (n: number) => String(n).padStart(2, "0");
  return `${days[d.getUTCDay()]}, ${two(d.getUTCDate())} ${
    months[d.getUTCMonth()]
  } ${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${
    two(d.getUTCSeconds())
  } +0000`;
}

/** The Debian architecture and multiarch triplet of this machine. */
export async function hostArch(): Promise<{ arch: string; triplet: string }> {
  const q = (v: string) => run("dpkg-architecture", ["-q", v]);
  return {
    arch: (await q("DEB_HOST_ARCH")).trim(),
    triplet: (await q("DEB_HOST_MULTIARCH")).trim(),
  };
}

/** A control file from ordered fields; multi-line values are folded. */
export function controlFile(fields: ReadonlyArray<[string, string]>): string {
  return fields.map(([k, v]) => {
    const [first, ...rest] = v.trimEnd().split("\n");
    const more = rest.map((l) => (l.trim() === "" ? " ." : ` ${l}`));
    return [`${k}: ${first}`, ...more].join("\n");
  }).join("\n") + "\n";
}

export interface TreeEntry {
  /** path relative to the tree's root, "/"-separated, no leading "/" */
  path: string;
  isDir: boolean;
  size: number;
}

/** Every entry below `dir` (not DEBIAN/), sorted by path. */
export function walk(dir: string, rel = ""): TreeEntry[] {
  const out: TreeEntry[] = [];
  const names = [...Deno.readDirSync(rel ? `${dir}/${rel}` : dir)]
    .map((e) => e.name).sort();
  for (const name of names) {
    const path = rel ? `${rel}/${name}` : name;
    if (path === "DEBIAN") continue;
    const info = Deno.lstatSync(`${dir}/${path}`);
    if (info.isSymlink) {
      throw new Error(`${dir}/${path}: packages here hold no symlinks`);
    }
    out.push({ path, isDir: info.isDirectory, size: info.size });
    if (info.isDirectory) out.push(...walk(dir, path));
  }
  return out;
}

/**
 * Installed-Size in KiB the way dpkg-gencontrol counts it: each file's
 * size rounded up to a KiB, one KiB for each directory.
 */
export function installedSize(entries: readonly TreeEntry[]): number {
  let kib = 0;
  for (const e of entries) kib += e.isDir ? 1 : Math.ceil(e.size / 1024);
  return kib;
}

/**
 * Fixed modes and times for everything in `tree` (DEBIAN/ too):
 * directories and `executables` 0755, other files 0644.
 */
export function normalize(
  tree: string,
  epoch: number,
  executables: ReadonlySet<string>,
): void {
  const visit = (rel: string) => {
    const path = rel ? `${tree}/${rel}` : tree;
    const info = Deno.lstatSync(path);
    if (info.isDirectory) {
      for (const e of [...Deno.readDirSync(path)].map((e) => e.name).sort()) {
        visit(rel ? `${rel}/${e}` : e);
      }
      Deno.chmodSync(path, 0o755);
    } else {
      Deno.chmodSync(path, executables.has(rel) ? 0o755 : 0o644);
    }
    Deno.utimeSync(path, epoch, epoch);
  };
  visit("");
}

export function copyFile(from: string, to: string): void {
  Deno.mkdirSync(to.slice(0, to.lastIndexOf("/")), { recursive: true });
  Deno.copyFileSync(from, to);
}

export function copyTree(
  from: string,
  to: string,
  keep: (name: string) => boolean = () => true,
): void {
  for (const e of Deno.readDirSync(from)) {
    if (!keep(e.name)) continue;
    if (e.isDirectory) copyTree(`${from}/${e.name}`, `${to}/${e.name}`, keep);
    else if (e.isFile) copyFile(`${from}/${e.name}`, `${to}/${e.name}`);
    else throw new Error(`${from}/${e.name}: not a file or directory`);
  }
}

export function writeFile(path: string, text: string | Uint8Array): void {
  Deno.mkdirSync(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  if (typeof text === "string") Deno.writeTextFileSync(path, text);
  else Deno.writeFileSync(path, text);
}

/** gzip -9n: no name, no time in the header, as Debian policy asks. */
export async function gzip(text: string): Promise<Uint8Array> {
  const child = new Deno.Command("gzip", {
    args: ["-9n"],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(text));
  await w.close();
  const out = await child.output();
  if (!out.success) throw new Error("gzip failed");
  return out.stdout;
}

/** DEBIAN/md5sums: one line per file, sorted by path. */
export async function md5sums(
  tree: string,
  entries: readonly TreeEntry[],
): Promise<void> {
  const files = entries.filter((e) => !e.isDir).map((e) => e.path);
  const lines: string[] = [];
  // md5sum in batches: a long list would exceed the argument limit.
  for (let i = 0; i < files.length; i += 200) {
    const out = await run("md5sum", ["--", ...files.slice(i, i + 200)], {
      cwd: tree,
    });
    lines.push(...out.trimEnd().split("\n"));
  }
  writeFile(`${tree}/DEBIAN/md5sums`, lines.join("\n") + "\n");
}

export async function dpkgDeb(tree: string, deb: string, epoch: number) {
  await run("dpkg-deb", [
    "--root-owner-group",
    "-Zgzip",
    "-z6",
    "--build",
    tree,
    deb,
  ], {
    env: { SOURCE_DATE_EPOCH: String(epoch) },
  });
}

/** What dh_strip does to a shared object. */
export async function strip(path: string): Promise<void> {
  await run("strip", [
    "--strip-unneeded",
    "--remove-section=.comment",
    "--remove-section=.note",
    path,
  ]);
}

/** Debian's compiler flags with every hardening feature, for C code. */
export async function buildFlags(cwd: string): Promise<
  { CFLAGS: string; CPPFLAGS: string; LDFLAGS: string }
> {
  const get = async (v: string) =>
    (await run("dpkg-buildflags", ["--get", v], {
      // -ffile-prefix-map maps the working directory: the checkout's
      // path must not reach the binaries.
      cwd,
      env: { DEB_BUILD_MAINT_OPTIONS: "hardening=+all" },
    })).trim();
  return {
    CFLAGS: await get("CFLAGS"),
    CPPFLAGS: await get("CPPFLAGS"),
    LDFLAGS: await get("LDFLAGS"),
  };
}

/** The shared-library dependencies of `files` (relative to `tree`). */
export async function sharedLibraryDepends(
  tree: string,
  files: readonly string[],
): Promise<string> {
  // dpkg-shlibdeps reads debian/control of the package being built.
  const scratch = Deno.makeTempDirSync({ prefix: "xeth-shlibdeps-" });
  try {
    writeFile(
      `${scratch}/debian/control`,
      "Source: xeth-switchd\n\nPackage: xeth-switchd\nArchitecture: any\n",
    );
    const out = await run("dpkg-shlibdeps", [
      "-O",
      "--warnings=0",
      ...files.map((f) => `-e${tree}/${f.replace(/^\.\//, "")}`),
    ], { cwd: scratch });
    const m = out.match(/^shlibs:Depends=(.*)$/m);
    if (!m) throw new Error(`dpkg-shlibdeps said nothing usable:\n${out}`);
    return m[1];
  } finally {
    Deno.removeSync(scratch, { recursive: true });
  }
}
