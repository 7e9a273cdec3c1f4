/**
 * Side-band messages as TypeScript values: one discriminated union, `kind`
 * being the C kind name in lower case (XETH_MSG_KIND_FIBENTRY: "fibentry").
 *
 * Value choices, made for the mirror that keys tables by them:
 * - IPv4 addresses are unsigned 32-bit numbers, most significant byte
 *   first on the wire (10.0.0.1 is 0x0a000001): cheap Map keys, maskable.
 * - IPv6 addresses are unsigned 128-bit bigints, the first wire byte most
 *   significant: one primitive, a Map key by value, maskable for prefixes.
 * - MAC addresses are 48-bit numbers, the first wire byte most significant
 *   (exact in a double); 0 means "none".
 * - u64 fields (net, features, counts, link modes) are bigints, since they
 *   need not fit a double; everything else is a number.
 * - Enumerated fields (reason, device kind, FIB event, route type) stay
 *   numbers so that a value a newer kernel adds still passes through; the
 *   names are in abi.generated.ts and kinds.ts.
 *
 * addresses.ts formats and parses all three address forms.
 *
 * @module
 */

import type { KindName } from "./kinds.ts";

/** BREAK ends a dump; DUMP_IFINFO and DUMP_FIBINFO ask for one. */
export interface Bare {
  kind: "break" | "dump_ifinfo" | "dump_fibinfo";
}

/** LINK_STAT (index: LINK_STAT) and ETHTOOL_STAT: absolute counts. */
export interface Stat {
  kind: "link_stat" | "ethtool_stat";
  xid: number;
  index: number;
  count: bigint;
}

export interface EthtoolFlags {
  kind: "ethtool_flags";
  xid: number;
  /** the port's private flags bitmap */
  flags: number;
}

/** The fields of ethtool's link settings, as `ethtool DEV` shows them. */
export interface EthtoolSettings {
  kind: "ethtool_settings";
  xid: number;
  /** Mb/s; 0xffffffff (SPEED_UNKNOWN) when unknown */
  speed: number;
  duplex: number;
  port: number;
  phyAddress: number;
  autoneg: number;
  mdioSupport: number;
  ethTpMdix: number;
  ethTpMdixCtrl: number;
}

/** The first 64 ethtool link-mode bits of one of a port's bitmaps. */
export interface LinkModes {
  kind:
    | "ethtool_link_modes_supported"
    | "ethtool_link_modes_advertising"
    | "ethtool_link_modes_lp_advertising";
  xid: number;
  modes: bigint;
}

/**
 * ETHTOOL_LINK_MODES_EXT (extension XETH_EXT_LINK_MODES): a whole bitmap;
 * link mode n is bit n of `modes`.
 */
export interface LinkModesExt {
  kind: "ethtool_link_modes_ext";
  xid: number;
  /** which bitmap: LINK_MODES_WHICH */
  which: number;
  /** 64-bit words on the wire; `modes` fits in them */
  nwords: number;
  modes: bigint;
}

export interface Carrier {
  kind: "carrier";
  xid: number;
  on: boolean;
}

export interface Speed {
  kind: "speed";
  xid: number;
  mbps: number;
}

export interface Ifinfo {
  kind: "ifinfo";
  xid: number;
  /** a VLAN's mux encap (ENCAP); a loopback's channel */
  kdata: number;
  ifname: string;
  net: bigint;
  ifindex: number;
  /** IFF_* */
  flags: number;
  /** MAC address (see the module comment) */
  addr: number;
  /** DEV_KIND */
  devKind: number;
  /** IFINFO_REASON */
  reason: number;
  /** FEATURE bits */
  features: bigint;
}

/** IFA: an IPv4 address added to (IFA_EVENT.ADD) or removed from a proxy. */
export interface Ifa {
  kind: "ifa";
  xid: number;
  event: number;
  address: number;
  /** from the wire's mask, which must be contiguous */
  prefixLength: number;
}

export interface Ifa6 {
  kind: "ifa6";
  xid: number;
  event: number;
  address: bigint;
  prefixLength: number;
}

export interface NextHop {
  ifindex: number;
  weight: number;
  /** RTNH_F_* */
  flags: number;
  /** 0: none, or not IPv4 (an IPv6 gateway of an IPv4 route) */
  gw: number;
  scope: number;
}

