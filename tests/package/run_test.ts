/**
 * The package test's host-side pieces. The test itself (run.ts) boots
 * Debian under QEMU and is a step of `deno task test`.
 */
import assert from "node:assert/strict";
import {
  FULL,
  lintianProblems,
  parseKernels,
  qemuCommand,
  QUICK,
  runQemu,
  stageEnv,
  tapLine,
} from "./run.ts";

const KERNELS = { "6.1": "6.1.0-57-amd64", "6.12": "6.12.95+deb12-amd64" };

Deno.test("kernels file: the aliases the variant needs, or an error", () => {
  assert.deepEqual(
    parseKernels(
      "6.1 6.1.0-57-amd64\n6.12 6.12.95+deb12-amd64\n",
      FULL.kernels,
    ),
    KERNELS,
  );
  assert.deepEqual(parseKernels("6.1 6.1.0-57-amd64\n", QUICK.kernels), {
    "6.1": "6.1.0-57-amd64",
  });
  assert.throws(
    () => parseKernels("6.1 6.1.0-57-amd64\n", FULL.kernels),
    /no 6\.12 kernel/,
  );
});

Deno.test("stage.env: the stage, version, releases, and the kernel to expect", () => {
  const env = stageEnv(FULL.stages[2], "0.1.0", KERNELS);
  assert.equal(
    env,
    "STAGE=kernel\nVERSION=0.1.0\nKERNELS=6.1.0-57-amd64,6.12.95+deb12-amd64\nEXPECT_KERNEL=6.12.95+deb12-amd64\n",
  );
  assert.throws(
    () => stageEnv(FULL.stages[0], "1;reboot", KERNELS),
    /VERSION="1;reboot": unsafe/,
  );
});

Deno.test("variants: quick boots 6.1 once; full installs, reboots, then 6.12", () => {
  assert.deepEqual(QUICK.kernels, ["6.1"]);
  assert.deepEqual(
    QUICK.stages.map((s) => `${s.kernel} ${s.name}`),
    ["6.1 smoke"],
  );
  assert.deepEqual(FULL.kernels, ["6.1", "6.12"]);
  assert.deepEqual(
    FULL.stages.map((s) => `${s.kernel} ${s.name}`),
    ["6.1 install", "6.1 reboot", "6.12 kernel"],
  );
});

Deno.test("lintian: errors and warnings fail, the rest is information", () => {
  const out = [
    "E: xeth-switchd: some-error [x]",
    "W: xeth-dkms: some-warning",
    "I: xeth-switchd: some-info",
    "P: xeth-switchd: pedantic",
    "running with root privileges is not recommended!",
  ].join("\n");
  assert.deepEqual(lintianProblems(out), [
    "E: xeth-switchd: some-error [x]",
    "W: xeth-dkms: some-warning",
  ]);
});

Deno.test("qemu: TCG on one host thread, the image's kernel, the disk and the share", () => {
  const cmd = qemuCommand(
    { dir: "/c/img", kernels: KERNELS },
    KERNELS["6.12"],
    "/r/disk.qcow2",
    "/r/share",
  ).join(" ");
  assert.match(cmd, /-accel tcg,thread=single /);
  assert.match(cmd, /-kernel \/c\/img\/vmlinuz-6\.12\.95\+deb12-amd64 /);
  assert.match(cmd, /-initrd \/c\/img\/initrd\.img-6\.12\.95\+deb12-amd64 /);
  assert.match(cmd, /root=\/dev\/vda /);
  assert.match(cmd, /file=\/r\/disk\.qcow2,if=virtio,format=qcow2/);
  assert.match(cmd, /path=\/r\/share,mount_tag=pkgtest/);
});

Deno.test("console: stage.sh's TAP lines, bare or through journald", () => {
  assert.equal(tapLine("ok 3 - x"), "ok 3 - x");
  assert.equal(
    tapLine("[   93.667684] xeth-pkgtest[370]: not ok 4 - y"),
    "not ok 4 - y",
  );
  assert.equal(tapLine("[   89.66] xeth-pkgtest[370]: # stage"), "# stage");
  assert.equal(tapLine("[   89.66] systemd[1]: ok 3 - z"), undefined);
  assert.equal(tapLine("Booting ok 1"), undefined);
});

Deno.test("runQemu: each console line as it comes, killed at its timeout", async () => {
  const lines: string[] = [];
  const done = await runQemu(
    ["bash", "-c", "printf 'a\\r\\nb'; echo c >&2"],
    600,
    (l) => lines.push(l),
  );
  assert.equal(done.timedOut, false);
  assert.deepEqual(lines.sort(), ["a", "b", "c"]);
  assert.equal(done.console.includes("\r"), false);
  // A process that outlives its timeout by far is killed and said so.
  const hung = await runQemu(["bash", "-c", "echo up; sleep 600"], 1);
  assert.equal(hung.timedOut, true);
  assert.match(hung.console, /^up\n/);
});
