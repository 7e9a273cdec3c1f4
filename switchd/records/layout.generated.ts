// GENERATED from dataplane/src/records/layout.rs by its test
// (dataplane/src/records/typescript.rs). Do not edit: change the layout
// there and run `deno task gen-records`; `cargo test` fails while this
// file is stale. docs/records.md describes the format.

/** Constants of the record format. */
export const RECORD = {
  /** first 4 bytes of a stream */
  MAGIC: 0x52575358,
  /** the format's version */
  VERSION: 1,
  /** set in a kind that a reader that does not know it may skip */
  OPTIONAL: 32768,
  /** an xid field's "none" */
  NO_XID: 4294967295,
  /** link flags: admin up */
  LINK_UP: 1,
  /** link flags: l2-fwd-offload */
  LINK_OFFLOAD: 2,
  /** route_result: in the tables */
  RESULT_PROGRAMMED: 0,
  /** route_result: no room */
  RESULT_TABLE_FULL: 1,
  /** route_result: cannot forward it */
  RESULT_REFUSED: 2,
  /** route_result: in the tables; its traffic goes to Linux */
  RESULT_TRAPPED: 3,
  /** LINK_STAT counts at the head of a counters record */
  COUNTERS_LINK: 8,
} as const;

/** Record kinds by name. */
export const KIND = {
  link: 1,
  unlink: 2,
  attach: 3,
  detach: 4,
  route4: 5,
  unroute4: 6,
  route6: 7,
  unroute6: 8,
  neigh4: 9,
  unneigh4: 10,
  neigh6: 11,
  unneigh6: 12,
  clear: 13,
  routeResult: 32,
  port: 64,
  counters: 65,
  count: 66,
  name: 67,
} as const;

// Each record and part: its kind (records only), the size of its fixed
// part, and the byte offset of each field, from the record's first byte.

/** A proxy, whole: what a switch needs of it. Sent again whenever any of it changes. */
export const LINK = {
  KIND: 1,
  SIZE: 36,
  xid: 4,
  /** The namespace it is in (XETH_NET_INIT, or the namespace's inode). */
  net: 8,
  mac: 16,
  /** A vlan proxy's VLAN id; 0 otherwise. */
  vid: 22,
  /** A vlan proxy's lower proxy; NO_XID otherwise. */
  lower: 24,
  /** XETH_DEV_KIND_*: unspec, port, vlan, bridge, lag, loopback. */
  devKind: 28,
  /** LINK_UP (admin up), LINK_OFFLOAD (l2-fwd-offload). */
  flags: 29,
  nUppers: 30,
  nAddr4: 32,
  nAddr6: 34,
} as const;

/** A proxy is gone, and its neighbours with it. */
export const UNLINK = {
  KIND: 2,
  SIZE: 8,
  xid: 4,
} as const;

/** Attach a port to an interface of SWITCHD's host (a software SWITCH's wire). */
export const ATTACH = {
  KIND: 3,
  SIZE: 24,
  xid: 4,
  ifname: 8,
} as const;

/** Detach a port from its interface. */
export const DETACH = {
  KIND: 4,
  SIZE: 8,
  xid: 4,
} as const;

/** An IPv4 route: added, or replacing the one for its prefix. */
export const ROUTE4 = {
  KIND: 5,
  SIZE: 24,
  /** The kernel's table id (254 main, 255 local, VRF tables). */
  table: 4,
  net: 8,
  addr: 16,
  /** Prefix length, 0-32. */
  plen: 20,
  /** RTN_* type; a switch forwards unicast (1). */
  rtn: 21,
  nHops: 22,
} as const;

/** An IPv4 route is gone. */
export const UNROUTE4 = {
  KIND: 6,
  SIZE: 24,
  table: 4,
  net: 8,
  addr: 16,
  plen: 20,
} as const;

/** An IPv6 route: added, or replacing the one for its prefix (with every sibling next hop). */
export const ROUTE6 = {
  KIND: 7,
  SIZE: 36,
  table: 4,
  net: 8,
  addr: 16,
  /** Prefix length, 0-128. */
  plen: 32,
  rtn: 33,
  nHops: 34,
} as const;

