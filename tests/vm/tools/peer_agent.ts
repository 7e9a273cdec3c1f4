/**
 * The peer guest's agent (tests/vm/peer.ts, guest/peer.sh): runs the
 * commands a scenario sends it over the rig's own link and answers with
 * their output and status, so that a scenario drives a second machine
 * without a login service in the guests.
 *
 *   deno run -A tests/vm/tools/peer_agent.ts ADDR PORT
 *
 * One command a connection: a line holding the command's bash text in
 * base64; the answer is its output (stdout and stderr as they came), a
 * newline, then `xrig-peer-rc=N`, and the connection closes (the client
 * takes that one newline off again: the output arrives as it was). The command `__xrig_bye` ends the agent. The
 * client is lib_peer.sh's on_peer, in bash.
 *
 * @module
 */

export const BYE = "__xrig_bye";
export const RC_MARK = "xrig-peer-rc=";

/** The bytes of one connection's first line, without the newline. */
async function readLine(conn: Deno.Conn): Promise<string> {
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(65536);
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) break;
    const part = buf.slice(0, n);
    const nl = part.indexOf(10);
    if (nl >= 0) {
      chunks.push(part.subarray(0, nl));
      break;
    }
    chunks.push(part);
  }
  const all = new Uint8Array(chunks.reduce((t, c) => t + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return new TextDecoder().decode(all);
}

/** Runs bash text; its stdout and stderr as one stream, and its status. */
export async function runCommand(
  text: string,
): Promise<{ output: Uint8Array; code: number }> {
  const out = await new Deno.Command("bash", {
    args: ["-c", 'exec 2>&1; eval "$1"', "peer", text],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).output();
  return { output: out.stdout, code: out.code };
}

/** The answer's bytes: the output, a line break, the status line. */
export function answer(output: Uint8Array, code: number): Uint8Array {
  const tail = new TextEncoder().encode(`\n${RC_MARK}${code}\n`);
  const all = new Uint8Array(output.length + tail.length);
  all.set(output);
  all.set(tail, output.length);
  return all;
}

async function serve(conn: Deno.Conn, bye: () => void): Promise<void> {
  try {
    const line = (await readLine(conn)).trim();
    const text = new TextDecoder().decode(
      Uint8Array.from(atob(line), (c) => c.charCodeAt(0)),
    ).trim();
    if (text === BYE) {
      await conn.write(answer(new Uint8Array(), 0));
      bye();
      return;
    }
    const { output, code } = await runCommand(text);
    const bytes = answer(output, code);
    for (let at = 0; at < bytes.length;) {
      at += await conn.write(bytes.subarray(at));
    }
  } catch (e) {
    // a client that went away, or a line that is not base64: its own
    // problem; the agent serves the next
    console.error(`peer agent: ${(e as Error).message}`);
  } finally {
    try {
      conn.close();
    } catch {
      // closed already
    }
  }
}

if (import.meta.main) {
  const [hostname, port] = Deno.args;
  if (!hostname || !/^\d+$/.test(port ?? "")) {
    console.error("usage: peer_agent.ts ADDR PORT");
    Deno.exit(2);
  }
  const listener = Deno.listen({ hostname, port: Number(port) });
  console.log(`peer agent: listening on ${hostname}:${port}`);
  const bye = () => {
    console.log("peer agent: the scenario said goodbye");
    listener.close();
  };
  try {
    for await (const conn of listener) serve(conn, bye);
  } catch {
    // the listener closed: goodbye
  }
}
