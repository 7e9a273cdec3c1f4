// The program's records are rendered as text by the data plane library
// (the one renderer of the records), so the expectations below are the
// lines an operator reads; build the library first (`./run build`).

import { deepEqual, equal, match } from "node:assert/strict";
import { openDataplane } from "../../ffi/library.ts";
import { recordsText } from "../../ffi/switch.ts";
import { diffMirrors, Mirror } from "../mirror/mirror.ts";
import type { Change } from "../mirror/mirror.ts";
import {
  DEV_KIND,
  IFA_EVENT,
  IFINFO_REASON,
  VALUES,
} from "../protocol/abi.generated.ts";
import { FIB_EVENT } from "../protocol/kinds.ts";
import { parseIp4, parseIp6 } from "../protocol/addresses.ts";
// xeth<xid>, ifindex 100 + xid, up, MAC 02:00:00:00:00:0a + xid, net 1
import { portInfo as ifinfo } from "../protocol/fixtures.ts";
import type {
  Fib6Entry,
  FibEntry,
  Message,
  NeighUpdate,
} from "../protocol/types.ts";
import { RecordWriter } from "../records/writer.ts";
import {
  type Attachment,
  type LinkSpec,
  linkSpec,
  type ProgramOptions,
  splitVlanXid,
  SwitchProgram,
  writeLink,
} from "./program.ts";

const dp = openDataplane();
globalThis.addEventListener("unload", () => dp.close());

/** The lines the library renders the records in `w` as. */
function lines(w: RecordWriter): string[] {
  return recordsText(dp, w.finish()).split("\n").filter((l) => l !== "");
}

/** The `link` line of a link spec. */
function linkLine(s: LinkSpec): string {
  const w = new RecordWriter();
  writeLink(w, s);
  return lines(w)[0];
}

const NET = 1n;
const NS2 = 4026532000n;

function ip4(s: string): number {
  const a = parseIp4(s);
  if (a === undefined) throw new Error(`bad ${s}`);
  return a;
}

function ip6(s: string): bigint {
  const a = parseIp6(s);
  if (a === undefined) throw new Error(`bad ${s}`);
  return a;
}

function route4(
  prefix: string,
  hops: [ifindex: number, gw?: string][],
  o: Partial<FibEntry> = {},
): FibEntry {
  const [a, len] = prefix.split("/");
  return {
    kind: "fibentry",
    net: NET,
    address: ip4(a),
    prefixLength: Number(len),
    event: FIB_EVENT.REPLACE,
    tos: 0,
    type: 1,
    table: 254,
    nextHops: hops.map(([ifindex, gw]) => ({
      ifindex,
      weight: 1,
      flags: 0,
      gw: gw ? ip4(gw) : 0,
      scope: 0,
    })),
    ...o,
  };
}

function route6(
  prefix: string,
  hops: [ifindex: number, gw?: string][],
  o: Partial<Fib6Entry> = {},
): Fib6Entry {
  const [a, len] = prefix.split("/");
  return {
    kind: "fib6entry",
    net: NET,
    address: ip6(a),
    prefixLength: Number(len),
    event: FIB_EVENT.REPLACE,
    type: 1,
    table: 254,
    nextHops: hops.map(([ifindex, gw]) => ({
      ifindex,
      weight: 1,
      flags: 0,
      gw: gw ? ip6(gw) : 0n,
    })),
    ...o,
  };
}

function neigh4(ifindex: number, dst: string, lladdr: number): NeighUpdate {
  return {
    kind: "neigh_update",
    net: NET,
    ifindex,
    family: "inet",
    dst: ip4(dst),
    lladdr,
    deleted: lladdr === 0,
  };
}

function neigh6(ifindex: number, dst: string, lladdr: number): NeighUpdate {
  return {
    kind: "neigh_update",
    net: NET,
    ifindex,
    family: "inet6",
    dst: ip6(dst),
    lladdr,
    deleted: lladdr === 0,
  };
}

/** A mirror and a program fed from it, message by message. */
class Rig {
  readonly mirror = new Mirror();
  readonly warnings: string[] = [];
  readonly program: SwitchProgram;

