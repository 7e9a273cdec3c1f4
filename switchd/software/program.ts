/**
 * The program of a SWITCH: the mirror's changes as the records
 * (docs/records.md, switchd/records/) that the data plane library applies
 * (xeth_dp_switch_program) and that a remote SWITCH will be sent.
 *
 * One record per fact: `link` (a proxy, whole: kind, namespace, admin
 * state, l2-fwd-offload, MAC, a vlan's lower proxy and VLAN id from its
 * xid and the mux's encap, uppers, addresses), `unlink`, `attach`,
 * `detach`, `route4`/`route6` (next hops by xid, or "not a proxy"),
 * `unroute4`/`unroute6`, `neigh4`/`neigh6`, `unneigh4`/`unneigh6`, and
 * `clear`. The library renders them as the lines of text that the tests
 * and logs show (`link 10 port 1 1 1 02:00:00:00:00:0a - 0 - -`, see
 * dataplane/src/switch/program.rs).
 *
 * The mirror names interfaces by (namespace, ifindex); the program by
 * xid. {@link SwitchProgram} keeps the map from the link changes it has
 * seen (links come before the routes and neighbours that use them), so it
 * needs nothing but the changes, in order. A link change carries the
 * whole link, so a set is one complete `link` record (left out when equal
 * to the last one: most changes, such as ethtool state, do not show in
 * it) and a deletion one `unlink`. Namespace changes need no record: the
 * mirror emits the deletions of what a namespace held before the
 * namespace goes.
 *
 * Ports named in the attachments (by name or xid) are attached to their
 * Linux interface when first seen and again after they are re-created;
 * a deleted port is detached.
 *
 * @module
 */

import { type Encap, ENCAP_VALUE } from "../../ffi/switch.ts";
import type { Change } from "../mirror/mirror.ts";
import type { Route4, Route6 } from "../mirror/fib.ts";
import type { Link } from "../mirror/links.ts";
import type { Neighbour } from "../mirror/neighbours.ts";
import { DEV_KIND, FEATURE, VALUES } from "../protocol/abi.generated.ts";
import { formatIp4 } from "../protocol/addresses.ts";
import {
  ATTACH,
  CLEAR,
  DETACH,
  HOP4,
  HOP6,
  IP4_ELEM,
  IP6_ELEM,
  LINK,
  NEIGH4,
  NEIGH6,
  RECORD,
  ROUTE4,
  ROUTE6,
  UNLINK,
  UNNEIGH4,
  UNNEIGH6,
  UNROUTE4,
  UNROUTE6,
  XID_ELEM,
} from "../records/layout.generated.ts";
import { RECORD_MAX, type RecordWriter } from "../records/writer.ts";

/** A port of the SWITCH attached to a Linux interface of SWITCHD's host. */
export interface Attachment {
  /** The port proxy: its name (xeth1) or its xid. */
  readonly port: string | number;
  /** The interface in SWITCHD's network namespace (a veth, say). */
  readonly ifname: string;
}

/** Options of {@link SwitchProgram}. */
export interface ProgramOptions {
  /** The mux's encapsulation: how a vlan's xid holds lower and VLAN id. */
  readonly encap: Encap;
  readonly attachments?: readonly Attachment[];
  /** Told of what the program had to guess or ignore (once per link). */
  readonly warn?: (
    message: string,
    properties: Record<string, unknown>,
  ) => void;
}

const KIND_NAME: Record<number, string> = {
  [DEV_KIND.PORT]: "port",
  [DEV_KIND.VLAN]: "vlan",
  [DEV_KIND.LAG]: "lag",
  [DEV_KIND.BRIDGE]: "bridge",
  [DEV_KIND.LOOPBACK]: "loopback",
};

/** Where the lower's xid and the VLAN id sit in a vlan proxy's xid. */
const XID_LAYOUT: Record<Encap, { mask: number; shift: number }> = {
  vlan: {
    mask: VALUES.XETH_VLAN_XID_MASK,
    shift: VALUES.XETH_VLAN_VID_SHIFT,
  },
  vpls: {
    mask: VALUES.XETH_VPLS_XID_MASK,
    shift: VALUES.XETH_VPLS_VID_SHIFT,
  },
};

const LE = true;
const NO_XID = RECORD.NO_XID;

