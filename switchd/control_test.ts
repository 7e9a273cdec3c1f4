// The control socket over real unix sockets in a temporary directory: a
// request answered, a refused one, a second daemon kept off a live socket,
// a stale socket file replaced, and the advice when nobody answers.

import { deepEqual, equal, match, ok, rejects } from "node:assert/strict";
import {
  defaultControlPath,
  queryControl,
  serveControl,
  toJson,
} from "./control.ts";

/** Serves `answer` on a fresh path until the returned stop is called. */
async function serving(
  answer: (req: { show: string }) => unknown,
  path?: string,
): Promise<{ path: string; stop: () => Promise<void> }> {
  const dir = path === undefined ? await Deno.makeTempDir() : undefined;
  const at = path ?? `${dir}/c.sock`;
  const abort = new AbortController();
  const served = serveControl(at, answer, abort.signal);
  // Until it answers: the listener is up once a connection succeeds.
  for (let i = 0;; i++) {
    try {
      (await Deno.connect({ transport: "unix", path: at })).close();
      break;
    } catch (e) {
      if (i >= 200) throw e;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  return {
    path: at,
    stop: async () => {
      abort.abort();
      await served;
      if (dir !== undefined) await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("control: the default path is per mux under /run", () => {
  equal(defaultControlPath("xm0"), "/run/xeth-switchd/xm0.sock");
});

Deno.test("control: a request is answered; u64s travel as strings", async () => {
  const asked: string[] = [];
  const d = await serving((req) => {
    asked.push(req.show);
    return { show: req.show, big: 18446744073709551615n };
  });
  try {
    deepEqual(await queryControl(d.path, { show: "session" }), {
      show: "session",
      big: "18446744073709551615",
    });
    deepEqual(await queryControl(d.path, { show: "fib" }), {
      show: "fib",
      big: "18446744073709551615",
    });
    deepEqual(asked, ["session", "fib"]);
  } finally {
    await d.stop();
  }
  equal(toJson({ n: 1n, s: "x" }), '{"n":"1","s":"x"}');
});

Deno.test("control: what the daemon cannot answer comes back as its reason", async () => {
  const d = await serving(() => {
    throw new Error('cannot show "nothing"');
  });
  try {
    await rejects(
      queryControl(d.path, { show: "nothing" }),
      /xeth-switchd refused: cannot show "nothing"/,
    );
    // A request without a show field is refused, not answered.
    const c = await Deno.connect({ transport: "unix", path: d.path });
    await c.write(new TextEncoder().encode('{"what":1}\n'));
    const buf = new Uint8Array(4096);
    const n = await c.read(buf);
    c.close();
    const reply = JSON.parse(new TextDecoder().decode(buf.subarray(0, n!)));
    deepEqual(reply, { ok: false, error: "no show field" });
  } finally {
    await d.stop();
  }
});

Deno.test("control: a second daemon is kept off a live socket; a stale one is replaced", async () => {
  const d = await serving(() => "first");
  try {
    await rejects(
      serveControl(d.path, () => "second", new AbortController().signal),
      /another xeth-switchd answers on .*c\.sock; stop it or give --control another path/,
    );
    equal(await queryControl(d.path, { show: "x" }), "first");
  } finally {
    await d.stop();
  }
  ok(!(await exists(d.path)), "the socket file goes with the daemon");

  // A socket file nobody listens on, as a killed daemon leaves it.
  const dir = await Deno.makeTempDir();
  const stale = `${dir}/c.sock`;
  const bound = await new Deno.Command("python3", {
    args: [
      "-c",
      "import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])",
      stale,
    ],
  }).output();
  ok(bound.success, "python3 binds a unix socket and exits");
  ok((await Deno.lstat(stale)).isSocket, "a socket file, nobody listening");
  const again = await serving(() => "again", stale);
  try {
    equal(await queryControl(stale, { show: "x" }), "again");
  } finally {
    await again.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("control: with no daemon, the error says what to check", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await rejects(
      queryControl(`${dir}/none.sock`, { show: "session" }),
      (e: Error) => {
        match(e.message, /no xeth-switchd answers on .*none\.sock/);
        match(e.message, /--control PATH needs the same --control here/);
        return true;
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}