  constructor(opts: Partial<ProgramOptions> = {}) {
    this.program = new SwitchProgram({
      encap: "vlan",
      warn: (m) => this.warnings.push(m),
      ...opts,
    });
  }

  /** The lines for these messages, encoded at once (as a batch is). */
  feed(...messages: Message[]): string[] {
    const changes: Change[] = [];
    for (const m of messages) changes.push(...this.mirror.apply(m));
    return this.encode(changes);
  }

  /** The lines for these changes. */
  encode(changes: readonly Change[]): string[] {
    const w = new RecordWriter();
    this.program.encode(changes, w);
    return lines(w);
  }

  /** The lines of a clear. */
  clear(): string[] {
    const w = new RecordWriter();
    this.program.clear(w);
    return lines(w);
  }

  restart(): string[] {
    const w = new RecordWriter();
    this.program.restart(w);
    return lines(w);
  }

  /** The lines for these messages, encoded one by one. */
  step(...messages: Message[]): string[] {
    return messages.flatMap((m) => this.feed(m));
  }
}

Deno.test("link lines carry kind, namespace, state, MAC, uppers and addresses", () => {
  const r = new Rig();
  deepEqual(
    r.feed(
      ifinfo(3000, { devKind: DEV_KIND.BRIDGE, ifname: "br0" }),
      ifinfo(3001, { devKind: DEV_KIND.LAG, flags: 0, features: 0n }),
      ifinfo(3002, { devKind: DEV_KIND.LOOPBACK, kdata: 3, net: NS2 }),
      ifinfo(3003, { devKind: DEV_KIND.UNSPEC }),
    ),
    [
      "link 3000 bridge 1 1 1 02:00:00:00:0b:c2 - 0 - -",
      "link 3001 lag 1 0 0 02:00:00:00:0b:c3 - 0 - -",
      "link 3002 loopback 4026532000 1 1 02:00:00:00:0b:c4 - 0 - -",
      "link 3003 other 1 1 1 02:00:00:00:0b:c5 - 0 - -",
    ],
  );
  // Every change is the whole link again; one that changes nothing the
  // SWITCH sees (ethtool state) gives no line.
  deepEqual(
    r.step(
      ifinfo(10),
      { kind: "change_upper_xid", upper: 3000, lower: 10, linking: true },
      { kind: "change_upper_xid", upper: 3001, lower: 10, linking: true },
      {
        kind: "ifa",
        xid: 10,
        event: IFA_EVENT.ADD,
        address: ip4("10.9.0.1"),
        prefixLength: 24,
      },
      {
        kind: "ifa6",
        xid: 10,
        event: IFA_EVENT.ADD,
        address: ip6("2001:db8:0:0:1::1"),
        prefixLength: 64,
      },
      { kind: "ethtool_flags", xid: 10, flags: 1 },
      ifinfo(10, { reason: IFINFO_REASON.DOWN, flags: 0 }),
      ifinfo(10, { reason: IFINFO_REASON.DOWN, flags: 0 }),
      ifinfo(10, { reason: IFINFO_REASON.FEATURES, features: 0n }),
    ),
    [
      "link 10 port 1 1 1 02:00:00:00:00:14 - 0 - -",
      "link 10 port 1 1 1 02:00:00:00:00:14 - 0 3000 -",
      "link 10 port 1 1 1 02:00:00:00:00:14 - 0 3000,3001 -",
      "link 10 port 1 1 1 02:00:00:00:00:14 - 0 3000,3001 10.9.0.1",
      "link 10 port 1 1 1 02:00:00:00:00:14 - 0 3000,3001 10.9.0.1,2001:db8::1:0:0:1",
      "link 10 port 1 0 1 02:00:00:00:00:14 - 0 3000,3001 10.9.0.1,2001:db8::1:0:0:1",
      "link 10 port 1 0 0 02:00:00:00:00:14 - 0 3000,3001 10.9.0.1,2001:db8::1:0:0:1",
    ],
  );
  deepEqual(
    r.feed(
      { kind: "change_upper_xid", upper: 3000, lower: 10, linking: false },
      ifinfo(3001, { reason: IFINFO_REASON.DEL }),
    ),
    [
      // Encoded after the batch: its state at the end.
      "link 10 port 1 0 0 02:00:00:00:00:14 - 0 - 10.9.0.1,2001:db8::1:0:0:1",
      "unlink 3001",
    ],
  );
  // The mirror drops a deleted upper from its members without a change of
  // theirs; the program says it.
  r.feed(
    ifinfo(11),
    { kind: "change_upper_xid", upper: 3000, lower: 10, linking: true },
    { kind: "change_upper_xid", upper: 3000, lower: 11, linking: true },
  );
  deepEqual(r.feed(ifinfo(3000, { reason: IFINFO_REASON.DEL })), [
    "unlink 3000",
    "link 10 port 1 0 0 02:00:00:00:00:14 - 0 - 10.9.0.1,2001:db8::1:0:0:1",
    "link 11 port 1 1 1 02:00:00:00:00:15 - 0 - -",
  ]);
});

