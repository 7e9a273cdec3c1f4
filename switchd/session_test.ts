// The session against a scripted kernel (testdata/fake_kernel.py) over a
// real SOCK_SEQPACKET socket, through the real data plane library.

import { deepEqual, equal } from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { openDataplane } from "../ffi/library.ts";
import { encode } from "./protocol/encode.ts";
import { FIB_EVENT } from "./protocol/kinds.ts";
import type { FibEntry, Message } from "./protocol/types.ts";
import type { Change } from "./mirror/mirror.ts";
import { Session, type SessionState } from "./session.ts";

const FAKE = fileURLToPath(new URL("testdata/fake_kernel.py", import.meta.url));

const hex = (m: Message) =>
  Array.from(encode(m), (b) => b.toString(16).padStart(2, "0")).join("");

function route(
  a: number,
  event: number = FIB_EVENT.REPLACE,
  net = 1n,
): FibEntry {
  return {
    kind: "fibentry",
    net,
    address: a << 24 >>> 0,
    prefixLength: 8,
    event,
    tos: 0,
    type: 1,
    table: 254,
    nextHops: [{ ifindex: 107, weight: 1, flags: 0, gw: 0x0a000002, scope: 0 }],
  };
}

const port: Message = {
  kind: "ifinfo",
  xid: 7,
  kdata: 0,
  ifname: "xeth1",
  net: 1n,
  ifindex: 107,
  flags: 1,
  addr: 0x020000000007,
  devKind: 1,
  reason: 4,
  features: 0n,
};
const netns: Message = { kind: "netns_add", net: 1n };
const neigh: Message = {
  kind: "neigh_update",
  net: 1n,
  ifindex: 107,
  family: "inet",
  dst: 0x0a000002,
  lladdr: 0x020000000002,
  deleted: false,
};

/**
 * Starts testdata/fake_kernel.py on SCRIPT under a name of its own;
 * received() waits for its end and gives, per connection, the kinds of the
 * messages the daemon sent.
 */
async function fakeKernel(script: string) {
  const name = `xsess${Deno.pid % 10000}${Math.floor(Math.random() * 1e4)}`;
  const child = new Deno.Command("python3", {
    args: [FAKE, name, script],
    stdout: "piped",
  }).spawn();
  const out = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("listening\n")) text += (await out.read()).value ?? "";
  return {
    name,
    received: async (): Promise<number[][]> => {
      for (;;) {
        const r = await out.read();
        if (r.done) break;
        text += r.value;
      }
      await child.status;
      return text.trim().split("\n").slice(1).map((l) =>
        JSON.parse(l).received
      );
    },
  };
}

function describe(c: Change): string {
  switch (c.table) {
    case "link":
      return `link:${c.op}:${c.link.xid}`;
    case "netns":
      return `netns:${c.op}:${c.net}`;
    case "neigh":
      return `neigh:${c.op}`;
    case "fib":
      return `fib:${c.op}:${c.route.address.toString(16)}`;
  }
}

