// The agent against the bash client the scenarios use (lib_peer.sh
// on_peer), over a real TCP connection on the loopback.
import assert from "node:assert/strict";
import { answer, RC_MARK } from "./peer_agent.ts";

const AGENT = new URL("./peer_agent.ts", import.meta.url).pathname;
const LIB = new URL("../lib.sh", import.meta.url).pathname;
const LIB_PEER = new URL("../lib_peer.sh", import.meta.url).pathname;

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Runs bash with on_peer pointed at an agent on 127.0.0.1:PORT. */
async function client(port: number, script: string) {
  const out = await new Deno.Command("bash", {
    args: [
      "-c",
      `. ${LIB}; . ${LIB_PEER}; PEER_CTL_ADDR[peer]=127.0.0.1; PEER_CTL_PORT=${port}; ${script}`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

Deno.test("answer: the output, a line break, the status", () => {
  const t = (s: string, code: number) =>
    new TextDecoder().decode(answer(new TextEncoder().encode(s), code));
  assert.equal(t("", 0), `\n${RC_MARK}0\n`);
  assert.equal(t("a\n", 3), `a\n\n${RC_MARK}3\n`);
  assert.equal(t("a", 1), `a\n${RC_MARK}1\n`);
});

Deno.test("on_peer: output, status, quoting, and goodbye", async () => {
  const port = freePort();
  const agent = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", AGENT, "127.0.0.1", String(port)],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  try {
    const r = await client(
      port,
      [
        "peer_ready 30 || exit 9",
        // a word with spaces and quotes arrives as one argument
        `on_peer printf '<%s>' "a b'c" "\\$HOME"; echo " rc=$?"`,
        "on_peer bash -c 'echo out; echo err >&2; exit 7'; echo rc=$?",
        // a process left running with its output elsewhere does not hold the answer
        "on_peer bash -c 'sleep 30 >/dev/null 2>&1 & echo started'; echo rc=$?",
        "peer_bye",
        // the agent is gone: out of reach
        "sleep 0.5; on_peer true; echo after=$?",
      ].join("\n"),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      [
        `<a b'c><$HOME> rc=0`,
        "out",
        "err",
        "rc=7",
        "started",
        "rc=0",
        "after=255",
        "",
      ].join("\n"),
    );
    const status = await agent.status;
    assert.equal(status.code, 0, "the agent ends on goodbye");
  } finally {
    try {
      agent.kill();
    } catch {
      // gone already
    }
    await agent.stdout.cancel().catch(() => {});
    await agent.stderr.cancel().catch(() => {});
  }
});