Deno.test("vlan links: lower and VLAN id from the xid, by the encap", () => {
  deepEqual(splitVlanXid(5 | 100 << 12, "vlan"), { lower: 5, vid: 100 });
  deepEqual(splitVlanXid((70000 | 4094 << 20) >>> 0, "vpls"), {
    lower: 70000,
    vid: 4094,
  });

  const vlan = new Rig({ encap: "vlan" });
  deepEqual(
    vlan.feed(
      ifinfo(3999),
      ifinfo(3999 | 100 << 12, { devKind: DEV_KIND.VLAN, ifname: "xeth1.100" }),
    ),
    [
      "link 3999 port 1 1 1 02:00:00:00:0f:a9 - 0 - -",
      "link 413599 vlan 1 1 1 02:00:00:06:4f:a9 3999 100 - -",
    ],
  );
  deepEqual(vlan.warnings, []);

  const vpls = new Rig({ encap: "vpls" });
  const xid = (70000 | 4094 << 20) >>> 0;
  const mac = 0x02_00_00_00_00_01;
  const line = `link ${xid} vlan 1 1 1 02:00:00:00:00:01 70000 4094 - -`;
  deepEqual(
    vpls.feed(ifinfo(xid, { devKind: DEV_KIND.VLAN, kdata: 1, addr: mac })),
    [line],
  );
  deepEqual(vpls.warnings, []);
  // A vlan that says the mux is vlan: read as vpls anyway, and said once.
  const odd = ifinfo(xid, { devKind: DEV_KIND.VLAN, kdata: 0, addr: mac });
  deepEqual(vpls.step(odd, { ...odd, flags: 0, reason: IFINFO_REASON.NEW }), [
    `link ${xid} vlan 1 0 1 02:00:00:00:00:01 70000 4094 - -`,
  ]);
  equal(vpls.warnings.length, 1);
  match(
    vpls.warnings[0],
    /encap vlan, but .* --encap vpls.*restart SWITCHD with --encap vlan$/,
  );
});

Deno.test("IPv4 routes: gateways, multipath, non-proxy next hops, deletion", () => {
  const r = new Rig();
  r.feed(ifinfo(10), ifinfo(11), ifinfo(12, { net: NS2 }));
  deepEqual(
    r.feed(
      route4("10.9.0.0/24", [[110]], { table: 255, type: 2 }),
      route4("0.0.0.0/0", [[110, "10.9.0.254"]]),
      route4("192.0.2.0/24", [[110, "10.9.0.1"], [111, "10.9.1.1"], [
        7,
        "10.8.0.1",
      ]]),
      // ifindex 112 is xid 12's, but in another namespace.
      route4("198.51.100.0/24", [[112, "10.9.0.9"], [0]]),
      route4("203.0.113.0/24", [], { type: 6 }),
      route4("0.0.0.0/0", [], { event: FIB_EVENT.DEL }),
    ),
    [
      "route 1 255 10.9.0.0/24 2 10",
      "route 1 254 0.0.0.0/0 1 10@10.9.0.254",
      "route 1 254 192.0.2.0/24 1 10@10.9.0.1,11@10.9.1.1,?",
      "route 1 254 198.51.100.0/24 1 ?,?",
      "route 1 254 203.0.113.0/24 6 -",
      "unroute 1 254 0.0.0.0/0",
    ],
  );
  deepEqual(
    r.feed(route4("198.51.100.0/24", [[112, "10.9.0.9"]], { net: NS2 })),
    ["route 4026532000 254 198.51.100.0/24 1 12@10.9.0.9"],
  );
});

