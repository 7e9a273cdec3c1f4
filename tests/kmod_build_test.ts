/**
 * The module build is part of the test suite because warnings must fail it:
 * prove that scripts/build-kmod.sh rejects a module with a W=1 warning.
 */
import assert from "node:assert/strict";
import { ROOT } from "./vm/rig.ts";
import { type DebianAlias, installedRelease } from "./vm/kernels.ts";

function release(alias: DebianAlias): string {
  const rel = installedRelease(alias);
  if (!rel) {
    throw new Error(`kernel ${alias} is not installed: run ./run build`);
  }
  return rel;
}

async function buildKmod(
  src: string,
  krel: string,
  env: Record<string, string> = {},
) {
  const out = await Deno.makeTempDir();
  try {
    const r = await new Deno.Command("bash", {
      args: [`${ROOT}/scripts/build-kmod.sh`, krel],
      env: {
        XETH_KMOD_SRC: src,
        XETH_KMOD_OUT: out,
        XETH_KMOD_CLEAN: "1",
        ...env,
      },
    }).output();
    const dec = new TextDecoder();
    return { ok: r.success, text: dec.decode(r.stdout) + dec.decode(r.stderr) };
  } finally {
    await Deno.remove(out, { recursive: true });
  }
}

async function moduleSource(body: string): Promise<string> {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/Kbuild`, "obj-m += w1probe.o\n");
  await Deno.writeTextFile(
    `${dir}/w1probe.c`,
    `#include <linux/module.h>\n${body}\nMODULE_LICENSE("GPL");\nMODULE_DESCRIPTION("W=1 probe");\n`,
  );
  return dir;
}

Deno.test("build-kmod: a W=1 warning fails the build", async () => {
  const krel = release("6.12");
  // W=1 turns on -Wmissing-prototypes: a non-static function without one
  const src = await moduleSource(
    "int w1probe_no_prototype(void) { return 0; }",
  );
  try {
    const r = await buildKmod(src, krel);
    assert.equal(r.ok, false, r.text);
    assert.match(r.text, /warning: no previous prototype/);
    assert.match(r.text, /has warnings against .* \(W=1 must be clean\)/);
  } finally {
    await Deno.remove(src, { recursive: true });
  }
});

Deno.test("build-kmod: a clean module builds", async () => {
  const src = await moduleSource(
    "static int __init w1probe_init(void) { return 0; }\nmodule_init(w1probe_init);",
  );
  try {
    const r = await buildKmod(src, release("6.1"));
    assert.equal(r.ok, true, r.text);
  } finally {
    await Deno.remove(src, { recursive: true });
  }
});

/** The make variables DKMS gives the build (dkms.conf MAKE[0]), M= aside. */
export function dkmsMakeVars(conf: string): Record<string, string> {
  const make = conf.match(/^MAKE\[0\]="(.*)"$/m)?.[1];
  if (make === undefined) throw new Error("dkms.conf has no MAKE[0]");
  return Object.fromEntries(
    make.split(/\s+/).filter((t) => /^[A-Z_]+=/.test(t) && !t.startsWith("M="))
      .map((t) => {
        const i = t.indexOf("=");
        return [t.slice(0, i), t.slice(i + 1)];
      }),
  );
}

Deno.test("dkms.conf's make variables, M= aside", () => {
  assert.deepEqual(
    dkmsMakeVars(
      'MAKE[0]="make -C ${k} M=${d}/build XETH_ONE_UNIT=y KCFLAGS=-g0 modules"',
    ),
    { XETH_ONE_UNIT: "y", KCFLAGS: "-g0" },
  );
});

Deno.test("build-kmod: the build DKMS runs (dkms.conf) is W=1 clean on 6.1 and 6.12", async () => {
  // make reads the variables from its environment as DKMS gives them on
  // its command line: XETH_ONE_UNIT (kernel/Kbuild), and whatever else
  // dkms.conf adds (KCFLAGS=-g0 once broke 6.12's BTF step).
  const vars = dkmsMakeVars(
    Deno.readTextFileSync(`${ROOT}/packaging/debian/xeth-dkms/dkms.conf`),
  );
  assert.equal(vars.XETH_ONE_UNIT, "y");
  const results = await Promise.all(
    (["6.1", "6.12"] as const).map((alias) =>
      buildKmod(`${ROOT}/kernel`, release(alias), vars)
    ),
  );
  for (const r of results) {
    assert.equal(r.ok, true, r.text);
    assert.match(r.text, /CC \[M\] .*xeth_unity\.o/);
    assert.doesNotMatch(r.text, /CC \[M\] .*mux\.o/);
  }
});
