/**
 * `deno task package`: the Debian packages of xeth-switchd, built offline and
 * reproducibly from this checkout and what the bootstrap installed.
 *
 *   build/deb/xeth-dkms_<version>_all.deb
 *       the module's sources and dkms.conf in /usr/src/xeth-<version>
 *   build/deb/xeth-switchd_<version>_<arch>.deb
 *       SWITCHD with every module it imports, the Deno runtime that runs it,
 *       the data plane library, the ip link plugins, /usr/bin/xeth-switchd
 *       and xeth-switchd@.service; /usr/bin/xeth-switch (the software
 *       SWITCH on another machine, a program of the crate) and
 *       xeth-switch@.service
 *
 * The version is SWITCHD's (switchd/version.ts). File times are
 * SOURCE_DATE_EPOCH (default: the last commit's time), owners root, modes
 * fixed: building twice gives the same bytes.
 *
 *   deno task package [--out DIR]
 *
 * The packaging sources (control files, maintainer scripts, the units, the
 * launcher, the man pages) are in packaging/debian/.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { SWITCHD_VERSION } from "../switchd/version.ts";
import {
  copyrightText,
  crateLicenses,
  npmLicense,
  type NpmPackage,
  type ShippedLicense,
} from "./copyright.ts";
import {
  buildFlags,
  changelogDate,
  controlFile,
  copyFile,
  copyTree,
  dpkgDeb,
  fill,
  gzip,
  hostArch,
  installedSize,
  md5sums,
  normalize,
  run,
  sharedLibraryDepends,
  strip,
  walk,
  writeFile,
  yearOf,
} from "./deb.ts";
export const ROOT = new URL("../", import.meta.url).pathname.replace(
  /\/$/,
  "",
);

const PACKAGING = `${ROOT}/packaging/debian`;

/** Who the packages name as their maintainer. */
export const MAINTAINER =
  "xeth-switchd maintainers <maintainers@users.noreply.r-seed-1428003e.example>";

/** Where the daemon's files live on the target. */
export const LIB_DIR = "/usr/lib/xeth-switchd";

/**
 * The Debian version of a SWITCHD version: the same string, checked
 * against what dpkg accepts (a native version: no revision).
 */
export function debianVersion(v: string): string {
  if (!/^[0-9][A-Za-z0-9.+~]*$/.test(v)) {
    throw new Error(
      `SWITCHD version "${v}" (switchd/version.ts) is not a Debian version: a digit, then letters, digits, ".", "+" or "~"`,
    );
  }
  return v;
}

/** The time every file gets: SOURCE_DATE_EPOCH, else the last commit's. */
export async function sourceDateEpoch(
  env: (name: string) => string | undefined = (n) => Deno.env.get(n),
): Promise<number> {
  const set = env("SOURCE_DATE_EPOCH");
  if (set !== undefined) {
    if (!/^\d+$/.test(set)) {
      throw new Error(`SOURCE_DATE_EPOCH="${set}" is not a number of seconds`);
    }
    return Number(set);
  }
  try {
    return Number(
      (await run("git", ["-C", ROOT, "log", "-1", "--format=%ct"])).trim(),
    );
  } catch {
    throw new Error(
      "no git history to date the packages: set SOURCE_DATE_EPOCH",
    );
  }
}

/** What the changelog says the packages were built from. */
async function describeSource(): Promise<string> {
  try {
    const commit = (await run("git", ["-C", ROOT, "rev-parse", "HEAD"]))
      .trim();
    const dirty = (await run("git", [
      "-C",
      ROOT,
      "status",
      "--porcelain",
      "--untracked-files=no",
    ])).trim();
    return `commit ${commit.slice(0, 12)}${dirty ? " with local changes" : ""}`;
  } catch {
    return "a source tree without git history";
  }
}

/**
 * What an npm package needs at run time: not its documentation, license
 * (the copyright file has it), agent skills or source maps.
 */
export function npmFileNeeded(name: string): boolean {
  return !/^(README|LICENSE|CHANGELOG)(\..*)?$/i.test(name) &&
    name !== "skills" && !name.endsWith(".map");
}

/** What every package shares: version, time, source, arch. */
export interface Build {
  version: string;
  epoch: number;
  source: string;
  arch: string;
  triplet: string;
  /** where the .deb files go */
  outDir: string;
  /** scratch space for the package trees */
  stageDir: string;
}

async function docs(
  tree: string,
  pkg: string,
  b: Build,
  copyright: string,
): Promise<void> {
  const doc = `${tree}/usr/share/doc/${pkg}`;
  writeFile(`${doc}/copyright`, copyright);
  const changelog = `${pkg} (${b.version}) unstable; urgency=medium

  * Built from ${b.source}.

 -- ${MAINTAINER}  ${changelogDate(b.epoch)}
`;
  writeFile(`${doc}/changelog.gz`, await gzip(changelog));
}