export interface FibEntry {
  kind: "fibentry";
  net: bigint;
  address: number;
  /** from the wire's mask, which must be contiguous */
  prefixLength: number;
  /** FIB_EVENT */
  event: number;
  tos: number;
  /** RTN_* */
  type: number;
  table: number;
  /** up to 255 */
  nextHops: NextHop[];
  /**
   * This version of the route, from the xeth_fib_cookie that follows the
   * message once XETH_EXT_FIB_OFFLOAD is enabled; never 0n. Absent
   * without the extension.
   */
  cookie?: bigint;
}

export interface NextHop6 {
  ifindex: number;
  weight: number;
  flags: number;
  /** 0n: none */
  gw: bigint;
}

export interface Fib6Entry {
  kind: "fib6entry";
  net: bigint;
  address: bigint;
  prefixLength: number;
  event: number;
  type: number;
  table: number;
  /**
   * The route's next hop, then its siblings (ECMP): never empty, at most
   * 256 (255 siblings).
   */
  nextHops: NextHop6[];
  /** as FibEntry's */
  cookie?: bigint;
}

interface NeighCommon {
  kind: "neigh_update";
  net: bigint;
  ifindex: number;
  /** MAC address; 0 when the entry is not valid */
  lladdr: number;
  /** `lladdr` is 0: the neighbour is gone (or no longer valid) */
  deleted: boolean;
}

export interface Neigh4 extends NeighCommon {
  family: "inet";
  dst: number;
}

export interface Neigh6 extends NeighCommon {
  family: "inet6";
  dst: bigint;
}

/** An ARP (family "inet") or neighbour discovery ("inet6") entry. */
export type NeighUpdate = Neigh4 | Neigh6;

export interface ChangeUpperXid {
  kind: "change_upper_xid";
  upper: number;
  lower: number;
  /** true: the lower joined the upper; false: it left */
  linking: boolean;
}

export interface Netns {
  kind: "netns_add" | "netns_del";
  net: bigint;
}

/** EXT_ENABLE: the XETH_EXT_* bits a daemon wants on this connection. */
export interface ExtEnable {
  kind: "ext_enable";
  extensions: bigint;
}

interface FibResultCommon {
  net: bigint;
  /** the cookie of the FIBENTRY or FIB6ENTRY this result answers */
  cookie: bigint;
  table: number;
  prefixLength: number;
  /** FIB_RESULT */
  result: number;
}

/** What the SWITCH holds of one IPv4 route, keyed as its FIBENTRY was. */
export interface FibResult4 extends FibResultCommon {
  family: "inet";
  address: number;
  tos: number;
}

/** ...of one IPv6 route (tos is 0 on the wire). */
export interface FibResult6 extends FibResultCommon {
  family: "inet6";
  address: bigint;
}

export type FibResult = FibResult4 | FibResult6;

/**
 * FIB_OFFLOAD (extension XETH_EXT_FIB_OFFLOAD): route results, at most
 * XETH_FIB_RESULTS_MAX per message.
 */
export interface FibOffload {
  kind: "fib_offload";
  results: FibResult[];
}

/** Every side-band message, both directions. */
export type Message =
  | Bare
  | Stat
  | EthtoolFlags
  | EthtoolSettings
  | LinkModes
  | LinkModesExt
  | Carrier
  | Speed
  | Ifinfo
  | Ifa
  | Ifa6
  | FibEntry
  | Fib6Entry
  | NeighUpdate
  | ChangeUpperXid
  | Netns
  | ExtEnable
  | FibOffload;

/**
 * Why bytes are not a message:
 * - "short": fewer than the 16 header bytes, or fewer bytes in the buffer
 *   than the length given
 * - "header": one of header bytes 0-13 is not zero (not a message at all)
 * - "version": not protocol version 2
 * - "unknown-kind": a kind this codec does not know
 * - "length": not the length its kind (and count field) implies
 * - "field": a field the codec cannot represent (a neighbour family other
 *   than inet/inet6 or a key length that does not match it, a
 *   non-contiguous mask, a prefix length past the address)
 */
export type InvalidReason =
  | "short"
  | "header"
  | "version"
  | "unknown-kind"
  | "length"
  | "field";

export interface Invalid {
  kind: "invalid";
  reason: InvalidReason;
  /** the kind byte; -1 when there is none (short) */
  kindNumber: number;
  length: number;
  /** for a log line */
  detail: string;
}

/** What the decoder returns: a message or why not. */
export type Decoded = Message | Invalid;

/** The message of kind `K`. */
export type MessageOf<K extends KindName> = Extract<Message, { kind: K }>;
