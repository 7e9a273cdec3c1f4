/**
 * The package test (a step of `deno task test`): builds both Debian
 * packages (scripts/package.ts), proves them reproducible, lintian-clean
 * and their man pages sound (man, here: the guests have none), then
 * installs and runs them on a Debian bookworm system booted with systemd
 * as init under QEMU (tests/package/image.sh). tests/package/stage.sh has
 * each boot's checks.
 *
 * Quick (the default, in `deno task test`): one boot of a system with the
 * 6.1 kernel alone, so that DKMS builds the module once under TCG:
 *
 *   smoke    6.1   apt install (DKMS builds for 6.1), a link-less mux with
 *                  ports, systemctl enable --now, the session is live;
 *                  xeth-switch@.service listens, sandboxed, and a second
 *                  SWITCHD drives it; systemctl stop is clean, apt purge
 *                  stops xeth-switch and leaves nothing
 *
 * --full: three boots of a system with both kernels (about 20 minutes):
 *
 *   install  6.1   apt install (DKMS builds for 6.1 and 6.12), a mux with
 *                  ports, systemctl enable --now, the session is live;
 *                  xeth-switch as in smoke
 * then, one after the other, each on its own copy (qcow2 overlay) of what
 * install left:
 *   reboot   6.1   module and daemon come back; kill -9 is restarted;
 *                  systemctl stop is clean; xeth-switch listens once its
 *                  address is back
 *   kernel   6.12  the same system on 6.12: module and daemon come back,
 *                  xeth-switch too; apt purge removes everything
 *
 * A guest kernel oops, BUG or WARNING fails the stage (tests/vm/verdict.ts).
 * Prints TAP-like lines and "N passed, N failed".
 *
 *   deno run -A tests/package/run.ts [--full] [--keep]
 *
 * @module
 */
import { eachLine } from "../lines.ts";
import { parseArgs } from "node:util";
import { buildAll, ROOT } from "../../scripts/package.ts";
import { SWITCHD_VERSION } from "../../switchd/version.ts";
import { type Counts, judge, type Verdict } from "../vm/verdict.ts";
import { pruneRuns } from "../vm/rig.ts";
import { GUEST_CPU } from "../vm/qemu.ts";
import { takeGuestSlot } from "../guest_slots.ts";
import { readOptional } from "../read_optional.ts";

export type Alias = "6.1" | "6.12";

/**
 * A boot of the test's system. The first boot of a variant starts from the
 * cached image; the others each start from a copy of what the first left.
 */
export interface Stage {
  /** "none": the packages did not build, the guest only says so */
  name: "smoke" | "install" | "reboot" | "kernel" | "none";
  kernel: Alias;
  /** seconds before QEMU is killed: boot, installs and DKMS under TCG */
  timeoutSeconds: number;
}

/** A way to run the test: its image's kernels and its boots. */
export interface Variant {
  name: "quick" | "full";
  /** the kernels (with headers) of its image: DKMS builds for each */
  kernels: readonly Alias[];
  stages: readonly Stage[];
}

export const QUICK: Variant = {
  name: "quick",
  kernels: ["6.1"],
  stages: [{ name: "smoke", kernel: "6.1", timeoutSeconds: 1800 }],
};

export const FULL: Variant = {
  name: "full",
  kernels: ["6.1", "6.12"],
  stages: [
    { name: "install", kernel: "6.1", timeoutSeconds: 2400 },
    { name: "reboot", kernel: "6.1", timeoutSeconds: 1200 },
    { name: "kernel", kernel: "6.12", timeoutSeconds: 1200 },
  ],
};

/** What image.sh left: the image's directory and its kernels by alias. */
export interface Image {
  dir: string;
  kernels: Record<string, string>;
}

/** Parses image.sh's `kernels` file ("ALIAS RELEASE" lines). */
export function parseKernels(
  text: string,
  aliases: readonly Alias[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const [alias, release] = line.trim().split(/\s+/);
    if (alias && release) out[alias] = release;
  }
  for (const alias of aliases) {
    if (!out[alias]) throw new Error(`the image has no ${alias} kernel`);
  }
  return out;
}

/** The stage.env the guest's stage.sh sources. */
export function stageEnv(
  stage: Stage,
  version: string,
  kernels: Record<string, string>,
): string {
  const vars: Record<string, string> = {
    STAGE: stage.name,
    VERSION: version,
    // every kernel of the image, for which DKMS must build
    KERNELS: Object.values(kernels).join(","),
    EXPECT_KERNEL: kernels[stage.kernel],
  };
  return Object.entries(vars).map(([k, v]) => {
    if (!/^[\w.+~,-]+$/.test(v)) throw new Error(`${k}="${v}": unsafe value`);
    return `${k}=${v}\n`;
  }).join("");
}

