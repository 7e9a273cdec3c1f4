import { deepEqual, ok } from "node:assert/strict";
import { waitFor } from "../../ffi/testing/wait.ts";

/** The state letter of /proc/<pid>/stat, or undefined once it is gone. */
async function procState(pid: number): Promise<string | undefined> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  } catch {
    return undefined;
  }
}

const gone = async (pid: number) => {
  const s = await procState(pid);
  return s === undefined || s === "Z";
};

// A rig stand-in: registers a long sleep, says its pid, waits.
const RIG = `
import { reapWithUs } from ${
  JSON.stringify(new URL("./child_reaper.ts", import.meta.url).href)
};
const child = new Deno.Command("sleep", { args: ["600"] }).spawn();
reapWithUs(child);
console.log(child.pid);
await child.status;
`;

async function rigWithChild(): Promise<
  { rig: Deno.ChildProcess; pid: number }
> {
  const rig = new Deno.Command(Deno.execPath(), {
    args: ["eval", RIG],
    stdout: "piped",
  }).spawn();
  const reader = rig.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) {
      throw new Error(`the rig ended before its child started: ${text}`);
    }
    text += value;
  }
  await reader.cancel();
  return { rig, pid: Number(text.trim()) };
}

for (const [sig, code] of [["SIGTERM", 143], ["SIGHUP", 129]] as const) {
  Deno.test(`reapWithUs: ${sig} to the rig kills its children, and the rig ends with ${code}`, async () => {
    const { rig, pid } = await rigWithChild();
    ok(!await gone(pid), "the child runs before the signal");
    rig.kill(sig);
    const status = await rig.status;
    deepEqual(status.code, code);
    // the kill was sent before the rig exited; the child stops when it
    // next runs, which on a busy machine can take a while (a fresh-clone
    // run beside two guests saw it still runnable, R, as the rig ended),
    // and is reaped by its new parent. An unkilled child sleeps for 600 s,
    // so a long bound still tells them apart.
    const stopped = await waitFor("the child", () => gone(pid), 60_000)
      .then(() => true, () => false);
    ok(
      stopped,
      `the child ${pid} outlived the rig by 60 s (${await procState(pid)})`,
    );
  });
}