/** The lower proxy's xid and the VLAN id in a vlan proxy's xid. */
export function splitVlanXid(
  xid: number,
  encap: Encap,
): { lower: number; vid: number } {
  const { mask, shift } = XID_LAYOUT[encap];
  return { lower: xid & mask, vid: xid >>> shift };
}

/** The encapsulation whose value a vlan proxy's kdata is, if any. */
function encapOfKdata(kdata: number): Encap | undefined {
  return (Object.keys(ENCAP_VALUE) as Encap[]).find((e) =>
    ENCAP_VALUE[e] === kdata
  );
}

/** What a `link` record says of a proxy. */
export interface LinkSpec {
  readonly xid: number;
  /** DEV_KIND */
  readonly devKind: number;
  readonly net: bigint;
  readonly up: boolean;
  /** l2-fwd-offload */
  readonly offload: boolean;
  readonly mac: number;
  /** a vlan's lower proxy, else undefined */
  readonly lower: number | undefined;
  /** a vlan's VLAN id, else 0 */
  readonly vid: number;
  /** ascending */
  readonly uppers: readonly number[];
  /** each once, in the order the link has them */
  readonly addr4: readonly number[];
  readonly addr6: readonly bigint[];
}

/** The `link` record's content for a link (what the SWITCH uses of it). */
export function linkSpec(l: Link, encap: Encap): LinkSpec {
  let lower: number | undefined, vid = 0;
  if (l.devKind === DEV_KIND.VLAN) {
    const v = splitVlanXid(l.xid, encap);
    lower = v.lower;
    vid = v.vid;
  }
  return {
    xid: l.xid,
    devKind: l.devKind,
    net: l.net,
    up: l.adminUp,
    offload: (l.features & BigInt(FEATURE.L2_FWD_OFFLOAD)) !== 0n,
    mac: l.addr,
    lower,
    vid,
    uppers: [...l.uppers].sort((a, b) => a - b),
    addr4: [...new Set([...l.ipv4.values()].map((a) => a.address))],
    addr6: [...new Set([...l.ipv6.values()].map((a) => a.address))],
  };
}

function sameList<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function sameSpec(a: LinkSpec, b: LinkSpec): boolean {
  return a.xid === b.xid && a.devKind === b.devKind && a.net === b.net &&
    a.up === b.up && a.offload === b.offload && a.mac === b.mac &&
    a.lower === b.lower && a.vid === b.vid && sameList(a.uppers, b.uppers) &&
    sameList(a.addr4, b.addr4) && sameList(a.addr6, b.addr6);
}

/**
 * Appends the `link` record of `s`. Addresses past what a record holds
 * are left out (a proxy with thousands of them); returns how many.
 */
export function writeLink(w: RecordWriter, s: LinkSpec): number {
  const room = Math.floor(
    (RECORD_MAX - LINK.SIZE - s.uppers.length * XID_ELEM.SIZE) /
      IP6_ELEM.SIZE,
  );
  const a4 = s.addr4.slice(0, room);
  const a6 = s.addr6.slice(0, Math.max(0, room - a4.length));
  const at = w.begin(LINK.KIND, LINK.SIZE);
  const v = w.view;
  v.setUint32(at + LINK.xid, s.xid, LE);
  v.setBigUint64(at + LINK.net, s.net, LE);
  w.mac(at + LINK.mac, s.mac);
  v.setUint16(at + LINK.vid, s.vid, LE);
  v.setUint32(at + LINK.lower, s.lower ?? NO_XID, LE);
  v.setUint8(at + LINK.devKind, s.devKind);
  v.setUint8(
    at + LINK.flags,
    (s.up ? RECORD.LINK_UP : 0) | (s.offload ? RECORD.LINK_OFFLOAD : 0),
  );
  v.setUint16(at + LINK.nUppers, s.uppers.length, LE);
  v.setUint16(at + LINK.nAddr4, a4.length, LE);
  v.setUint16(at + LINK.nAddr6, a6.length, LE);
  let e = w.extend(
    s.uppers.length * XID_ELEM.SIZE + a4.length * IP4_ELEM.SIZE +
      a6.length * IP6_ELEM.SIZE,
  );
  for (const u of s.uppers) {
    w.view.setUint32(e + XID_ELEM.xid, u, LE);
    e += XID_ELEM.SIZE;
  }
  for (const a of a4) {
    w.ip4(e + IP4_ELEM.addr, a);
    e += IP4_ELEM.SIZE;
  }
  for (const a of a6) {
    w.ip6(e + IP6_ELEM.addr, a);
    e += IP6_ELEM.SIZE;
  }
  return s.addr4.length + s.addr6.length - a4.length - a6.length;
}

