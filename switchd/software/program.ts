/**
 * The program of the software SWITCH: the mirror's changes as the text
 * lines that the data plane library applies (xeth_dp_switch_program).
 *
 * One line per fact, tokens separated by single spaces:
 *
 * ```text
 * link XID KIND NET UP OFFLOAD MAC LOWER VID UPPERS ADDRS
 * unlink XID
 * attach XID IFNAME
 * detach XID
 * route NET TABLE PREFIX TYPE NEXTHOPS
 * unroute NET TABLE PREFIX
 * neigh NET XID IP MAC
 * unneigh NET XID IP
 * clear
 * ```
 *
 * KIND is port, vlan, lag, bridge, loopback or other; UP and OFFLOAD are 0
 * or 1 (admin state, the l2-fwd-offload feature); LOWER and VID are a
 * vlan's lower proxy and VLAN id (from its xid and the mux's encap), - and
 * 0 otherwise; UPPERS and ADDRS are comma lists (xids; addresses without
 * prefix length) or -. NEXTHOPS is a comma list of XID@GATEWAY, XID, or ?
 * for a next hop on an interface that is no proxy, or - for none.
 *
 * The mirror names interfaces by (namespace, ifindex); the program by
 * xid. {@link SwitchProgram} keeps the map from the link changes it has
 * seen (links come before the routes and neighbours that use them), so it
 * needs nothing but the changes, in order. A link change carries the
 * whole link, so a set is one complete `link` line (left out when equal to
 * the last one: most changes, such as ethtool state, do not show in it) and
 * a deletion one `unlink`. Namespace changes need no line: the mirror emits the
 * deletions of what a namespace held before the namespace goes.
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
import { formatIp4, formatIp6, formatMac } from "../protocol/addresses.ts";

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

/** The `link` line of a link (the whole of its state the SWITCH uses). */
export function linkLine(l: Link, encap: Encap): string {
  const kind = KIND_NAME[l.devKind] ?? "other";
  const offload = (l.features & BigInt(FEATURE.L2_FWD_OFFLOAD)) !== 0n;
  let lower = "-", vid = 0;
  if (l.devKind === DEV_KIND.VLAN) {
    const v = splitVlanXid(l.xid, encap);
    lower = String(v.lower);
    vid = v.vid;
  }
  const uppers = [...l.uppers].sort((a, b) => a - b);
  const addrs = new Set([
    ...[...l.ipv4.values()].map((a) => formatIp4(a.address)),
    ...[...l.ipv6.values()].map((a) => formatIp6(a.address)),
  ]);
  return [
    "link",
    l.xid,
    kind,
    l.net,
    l.adminUp ? 1 : 0,
    offload ? 1 : 0,
    formatMac(l.addr),
    lower,
    vid,
    list(uppers),
    list([...addrs]),
  ].join(" ");
}

/** Index of UPPERS in a `link` line's fields. */
const UPPERS_FIELD = 9;

function list(items: readonly (string | number)[]): string {
  return items.length === 0 ? "-" : items.join(",");
}

function prefix4(r: Route4): string {
  return `${formatIp4(r.address)}/${r.prefixLength}`;
}

function prefix6(r: Route6): string {
  return `${formatIp6(r.address)}/${r.prefixLength}`;
}

function ifKey(net: bigint, ifindex: number): string {
  return `${net}/${ifindex}`;
}

function neighKey(n: Neighbour): string {
  return `${n.net}/${n.ifindex}/${n.family}/${n.dst}`;
}

function neighIp(n: Neighbour): string {
  return n.family === "inet"
    ? formatIp4(n.dst as number)
    : formatIp6(n.dst as bigint);
}

/**
 * Turns the mirror's changes into program lines. It keeps what it needs
 * to name things by xid and to attach ports once, so give it every change,
 * in the mirror's order, and use one per SWITCH.
 */
export class SwitchProgram {
  readonly encap: Encap;
  readonly #warn: NonNullable<ProgramOptions["warn"]>;
  readonly #attachByXid = new Map<number, Attachment>();
  readonly #attachByName = new Map<string, Attachment>();
  /** "net/ifindex" -> xid, of the links told */
  readonly #xidOf = new Map<string, number>();
  /** xid -> its "net/ifindex" */
  readonly #keyOf = new Map<number, string>();
  /** xid -> the interface the port is attached to */
  readonly #attached = new Map<number, string>();
  /** attachment -> the port (xid) holding it */
  readonly #holder = new Map<Attachment, number>();
  /** neighbour key -> the xid it was programmed on */
  readonly #neighs = new Map<string, number>();
  /** xid -> its last link line, to leave out repeats */
  readonly #linkLines = new Map<number, string>();
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

