/**
 * A scenario's second machine: a peer guest booted beside the scenario's
 * own, joined to it by two virtual links that QEMU carries as UDP
 * datagrams on the host's loopback (`-netdev dgram`, QEMU 7.2+):
 *
 * - "wan", the link the scenario tests (what a real pair of machines
 *   would have between them), and
 * - "ctl", the rig's own link: the scenario drives the peer over it
 *   (tests/vm/lib_peer.sh, tools/peer_agent.ts), so that the wan carries
 *   only what the scenario puts on it.
 *
 * Each guest finds its two interfaces by the MAC address the rig gives
 * them (XETH_PEER_WAN_MAC, XETH_PEER_CTL_MAC in its env file; lib_peer.sh
 * peer_links). The peer runs guest/peer.sh until the
 * scenario says goodbye. It needs no guest slot of its own: it is idle
 * but for what the scenario asks of it.
 */
import dgram from "node:dgram";

/** Which end of the links a guest is: the scenario's or the peer's. */
export type PeerSide = "scenario" | "peer";

export interface PeerLinks {
  /** UDP ports on 127.0.0.1: [scenario's end, peer's end] per link */
  wan: [number, number];
  ctl: [number, number];
}

const LINKS = ["wan", "ctl"] as const;

/**
 * The MAC of a guest's interface on a link: locally administered, the
 * link and the side in the last bytes (52:54:00 is QEMU's prefix).
 */
export function peerMac(link: "wan" | "ctl", side: PeerSide): string {
  const l = link === "wan" ? "01" : "02";
  const s = side === "scenario" ? "01" : "02";
  return `52:54:00:7e:${l}:${s}`;
}

/**
 * A free UDP port on the loopback, as the kernel hands one out. It is
 * released before QEMU binds it; another process could take it in
 * between, and QEMU then fails to start, which the run reports.
 */
function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket("udp4");
    s.once("error", reject);
    s.bind(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export async function allocatePeerLinks(): Promise<PeerLinks> {
  const ports: number[] = [];
  // four distinct ports: a port closed and handed out again would join
  // the two ends of one link to the same socket
  while (ports.length < 4) {
    const p = await freeUdpPort();
    if (!ports.includes(p)) ports.push(p);
  }
  return { wan: [ports[0], ports[1]], ctl: [ports[2], ports[3]] };
}

/** The QEMU arguments of one side's two interfaces. */
export function peerQemuArgs(links: PeerLinks, side: PeerSide): string[] {
  const mine = side === "scenario" ? 0 : 1;
  return LINKS.flatMap((link, i) => {
    const [local, remote] = [links[link][mine], links[link][1 - mine]];
    return [
      "-netdev",
      [
        `dgram,id=xrig_${link}`,
        "local.type=inet,local.host=127.0.0.1",
        `local.port=${local}`,
        "remote.type=inet,remote.host=127.0.0.1",
        `remote.port=${remote}`,
      ].join(","),
      "-device",
      // fixed slots: the same order of interfaces in every boot
      `virtio-net-pci,netdev=xrig_${link},mac=${peerMac(link, side)},addr=0x${
        (0x18 + i).toString(16)
      }`,
    ];
  });
}

/** The env lines that tell a guest which interfaces are its links. */
export function peerEnv(side: PeerSide): string {
  return [
    `export XETH_PEER_SIDE=${side}`,
    `export XETH_PEER_WAN_MAC=${peerMac("wan", side)}`,
    `export XETH_PEER_CTL_MAC=${peerMac("ctl", side)}`,
  ].map((l) => `${l}\n`).join("");
}
