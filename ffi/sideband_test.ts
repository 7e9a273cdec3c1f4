// Side-band connections through the real library against a real
// SOCK_SEQPACKET listener (testdata/seqpacket_peer.py), which plays the
// kernel's side. Build the library first (`./run build`).

import {
  deepEqual,
  equal,
  match,
  ok,
  rejects,
  throws,
} from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { ERRNO } from "./abi.generated.ts";
import { DataplaneError, openDataplane } from "./library.ts";
import {
  isClosedError,
  MAX_MESSAGE,
  Ready,
  SidebandBatch,
  SidebandConnection,
} from "./sideband.ts";

const { ECONNREFUSED, EINVAL } = ERRNO;

const PEER = fileURLToPath(
  new URL("testdata/seqpacket_peer.py", import.meta.url),
);

// The same sizes and bytes as message() in seqpacket_peer.py.
function message(i: number): Uint8Array {
  const size = [16, 1, 9728, 40, 300, 9728, 72][i % 7];
  const m = new Uint8Array(size);
  for (let j = 0; j < size; j++) m[j] = (i * 31 + j) % 256;
  return m;
}

let serial = 0;

/**
 * A running peer on a fresh abstract name; `line()` waits for its next
 * output line, `done` for all it printed after that, once it exited.
 */
