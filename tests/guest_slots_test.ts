import assert from "node:assert/strict";
import {
  type GuestSlot,
  slotCount,
  slotDir,
  takeGuestSlot,
} from "./guest_slots.ts";

/**
 * Whether `taking` is still waiting 600 ms on: it can have no free slot
 * in that time, so a "taken" is a bug, never the machine's slowness.
 */
async function stillWaiting(taking: Promise<GuestSlot>): Promise<boolean> {
  const raced = await Promise.race([
    taking.then(() => "taken"),
    new Promise((r) => setTimeout(() => r("waiting"), 600)),
  ]);
  return raced === "waiting";
}

Deno.test("guest slots: N at a time; the next waits for a release and gets that slot", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const a = await takeGuestSlot({ slots: 2, dir });
    const b = await takeGuestSlot({ slots: 2, dir });
    assert.notEqual(a.index, b.index);
    let waited = false;
    const c = takeGuestSlot({ slots: 2, dir, onWait: () => waited = true });
    assert.ok(await stillWaiting(c), "both slots are taken");
    assert.ok(waited, "onWait was called");
    b.release();
    b.release(); // twice is harmless
    assert.equal((await c).index, b.index);
    a.release();
    (await c).release();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("guest slots: another process's slot is free once it is killed", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const holder = new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `import { takeGuestSlot } from "${
          new URL("./guest_slots.ts", import.meta.url).href
        }";
        await takeGuestSlot({ slots: 1, dir: ${JSON.stringify(dir)} });
        console.log("held");
        setInterval(() => {}, 60_000);`,
      ],
      stdout: "piped",
    }).spawn();
    const reader = holder.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    assert.match((await reader.read()).value ?? "", /held/);
    const abort = new AbortController();
    const mine = takeGuestSlot({ slots: 1, dir, signal: abort.signal });
    assert.ok(
      await stillWaiting(mine),
      "the other process holds the only slot",
    );
    holder.kill("SIGKILL");
    await holder.status;
    // cancelling the reader cancels the stream it was piped from
    await reader.cancel();
    (await mine).release();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("guest slots: an abort ends the wait", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const a = await takeGuestSlot({ slots: 1, dir });
    const abort = new AbortController();
    const b = takeGuestSlot({ slots: 1, dir, signal: abort.signal });
    abort.abort();
    await assert.rejects(b);
    a.release();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("guest slots: the count and place come from the environment", () => {
  assert.equal(slotCount({ XETH_GUEST_SLOTS: "3" }), 3);
  assert.equal(
    slotCount({ XETH_GUEST_SLOTS: "0" }),
    navigator.hardwareConcurrency,
  );
  assert.equal(
    slotCount({ XETH_GUEST_SLOTS: "x" }),
    navigator.hardwareConcurrency,
  );
  assert.equal(slotDir({ XETH_GUEST_SLOT_DIR: "/x" }), "/x");
  assert.match(
    slotDir({ XDG_RUNTIME_DIR: "/run/user/7" }),
    /^\/run\/user\/7\/xeth-guest-slots-\d+$/,
  );
});
