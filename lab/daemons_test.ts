import assert from "node:assert/strict";
import { alive, daemon, readPid, stop } from "./daemons.ts";

async function ip(...args: string[]): Promise<void> {
  const out = await new Deno.Command("ip", { args, stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(
      `ip ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
}

async function inNamespace(fn: (ns: string, dir: string) => Promise<void>) {
  const ns = `xlabd-${Deno.pid}`;
  const dir = await Deno.makeTempDir({ prefix: "xeth-lab-daemons-" });
  await ip("netns", "add", ns);
  try {
    await fn(ns, dir);
  } finally {
    await ip("netns", "del", ns).catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("daemons: started in the namespace, its pid its own, stopped by TERM", async () => {
  await inNamespace(async (ns, dir) => {
    const base = `${dir}/d`;
    await daemon(ns, ["sh", "-c", "echo started; exec sleep 600"], base);
    const pid = await readPid(`${base}.pid`);
    assert.ok(pid !== undefined, "a pid file");
    assert.ok(alive(pid));
    // the pid is the daemon's: its network namespace is the lab's
    const link = await Deno.readLink(`/proc/${pid}/ns/net`);
    const want = (await Deno.stat(`/run/netns/${ns}`)).ino;
    assert.equal(link, `net:[${want}]`);
    assert.equal(await stop(`${base}.pid`, 30), true);
    assert.equal(alive(pid), false);
    assert.equal(await stop(`${base}.pid`, 30), false, "nothing left to stop");
    assert.match(await Deno.readTextFile(`${base}.log`), /started/);
  });
});

Deno.test("daemons: one that ignores TERM is killed after the bound", async () => {
  await inNamespace(async (ns, dir) => {
    const base = `${dir}/stubborn`;
    await daemon(
      ns,
      ["sh", "-c", "trap '' TERM; while :; do sleep 1; done"],
      base,
    );
    const pid = await readPid(`${base}.pid`);
    assert.ok(pid !== undefined);
    assert.equal(await stop(`${base}.pid`, 0.5), true);
    // SIGKILL is sent, its delivery may take a moment
    for (let i = 0; i < 100 && alive(pid); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(alive(pid), false);
  });
});

Deno.test("daemons: a missing or garbled pid file names no process", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.equal(await readPid(`${dir}/none.pid`), undefined);
    for (const text of ["", "abc", "1", "-5", "3.5"]) {
      await Deno.writeTextFile(`${dir}/bad.pid`, text);
      assert.equal(await readPid(`${dir}/bad.pid`), undefined, text);
    }
    assert.equal(await stop(`${dir}/none.pid`, 1), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