  /** The lines for `changes`; none for changes the SWITCH needs not see. */
  encode(changes: readonly Change[]): string[] {
    const out: string[] = [];
    for (const c of changes) {
      switch (c.table) {
        case "link":
          if (c.op === "set") this.#setLink(c.link, out);
          else this.#delLink(c.link, out);
          break;
        case "fib":
          out.push(this.#route(c));
          break;
        case "neigh":
          if (c.op === "set") this.#setNeigh(c.neighbour, out);
          else this.#delNeigh(c.neighbour, out);
          break;
        case "netns":
          // The mirror deletes what the namespace held before it goes.
          break;
      }
    }
    return out;
  }

  /**
   * The line that makes the SWITCH forget every link, route and neighbour
   * (attachments stay), and forgets what this program knew of them.
   */
  clear(): string[] {
    this.#xidOf.clear();
    this.#keyOf.clear();
    this.#neighs.clear();
    this.#linkLines.clear();
    this.#warned.clear();
    return ["clear"];
  }

  /** The ports attached now: xid -> interface. */
  attached(): ReadonlyMap<number, string> {
    return this.#attached;
  }

  #setLink(l: Link, out: string[]): void {
    this.#unindex(l.xid);
    if (l.ifindex !== undefined) {
      const k = ifKey(l.net, l.ifindex);
      this.#xidOf.set(k, l.xid);
      this.#keyOf.set(l.xid, k);
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
    // SWITCH sees: leave out a line equal to the last one.
    const line = linkLine(l, this.encap);
    if (this.#linkLines.get(l.xid) !== line) {
      out.push(line);
      this.#linkLines.set(l.xid, line);
    }
    this.#attach(l, out);
  }

  #delLink(l: Link, out: string[]): void {
    this.#release(l.xid, out);
    out.push(`unlink ${l.xid}`);
    this.#unindex(l.xid);
    this.#linkLines.delete(l.xid);
    this.#dropUpper(l.xid, out);
    this.#warned.delete(l.xid);
    // The SWITCH forgets them with the link; so does the program.
    for (const [k, xid] of this.#neighs) {
      if (xid === l.xid) this.#neighs.delete(k);
    }
  }

  /**
   * A deleted lag or bridge leaves its members' uppers, which the mirror
   * does without a change of theirs: the lines say it.
   */
  #dropUpper(upper: number, out: string[]): void {
    const name = String(upper);
    for (const [xid, line] of this.#linkLines) {
      const f = line.split(" ");
      const uppers = f[UPPERS_FIELD].split(",");
      if (!uppers.includes(name)) continue;
      const left = uppers.filter((u) => u !== name);
      f[UPPERS_FIELD] = left.length ? left.join(",") : "-";
      const now = f.join(" ");
      out.push(now);
      this.#linkLines.set(xid, now);
    }
  }

  #unindex(xid: number): void {
    const k = this.#keyOf.get(xid);
    if (k === undefined) return;
    this.#keyOf.delete(xid);
    if (this.#xidOf.get(k) === xid) this.#xidOf.delete(k);
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

  #attach(l: Link, out: string[]): void {
    const a = this.#attachmentOf(l);
    const had = this.#attached.get(l.xid);
    if (a === undefined) {
      // Renamed away from its attachment.
      if (had !== undefined) this.#release(l.xid, out);
      return;
    }
    if (had === a.ifname) return;
    // An attachment replaces the port's earlier one.
    for (const [other, xid] of this.#holder) {
      if (xid === l.xid && other !== a) this.#holder.delete(other);
    }
    out.push(`attach ${l.xid} ${a.ifname}`);
    this.#attached.set(l.xid, a.ifname);
    this.#holder.set(a, l.xid);
  }

  #release(xid: number, out: string[]): void {
    if (!this.#attached.has(xid)) return;
    out.push(`detach ${xid}`);
    this.#attached.delete(xid);
    for (const [a, holder] of this.#holder) {
      if (holder === xid) this.#holder.delete(a);
    }
  }

  #route(c: Change & { table: "fib" }): string {
    const r = c.route;
    const head = c.family === "inet"
      ? `${r.net} ${r.table} ${prefix4(c.route)}`
      : `${r.net} ${r.table} ${prefix6(c.route)}`;
    if (c.op === "del") return `unroute ${head}`;
    if (
      c.family === "inet" &&
      c.route.nextHops.some((h) => (h.flags & VALUES.XETH_NH_F_GW_INET6) !== 0)
    ) {
      // The kernel sent the hop through no proxy (ifindex 0): `?`.
      this.#unfitOnce(
        "inet-via-inet6",
        `IPv4 routes through IPv6 gateways (RFC 5549, e.g. ${
          prefix4(c.route)
        }) do not fit the side-band's FIBENTRY: the SWITCH hands their traffic to Linux, which forwards it (logged once)`,
        { net: String(r.net), table: r.table, prefix: prefix4(c.route) },
      );
    }
    const hops = c.family === "inet"
      ? c.route.nextHops.map((h) =>
        this.#hop(r.net, h.ifindex, h.gw === 0 ? "" : formatIp4(h.gw))
      )
      : c.route.nextHops.map((h) =>
        this.#hop(r.net, h.ifindex, h.gw === 0n ? "" : formatIp6(h.gw))
      );
    return `route ${head} ${r.type} ${list(hops)}`;
  }

  #hop(net: bigint, ifindex: number, gw: string): string {
    const xid = this.#xidOf.get(ifKey(net, ifindex));
    if (xid === undefined) return "?";
    return gw === "" ? String(xid) : `${xid}@${gw}`;
  }

  #setNeigh(n: Neighbour, out: string[]): void {
    const k = neighKey(n);
    const was = this.#neighs.get(k);
    const xid = this.#xidOf.get(ifKey(n.net, n.ifindex));
    if (was !== undefined && was !== xid) {
      out.push(`unneigh ${n.net} ${was} ${neighIp(n)}`);
      this.#neighs.delete(k);
    }
    // A neighbour on an interface that is no proxy is not the SWITCH's.
    if (xid === undefined) return;
    out.push(`neigh ${n.net} ${xid} ${neighIp(n)} ${formatMac(n.lladdr)}`);
    this.#neighs.set(k, xid);
  }

  #delNeigh(n: Neighbour, out: string[]): void {
    const k = neighKey(n);
    // By the xid it was programmed on: its interface may have moved since.
    const xid = this.#neighs.get(k);
    if (xid === undefined) return;
    this.#neighs.delete(k);
    out.push(`unneigh ${n.net} ${xid} ${neighIp(n)}`);
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
