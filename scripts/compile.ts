/**
 * `deno task compile`: SWITCHD as one executable, build/xeth-switchd, with
 * the data plane library beside it (build/libxeth_dataplane.so). The
 * binary loads the library from its own directory, else from
 * /usr/lib/xeth-switchd/ (ffi/library.ts), or from $XETH_DATAPLANE_LIB.
 *
 * deno compile needs Deno's "denort" runtime, which it downloads from
 * dl.deno.land; no package registry ships it. Where that cannot be reached
 * this stops with one line saying so: `deno task package` builds the Debian
 * packages, SWITCHD with the deno binary, offline.
 *
 * @module
 */
import { SWITCHD_VERSION } from "../switchd/version.ts";

const ROOT = new URL("../", import.meta.url).pathname.replace(/\/$/, "");
const OUT = `${ROOT}/build/xeth-switchd`;
const LIB = "libxeth_dataplane.so";

/** The permissions `deno task switchd` gives SWITCHD. */
export const PERMISSIONS = [
  "--allow-ffi",
  "--allow-env",
  "--allow-read",
  "--allow-write",
  "--allow-net",
];

/**
 * The one line to print when `deno compile` failed for want of its runtime
 * download, or undefined for any other failure (its output is shown).
 */
export function offlineReason(output: string): string | undefined {
  const url = output.match(/https:\/\/dl\.deno\.land\/\S*denort\S*\.zip/)?.[0];
  if (!url) return undefined;
  if (
    !/error sending request|dns error|Connect|timed out|Network/i.test(output)
  ) {
    return undefined;
  }
  return `compile: deno compile must download its denort runtime (${url}) and cannot reach it from here; \`deno task package\` builds SWITCHD for installation offline (build/deb/)`;
}

async function output(cmd: string, args: string[]) {
  const r = await new Deno.Command(cmd, {
    args,
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return {
    ok: r.success,
    text: dec.decode(r.stdout) + dec.decode(r.stderr),
    stdout: dec.decode(r.stdout),
  };
}

async function main(): Promise<number> {
  const lib = await output("cargo", [
    "build",
    "--release",
    "--locked",
    "--offline",
    "--manifest-path",
    `${ROOT}/dataplane/Cargo.toml`,
  ]);
  if (!lib.ok) {
    console.error(
      `compile: the data plane library does not build:\n${lib.text}`,
    );
    return 1;
  }
  const r = await output(Deno.execPath(), [
    "compile",
    ...PERMISSIONS,
    "--output",
    OUT,
    "main.ts",
  ]);
  if (!r.ok) {
    const offline = offlineReason(r.text);
    console.error(offline ?? `compile: deno compile failed:\n${r.text}`);
    return 1;
  }
  await Deno.copyFile(
    `${ROOT}/dataplane/target/release/${LIB}`,
    `${ROOT}/build/${LIB}`,
  );
  // A binary made from the wrong runtime (DENORT_BIN pointing at deno, say)
  // is the Deno CLI, not SWITCHD: it would not answer with this version.
  const v = await output(OUT, ["--version"]);
  if (!v.ok || !v.stdout.startsWith(`xeth-switchd ${SWITCHD_VERSION}`)) {
    console.error(
      `compile: ${OUT} --version does not answer "xeth-switchd ${SWITCHD_VERSION}" but:\n${v.text}`,
    );
    return 1;
  }
  console.log(`${OUT} (${v.stdout.trim()})`);
  return 0;
}

if (import.meta.main) Deno.exit(await main());