/** An IPv6 route is gone. */
export const UNROUTE6 = {
  KIND: 8,
  SIZE: 36,
  table: 4,
  net: 8,
  addr: 16,
  plen: 32,
} as const;

/** An IPv4 neighbour of a proxy, resolved. */
export const NEIGH4 = {
  KIND: 9,
  SIZE: 28,
  xid: 4,
  net: 8,
  addr: 16,
  mac: 20,
} as const;

/** An IPv4 neighbour is gone. */
export const UNNEIGH4 = {
  KIND: 10,
  SIZE: 20,
  xid: 4,
  net: 8,
  addr: 16,
} as const;

/** An IPv6 neighbour of a proxy, resolved. */
export const NEIGH6 = {
  KIND: 11,
  SIZE: 40,
  xid: 4,
  net: 8,
  addr: 16,
  mac: 32,
} as const;

/** An IPv6 neighbour is gone. */
export const UNNEIGH6 = {
  KIND: 12,
  SIZE: 32,
  xid: 4,
  net: 8,
  addr: 16,
} as const;

/** Forget every link, route and neighbour (attachments stay). */
export const CLEAR = {
  KIND: 13,
  SIZE: 4,
} as const;

/** From a SWITCH: what became of one route it was sent (the software SWITCH's route-results and route-status reports), which SWITCHD tells the kernel with the fib-offload extension. */
export const ROUTE_RESULT = {
  KIND: 32,
  SIZE: 40,
  table: 4,
  net: 8,
  /** The prefix; an IPv4 one in the first 4 bytes. */
  addr: 16,
  plen: 32,
  /** 4 or 6. */
  family: 33,
  /** RESULT_PROGRAMMED, RESULT_TABLE_FULL, RESULT_REFUSED or RESULT_TRAPPED. */
  status: 34,
} as const;

/** From a SWITCH: one port's link state. */
export const PORT = {
  KIND: 64,
  SIZE: 32,
  xid: 4,
  /** Mb/s; 0 unknown. */
  speed: 8,
  /** 1 carrier, 0 none. */
  carrier: 12,
  /** The interface it is attached to, for a software SWITCH. */
  ifname: 16,
} as const;

/** From a SWITCH: one proxy's counts, absolute: the first COUNTERS_LINK are LINK_STAT indexes 0 to 7 (rx_packets .. tx_dropped), then one per name of the names report, in its order. */
export const COUNTERS = {
  KIND: 65,
  SIZE: 12,
  xid: 4,
  nCounts: 8,
} as const;

/** From a SWITCH: one named count of its summary. */
export const COUNT = {
  KIND: 66,
  SIZE: 16,
  value: 4,
  nameLen: 12,
} as const;

/** From a SWITCH: a name in a list (its ethtool count names; the mux's port stat names). */
export const NAME = {
  KIND: 67,
  SIZE: 8,
  /** Its place in the list. */
  index: 4,
  nameLen: 6,
} as const;

/** The header of a stream of records. */
export const STREAM = {
  SIZE: 16,
  /** b"XSWR" (MAGIC). */
  magic: 0,
  /** VERSION. */
  version: 4,
  /** Reserved, 0. */
  flags: 6,
  /** Bytes of the stream, this header included. */
  length: 8,
  /** Records that follow. */
  count: 12,
} as const;

/** The header of every record. */
export const HEADER = {
  SIZE: 4,
  /** What the record is. */
  kind: 0,
  /** Bytes of the record, this header included. */
  length: 2,
} as const;

/** An xid in an array. */
export const XID_ELEM = {
  SIZE: 4,
  xid: 0,
} as const;

/** An IPv4 address in an array. */
export const IP4_ELEM = {
  SIZE: 4,
  addr: 0,
} as const;

/** An IPv6 address in an array. */
export const IP6_ELEM = {
  SIZE: 16,
  addr: 0,
} as const;

/** A byte of UTF-8 text. */
export const CHAR_ELEM = {
  SIZE: 1,
  byte: 0,
} as const;