Deno.test("sessions dump, follow, resync by difference and clear when the mux goes", async () => {
  const dir = await Deno.makeTempDir();
  const script = `${dir}/script.json`;
  await Deno.writeTextFile(
    script,
    JSON.stringify({
      connections: [
        {
          ifinfo: [hex(port)],
          fibinfo: [hex(netns), hex(route(1)), hex(route(2)), hex(neigh)],
          // one garbage message among the live ones
          live: [
            hex(route(3)),
            "00".repeat(14) + "0263",
            hex(route(1, FIB_EVENT.DEL)),
          ],
          then: "close",
        },
        {
          ifinfo: [hex(port)],
          fibinfo: [hex(netns), hex(route(2)), hex(route(4))],
          live: [],
          then: "close",
        },
      ],
    }),
  );
  const fake = await fakeKernel(script);
  const name = fake.name;

  using dp = openDataplane();
  const seen: string[] = [];
  const states: SessionState[] = [];
  const stop = new AbortController();
  const session = new Session({
    dataplane: dp,
    mux: name,
    backoffMs: 10,
    maxBackoffMs: 20,
    // the first connection asks for an extension (before its dumps)
    extensions: (): bigint => session.counters.connects === 1 ? 2n : 0n,
    onChanges: (cs) => seen.push(...cs.map(describe)),
    onState: (s) => {
      states.push(s);
      if (s === "waiting" && session.counters.syncs === 2) stop.abort();
    },
  });
  const timeout = setTimeout(() => stop.abort(), 10_000);
  await session.run(stop.signal);
  clearTimeout(timeout);

  deepEqual(seen, [
    // first dump, from nothing
    "link:set:7",
    "netns:set:1",
    "neigh:set",
    "fib:set:1000000",
    "fib:set:2000000",
    // live updates
    "fib:set:3000000",
    "fib:del:1000000",
    // the second dump: only what differs
    "fib:set:4000000",
    "fib:del:3000000",
    "neigh:del",
    // nothing listens any more: all gone
    "fib:del:2000000",
    "fib:del:4000000",
    "netns:del:1",
    "link:del:7",
  ]);
  equal(session.counters.connects, 2);
  equal(session.counters.disconnects, 2);
  equal(session.counters.syncs, 2);
  equal(session.counters.invalid, 1);
  deepEqual(session.mirror.counts(), {
    links: 0,
    routes: 0,
    neighbours: 0,
    netns: 0,
  });
  deepEqual(states.slice(0, 4), [
    "dumping-ifinfo",
    "dumping-fibinfo",
    "live",
    "connecting",
  ]);
  equal(states.at(-1), "stopped");

  // Each connection asked for both dumps, in order; the first enabled its
  // extension (EXT_ENABLE, kind 21) first.
  deepEqual(await fake.received(), [[21, 8, 14], [8, 14]]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a namespace that appears live brings its routes: one dump more, not one per NETNS_ADD", async () => {
  const dir = await Deno.makeTempDir();
  const script = `${dir}/script.json`;
  const netns2: Message = { kind: "netns_add", net: 2n };
  await Deno.writeTextFile(
    script,
    JSON.stringify({
      connections: [{
        ifinfo: [hex(port)],
        fibinfo: [hex(netns), hex(route(1))],
        // the kernel says only NETNS_ADD for a namespace whose routes were
        // in place before the mux's first proxy moved in
        live: [hex(netns2)],
        // and its dump starts with a NETNS_ADD of every namespace
        redump: [hex(netns), hex(route(1)), hex(netns2), hex(route(5, 0, 2n))],
        then: "hold",
      }],
    }),
  );
  const fake = await fakeKernel(script);
  using dp = openDataplane();
  const seen: string[] = [];
  const stop = new AbortController();
  const session = new Session({
    dataplane: dp,
    mux: fake.name,
    backoffMs: 10,
    maxBackoffMs: 20,
    extensions: () => 0n,
    onChanges: (cs) => {
      seen.push(...cs.map(describe));
      // A NETNS_ADD asks before the routes after it are told: a request
      // too many would be on its way by now.
      if (seen.includes("fib:set:5000000")) stop.abort();
    },
    onState: () => {},
  });
  const timeout = setTimeout(() => stop.abort(), 10_000);
  await session.run(stop.signal);
  clearTimeout(timeout);

  deepEqual(seen, [
    "link:set:7",
    "netns:set:1",
    "fib:set:1000000",
    "netns:set:2",
    // the dump again: routes held already are told again (a REPLACE of
    // the same route; the SWITCH takes it as it is, and its cookie is the
    // one offload results must name)
    "fib:set:1000000",
    "fib:set:5000000",
  ]);
  equal(session.counters.redumps, 1);
  deepEqual(await fake.received(), [[8, 14, 14]]);
  await Deno.remove(dir, { recursive: true });
});