Deno.test("IPv4 routes through IPv6 gateways go to Linux, said once", () => {
  const r = new Rig();
  r.feed(ifinfo(10));
  // What the kernel sends for `via inet6 fe80::1 dev xeth10` (uapi):
  // ifindex 0, gw 0, XETH_NH_F_GW_INET6; never "10", a connected route.
  const v6hop = (prefix: string) => {
    const m = route4(prefix, [[0]]);
    m.nextHops[0].flags = VALUES.XETH_NH_F_GW_INET6 | 4;
    return m;
  };
  deepEqual(
    r.feed(
      v6hop("198.51.100.0/24"),
      v6hop("203.0.113.0/24"),
      route4("192.0.2.0/24", [[110, "10.9.0.1"]]),
    ),
    [
      "route 1 254 198.51.100.0/24 1 ?",
      "route 1 254 203.0.113.0/24 1 ?",
      "route 1 254 192.0.2.0/24 1 10@10.9.0.1",
    ],
  );
  equal(r.warnings.length, 1);
  match(
    r.warnings[0],
    /IPv4 routes through IPv6 gateways \(RFC 5549.*198\.51\.100\.0\/24.*to Linux/,
  );
  // Not again after a resync's clear, nor for a deletion.
  r.clear();
  r.feed(ifinfo(10), v6hop("198.51.100.0/24"));
  equal(r.warnings.length, 1);
});

Deno.test("IPv6 routes: multipath with siblings, non-proxy next hops, deletion", () => {
  const r = new Rig();
  r.feed(ifinfo(10), ifinfo(11));
  deepEqual(
    r.feed(
      route6("2001:db8:1::/64", [[110]]),
      route6("::/0", [[110, "fe80::1"], [111, "fe80::2"], [9, "fe80::3"]]),
      route6("2001:db8:2::/48", [[111, "fe80::2"]], {
        event: FIB_EVENT.APPEND,
      }),
      route6("2001:db8:2::/48", [[110, "fe80::1"]], {
        event: FIB_EVENT.APPEND,
      }),
      route6("::/0", [[9, "fe80::3"]], { event: FIB_EVENT.DEL }),
      route6("2001:db8:1::/64", [[110]], { event: FIB_EVENT.DEL }),
    ),
    [
      "route 1 254 2001:db8:1::/64 1 10",
      "route 1 254 ::/0 1 10@fe80::1,11@fe80::2,?",
      "route 1 254 2001:db8:2::/48 1 11@fe80::2",
      "route 1 254 2001:db8:2::/48 1 11@fe80::2,10@fe80::1",
      "route 1 254 ::/0 1 10@fe80::1,11@fe80::2",
      "unroute 1 254 2001:db8:1::/64",
    ],
  );
});

Deno.test("neighbours: by xid; on a non-proxy interface, skipped", () => {
  const r = new Rig();
  r.feed(ifinfo(10));
  deepEqual(
    r.feed(
      neigh4(110, "10.9.0.2", 0x02_00_00_00_00_99),
      neigh6(110, "fe80::99", 0x02_00_00_00_00_99),
      neigh4(7, "10.8.0.1", 0x02_00_00_00_00_98),
      neigh4(110, "10.9.0.2", 0x02_00_00_00_00_97),
      neigh4(7, "10.8.0.1", 0),
      neigh6(110, "fe80::99", 0),
    ),
    [
      "neigh 1 10 10.9.0.2 02:00:00:00:00:99",
      "neigh 1 10 fe80::99 02:00:00:00:00:99",
      "neigh 1 10 10.9.0.2 02:00:00:00:00:97",
      "unneigh 1 10 fe80::99",
    ],
  );
  // Deleting the port takes its neighbours first.
  deepEqual(r.feed(ifinfo(10, { reason: IFINFO_REASON.DEL })), [
    "unneigh 1 10 10.9.0.2",
    "unlink 10",
  ]);
});

Deno.test("namespaces: nothing of their own; a deleted one takes what it held", () => {
  const r = new Rig();
  deepEqual(r.feed({ kind: "netns_add", net: NS2 }), []);
  r.feed(ifinfo(10, { net: NS2 }), {
    kind: "ifa",
    xid: 10,
    event: IFA_EVENT.ADD,
    address: ip4("10.9.0.1"),
    prefixLength: 24,
  });
  const routes = r.feed(
    route4("10.9.0.0/24", [[110]], { net: NS2 }),
    route6("2001:db8::/64", [[110]], { net: NS2 }),
    { ...neigh4(110, "10.9.0.2", 0x0200_0000_0099), net: NS2 },
  );
  equal(routes.length, 3);
  deepEqual(r.feed({ kind: "netns_del", net: NS2 }), [
    "unroute 4026532000 254 10.9.0.0/24",
    "unroute 4026532000 254 2001:db8::/64",
    "unneigh 4026532000 10 10.9.0.2",
    // The proxy left the namespace: no ifindex, no addresses.
    "link 10 port 4026532000 1 1 02:00:00:00:00:14 - 0 - -",
  ]);
  deepEqual(r.encode([{ table: "netns", op: "del", net: 5n }]), []);
});

Deno.test("a proxy that moves namespace is found by its new ifindex", () => {
  const r = new Rig();
  r.feed(ifinfo(10));
  deepEqual(
    r.step(
      ifinfo(10, { reason: IFINFO_REASON.UNREG }),
      route4("10.1.0.0/16", [[110]]),
      ifinfo(10, { reason: IFINFO_REASON.REG, net: NS2, ifindex: 5 }),
      route4("10.2.0.0/16", [[5]], { net: NS2 }),
      route4("10.3.0.0/16", [[110]]),
    ),
    [
      "route 1 254 10.1.0.0/16 1 ?",
      "link 10 port 4026532000 1 1 02:00:00:00:00:14 - 0 - -",
      "route 4026532000 254 10.2.0.0/16 1 10",
      "route 1 254 10.3.0.0/16 1 ?",
    ],
  );
});

Deno.test("attachments: by name and by xid, once, again after re-creation", () => {
  const attachments: Attachment[] = [
    { port: "xeth10", ifname: "veth10" },
    { port: 11, ifname: "veth11" },
    { port: "br0", ifname: "veth99" },
  ];
  const r = new Rig({ attachments });
  deepEqual(
    r.feed(
      ifinfo(10),
      ifinfo(11, { ifname: "eth11" }),
      ifinfo(12),
      ifinfo(10, { reason: IFINFO_REASON.UP }),
      ifinfo(3000, { devKind: DEV_KIND.BRIDGE, ifname: "br0" }),
    ),
    [
      "link 10 port 1 1 1 02:00:00:00:00:14 - 0 - -",
      "attach 10 veth10",
      "link 11 port 1 1 1 02:00:00:00:00:15 - 0 - -",
      "attach 11 veth11",
      "link 12 port 1 1 1 02:00:00:00:00:16 - 0 - -",
      "link 3000 bridge 1 1 1 02:00:00:00:0b:c2 - 0 - -",
    ],
  );
  deepEqual(r.warnings.length, 1);
  match(r.warnings[0], /br0 \(xid 3000\), which is a bridge, not a port/);
  deepEqual(
    [...r.program.attached()],
    [[10, "veth10"], [11, "veth11"]],
  );

  // Deleted, then created again (with another ifindex): attached again.
  deepEqual(
    r.feed(
      ifinfo(11, { reason: IFINFO_REASON.DEL }),
      ifinfo(11, { ifname: "eth11", ifindex: 300, reason: IFINFO_REASON.NEW }),
    ),
    [
      "detach 11",
      "unlink 11",
      "link 11 port 1 1 1 02:00:00:00:00:15 - 0 - -",
      "attach 11 veth11",
    ],
  );

  // A port renamed away from its attachment is detached; the name then
  // goes to the port that takes it.
  deepEqual(
    r.feed(
      ifinfo(10, { ifname: "other", reason: IFINFO_REASON.NEW }),
      ifinfo(12, { ifname: "xeth10", reason: IFINFO_REASON.NEW }),
    ),
    // Names are not in link lines: nothing else changed.
    ["detach 10", "attach 12 veth10"],
  );

  // Two ports of one name (in two namespaces): the first keeps it.
  deepEqual(
    r.feed(ifinfo(13, { ifname: "xeth10", net: NS2 })),
    ["link 13 port 4026532000 1 1 02:00:00:00:00:17 - 0 - -"],
  );
  match(r.warnings.at(-1)!, /port 12 has veth10; xeth10 stays unattached/);
});

Deno.test("a resync's diff programs the same state in a usable order", () => {
  const old = new Rig({ attachments: [{ port: 10, ifname: "veth10" }] });
  old.feed(
    ifinfo(10),
    ifinfo(11),
    route4("10.0.0.0/8", [[111, "10.9.0.1"]]),
    neigh4(111, "10.9.0.1", 0x0200_0000_0001),
  );
  const now = new Mirror();
  for (
    const m of [
      ifinfo(10),
      ifinfo(12),
      route4("10.0.0.0/8", [[112, "10.9.0.1"]]),
      neigh4(112, "10.9.0.1", 0x0200_0000_0001),
    ] as Message[]
  ) now.apply(m);
  deepEqual(old.encode(diffMirrors(old.mirror, now)), [
    "link 12 port 1 1 1 02:00:00:00:00:16 - 0 - -",
    "neigh 1 12 10.9.0.1 02:00:00:00:00:01",
    "route 1 254 10.0.0.0/8 1 12@10.9.0.1",
    "unneigh 1 11 10.9.0.1",
    "unlink 11",
  ]);
});

Deno.test("clear: forgets links, keeps attachments", () => {
  const r = new Rig({ attachments: [{ port: 10, ifname: "veth10" }] });
  r.feed(ifinfo(10));
  deepEqual(r.clear(), ["clear"]);
  deepEqual(
    r.encode([{
      table: "fib",
      op: "set",
      family: "inet",
      route: route4("10.0.0.0/8", [[110]]),
    }]),
    ["route 1 254 10.0.0.0/8 1 ?"],
  );
  // The SWITCH keeps the attachment, so it is not given again.
  deepEqual(r.feed(ifinfo(10, { reason: IFINFO_REASON.UP })), [
    "link 10 port 1 1 1 02:00:00:00:00:14 - 0 - -",
  ]);
});

Deno.test("restart: forgets links and attachments, so both are given again", () => {
  const r = new Rig({ attachments: [{ port: 10, ifname: "veth10" }] });
  r.feed(ifinfo(10));
  deepEqual(r.restart(), ["clear"]);
  // A SWITCH that restarted has no attachment: it is given again.
  deepEqual(r.feed(ifinfo(10, { reason: IFINFO_REASON.UP })), [
    "link 10 port 1 1 1 02:00:00:00:00:14 - 0 - -",
    "attach 10 veth10",
  ]);
});

Deno.test("linkLine: addresses once each, v4 before v6", () => {
  const m = new Mirror();
  m.apply(ifinfo(10));
  for (const prefixLength of [24, 32]) {
    m.apply({
      kind: "ifa",
      xid: 10,
      event: IFA_EVENT.ADD,
      address: ip4("10.0.0.1"),
      prefixLength,
    });
  }
  m.apply({
    kind: "ifa6",
    xid: 10,
    event: IFA_EVENT.ADD,
    address: ip6("::ffff:10.0.0.1"),
    prefixLength: 128,
  });
  equal(
    linkLine(linkSpec(m.links.get(10)!, "vlan")),
    "link 10 port 1 1 1 02:00:00:00:00:14 - 0 - 10.0.0.1,::ffff:10.0.0.1",
  );
});