/** The maintainer scripts of a package, from packaging/debian/PKG/. */
function maintainerScripts(
  pkg: string,
  tree: string,
  names: readonly string[],
  vars: Record<string, string>,
): string[] {
  const out: string[] = [];
  for (const name of names) {
    const text = Deno.readTextFileSync(`${PACKAGING}/${pkg}/${name}`);
    writeFile(`${tree}/DEBIAN/${name}`, fill(text, vars, `${pkg}/${name}`));
    out.push(`DEBIAN/${name}`);
  }
  return out;
}

async function finish(
  pkg: string,
  tree: string,
  b: Build,
  control: ReadonlyArray<[string, string]>,
  executables: Set<string>,
): Promise<string> {
  const entries = walk(tree);
  const fields: Array<[string, string]> = [...control];
  fields.splice(4, 0, ["Installed-Size", String(installedSize(entries))]);
  writeFile(`${tree}/DEBIAN/control`, controlFile(fields));
  await md5sums(tree, entries);
  normalize(tree, b.epoch, executables);
  const arch = control.find(([k]) => k === "Architecture")?.[1];
  const deb = `${b.outDir}/${pkg}_${b.version}_${arch}.deb`;
  await dpkgDeb(tree, deb, b.epoch);
  return deb;
}

const DESCRIPTION_INTRO =
  `The xeth kernel module's xeth-mux netdev multiplexes the proxy netdevs of
a switch (ports, VLANs, lags, bridges, loopbacks) over lower links, or
none, and serves a side-band protocol to the switch daemon, SWITCHD.`;

/** The module's sources: what Kbuild compiles, and the uapi header. */
export function moduleSources(): string[] {
  const out: string[] = ["Kbuild"];
  for (const e of Deno.readDirSync(`${ROOT}/kernel`)) {
    // xeth_unity.c is made by the build (Kbuild, XETH_ONE_UNIT)
    if (e.isFile && /\.[ch]$/.test(e.name) && e.name !== "xeth_unity.c") {
      out.push(e.name);
    }
  }
  out.push("include/uapi/linux/xeth.h");
  return out.sort();
}

export async function buildDkms(b: Build): Promise<string> {
  const pkg = "xeth-dkms";
  const tree = `${b.stageDir}/${pkg}`;
  const vars = { VERSION: b.version };
  const src = `${tree}/usr/src/xeth-${b.version}`;
  for (const f of moduleSources()) {
    copyFile(`${ROOT}/kernel/${f}`, `${src}/${f}`);
  }
  writeFile(
    `${src}/dkms.conf`,
    fill(
      Deno.readTextFileSync(`${PACKAGING}/${pkg}/dkms.conf`),
      vars,
      "dkms.conf",
    ),
  );
  await docs(tree, pkg, b, copyrightText(yearOf(b.epoch)));
  const scripts = maintainerScripts(pkg, tree, ["postinst", "prerm"], vars);
  return await finish(pkg, tree, b, [
    ["Package", pkg],
    ["Version", b.version],
    ["Architecture", "all"],
    ["Maintainer", MAINTAINER],
    ["Depends", "dkms (>= 3.0)"],
    ["Section", "kernel"],
    ["Priority", "optional"],
    ["Multi-Arch", "foreign"],
    [
      "Description",
      `xeth switch kernel module (DKMS sources)
${DESCRIPTION_INTRO}

This package holds the module's sources. DKMS builds and installs it for
every installed kernel that has its headers (linux-headers-*), and again
for each kernel installed later.`,
    ],
  ], new Set(scripts));
}

/** What `deno info --json` says of a module graph. */
export interface DenoInfo {
  modules: Array<{ specifier: string; npmPackage?: string }>;
  npmPackages?: Record<string, NpmPackage & { dependencies?: string[] }>;
}

/**
 * The npm packages the graph reaches, with their dependencies: deno info
 * lists every package of the configuration's imports, used or not (the
 * lab's yaml, which SWITCHD never loads).
 */
export function reachedNpm(info: DenoInfo): NpmPackage[] {
  const all = info.npmPackages ?? {};
  const seen = new Set<string>();
  const todo = info.modules.flatMap((m) => m.npmPackage ? [m.npmPackage] : []);
  while (todo.length) {
    const id = todo.pop()!;
    if (seen.has(id) || !all[id]) continue;
    seen.add(id);
    todo.push(...(all[id].dependencies ?? []));
  }
  return [...seen].map((id) => all[id]);
}

/**
 * The local modules (paths relative to ROOT) and npm packages of the
 * import graph of main.ts: exactly what the daemon loads.
 */
