/**
 * The punt (exception) path of the data plane library on a real link-less
 * xeth mux, for tests/vm/scenarios/punt_mux.sh.
 *
 * usage: deno run -A tests/vm/tools/punt_mux.ts MUX vlan|vpls XID PROXY
 *
 * PROXY (the proxy with XID, address 192.0.2.1/24) is pinging 192.0.2.2 in
 * the background (until the scenario stops it). The tool waits for the proxy's ARP request on the punt
 * socket (a proxy transmit reaches the daemon, decapsulated, with its xid),
 * answers it as an exception (the mux hands it to the proxy's receive path,
 * so Linux learns the neighbour), then waits for the ICMP echo request that
 * follows. Prints one JSON line of what it saw.
 *
 * @module
 */

import { openDataplane } from "../../../ffi/library.ts";
import { type InFrame, PuntSocket } from "../../../ffi/punt.ts";

const [mux, encap, xidArg, proxy] = Deno.args;
/** The rig's time scale (tests/vm/calibrate.ts): every bound grows with it. */
const SCALE = Number(Deno.env.get("XETH_TIME_SCALE") ?? "1") || 1;
/** How long to wait for each frame: generous, nothing here is measured. */
const WAIT_MS = 60_000 * SCALE;
const xid = Number(xidArg);
const PEER_MAC = [0x02, 0, 0, 0, 0, 0x02];
const PEER_IP = [192, 0, 2, 2];

const proxyMac = (await Deno.readTextFile(`/sys/class/net/${proxy}/address`))
  .trim().split(":").map((h) => parseInt(h, 16));

using dp = openDataplane();
using punt = PuntSocket.open(dp, mux, {
  encap: encap === "vpls" ? "vpls" : "vlan",
  capture: 256,
});

const ethertype = (f: Uint8Array) => f[12] << 8 | f[13];

// The first frames seen, for the output when something does not match.
const seen: string[] = [];

async function waitFor(
  what: (f: InFrame) => boolean,
  ms: number,
): Promise<InFrame | undefined> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    for (const f of punt.recvBatch()) {
      if (seen.length < 4) {
        seen.push(
          `xid ${f.xid} ${
            Array.from(f.frame.subarray(0, 44), (b) =>
              b.toString(16).padStart(2, "0")).join("")
          }`,
        );
      }
      if (what(f)) return f;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return undefined;
}

// The proxy's ARP request for the peer.
const arp = await waitFor(
  (f) =>
    ethertype(f.frame) === 0x0806 && f.frame[21] === 1 &&
    f.frame.subarray(38, 42).every((b, i) => b === PEER_IP[i]),
  WAIT_MS,
);

// The answer, as an exception to the proxy.
const reply = new Uint8Array(42);
reply.set(proxyMac, 0);
reply.set(PEER_MAC, 6);
reply.set([0x08, 0x06], 12);
reply.set([0, 1, 0x08, 0, 6, 4, 0, 2], 14); // Ethernet/IPv4, reply
reply.set(PEER_MAC, 22);
reply.set(PEER_IP, 28);
reply.set(proxyMac, 32);
reply.set([192, 0, 2, 1], 38);
if (arp) punt.send({ xid, frame: reply, exception: true });

// With the neighbour known, the echo request leaves for the peer's MAC.
const echo = arp
  ? await waitFor(
    (f) =>
      ethertype(f.frame) === 0x0800 && f.frame[23] === 1 &&
      f.frame.subarray(0, 6).every((b, i) => b === PEER_MAC[i]),
    WAIT_MS,
  )
  : undefined;

const stats = punt.stats();
console.log(JSON.stringify({
  arp_request: arp
    ? { xid: arp.xid, outgoing: arp.outgoing, exception: arp.exception }
    : null,
  arp_from_proxy: arp
    ? arp.frame.subarray(6, 12).every((b, i) => b === proxyMac[i])
    : false,
  echo_request: echo ? { xid: echo.xid } : null,
  rx_frames: Number(stats.rx_frames),
  rx_decap_errors: Number(stats.rx_decap_errors),
  tx_exceptions: Number(stats.tx_exceptions),
  tx_errors: Number(stats.tx_errors),
  seen,
}));