function neighKey(n: Neighbour): string {
  return `${n.net}/${n.ifindex}/${n.family}/${n.dst}`;
}

/**
 * Turns the mirror's changes into program records. It keeps what it needs
 * to name things by xid and to attach ports once, so give it every change,
 * in the mirror's order, and use one per SWITCH.
 */
export class SwitchProgram {
  readonly encap: Encap;
  readonly #warn: NonNullable<ProgramOptions["warn"]>;
  readonly #attachByXid = new Map<number, Attachment>();
  readonly #attachByName = new Map<string, Attachment>();
  /** net -> ifindex -> xid, of the links told */
  readonly #xidOf = new Map<bigint, Map<number, number>>();
  /** xid -> its [net, ifindex] */
  readonly #keyOf = new Map<number, [bigint, number]>();
  /** the last namespace looked up, and its map: routes come in runs */
  #lastNet: bigint | undefined;
  #lastMap: Map<number, number> | undefined;
  /** xid -> the interface the port is attached to */
  readonly #attached = new Map<number, string>();
  /** attachment -> the port (xid) holding it */
  readonly #holder = new Map<Attachment, number>();
  /** neighbour key -> the xid it was programmed on */
  readonly #neighs = new Map<string, number>();
  /** xid -> what its last link record said, to leave out repeats */
  readonly #links = new Map<number, LinkSpec>();
  /** xid -> what it was warned about, until it goes */
  readonly #warned = new Map<number, Set<string>>();
  /** kinds of route the side-band cannot describe, warned about once */
  readonly #unfit = new Set<string>();

  constructor(opts: ProgramOptions) {
    this.encap = opts.encap;
    this.#warn = opts.warn ?? (() => {});
    for (const a of opts.attachments ?? []) {
      if (typeof a.port === "number") this.#attachByXid.set(a.port, a);
      else this.#attachByName.set(a.port, a);
    }
  }

  /**
   * Appends the records for `changes` to `w`: none for changes the SWITCH
   * needs not see.
   */
  encode(changes: readonly Change[], w: RecordWriter): void {
    for (const c of changes) {
      switch (c.table) {
        case "link":
          if (c.op === "set") this.#setLink(c.link, w);
          else this.#delLink(c.link, w);
          break;
        case "fib":
          if (c.family === "inet") this.#route4(c.op, c.route, w);
          else this.#route6(c.op, c.route, w);
          break;
        case "neigh":
          if (c.op === "set") this.#setNeigh(c.neighbour, w);
          else this.#delNeigh(c.neighbour, w);
          break;
        case "netns":
          // The mirror deletes what the namespace held before it goes.
          break;
      }
    }
  }

  /**
   * Appends the record that makes the SWITCH forget every link, route
   * and neighbour (attachments stay), and forgets what this program knew
   * of them.
   */
  clear(w: RecordWriter): void {
    this.#xidOf.clear();
    this.#keyOf.clear();
    this.#lastNet = this.#lastMap = undefined;
    this.#neighs.clear();
    this.#links.clear();
    this.#warned.clear();
    w.begin(CLEAR.KIND, CLEAR.SIZE);
  }

  /**
   * As {@link clear}, and forgets the attachments too, so that the
   * changes encoded next attach their ports again: for a SWITCH that may
   * have restarted without them (a remote one whose connection was made
   * again). One that kept them takes each attach as a replacement.
   */
  restart(w: RecordWriter): void {
    this.#attached.clear();
    this.#holder.clear();
    this.clear(w);
  }

  /** The ports attached now: xid -> interface. */
  attached(): ReadonlyMap<number, string> {
    return this.#attached;
  }