export async function importGraph(): Promise<
  { modules: string[]; npm: NpmPackage[] }
> {
  const info = JSON.parse(
    await run(Deno.execPath(), ["info", "--json", "main.ts"], { cwd: ROOT }),
  ) as DenoInfo;
  const prefix = `file://${ROOT}/`;
  const modules: string[] = [];
  for (const m of info.modules) {
    if (m.specifier.startsWith(prefix)) {
      modules.push(decodeURIComponent(m.specifier.slice(prefix.length)));
    } else if (!/^(node|npm):/.test(m.specifier)) {
      throw new Error(
        `main.ts imports ${m.specifier}, which the package cannot carry: only local files, node: and npm: modules`,
      );
    }
  }
  const npm = reachedNpm(info);
  for (const p of npm) {
    if (!p.localPath) {
      throw new Error(
        `npm package ${p.name}@${p.version} is not cached: run ./run build`,
      );
    }
    if (npm.filter((q) => q.name === p.name).length > 1) {
      throw new Error(
        `two versions of npm package ${p.name}: node_modules/ here holds one`,
      );
    }
  }
  return {
    modules: modules.sort(),
    npm: npm.sort((a, b) => a.name.localeCompare(b.name)),
  };
}

/** The Deno binary of the npm package `deno` that bootstrap installed. */
export function denoBinary(): string {
  return Deno.realPathSync(`${ROOT}/.tools/bin/deno`);
}

export async function buildSwitchd(b: Build): Promise<string> {
  const pkg = "xeth-switchd";
  const tree = `${b.stageDir}/${pkg}`;
  const lib = `${tree}${LIB_DIR}`;
  const app = `${lib}/app`;
  const vars = { VERSION: b.version };

  // SWITCHD: the modules main.ts imports, its npm packages in a
  // node_modules/ that Deno reads as it is ("manual"), and a deno.json
  // that maps the bare specifiers as the project's does.
  const graph = await importGraph();
  for (const m of graph.modules) copyFile(`${ROOT}/${m}`, `${app}/${m}`);
  const mit: ShippedLicense[] = [{
    files: `${LIB_DIR.slice(1)}/deno`,
    text: Deno.readTextFileSync(`${ROOT}/.tools/npm/node_modules/deno/LICENSE`),
    what: "Deno (the deno binary of the npm package deno)",
  }];
  for (const p of graph.npm) {
    copyTree(p.localPath, `${app}/node_modules/${p.name}`, npmFileNeeded);
    mit.push({
      files: `${LIB_DIR.slice(1)}/app/node_modules/${p.name}/*`,
      text: npmLicense(p),
      what: `the npm package ${p.name} ${p.version}`,
    });
  }
  const project = JSON.parse(Deno.readTextFileSync(`${ROOT}/deno.json`));
  writeFile(
    `${app}/deno.json`,
    JSON.stringify(
      { imports: project.imports, nodeModulesDir: "manual" },
      null,
      2,
    ) +
      "\n",
  );
  copyFile(`${ROOT}/deno.lock`, `${app}/deno.lock`);

  // The runtime: the npm deno binary bootstrap pinned, as it is (stripped).
  copyFile(denoBinary(), `${lib}/deno`);
  copyFile(
    `${ROOT}/dataplane/target/release/libxeth_dataplane.so`,
    `${lib}/libxeth_dataplane.so`,
  );
  await strip(`${lib}/libxeth_dataplane.so`);
  // The SWITCH for another machine: a program of the same crate, built by
  // the same cargo build, run by xeth-switch@.service.
  copyFile(
    `${ROOT}/dataplane/target/release/xeth-switch`,
    `${tree}/usr/bin/xeth-switch`,
  );
  await strip(`${tree}/usr/bin/xeth-switch`);

  // ip link plugins, where Debian's ip looks for them, built afresh with
  // Debian's hardening flags (the tests' copies in build/iproute2 are not).
  const ipDir = `/usr/lib/${b.triplet}/ip`;
  const flags = await buildFlags(ROOT);
  await run("make", [
    "--no-print-directory",
    "-C",
    `${ROOT}/kernel/iproute2`,
    `O=${b.stageDir}/iproute2`,
    `CFLAGS=${flags.CFLAGS}`,
    `CPPFLAGS=${flags.CPPFLAGS}`,
    `LDFLAGS=${flags.LDFLAGS}`,
    `DESTDIR=${tree}`,
    `LIBDIR=${ipDir}`,
    "install",
  ]);
  // whatever the Makefile's KINDS made
  const plugins = [...Deno.readDirSync(`${tree}${ipDir}`)].map((e) =>
    `${ipDir}/${e.name}`
  ).sort();
  if (plugins.length === 0) throw new Error(`no plugin in ${ipDir}`);
  for (const p of plugins) await strip(`${tree}${p}`);

  const own = `${PACKAGING}/${pkg}`;
  copyFile(`${own}/xeth-switchd`, `${tree}/usr/bin/xeth-switchd`);
  copyFile(`${own}/mux-setup`, `${lib}/mux-setup`);
  copyFile(
    `${own}/xeth-switchd@.service`,
    `${tree}/lib/systemd/system/xeth-switchd@.service`,
  );
  copyFile(
    `${own}/xeth-switch@.service`,
    `${tree}/lib/systemd/system/xeth-switch@.service`,
  );
  for (const example of ["mux.conf", "xeth-switch.conf"]) {
    copyFile(
      `${own}/${example}`,
      `${tree}/usr/share/doc/${pkg}/examples/${example}`,
    );
  }
  for (const page of ["xeth-switchd.8", "xeth-switch.8"]) {
    writeFile(
      `${tree}/usr/share/man/man8/${page}.gz`,
      await gzip(
        fill(Deno.readTextFileSync(`${own}/${page}`), vars, `man page ${page}`),
      ),
    );
  }
  copyFile(
    `${own}/lintian-overrides`,
    `${tree}/usr/share/lintian/overrides/${pkg}`,
  );
  await docs(
    tree,
    pkg,
    b,
    copyrightText(yearOf(b.epoch), {
      mit,
      crates: await crateLicenses(`${ROOT}/dataplane/Cargo.toml`),
    }),
  );

  const scripts = maintainerScripts(pkg, tree, [
    "postinst",
    "prerm",
    "postrm",
  ], vars);
  const shlibs = await sharedLibraryDepends(tree, [
    `.${LIB_DIR}/deno`,
    `.${LIB_DIR}/libxeth_dataplane.so`,
    "./usr/bin/xeth-switch",
    ...plugins.map((p) => `.${p}`),
  ]);
  return await finish(
    pkg,
    tree,
    b,
    [
      ["Package", pkg],
      ["Version", b.version],
      ["Architecture", b.arch],
      ["Maintainer", MAINTAINER],
      ["Depends", `${shlibs}, iproute2`],
      ["Recommends", `xeth-dkms (= ${b.version})`],
      ["Section", "net"],
      ["Priority", "optional"],
      [
        "Description",
        `xeth switch daemon (SWITCHD), data plane and ip link plugins
${DESCRIPTION_INTRO}

This package holds SWITCHD, which mirrors the mux's interfaces, routes
and neighbours and programs them into a switch (the software switch of
its data plane library for a mux without lower links), with the Deno
runtime it runs on; the ip link plugins for the xeth device kinds;
xeth-switchd@.service, one daemon per mux; and xeth-switch, that software
switch as a program of its own for another machine, which SWITCHD
programs over a tunnel, with xeth-switch@.service.`,
      ],
    ],
    new Set([
      ...scripts,
      "usr/bin/xeth-switchd",
      "usr/bin/xeth-switch",
      `${LIB_DIR.slice(1)}/deno`,
      `${LIB_DIR.slice(1)}/mux-setup`,
    ]),
  );
}