/** A 64-bit count. */
export const COUNT_ELEM = {
  SIZE: 8,
  value: 0,
} as const;

/** An IPv4 route's next hop. */
export const HOP4 = {
  SIZE: 8,
  /** The proxy it leaves through; NO_XID: an interface that is no proxy. */
  xid: 0,
  /** 0.0.0.0: none (the destination is on the link). */
  gw: 4,
} as const;

/** An IPv6 route's next hop. */
export const HOP6 = {
  SIZE: 20,
  /** As in hop4. */
  xid: 0,
  /** All zero (::): none. */
  gw: 4,
} as const;

/**
 * Every record and part with its fields' types and its arrays, for code
 * that walks any record (reports, diagnostics, tests).
 */
export const LAYOUTS = {
  link: {
    kind: 1,
    size: 36,
    fields: {
      xid: { offset: 4, type: "u32" },
      net: { offset: 8, type: "u64" },
      mac: { offset: 16, type: "mac" },
      vid: { offset: 22, type: "u16" },
      lower: { offset: 24, type: "u32" },
      devKind: { offset: 28, type: "u8" },
      flags: { offset: 29, type: "u8" },
      nUppers: { offset: 30, type: "u16" },
      nAddr4: { offset: 32, type: "u16" },
      nAddr6: { offset: 34, type: "u16" },
    },
    arrays: [
      { name: "uppers", count: "nUppers", elem: "xidElem" },
      { name: "addr4", count: "nAddr4", elem: "ip4Elem" },
      { name: "addr6", count: "nAddr6", elem: "ip6Elem" },
    ],
  },
  unlink: {
    kind: 2,
    size: 8,
    fields: {
      xid: { offset: 4, type: "u32" },
    },
    arrays: [],
  },
  attach: {
    kind: 3,
    size: 24,
    fields: {
      xid: { offset: 4, type: "u32" },
      ifname: { offset: 8, type: "name" },
    },
    arrays: [],
  },
  detach: {
    kind: 4,
    size: 8,
    fields: {
      xid: { offset: 4, type: "u32" },
    },
    arrays: [],
  },
  route4: {
    kind: 5,
    size: 24,
    fields: {
      table: { offset: 4, type: "u32" },
      net: { offset: 8, type: "u64" },
      addr: { offset: 16, type: "ip4" },
      plen: { offset: 20, type: "u8" },
      rtn: { offset: 21, type: "u8" },
      nHops: { offset: 22, type: "u16" },
    },
    arrays: [
      { name: "hops", count: "nHops", elem: "hop4" },
    ],
  },
  unroute4: {
    kind: 6,
    size: 24,
    fields: {
      table: { offset: 4, type: "u32" },
      net: { offset: 8, type: "u64" },
      addr: { offset: 16, type: "ip4" },
      plen: { offset: 20, type: "u8" },
    },
    arrays: [],
  },
  route6: {
    kind: 7,
    size: 36,
    fields: {
      table: { offset: 4, type: "u32" },
      net: { offset: 8, type: "u64" },
      addr: { offset: 16, type: "ip6" },
      plen: { offset: 32, type: "u8" },
      rtn: { offset: 33, type: "u8" },
      nHops: { offset: 34, type: "u16" },
    },
    arrays: [
      { name: "hops", count: "nHops", elem: "hop6" },
    ],
  },
  unroute6: {
    kind: 8,
    size: 36,
    fields: {
      table: { offset: 4, type: "u32" },
      net: { offset: 8, type: "u64" },
      addr: { offset: 16, type: "ip6" },
      plen: { offset: 32, type: "u8" },
    },
    arrays: [],
  },
  neigh4: {
    kind: 9,
    size: 28,
    fields: {
      xid: { offset: 4, type: "u32" },
      net: { offset: 8, type: "u64" },
      addr: { offset: 16, type: "ip4" },
      mac: { offset: 20, type: "mac" },
    },
    arrays: [],
  },
  unneigh4: {
    kind: 10,
    size: 20,
    fields: {
      xid: { offset: 4, type: "u32" },
      net: { offset: 8, type: "u64" },
      addr: { offset: 16, type: "ip4" },
    },
    arrays: [],
  },
  neigh6: {
    kind: 11,
    size: 40,
    fields: {
      xid: { offset: 4, type: "u32" },
      net: { offset: 8, type: "u64" },
      addr: { offset: 16, type: "ip6" },
      mac: { offset: 32, type: "mac" },
    },
    arrays: [],
  },
  unneigh6: {
    kind: 12,
    size: 32,
    fields: {
      xid: { offset: 4, type: "u32" },
      net: { offset: 8, type: "u64" },
      addr: { offset: 16, type: "ip6" },
    },
    arrays: [],
  },
  clear: {
    kind: 13,
    size: 4,
    fields: {},
    arrays: [],
  },
  routeResult: {
    kind: 32,
    size: 40,
    fields: {
      table: { offset: 4, type: "u32" },
      net: { offset: 8, type: "u64" },
      addr: { offset: 16, type: "ip6" },
      plen: { offset: 32, type: "u8" },
      family: { offset: 33, type: "u8" },
      status: { offset: 34, type: "u8" },
    },
    arrays: [],
  },
  port: {
    kind: 64,
    size: 32,
    fields: {
      xid: { offset: 4, type: "u32" },
      speed: { offset: 8, type: "u32" },
      carrier: { offset: 12, type: "u8" },
      ifname: { offset: 16, type: "name" },
    },
    arrays: [],
  },
  counters: {
    kind: 65,
    size: 12,
    fields: {
      xid: { offset: 4, type: "u32" },
      nCounts: { offset: 8, type: "u16" },
    },
    arrays: [
      { name: "counts", count: "nCounts", elem: "countElem" },
    ],
  },
  count: {
    kind: 66,
    size: 16,
    fields: {
      value: { offset: 4, type: "u64" },
      nameLen: { offset: 12, type: "u8" },
    },
    arrays: [
      { name: "name", count: "nameLen", elem: "charElem" },
    ],
  },
  name: {
    kind: 67,
    size: 8,
    fields: {
      index: { offset: 4, type: "u16" },
      nameLen: { offset: 6, type: "u8" },
    },
    arrays: [
      { name: "name", count: "nameLen", elem: "charElem" },
    ],
  },
  stream: {
    kind: 0,
    size: 16,
    fields: {
      magic: { offset: 0, type: "u32" },
      version: { offset: 4, type: "u16" },
      flags: { offset: 6, type: "u16" },
      length: { offset: 8, type: "u32" },
      count: { offset: 12, type: "u32" },
    },
    arrays: [],
  },
  header: {
    kind: 0,
    size: 4,
    fields: {
      kind: { offset: 0, type: "u16" },
      length: { offset: 2, type: "u16" },
    },
    arrays: [],
  },
  xidElem: {
    kind: 0,
    size: 4,
    fields: {
      xid: { offset: 0, type: "u32" },
    },
    arrays: [],
  },
  ip4Elem: {
    kind: 0,
    size: 4,
    fields: {
      addr: { offset: 0, type: "ip4" },
    },
    arrays: [],
  },
  ip6Elem: {
    kind: 0,
    size: 16,
    fields: {
      addr: { offset: 0, type: "ip6" },
    },
    arrays: [],
  },
  charElem: {
    kind: 0,
    size: 1,
    fields: {
      byte: { offset: 0, type: "u8" },
    },
    arrays: [],
  },
  countElem: {
    kind: 0,
    size: 8,
    fields: {
      value: { offset: 0, type: "u64" },
    },
    arrays: [],
  },
  hop4: {
    kind: 0,
    size: 8,
    fields: {
      xid: { offset: 0, type: "u32" },
      gw: { offset: 4, type: "ip4" },
    },
    arrays: [],
  },
  hop6: {
    kind: 0,
    size: 20,
    fields: {
      xid: { offset: 0, type: "u32" },
      gw: { offset: 4, type: "ip6" },
    },
    arrays: [],
  },
} as const;