  #setLink(l: Link, w: RecordWriter): void {
    this.#unindex(l.xid);
    if (l.ifindex !== undefined) {
      let m = this.#xidOf.get(l.net);
      if (!m) {
        this.#xidOf.set(l.net, m = new Map());
        this.#lastNet = this.#lastMap = undefined;
      }
      m.set(l.ifindex, l.xid);
      this.#keyOf.set(l.xid, [l.net, l.ifindex]);
    }
    if (
      l.devKind === DEV_KIND.VLAN && l.kdata !== ENCAP_VALUE[this.encap] &&
      this.#once(l.xid, "encap")
    ) {
      const theirs = encapOfKdata(l.kdata) ?? l.kdata;
      this.#warn(
        `vlan ${l.ifname} (xid ${l.xid}) is on a mux with encap ${theirs}, but SWITCHD runs with --encap ${this.encap}: its lower and VLAN id are read as ${this.encap}; restart SWITCHD with --encap ${theirs}`,
        { xid: l.xid, ifname: l.ifname, kdata: l.kdata, encap: this.encap },
      );
    }
    // Most link changes (ethtool state, a repeated UP) change nothing the
    // SWITCH sees: leave out a record equal to the last one.
    const spec = linkSpec(l, this.encap);
    const was = this.#links.get(l.xid);
    if (!was || !sameSpec(was, spec)) {
      this.#link(spec, w);
      this.#links.set(l.xid, spec);
    }
    this.#attach(l, w);
  }

  #link(spec: LinkSpec, w: RecordWriter): void {
    const left = writeLink(w, spec);
    if (left > 0 && this.#once(spec.xid, "addresses")) {
      this.#warn(
        `link ${spec.xid} has more addresses than a record holds; ${left} are not programmed`,
        { xid: spec.xid, left },
      );
    }
  }

  #delLink(l: Link, w: RecordWriter): void {
    this.#release(l.xid, w);
    const at = w.begin(UNLINK.KIND, UNLINK.SIZE);
    w.u32(at + UNLINK.xid, l.xid);
    this.#unindex(l.xid);
    this.#links.delete(l.xid);
    this.#dropUpper(l.xid, w);
    this.#warned.delete(l.xid);
    // The SWITCH forgets them with the link; so does the program.
    for (const [k, xid] of this.#neighs) {
      if (xid === l.xid) this.#neighs.delete(k);
    }
  }

  /**
   * A deleted lag or bridge leaves its members' uppers, which the mirror
   * does without a change of theirs: the records say it.
   */
  #dropUpper(upper: number, w: RecordWriter): void {
    for (const [xid, spec] of this.#links) {
      if (!spec.uppers.includes(upper)) continue;
      const now = { ...spec, uppers: spec.uppers.filter((u) => u !== upper) };
      this.#link(now, w);
      this.#links.set(xid, now);
    }
  }

  #unindex(xid: number): void {
    const k = this.#keyOf.get(xid);
    if (k === undefined) return;
    this.#keyOf.delete(xid);
    const m = this.#xidOf.get(k[0]);
    if (m?.get(k[1]) === xid) {
      m.delete(k[1]);
      if (m.size === 0) {
        this.#xidOf.delete(k[0]);
        this.#lastNet = this.#lastMap = undefined;
      }
    }
  }

  /** The xid of the proxy with `ifindex` in `net`, if it is one. */
  #xid(net: bigint, ifindex: number): number | undefined {
    if (net !== this.#lastNet) {
      this.#lastNet = net;
      this.#lastMap = this.#xidOf.get(net);
    }
    return this.#lastMap?.get(ifindex);
  }

  /** The attachment that names this link, if it may have it. */
  #attachmentOf(l: Link): Attachment | undefined {
    const a = this.#attachByXid.get(l.xid) ?? this.#attachByName.get(l.ifname);
    if (!a) return undefined;
    if (l.devKind !== DEV_KIND.PORT) {
      if (this.#once(l.xid, "kind")) {
        this.#warn(
          `--attach ${a.port}=${a.ifname} names ${l.ifname} (xid ${l.xid}), which is a ${
            KIND_NAME[l.devKind] ?? "proxy"
          }, not a port; only ports attach`,
          { xid: l.xid, ifname: l.ifname, attach: a.ifname },
        );
      }
      return undefined;
    }
    const holder = this.#holder.get(a);
    if (holder !== undefined && holder !== l.xid) {
      if (this.#once(l.xid, "holder")) {
        this.#warn(
          `--attach ${a.port}=${a.ifname} also names ${l.ifname} (xid ${l.xid}), but port ${holder} has ${a.ifname}; ${l.ifname} stays unattached`,
          { xid: l.xid, ifname: l.ifname, attach: a.ifname, holder },
        );
      }
      return undefined;
    }
    return a;
  }

  #attach(l: Link, w: RecordWriter): void {
    const a = this.#attachmentOf(l);
    const had = this.#attached.get(l.xid);
    if (a === undefined) {
      // Renamed away from its attachment.
      if (had !== undefined) this.#release(l.xid, w);
      return;
    }
    if (had === a.ifname) return;
    // An attachment replaces the port's earlier one.
    for (const [other, xid] of this.#holder) {
      if (xid === l.xid && other !== a) this.#holder.delete(other);
    }
    const at = w.begin(ATTACH.KIND, ATTACH.SIZE);
    w.u32(at + ATTACH.xid, l.xid);
    w.text(at + ATTACH.ifname, a.ifname, VALUES.XETH_IFNAMSIZ - 1);
    this.#attached.set(l.xid, a.ifname);
    this.#holder.set(a, l.xid);
  }

  #release(xid: number, w: RecordWriter): void {
    if (!this.#attached.has(xid)) return;
    const at = w.begin(DETACH.KIND, DETACH.SIZE);
    w.u32(at + DETACH.xid, xid);
    this.#attached.delete(xid);
    for (const [a, holder] of this.#holder) {
      if (holder === xid) this.#holder.delete(a);
    }
  }

  // The route records are the bulk of what a SWITCH is sent (a million
  // for a full table): written field by field into the writer's view,
  // with no object made per route.
  #route4(op: "set" | "del", r: Route4, w: RecordWriter): void {
    if (op === "del") {
      const at = w.begin(UNROUTE4.KIND, UNROUTE4.SIZE);
      const v = w.view;
      v.setUint32(at + UNROUTE4.table, r.table, LE);
      v.setBigUint64(at + UNROUTE4.net, r.net, LE);
      v.setUint32(at + UNROUTE4.addr, r.address, false);
      v.setUint8(at + UNROUTE4.plen, r.prefixLength);
      return;
    }
    const hops = r.nextHops;
    const at = w.begin(ROUTE4.KIND, ROUTE4.SIZE + hops.length * HOP4.SIZE);
    const v = w.view;
    v.setUint32(at + ROUTE4.table, r.table, LE);
    v.setBigUint64(at + ROUTE4.net, r.net, LE);
    v.setUint32(at + ROUTE4.addr, r.address, false);
    v.setUint8(at + ROUTE4.plen, r.prefixLength);
    v.setUint8(at + ROUTE4.rtn, r.type);
    v.setUint16(at + ROUTE4.nHops, hops.length, LE);
    let h = at + ROUTE4.SIZE;
    for (const hop of hops) {
      if ((hop.flags & VALUES.XETH_NH_F_GW_INET6) !== 0) this.#viaInet6(r);
      const xid = this.#xid(r.net, hop.ifindex);
      if (xid === undefined) {
        v.setUint32(h + HOP4.xid, NO_XID, LE);
      } else {
        v.setUint32(h + HOP4.xid, xid, LE);
        v.setUint32(h + HOP4.gw, hop.gw, false);
      }
      h += HOP4.SIZE;
    }
  }

  #route6(op: "set" | "del", r: Route6, w: RecordWriter): void {
    if (op === "del") {
      const at = w.begin(UNROUTE6.KIND, UNROUTE6.SIZE);
      const v = w.view;
      v.setUint32(at + UNROUTE6.table, r.table, LE);
      v.setBigUint64(at + UNROUTE6.net, r.net, LE);
      w.ip6(at + UNROUTE6.addr, r.address);
      v.setUint8(at + UNROUTE6.plen, r.prefixLength);
      return;
    }
    const hops = r.nextHops;
    const at = w.begin(ROUTE6.KIND, ROUTE6.SIZE + hops.length * HOP6.SIZE);
    const v = w.view;
    v.setUint32(at + ROUTE6.table, r.table, LE);
    v.setBigUint64(at + ROUTE6.net, r.net, LE);
    w.ip6(at + ROUTE6.addr, r.address);
    v.setUint8(at + ROUTE6.plen, r.prefixLength);
    v.setUint8(at + ROUTE6.rtn, r.type);
    v.setUint16(at + ROUTE6.nHops, hops.length, LE);
    let h = at + ROUTE6.SIZE;
    for (const hop of hops) {
      const xid = this.#xid(r.net, hop.ifindex);
      if (xid === undefined) {
        v.setUint32(h + HOP6.xid, NO_XID, LE);
      } else {
        v.setUint32(h + HOP6.xid, xid, LE);
        w.ip6(h + HOP6.gw, hop.gw);
      }
      h += HOP6.SIZE;
    }
  }

  #neigh(n: Neighbour, xid: number, w: RecordWriter): void {
    if (n.family === "inet") {
      const at = w.begin(NEIGH4.KIND, NEIGH4.SIZE);
      w.u32(at + NEIGH4.xid, xid);
      w.u64(at + NEIGH4.net, n.net);
      w.ip4(at + NEIGH4.addr, n.dst as number);
      w.mac(at + NEIGH4.mac, n.lladdr);
    } else {
      const at = w.begin(NEIGH6.KIND, NEIGH6.SIZE);
      w.u32(at + NEIGH6.xid, xid);
      w.u64(at + NEIGH6.net, n.net);
      w.ip6(at + NEIGH6.addr, n.dst as bigint);
      w.mac(at + NEIGH6.mac, n.lladdr);
    }
  }

  #unneigh(n: Neighbour, xid: number, w: RecordWriter): void {
    if (n.family === "inet") {
      const at = w.begin(UNNEIGH4.KIND, UNNEIGH4.SIZE);
      w.u32(at + UNNEIGH4.xid, xid);
      w.u64(at + UNNEIGH4.net, n.net);
      w.ip4(at + UNNEIGH4.addr, n.dst as number);
    } else {
      const at = w.begin(UNNEIGH6.KIND, UNNEIGH6.SIZE);
      w.u32(at + UNNEIGH6.xid, xid);
      w.u64(at + UNNEIGH6.net, n.net);
      w.ip6(at + UNNEIGH6.addr, n.dst as bigint);
    }
  }

  #setNeigh(n: Neighbour, w: RecordWriter): void {
    const k = neighKey(n);
    const was = this.#neighs.get(k);
    const xid = this.#xid(n.net, n.ifindex);
    if (was !== undefined && was !== xid) {
      this.#unneigh(n, was, w);
      this.#neighs.delete(k);
    }
    // A neighbour on an interface that is no proxy is not the SWITCH's.
    if (xid === undefined) return;
    this.#neigh(n, xid, w);
    this.#neighs.set(k, xid);
  }

  #delNeigh(n: Neighbour, w: RecordWriter): void {
    const k = neighKey(n);
    // By the xid it was programmed on: its interface may have moved since.
    const xid = this.#neighs.get(k);
    if (xid === undefined) return;
    this.#neighs.delete(k);
    this.#unneigh(n, xid, w);
  }

  /**
   * The kernel sends an IPv4 route's IPv6 gateway through no proxy
   * (ifindex 0), so the hop goes out as no xid: the SWITCH hands such
   * traffic to Linux. Said once, since a BGP feed can carry many.
   */
  #viaInet6(r: Route4): void {
    if (this.#unfit.has("inet-via-inet6")) return;
    const prefix = `${formatIp4(r.address)}/${r.prefixLength}`;
    this.#unfitOnce(
      "inet-via-inet6",
      `IPv4 routes through IPv6 gateways (RFC 5549, e.g. ${prefix}) do not fit the side-band's FIBENTRY: the SWITCH hands their traffic to Linux, which forwards it (logged once)`,
      { net: String(r.net), table: r.table, prefix },
    );
  }

  /** Warns about a kind of route the first time it is seen. */
  #unfitOnce(
    kind: string,
    message: string,
    properties: Record<string, unknown>,
  ): void {
    if (this.#unfit.has(kind)) return;
    this.#unfit.add(kind);
    this.#warn(message, { kind, ...properties });
  }

  /** True the first time `what` is asked about `xid` (until it goes). */
  #once(xid: number, what: string): boolean {
    let seen = this.#warned.get(xid);
    if (!seen) this.#warned.set(xid, seen = new Set());
    if (seen.has(what)) return false;
    seen.add(what);
    return true;
  }
}
