/**
 * scripts/kernels.sh's xeth_debug_seed and xeth_tree_moved, which let
 * build-debug-kernel.sh start a build for a new module list from the last
 * build's tree instead of the source tarball.
 */
import { equal } from "node:assert/strict";

const KERNELS_SH = new URL("../scripts/kernels.sh", import.meta.url).pathname;

/** Runs SCRIPT in bash after sourcing kernels.sh with CACHE as the cache. */
async function kernelsSh(cache: string, script: string): Promise<string> {
  const out = await new Deno.Command("bash", {
    args: ["-euo", "pipefail", "-c", `. "${KERNELS_SH}"; ${script}`],
    env: { XETH_DEBUG_KERNELS: cache },
  }).output();
  const err = new TextDecoder().decode(out.stderr);
  equal(out.code, 0, `bash failed: ${err}`);
  return new TextDecoder().decode(out.stdout).trim();
}

/** A cache whose SERIES link names build KEY of SOURCE, with its tree. */
async function cacheWithBuild(
  series: string,
  key: string,
  source: string,
): Promise<string> {
  const cache = await Deno.makeTempDir({ prefix: "xeth-debug-cache-" });
  await Deno.mkdir(`${cache}/${series}-${key}/tree`, { recursive: true });
  await Deno.writeTextFile(
    `${cache}/${series}-${key}/kernel.json`,
    JSON.stringify({ series, release: `${series}.9-xeth-debug`, source }),
  );
  await Deno.symlink(`${cache}/${series}-${key}`, `${cache}/${series}`);
  return cache;
}

Deno.test("a new build of the same source starts from the last build", async () => {
  const cache = await cacheWithBuild("6.12", "aaaa", "6.12.118-1~deb12u1");
  try {
    const seed = (source: string, key: string) =>
      kernelsSh(
        cache,
        `xeth_debug_seed 6.12 '${source}' "$XETH_DEBUG_CACHE/6.12-${key}"`,
      );
    equal(await seed("6.12.118-1~deb12u1", "bbbb"), `${cache}/6.12-aaaa`);
    // another source version is another tree: unpack it
    equal(await seed("6.12.119-1~deb12u1", "bbbb"), "");
    // a build is not its own seed (the build was interrupted and goes on)
    equal(await seed("6.12.118-1~deb12u1", "aaaa"), "");
    // no build of the series yet
    equal(
      await kernelsSh(
        cache,
        `xeth_debug_seed 6.1 6.1.192-3 "$XETH_DEBUG_CACHE/6.1-cccc"`,
      ),
      "",
    );
  } finally {
    await Deno.remove(cache, { recursive: true });
  }
});

Deno.test("a copied tree's objtool command files name the copy", async () => {
  const root = await Deno.makeTempDir({ prefix: "xeth-tree-moved-" });
  try {
    const [old, copy] = [`${root}/6.1-aaaa/tree`, `${root}/6.1-bbbb/tree`];
    await Deno.mkdir(`${copy}/tools/objtool`, { recursive: true });
    await Deno.mkdir(`${copy}/net`, { recursive: true });
    const cmd =
      `cmd_${old}/tools/objtool/check.o := gcc -I${old}/tools/include -c check.c\n`;
    await Deno.writeTextFile(`${copy}/tools/objtool/.check.o.cmd`, cmd);
    // kbuild's own command files are relative: nothing outside tools/ moves
    const outside = `deps := ${old}/include/x.h\n`;
    await Deno.writeTextFile(`${copy}/net/.dev.o.cmd`, outside);
    await kernelsSh(root, `xeth_tree_moved '${old}' '${copy}'`);
    equal(
      await Deno.readTextFile(`${copy}/tools/objtool/.check.o.cmd`),
      `cmd_${copy}/tools/objtool/check.o := gcc -I${copy}/tools/include -c check.c\n`,
    );
    equal(await Deno.readTextFile(`${copy}/net/.dev.o.cmd`), outside);
    // a tree with nothing to move is no failure
    await kernelsSh(root, `xeth_tree_moved '${root}/elsewhere' '${copy}'`);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
