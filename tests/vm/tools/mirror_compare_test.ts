// wait-routes' arguments and times, against a control socket that always
// answers 5 routes (the guest's SWITCHD is not needed to read a command
// line).
import assert from "node:assert/strict";

const TOOL = new URL("./mirror_compare.ts", import.meta.url).pathname;

async function withFakeControl(
  body: (path: string, dir: string) => Promise<void>,
  times: { mirror?: number; switchUs?: string } = {},
): Promise<void> {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/control.sock`;
  const listener = Deno.listen({ transport: "unix", path });
  const serving = (async () => {
    for await (const conn of listener) {
      const buf = new Uint8Array(4096);
      const n = await conn.read(buf);
      const q = JSON.parse(new TextDecoder().decode(buf.subarray(0, n ?? 0)));
      const result = q.show === "session"
        ? { routes: 5, changed_at_ms: times.mirror }
        : {
          routes4: "5",
          routes6: "0",
          "switchd.programmed_at_us": times.switchUs,
        };
      await conn.write(
        new TextEncoder().encode(JSON.stringify({ ok: true, result }) + "\n"),
      );
      conn.close();
    }
  })();
  try {
    await body(path, dir);
  } finally {
    listener.close();
    await serving.catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
}

async function waitRoutes(...args: string[]): Promise<number> {
  return (await waitRoutesOut(...args)).code;
}

async function waitRoutesOut(
  ...args: string[]
): Promise<{ code: number; stdout: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", TOOL, ...args],
    stdout: "piped",
    stderr: "null",
  }).output();
  return { code: out.code, stdout: new TextDecoder().decode(out.stdout) };
}

Deno.test("wait-routes: N is the first argument, with or without --ready", async () => {
  await withFakeControl(async (path, dir) => {
    // 10 is never reached; a parser that dropped N would wait for 1 route
    assert.equal(await waitRoutes(path, "wait-routes", "10", "1"), 1);
    assert.equal(
      await waitRoutes(path, "wait-routes", "10", "1", "--at-most"),
      0,
    );
    const ready = `${dir}/ready`;
    assert.equal(
      await waitRoutes(path, "wait-routes", "5", "1", "--ready", ready),
      0,
    );
    assert.ok((await Deno.stat(ready)).isFile, "--ready FILE was created");
    assert.equal(
      await waitRoutes(path, "wait-routes", "--ready", ready, "6", "1"),
      1,
    );
  });
});

Deno.test("wait-routes: the times are SWITCHD's, when it says them", async () => {
  await withFakeControl(async (path) => {
    const r = await waitRoutesOut(path, "wait-routes", "5", "1");
    assert.equal(r.code, 0);
    assert.deepEqual(JSON.parse(r.stdout), {
      mirror_at: 1764806400.1234,
      switch_at: 1764806400.5678,
    });
  }, { mirror: 1764806400123.4, switchUs: "1764806400567800" });
  await withFakeControl(async (path) => {
    // an older SWITCHD: when the answer came
    const before = Date.now() / 1000;
    const r = await waitRoutesOut(path, "wait-routes", "5", "1");
    const t = JSON.parse(r.stdout);
    assert.ok(t.mirror_at >= before && t.switch_at >= t.mirror_at, r.stdout);
  });
});
