import assert from "node:assert/strict";
import { processCpuSeconds, qemuCommand, statCpuSeconds } from "./qemu.ts";
import { acpiTablePaths, guestEnv, loadSettings, ROOT } from "./rig.ts";

const kernel = {
  alias: "6.12" as const,
  release: "6.12.95+deb12-amd64",
  vmlinuz: "/boot/vmlinuz-6.12.95+deb12-amd64",
  modules: "/lib/modules/6.12.95+deb12-amd64",
};
const boot = {
  kernel,
  initramfs: "/tmp/initramfs.cpio",
  root: ROOT,
  batch: "/tmp/out/batch",
  outDir: "/tmp/out",
};

Deno.test("qemuCommand: one -acpitable per table, none without", () => {
  const cmd = qemuCommand({
    ...boot,
    acpiTables: ["/b/acpi/a.aml", "/b/acpi/b.aml"],
    qemuArgs: ["-device", "edu"],
  });
  const i = cmd.indexOf("-acpitable");
  assert.deepEqual(cmd.slice(i, i + 6), [
    "-acpitable",
    "file=/b/acpi/a.aml",
    "-acpitable",
    "file=/b/acpi/b.aml",
    "-device",
    "edu",
  ]);
  assert.equal(qemuCommand(boot).includes("-acpitable"), false);
});

Deno.test("acpiTablePaths: names only, and built ones", () => {
  assert.deepEqual(acpiTablePaths(), []);
  assert.throws(
    () => acpiTablePaths(["../etc/x"]),
    /a name from tests\/vm\/acpi/,
  );
  assert.throws(
    () => acpiTablePaths(["no_such_table"]),
    /is missing: run \.\/run build/,
  );
});

Deno.test("settings: every table a scenario names has its .asl", () => {
  for (const [name, s] of Object.entries(loadSettings().scenarios)) {
    for (const t of s.acpiTables ?? []) {
      assert.ok(
        Deno.statSync(`${ROOT}/tests/vm/acpi/${t}.asl`).isFile,
        `${name}: tests/vm/acpi/${t}.asl`,
      );
    }
  }
});

Deno.test("qemuCommand: TCG takes turns on one thread unless told", () => {
  const accel = (cmd: string[]) => cmd[cmd.indexOf("-accel") + 1];
  assert.equal(accel(qemuCommand(boot)), "tcg,thread=single");
  assert.equal(
    accel(qemuCommand({ ...boot, tcgThreads: "multi" })),
    "tcg,thread=multi",
  );
});

Deno.test("guestEnv: XETH_BENCH_* and XETH_VM_* reach the guest, values that need no quoting", () => {
  assert.equal(
    guestEnv({
      XETH_BENCH_ROUTES4: "200000",
      XETH_VM_CASES: "rmmod,replace",
      XETH_VM_SB_HOLD: "5",
      XETH_VM_BAD: "a b",
      XETH_VMX: "1",
      XETH_ROOT: "/x",
      PATH: "/bin",
    }),
    "export XETH_BENCH_ROUTES4=200000\nexport XETH_VM_CASES=rmmod,replace\n" +
      "export XETH_VM_SB_HOLD=5\n",
  );
});

Deno.test("statCpuSeconds: user plus system ticks, past a name with spaces and parentheses", () => {
  // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt
  // majflt cmajflt utime stime ...
  const stat = "4242 (qemu (x) y) S 1 4242 4242 0 -1 4194560 10 0 0 0 " +
    "1234 66 0 0 20 0 3 0 100 0 0";
  assert.equal(statCpuSeconds(stat), 13);
  assert.equal(statCpuSeconds("garbage"), undefined);
});

Deno.test("processCpuSeconds: a busy child's time grows; a gone one has none", async () => {
  const child = new Deno.Command("sh", {
    args: ["-c", "i=0; while [ $i -lt 2000000 ]; do i=$((i + 1)); done"],
  }).spawn();
  let seen = 0;
  // waits for processor time, not for a clock: the loop has work left
  // for several seconds of processor time on any machine here
  while (seen === 0) {
    await new Promise((r) => setTimeout(r, 50));
    seen = processCpuSeconds(child.pid) ?? -1;
    assert.notEqual(seen, -1, "the child ended before it was measured");
  }
  child.kill("SIGKILL");
  await child.status;
  assert.ok(seen > 0);
  assert.equal(processCpuSeconds(child.pid), undefined);
});
