import assert from "node:assert/strict";
import { loadSettings, scenarioSettings } from "./settings.ts";
import { KERNEL_ALIASES } from "./kernels.ts";

/** Runs FN on a temporary settings.json holding JSON, then removes it. */
function withSettingsFile(json: unknown, fn: (path: string) => void): void {
  const dir = Deno.makeTempDirSync();
  try {
    const path = `${dir}/settings.json`;
    Deno.writeTextFileSync(path, JSON.stringify(json));
    fn(path);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

Deno.test("settings: defaults fill what settings.json leaves out", () => {
  withSettingsFile({
    scenarios: { x: { cpus: 2 }, two: { peer: { memoryMiB: 512 } } },
  }, (p) => {
    const s = loadSettings(p);
    // a scenario with a peer guest has its guests to itself
    assert.equal(scenarioSettings(s, "two").boot, "own");
    assert.deepEqual(scenarioSettings(s, "two").peer, { memoryMiB: 512 });
    assert.equal(s.timeoutSeconds, 120);
    assert.equal(s.bootSeconds, 120);
    assert.deepEqual(scenarioSettings(s, "x"), {
      timeoutSeconds: 120,
      debugTimeoutSeconds: 120,
      memoryMiB: 1024,
      cpus: 2,
      tcgThreads: "single",
      qemuArgs: [],
      cmdline: [],
      acpiTables: [],
      boot: "shared",
    });
  });
});

Deno.test("settings: a full run takes the scenarios' full timeouts and every kernel", () => {
  withSettingsFile({
    scenarios: {
      heavy: { timeoutSeconds: 200, fullTimeoutSeconds: 900 },
      light: { timeoutSeconds: 60, quickKernels: ["6.12"] },
    },
  }, (p) => {
    let s = loadSettings(p);
    assert.equal(scenarioSettings(s, "heavy").timeoutSeconds, 200);
    assert.deepEqual(scenarioSettings(s, "light").quickKernels, ["6.12"]);
    s = loadSettings(p, { full: true });
    assert.equal(scenarioSettings(s, "light").quickKernels, undefined);
    assert.equal(scenarioSettings(s, "heavy").timeoutSeconds, 900);
    assert.equal(scenarioSettings(s, "light").timeoutSeconds, 60);
    assert.equal(scenarioSettings(s, "other").timeoutSeconds, 120);
  });
});

Deno.test("settings: a debug kernel's timeout is its own where given, never less than the others", () => {
  withSettingsFile({
    scenarios: {
      slow: { timeoutSeconds: 900, debugTimeoutSeconds: 1800 },
      heavy: {
        timeoutSeconds: 200,
        fullTimeoutSeconds: 2400,
        debugTimeoutSeconds: 600,
      },
      plain: { timeoutSeconds: 300 },
    },
  }, (p) => {
    const debugTimeout = (full: boolean, name: string) =>
      scenarioSettings(loadSettings(p, { full }), name).debugTimeoutSeconds;
    assert.equal(debugTimeout(false, "slow"), 1800);
    assert.equal(debugTimeout(false, "heavy"), 600);
    // a full run's longer timeout is not cut short on a debug kernel
    assert.equal(debugTimeout(true, "heavy"), 2400);
    assert.equal(debugTimeout(false, "plain"), 300);
  });
});

Deno.test("settings.json: every scenario it names exists", () => {
  const root = new URL("../../", import.meta.url).pathname;
  for (const name of Object.keys(loadSettings().scenarios)) {
    const found = [
      `tests/vm/scenarios/${name}.sh`,
      `tests/vm/selftest/${name}.sh`,
      `bench/vm/${name}.sh`,
      `tests/vm/${name}/mux.sh`,
      // the demo's variants: demo_fabric is tests/vm/demo/fabric.sh
      `tests/vm/demo/${name.replace(/^demo_/, "")}.sh`,
    ]
      .some((p) => {
        try {
          return Deno.statSync(root + p).isFile;
        } catch {
          return false;
        }
      });
    assert.ok(found, `settings.json names "${name}", which is no scenario`);
  }
});

Deno.test("settings.json: quickKernels name kernels the rig knows", () => {
  for (const [name, s] of Object.entries(loadSettings().scenarios)) {
    for (const k of s.quickKernels ?? []) {
      assert.ok(
        (KERNEL_ALIASES as readonly string[]).includes(k),
        `settings.json: ${name}'s quickKernels names "${k}"; kernels: ${
          KERNEL_ALIASES.join(", ")
        }`,
      );
    }
  }
});