/** Lintian's findings that fail the test: errors and warnings. */
export function lintianProblems(out: string): string[] {
  return out.split("\n").filter((l) => /^[EW]: /.test(l));
}

export function qemuCommand(
  image: Image,
  release: string,
  disk: string,
  share: string,
): string[] {
  return [
    "qemu-system-x86_64",
    // As the VM rig (tests/vm/qemu.ts): TCG, one host thread.
    "-accel",
    "tcg,thread=single",
    "-cpu",
    GUEST_CPU,
    "-m",
    "1536",
    "-smp",
    "2",
    "-nodefaults",
    "-no-reboot",
    "-display",
    "none",
    "-serial",
    "stdio",
    "-kernel",
    `${image.dir}/vmlinuz-${release}`,
    "-initrd",
    `${image.dir}/initrd.img-${release}`,
    "-append",
    "root=/dev/vda console=ttyS0 panic=-1 quiet",
    "-drive",
    `file=${disk},if=virtio,format=qcow2`,
    "-virtfs",
    `local,path=${share},mount_tag=pkgtest,security_model=none`,
  ];
}

/**
 * Runs a QEMU command line until QEMU exits, killing it after
 * `timeoutSeconds`; `onLine` sees each console line as it comes. Returns
 * the console (stdout and stderr, without carriage returns).
 */
export async function runQemu(
  cmdline: readonly string[],
  timeoutSeconds: number,
  onLine?: (line: string) => void,
): Promise<{ console: string; timedOut: boolean }> {
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
  const chunks: string[] = [];
  const pump = (stream: ReadableStream<Uint8Array>) =>
    eachLine(stream, (l) => onLine?.(l), (t) => chunks.push(t));
  await Promise.all([pump(child.stdout), pump(child.stderr), child.status]);
  clearTimeout(timer);
  return { console: chunks.join("").replaceAll("\r", ""), timedOut };
}

interface Check {
  ok: boolean;
  name: string;
  detail?: string[];
}

let checkNo = 0;
function report(c: Check): void {
  checkNo++;
  console.log(`${c.ok ? "ok" : "not ok"} ${checkNo} - ${c.name}`);
  for (const l of c.detail ?? []) console.log(`#   ${l}`);
}

async function sh(cmd: string, args: string[]): Promise<
  { ok: boolean; out: string }
