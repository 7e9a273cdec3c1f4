/**
 * The proxies of the mux by xid: identity (name, namespace, ifindex),
 * admin state, features, addresses, uppers (lag and bridge membership) and
 * the ethtool state of ports.
 *
 * IFINFO reasons (docs/protocol.md): NEW and DUMP give the whole identity; DEL
 * removes the proxy; UP and DOWN are admin state (tracked from the reason,
 * not from `flags`, as existing daemons do); REG says the proxy is now in
 * namespace `net` with `ifindex`; UNREG that it left its namespace (its
 * addresses went with it); FEATURES carries new `features`.
 *
 * @module
 */

import {
  IFA_EVENT,
  IFINFO_REASON,
  LINK_MODES_WHICH,
} from "../protocol/abi.generated.ts";
import type {
  ChangeUpperXid,
  EthtoolFlags,
  EthtoolSettings,
  Ifa,
  Ifa6,
  Ifinfo,
  LinkModes,
  LinkModesExt,
} from "../protocol/types.ts";

const IFF_UP = 1;

/** An address of a proxy. */
export interface Address<A extends number | bigint> {
  address: A;
  prefixLength: number;
}

/** What the mirror knows about one proxy. */
export interface Link {
  xid: number;
  ifname: string;
  net: bigint;
  /** undefined between UNREG and REG (moving between namespaces) */
  ifindex: number | undefined;
  devKind: number;
  kdata: number;
  /** IFF_* as last reported */
  flags: number;
  addr: number;
  features: bigint;
  adminUp: boolean;
  /** "address/length" -> address */
  readonly ipv4: Map<string, Address<number>>;
  readonly ipv6: Map<string, Address<bigint>>;
  /** xids of the lags or bridges this proxy is a member of */
  readonly uppers: Set<number>;
  /** ports only */
  ethtool: {
    privFlags?: number;
    settings?: Omit<EthtoolSettings, "kind" | "xid">;
    /** LINK_MODES_WHICH name -> bitmap */
    linkModes: Record<string, bigint>;
  };
}

export type LinkChange =
  | { op: "set"; link: Link }
  | { op: "del"; link: Link };

const WHICH_OF_KIND: Record<LinkModes["kind"], string> = {
  ethtool_link_modes_supported: "supported",
  ethtool_link_modes_advertising: "advertising",
  ethtool_link_modes_lp_advertising: "lp_advertising",
};
/** enum xeth_link_modes_which by value: the same names, lower case. */
const WHICH_OF_EXT: readonly string[] = Object.entries(LINK_MODES_WHICH)
  .reduce((names, [name, v]) => {
    names[v] = name.toLowerCase();
    return names;
  }, [] as string[]);

export class Links {
  readonly #byXid = new Map<number, Link>();
  /** "net/ifindex" -> xid */
  readonly #byIfindex = new Map<string, number>();

  get size(): number {
    return this.#byXid.size;
  }

  get(xid: number): Link | undefined {
    return this.#byXid.get(xid);
  }

  /** The proxy with this ifindex in namespace `net`. */
  byIfindex(net: bigint, ifindex: number): Link | undefined {
    const xid = this.#byIfindex.get(`${net}/${ifindex}`);
    return xid === undefined ? undefined : this.#byXid.get(xid);
  }

  values(): IterableIterator<Link> {
    return this.#byXid.values();
  }

