/**
 * The control socket of a running SWITCHD: a unix stream socket where
 * `xeth-switchd show` asks for state. One request per connection: a JSON
 * line `{"show": WHAT}`; the answer is one JSON line, then the daemon
 * closes the connection.
 *
 * @module
 */

import { dirname } from "node:path";

/** Where a daemon for `mux` listens unless --control says otherwise. */
export function defaultControlPath(mux: string): string {
  return `/run/xeth-switchd/${mux}.sock`;
}

export interface ControlRequest {
  show: string;
}

/** Largest request accepted; requests are a few bytes. */
const MAX_REQUEST = 4096;

/**
 * Serves requests on `path` with `answer` until `signal` aborts. A stale
 * socket file (left by a daemon that died) is replaced; a live one (another
 * daemon answering) is an error, so that two daemons never share a mux.
 */
export async function serveControl(
  path: string,
  answer: (req: ControlRequest) => unknown,
  signal: AbortSignal,
): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  if (await isLive(path)) {
    throw new Error(
      `another xeth-switchd answers on ${path}; stop it or give --control another path`,
    );
  }
  await Deno.remove(path).catch(() => {});
  const listener = Deno.listen({ transport: "unix", path });
  const close = () => listener.close();
  signal.addEventListener("abort", close);
  try {
    for await (const conn of listener) {
      void handle(conn, answer);
    }
  } catch (e) {
    if (!signal.aborted) throw e;
  } finally {
    signal.removeEventListener("abort", close);
    await Deno.remove(path).catch(() => {});
  }
}

async function handle(
  conn: Deno.UnixConn,
  answer: (req: ControlRequest) => unknown,
): Promise<void> {
  const enc = new TextEncoder();
  try {
    const req = await readLine(conn);
    let reply: unknown;
    try {
      const parsed = JSON.parse(req);
      if (typeof parsed?.show !== "string") throw new Error("no show field");
      reply = { ok: true, result: await answer(parsed) };
    } catch (e) {
      reply = { ok: false, error: e instanceof Error ? e.message : String(e) };
    }
    await writeAll(conn, enc.encode(toJson(reply) + "\n"));
  } catch {
    // A client that vanished mid-request is its own problem.
  } finally {
    try {
      conn.close();
    } catch {
      // already closed
    }
  }
}

/** Asks the daemon on `path`; throws with advice when none answers. */
export async function queryControl(
  path: string,
  req: ControlRequest,
): Promise<unknown> {
  let conn: Deno.UnixConn;
  try {
    conn = await Deno.connect({ transport: "unix", path });
  } catch (e) {
    if (
      e instanceof Deno.errors.NotFound ||
      e instanceof Deno.errors.ConnectionRefused
    ) {
      throw new Error(
        `no xeth-switchd answers on ${path}: is it running (systemctl status xeth-switchd@MUX, or deno task switchd --mux MUX in a checkout)? ` +
          `A daemon started with --control PATH needs the same --control here`,
      );
    }
    throw e;
  }
  try {
    await writeAll(conn, new TextEncoder().encode(JSON.stringify(req) + "\n"));
    const reply = JSON.parse(await readLine(conn, 64 << 20));
    if (!reply.ok) throw new Error(`xeth-switchd refused: ${reply.error}`);
    return reply.result;
  } finally {
    conn.close();
  }
}

async function isLive(path: string): Promise<boolean> {
  try {
    const c = await Deno.connect({ transport: "unix", path });
    c.close();
    return true;
  } catch {
    return false;
  }
}

async function readLine(conn: Deno.Conn, max = MAX_REQUEST): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const buf = new Uint8Array(65536);
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) break;
    chunks.push(buf.slice(0, n));
    size += n;
    if (buf.subarray(0, n).includes(10)) break;
    if (size > max) throw new Error("control message too long");
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  const text = new TextDecoder().decode(all);
  const nl = text.indexOf("\n");
  return nl < 0 ? text : text.slice(0, nl);
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  for (let at = 0; at < data.length;) at += await conn.write(data.subarray(at));
}

/** JSON with bigints as decimal strings. */
export function toJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) => typeof x === "bigint" ? String(x) : x);
}