> {
  const r = await new Deno.Command(cmd, {
    args,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return {
    ok: r.success,
    out: dec.decode(r.stdout) + dec.decode(r.stderr),
  };
}

async function sha256(path: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    await Deno.readFile(path),
  );
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}

const seconds = (t0: number) => ((performance.now() - t0) / 1000).toFixed(0);

/** Builds the packages a second time elsewhere: the bytes must match. */
async function reproducible(debs: string[], dir: string): Promise<Check> {
  const again = await buildAll(dir);
  const diff: string[] = [];
  for (const [i, deb] of debs.entries()) {
    const [a, b] = [await sha256(deb), await sha256(again[i])];
    if (a !== b) diff.push(`${deb}: ${a}`, `${again[i]}: ${b}`);
  }
  return {
    ok: diff.length === 0,
    name: "a second build gives the same bytes (reproducible)",
    detail: diff,
  };
}

async function lintian(debs: string[]): Promise<Check> {
  const r = await sh("lintian", [
    "--tag-display-limit",
    "0",
    "--info",
    "--pedantic",
    ...debs,
  ]);
  const problems = lintianProblems(r.out);
  const findings = r.out.split("\n").filter((l) => /^[EWIPX]: /.test(l));
  // Lintian exits non-zero for errors, and when it cannot run at all.
  const ran = r.ok || findings.length > 0;
  return {
    ok: ran && problems.length === 0,
    name:
      `lintian --pedantic: no error or warning (${findings.length} other findings)`,
    detail: ran ? problems : r.out.trim().split("\n").slice(-10),
  };
}

/**
 * The package's man pages as man(1) shows them, here because the guests
 * keep none: every program in /usr/bin has one, which renders without a
 * warning and names the program.
 */
async function manPages(deb: string, dir: string): Promise<Check> {
  const problems: string[] = [];
  const x = await sh("dpkg-deb", ["-x", deb, dir]);
  if (!x.ok) problems.push(`dpkg-deb -x ${deb}: ${x.out.trim()}`);
  const programs = x.ok
    ? [...Deno.readDirSync(`${dir}/usr/bin`)].map((e) => e.name).sort()
    : [];
  for (const p of programs) {
    const page = `${dir}/usr/share/man/man8/${p}.8.gz`;
    const r = await new Deno.Command("man", {
      args: ["--warnings", "-E", "UTF-8", "-l", page],
      env: { MANWIDTH: "80" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    const [out, err] = [dec.decode(r.stdout), dec.decode(r.stderr).trim()];
    if (!r.success || err) {
      problems.push(`man -l ${p}.8.gz: exit ${r.code} ${err}`);
    } else if (!new RegExp(`^NAME\\n\\s+${p}\\s+-\\s`, "m").test(out)) {
      problems.push(`man -l ${p}.8.gz: no NAME section for ${p}`);
    }
  }
  return {
    ok: problems.length === 0 && programs.length > 0,
    name: `man: a sound page for each program (${programs.join(", ")})`,
    detail: problems,
  };
}

async function image(variant: Variant): Promise<Image> {
  const t0 = performance.now();
  const r = await new Deno.Command("bash", {
    args: [`${ROOT}/tests/package/image.sh`, ...variant.kernels],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!r.success) throw new Error("tests/package/image.sh failed (above)");
  const dir = new TextDecoder().decode(r.stdout).trim().split("\n").at(-1)!;
  console.log(`# image ${dir} ready in ${seconds(t0)}s`);
  return {
    dir,
    kernels: parseKernels(
      await Deno.readTextFile(`${dir}/kernels`),
      variant.kernels,
    ),
  };
}

/**
 * A stage's own share and disk. The share gets stage.sh and lib.sh now;
 * `deliver` adds the packages and stage.env, which stage.sh waits for: the
 * first boot starts while the packages build.
 */
async function prepareStage(
  stage: Stage,
  first: Stage,
  runDir: string,
  img: Image,
): Promise<{ share: string; disk: string }> {
  const share = `${runDir}/${stage.name}`;
  await Deno.mkdir(`${share}/out`, { recursive: true });
  await Deno.copyFile(`${ROOT}/tests/package/stage.sh`, `${share}/stage.sh`);
  await Deno.copyFile(`${ROOT}/tests/vm/lib.sh`, `${share}/lib.sh`);
  // The first boot writes an overlay of the cached image; the later boots
  // each write an overlay of what the first left.
  const disk = `${runDir}/${stage.name}.qcow2`;
  const backing = stage === first
    ? ["-b", `${img.dir}/rootfs.img`, "-F", "raw"]
    : ["-b", `${runDir}/${first.name}.qcow2`, "-F", "qcow2"];
  const made = await sh("qemu-img", [
    "create",
    "-q",
    "-f",
    "qcow2",
    ...backing,
    disk,
  ]);
  if (!made.ok) throw new Error(`qemu-img create failed: ${made.out}`);
  return { share, disk };
}

/** Gives a stage its packages (if any) and then, last, its stage.env. */
async function deliver(
  share: string,
  debs: readonly string[],
  env: string,
): Promise<void> {
  if (debs.length) await Deno.mkdir(`${share}/debs`, { recursive: true });
  for (const deb of debs) {
    await Deno.copyFile(
      deb,
      `${share}/debs/${deb.slice(deb.lastIndexOf("/") + 1)}`,
    );
  }
  await Deno.writeTextFile(`${share}/stage.env.tmp`, env);
  await Deno.rename(`${share}/stage.env.tmp`, `${share}/stage.env`);
}

/** The console line of a TAP line of stage.sh, through journald. */
export function tapLine(console: string): string | undefined {
  const m = console.match(
    /^(?:\[[\d. ]+\] xeth-pkgtest\[\d+\]: )?((?:not )?ok \d.*|# .*)$/,
  );
  return m?.[1];
}

async function runStage(
  stage: Stage,
  img: Image,
  where: { share: string; disk: string },
): Promise<{ verdict: Verdict; seconds: string }> {
  const out = `${where.share}/out/${stage.name}`;
  const tag = `[${stage.kernel} ${stage.name}]`;
  // One guest per core across the machine (tests/guest_slots.ts); the
  // stage's time starts once it has its core.
  const slot = await takeGuestSlot({
    onWait: () =>
      console.log(`${tag} # waiting for a free core (each runs a guest)`),
  });
  const t0 = performance.now();
  const run = await runQemu(
    qemuCommand(img, img.kernels[stage.kernel], where.disk, where.share),
    stage.timeoutSeconds,
    (line) => {
      const tap = tapLine(line);
      if (tap !== undefined) console.log(`${tag} ${tap}`);
    },
  ).finally(() => slot.release());
  await Deno.writeTextFile(`${where.share}/console.log`, run.console);
  const rcText = await readOptional(`${out}/rc`);
  const rc = rcText === undefined ? undefined : Number(rcText.trim());
  const verdict = judge({
    timedOut: run.timedOut,
    timeoutSeconds: stage.timeoutSeconds,
    rc: Number.isNaN(rc) ? undefined : rc,
    output: (await readOptional(`${out}/output.log`)) ?? "",
    dmesg: (await readOptional(`${out}/dmesg.log`)) ?? "",
    console: run.console,
  });
  return { verdict, seconds: seconds(t0) };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      full: { type: "boolean", default: false },
      keep: { type: "boolean", default: false },
    },
  });
  const variant = values.full ? FULL : QUICK;
  const t0 = performance.now();
  const runsDir = `${ROOT}/build/package-test`;
  pruneRuns(runsDir, 5);
  const runDir = `${runsDir}/${new Date().toISOString().replace(/[:.]/g, "-")}`;
  await Deno.mkdir(runDir, { recursive: true });
  let failed = 0;
  let passed = 0;
  const count = (c: Check) => {
    report(c);
    if (c.ok) passed++;
    else failed++;
  };
  const done = () => {
    console.log(
      `package test (${variant.name}): ${failed ? "FAILED" : "passed"} in ${
        seconds(t0)
      }s`,
    );
    console.log(`${passed} passed, ${failed} failed`);
    return failed ? 1 : 0;
  };

  // The image (cold: debootstrap and installs) while the packages build,
  // and the first boot too: stage.sh waits for them.
  const imageReady = image(variant);
  const tb = performance.now();
  const debsReady = buildAll(`${ROOT}/build/deb`).then(
    (debs) => {
      count({
        ok: true,
        name: `deno task package built ${debs.join(", ")} (${seconds(tb)}s)`,
      });
      return debs;
    },
    (e) => {
      count({ ok: false, name: "deno task package", detail: [String(e)] });
      return undefined;
    },
  );
  // Host-side checks run while the guests boot (QEMU takes one core).
  const hostChecks = debsReady.then((debs) =>
    debs
      ? Promise.all([
        reproducible(debs, `${runDir}/rebuild`),
        lintian(debs),
        manPages(
          debs.find((d) => d.includes("/xeth-switchd_"))!,
          `${runDir}/man`,
        ),
      ])
      : []
  );
  let img: Image;
  try {
    img = await imageReady;
  } catch (e) {
    count({ ok: false, name: "the test's Debian image", detail: [String(e)] });
    await debsReady;
    for (const c of await hostChecks) count(c);
    return done();
  }

  const [first, ...after] = variant.stages;
  const judgeStage = async (
    stage: Stage,
    where: { share: string; disk: string },
  ) => {
    const { verdict, seconds: s } = await runStage(stage, img, where);
    const counts: Counts = verdict.counts;
    passed += counts.passed;
    failed += counts.failed;
    const good = verdict.outcome === "pass";
    if (!good && counts.failed === 0) failed++;
    console.log(
      `${
        good ? "PASS" : "FAIL"
      } ${stage.kernel} ${stage.name}: ${counts.passed} passed, ${counts.failed} failed in ${s}s`,
    );
    if (!good) {
      console.log(`  ${verdict.outcome}: ${verdict.reason}`);
      for (const l of verdict.excerpt) console.log(`  | ${l}`);
      console.log(`  logs in ${where.share} (console.log, out/)`);
    }
    return good;
  };
  const firstWhere = await prepareStage(first, first, runDir, img);
  const firstDone = judgeStage(first, firstWhere);
  const debs = await debsReady;
  const version = SWITCHD_VERSION;
  // Without packages the guest's stage only reports that (stage "none").
  await deliver(
    firstWhere.share,
    debs ?? [],
    stageEnv(debs ? first : { ...first, name: "none" }, version, img.kernels),
  );
  // One guest at a time: TCG takes a core, and the machine has two.
  if (await firstDone && debs) {
    for (const stage of after) {
      const where = await prepareStage(stage, first, runDir, img);
      await deliver(where.share, [], stageEnv(stage, version, img.kernels));
      await judgeStage(stage, where);
    }
  } else {
    for (const s of after) {
      count({
        ok: false,
        name: `${s.kernel} ${s.name}: not run, ${first.name} failed`,
      });
    }
  }
  for (const c of await hostChecks) count(c);

  if (failed === 0 && !values.keep) {
    await Deno.remove(runDir, { recursive: true });
  } else {
    console.log(`# run kept in ${runDir}`);
  }
  return done();
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (e) {
    console.error(`package test: ${e instanceof Error ? e.message : e}`);
    Deno.exit(1);
  }
}