/**
 * The data plane library, up to date: cargo does nothing when it is (and
 * needs no network: bootstrap fetched the crates).
 */
async function buildInputs(): Promise<void> {
  await run("cargo", [
    "build",
    "--release",
    "--locked",
    "--offline",
    "--manifest-path",
    `${ROOT}/dataplane/Cargo.toml`,
  ]);
}

export async function buildAll(outDir: string): Promise<string[]> {
  const { arch, triplet } = await hostArch();
  const b: Build = {
    version: debianVersion(SWITCHD_VERSION),
    epoch: await sourceDateEpoch(),
    source: await describeSource(),
    arch,
    triplet,
    outDir,
    stageDir: `${outDir}/stage`,
  };
  await buildInputs();
  Deno.mkdirSync(outDir, { recursive: true });
  // Only this build's packages, from a clean slate.
  for (const e of Deno.readDirSync(outDir)) {
    if (/^xeth-(dkms|switchd)_.*\.deb$/.test(e.name) || e.name === "stage") {
      Deno.removeSync(`${outDir}/${e.name}`, { recursive: true });
    }
  }
  const debs = [await buildDkms(b), await buildSwitchd(b)];
  Deno.removeSync(b.stageDir, { recursive: true });
  return debs;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { out: { type: "string", default: `${ROOT}/build/deb` } },
  });
  try {
    for (const deb of await buildAll(values.out)) console.log(deb);
  } catch (e) {
    console.error(`package: ${e instanceof Error ? e.message : e}`);
    Deno.exit(1);
  }
}