  applyIfinfo(m: Ifinfo): LinkChange[] {
    const old = this.#byXid.get(m.xid);
    if (m.reason === IFINFO_REASON.DEL) {
      if (!old) return [];
      this.#unindex(old);
      this.#byXid.delete(m.xid);
      for (const other of this.#byXid.values()) other.uppers.delete(m.xid);
      return [{ op: "del", link: old }];
    }
    const link = old ?? this.#create(m);
    switch (m.reason) {
      case IFINFO_REASON.UP:
      case IFINFO_REASON.DOWN:
        link.adminUp = m.reason === IFINFO_REASON.UP;
        link.flags = m.flags;
        break;
      case IFINFO_REASON.FEATURES:
        link.features = m.features;
        break;
      case IFINFO_REASON.UNREG:
        // Its addresses stay behind in the namespace it left.
        this.#unindex(link);
        link.ifindex = undefined;
        link.ipv4.clear();
        link.ipv6.clear();
        break;
      default: // NEW, DUMP, REG, and reasons a newer kernel may add
        this.#unindex(link);
        link.ifname = m.ifname;
        link.net = m.net;
        link.ifindex = m.ifindex;
        link.devKind = m.devKind;
        link.kdata = m.kdata;
        link.flags = m.flags;
        link.addr = m.addr;
        link.features = m.features;
        if (m.reason !== IFINFO_REASON.REG) {
          link.adminUp = (m.flags & IFF_UP) !== 0;
        }
        this.#byIfindex.set(`${link.net}/${link.ifindex}`, link.xid);
    }
    this.#byXid.set(link.xid, link);
    return [{ op: "set", link }];
  }

  applyIfa(m: Ifa | Ifa6): LinkChange[] {
    const link = this.#byXid.get(m.xid);
    if (!link) return [];
    const k = `${m.address}/${m.prefixLength}`;
    const add = m.event === IFA_EVENT.ADD;
    if (m.kind === "ifa") {
      if (add) {
        link.ipv4.set(k, { address: m.address, prefixLength: m.prefixLength });
      } else if (!link.ipv4.delete(k)) return [];
    } else {
      if (add) {
        link.ipv6.set(k, { address: m.address, prefixLength: m.prefixLength });
      } else if (!link.ipv6.delete(k)) return [];
    }
    return [{ op: "set", link }];
  }

  applyUpper(m: ChangeUpperXid): LinkChange[] {
    const lower = this.#byXid.get(m.lower);
    if (!lower) return [];
    if (m.linking) lower.uppers.add(m.upper);
    else if (!lower.uppers.delete(m.upper)) return [];
    return [{ op: "set", link: lower }];
  }

  applyEthtool(
    m: EthtoolFlags | EthtoolSettings | LinkModes | LinkModesExt,
  ): LinkChange[] {
    const link = this.#byXid.get(m.xid);
    if (!link) return [];
    if (m.kind === "ethtool_flags") link.ethtool.privFlags = m.flags;
    else if (m.kind === "ethtool_settings") {
      const { kind: _k, xid: _x, ...settings } = m;
      link.ethtool.settings = settings;
    } else if (m.kind === "ethtool_link_modes_ext") {
      link.ethtool.linkModes[WHICH_OF_EXT[m.which] ?? `which${m.which}`] =
        m.modes;
    } else {
      // The first 64 bits; an extension message, when enabled, follows
      // with the whole bitmap.
      link.ethtool.linkModes[WHICH_OF_KIND[m.kind]] = m.modes;
    }
    return [{ op: "set", link }];
  }

  /** Proxies in namespace `net` leave it (NETNS_DEL). */
  dropNet(net: bigint): LinkChange[] {
    const out: LinkChange[] = [];
    for (const link of this.#byXid.values()) {
      if (link.net !== net || link.ifindex === undefined) continue;
      this.#unindex(link);
      link.ifindex = undefined;
      link.ipv4.clear();
      link.ipv6.clear();
      out.push({ op: "set", link });
    }
    return out;
  }

  #create(m: Ifinfo): Link {
    return {
      xid: m.xid,
      ifname: m.ifname,
      net: m.net,
      ifindex: m.ifindex,
      devKind: m.devKind,
      kdata: m.kdata,
      flags: m.flags,
      addr: m.addr,
      features: m.features,
      adminUp: (m.flags & IFF_UP) !== 0,
      ipv4: new Map(),
      ipv6: new Map(),
      uppers: new Set(),
      ethtool: { linkModes: {} },
    };
  }

  #unindex(link: Link): void {
    if (link.ifindex === undefined) return;
    const k = `${link.net}/${link.ifindex}`;
    if (this.#byIfindex.get(k) === link.xid) this.#byIfindex.delete(k);
  }
}