async function startPeer(mode: string, arg = 0) {
  const name = `xdp${Deno.pid % 10000}.${serial++}`;
  const child = new Deno.Command("python3", {
    args: [PEER, name, mode, String(arg)],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const line = async (): Promise<string> => {
    while (!text.includes("\n")) {
      const { value, done } = await lines.read();
      if (done) throw new Error(`peer exited; it printed: ${text}`);
      text += value;
    }
    const at = text.indexOf("\n");
    const l = text.slice(0, at);
    text = text.slice(at + 1);
    return l;
  };
  equal(await line(), "listening");
  let finished: Promise<string> | undefined;
  return {
    name,
    line,
    get done(): Promise<string> {
      finished ??= (async () => {
        for (;;) {
          const { value, done } = await lines.read();
          if (done) break;
          text += value;
        }
        await child.status;
        return text.trim();
      })();
      return finished;
    },
  };
}

/** Receives until `n` messages arrived, waiting (not polling) between. */
async function receive(
  conn: SidebandConnection,
  batch: SidebandBatch,
  n: number,
): Promise<{ msgs: Uint8Array[]; calls: number }> {
  const msgs: Uint8Array[] = [];
  let calls = 0;
  while (msgs.length < n) {
    if (conn.recv(batch) === 0) {
      const ready = await conn.wait(Ready.READABLE, 5000);
      ok(ready & Ready.READABLE, `timed out with ${msgs.length} of ${n}`);
      continue;
    }
    calls++;
    for (const m of batch.messages()) msgs.push(m.slice());
  }
  return { msgs, calls };
}

Deno.test("connect with nothing listening says how to fix it", () => {
  using dp = openDataplane();
  throws(
    () => SidebandConnection.connect(dp, "xdp-none-0"),
    (e: unknown) => {
      ok(e instanceof DataplaneError);
      equal(e.errno, ECONNREFUSED);
      match(e.message, /nothing listens on @xdp-none-0/);
      match(e.message, /ip link set xdp-none-0 up/);
      return true;
    },
  );
  throws(
    () => SidebandConnection.connect(dp, "a-name-that-is-too-long"),
    (e: unknown) => e instanceof DataplaneError && e.errno === EINVAL,
  );
});

Deno.test("a burst arrives complete and in order", async () => {
  using dp = openDataplane();
  const peer = await startPeer("burst", 1000);
  const conn = SidebandConnection.connect(dp, peer.name);
  const batch = new SidebandBatch(32);
  const { msgs } = await receive(conn, batch, 1000);
  equal(msgs.length, 1000);
  for (let i = 0; i < 1000; i++) {
    deepEqual(msgs[i], message(i), `message ${i}`);
  }
  equal(await peer.line(), "sent 1000");
  equal(conn.recv(batch), 0, "nothing more");
  conn.close();
  equal(await peer.done, "received 0");
});

Deno.test("one receive call takes as many waiting messages as the batch holds", async () => {
  using dp = openDataplane();
  const peer = await startPeer("burst", 40);
  using conn = SidebandConnection.connect(dp, peer.name);
  equal(await peer.line(), "sent 40");
  const batch = new SidebandBatch(32);
  equal(conn.recv(batch), 32);
  const first = [...batch.messages()];
  deepEqual(first[31], message(31));
  equal(conn.recv(batch), 8);
  deepEqual([...batch.messages()][7], message(39));
  equal(conn.recv(batch), 0);
});

Deno.test("messages sent in batches arrive one by one and echo back", async () => {
  using dp = openDataplane();
  const peer = await startPeer("echo", 500);
  using conn = SidebandConnection.connect(dp, peer.name);
  const out = Array.from({ length: 500 }, (_, i) => message(i));
  // Both at once: the peer stops reading while its echoes wait for us.
  const [, { msgs }] = await Promise.all([
    conn.sendAll(out),
    receive(conn, new SidebandBatch(64), 500),
  ]);
  for (let i = 0; i < 500; i++) deepEqual(msgs[i], out[i], `message ${i}`);
  conn.close();
  equal(await peer.done, "received 500");
});

Deno.test("the kernel closing the connection is reported after its last messages", async () => {
  using dp = openDataplane();
  const peer = await startPeer("close", 3);
  using conn = SidebandConnection.connect(dp, peer.name);
  equal(await peer.line(), "sent 3");
  await peer.done;
  const batch = new SidebandBatch(8);
  equal(conn.recv(batch), 3);
  deepEqual([...batch.messages()].map((m) => m.length), [16, 1, 9728]);
  ok(conn.poll(Ready.READABLE) & Ready.HANGUP, "hang-up seen");
  throws(
    () => conn.recv(batch),
    (e: unknown) => {
      ok(isClosedError(e));
      match(
        (e as Error).message,
        /closed by the kernel.*reconnect and dump again/,
      );
      return true;
    },
  );
  equal(batch.count, 0);
});

Deno.test("wait resolves on data, times out, and is woken by wake and close", async () => {
  using dp = openDataplane();
  const peer = await startPeer("delay", 200);
  const conn = SidebandConnection.connect(dp, peer.name);
  equal(await conn.wait(Ready.READABLE, 20), 0, "timeout before the data");
  equal(await conn.wait(Ready.READABLE, 5000), Ready.READABLE);
  const batch = new SidebandBatch(1);
  equal(conn.recv(batch), 1);
  deepEqual([...batch.messages()][0], message(0));

  const woken = conn.wait(Ready.READABLE);
  conn.wake();
  equal(await woken, Ready.WOKEN);

  const closing = conn.wait(Ready.READABLE);
  conn.close();
  equal(await closing, Ready.WOKEN, "close ends a pending wait");
  equal(conn.isOpen, false);
  throws(() => conn.recv(batch), /is closed/);
  await rejects(() => conn.wait(Ready.READABLE), /is closed/);
  conn.close();
  equal(await peer.done, "received 0");
});

Deno.test("the library rejects bad buffers with a message", async () => {
  using dp = openDataplane();
  const peer = await startPeer("silent");
  using conn = SidebandConnection.connect(dp, peer.name);
  const sym = dp.symbols;
  const lens = new Uint32Array(1);
  const buf = new Uint8Array(MAX_MESSAGE);
  // Handle 0 is never returned by connect.
  equal(sym.xeth_dp_sideband_recv(0n, buf, BigInt(buf.length), lens, 1n), -9n);
  match(dp.lastError(), /handle 0 is not open/);
  const small = new Uint8Array(MAX_MESSAGE - 1);
  throws(
    () => conn.recv({ buf: small, lens, count: 0 } as unknown as SidebandBatch),
    /receive buffer must hold at least one 9728-byte message/,
  );
  throws(
    () => conn.send([new Uint8Array(0)]),
    /message length must be 1 to 9728 bytes/,
  );
  throws(
    () => conn.send([new Uint8Array(MAX_MESSAGE + 1)]),
    /message length must be 1 to 9728 bytes/,
  );
  conn.close();
  equal(await peer.done, "received 0");
  throws(() => new SidebandBatch(0), RangeError);
});
