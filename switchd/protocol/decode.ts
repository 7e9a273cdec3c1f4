/**
 * Bytes to messages, in place: fields are read with a DataView at the
 * generated offsets, nothing is copied first, and bad input of any shape
 * yields an {@link Invalid} instead of an exception, because what a
 * kernel (or anyone else on the socket) sends must never end a session.
 *
 * @module
 */

import { MSG_KIND, VALUES } from "./abi.generated.ts";
import { prefixLengthOfMask, readIp6, readMac } from "./addresses.ts";
import { checkHeader, kindNumberAt } from "./header.ts";
import { expectedLength, kindName, trailerSize } from "./kinds.ts";
import type {
  Decoded,
  Fib6Entry,
  FibEntry,
  FibResult,
  Invalid,
  InvalidReason,
  LinkModes,
  NeighUpdate,
  NextHop,
  NextHop6,
} from "./types.ts";
import {
  BE,
  CARRIER,
  COOKIE,
  EXT,
  EXT_ENABLE,
  FIB,
  FIB6,
  FLAGS,
  IFA,
  IFA6,
  IFINFO,
  LE,
  MODES,
  NEIGH,
  NETNS,
  NH,
  NH6,
  OFFLOAD,
  RESULT,
  SET,
  SPEED,
  STAT,
  UPPER,
} from "./fields.ts";

/**
 * What {@link decodeBatch} reads: messages back to back in `buf`, their
 * lengths in `lens`. ffi/sideband.ts's SidebandBatch is one.
 */
export interface BatchLike {
  readonly buf: Uint8Array;
  readonly lens: Uint32Array;
  readonly count: number;
}

/**
 * The message in the `length` bytes at `offset` of `bytes` (by default
 * all of them). Never throws; see {@link Invalid} for what it rejects.
 * A DataView is the cheaper argument: a Uint8Array costs a view per call.
 */
export function decode(
  bytes: DataView | Uint8Array,
  offset = 0,
  length: number = bytes.byteLength - offset,
): Decoded {
  const view = bytes instanceof DataView
    ? bytes
    : new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (
    !Number.isSafeInteger(offset) || !Number.isSafeInteger(length) ||
    offset < 0 || length < 0 || offset + length > view.byteLength
  ) {
    return invalid(
      "short",
      -1,
      length,
      `${length} bytes at ${offset} of a ${view.byteLength}-byte buffer`,
    );
  }
  const bad = checkHeader(view, offset, length);
  if (bad !== undefined) {
    return bad === "short"
      ? invalid(bad, -1, length, `${length} bytes`)
      : invalid(bad, kindNumberAt(view, offset), length, bad);
  }
  const n = kindNumberAt(view, offset);
  const name = kindName(n);
  if (name === undefined) {
    return invalid("unknown-kind", n, length, `kind ${n}`);
  }
  const want = expectedLength(view, offset, length, n);
  if (length === want) return body(view, offset, n, length);
  const trailer = trailerSize(n);
  if (trailer > 0 && length === want + trailer) {
    const m = body(view, offset, n, length);
    return withCookie(m, view, offset + want, n, length);
  }
  return invalid(
    "length",
    n,
    length,
    `${name} of ${length}, not ${want}` +
      (trailer > 0 ? ` (or ${want + trailer} with its cookie)` : ""),
  );
}

/** A FIBENTRY or FIB6ENTRY with the cookie that follows it. */
function withCookie(
  m: Decoded,
  v: DataView,
  at: number,
  n: number,
  length: number,
): Decoded {
  if (m.kind !== "fibentry" && m.kind !== "fib6entry") return m;
  const cookie = v.getBigUint64(at + COOKIE.cookie.offset, LE);
  if (cookie === 0n) return invalid("field", n, length, `${m.kind} cookie 0`);
  m.cookie = cookie;
  return m;
}

/**
 * The messages of a batch, decoded in order. The values hold no
 * reference to the batch, so they outlive the next receive into it.
 */
export function* decodeBatch(batch: BatchLike): Generator<Decoded> {
  const { buf, lens } = batch;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let at = 0;
  for (let i = 0; i < batch.count; i++) {
    const len = lens[i];
    yield decode(view, at, len);
    at += len;
  }
}

function invalid(
  reason: InvalidReason,
  kindNumber: number,
  length: number,
  detail: string,
): Invalid {
  return { kind: "invalid", reason, kindNumber, length, detail };
}

// A known kind of the right length: only field values can still be wrong.
function body(v: DataView, o: number, n: number, length: number): Decoded {
  switch (n) {
    case MSG_KIND.BREAK:
      return { kind: "break" };
    case MSG_KIND.DUMP_IFINFO:
      return { kind: "dump_ifinfo" };
    case MSG_KIND.DUMP_FIBINFO:
      return { kind: "dump_fibinfo" };
    case MSG_KIND.LINK_STAT:
    case MSG_KIND.ETHTOOL_STAT:
      return {
        kind: n === MSG_KIND.LINK_STAT ? "link_stat" : "ethtool_stat",
        xid: v.getUint32(o + STAT.xid.offset, LE),
        index: v.getUint32(o + STAT.index.offset, LE),
        count: v.getBigUint64(o + STAT.count.offset, LE),
      };
    case MSG_KIND.ETHTOOL_FLAGS:
      return {
        kind: "ethtool_flags",
        xid: v.getUint32(o + FLAGS.xid.offset, LE),
        flags: v.getUint32(o + FLAGS.flags.offset, LE),
      };
    case MSG_KIND.ETHTOOL_SETTINGS:
      return {
        kind: "ethtool_settings",
        xid: v.getUint32(o + SET.xid.offset, LE),
        speed: v.getUint32(o + SET.speed.offset, LE),
        duplex: v.getUint8(o + SET.duplex.offset),
        port: v.getUint8(o + SET.port.offset),
        phyAddress: v.getUint8(o + SET.phy_address.offset),
        autoneg: v.getUint8(o + SET.autoneg.offset),
        mdioSupport: v.getUint8(o + SET.mdio_support.offset),
        ethTpMdix: v.getUint8(o + SET.eth_tp_mdix.offset),
        ethTpMdixCtrl: v.getUint8(o + SET.eth_tp_mdix_ctrl.offset),
      };
    case MSG_KIND.ETHTOOL_LINK_MODES_SUPPORTED:
    case MSG_KIND.ETHTOOL_LINK_MODES_ADVERTISING:
    case MSG_KIND.ETHTOOL_LINK_MODES_LP_ADVERTISING:
      return {
        kind: kindName(n) as LinkModes["kind"],
        xid: v.getUint32(o + MODES.xid.offset, LE),
        modes: v.getBigUint64(o + MODES.modes.offset, LE),
      };
    case MSG_KIND.ETHTOOL_LINK_MODES_EXT:
      return linkModesExt(v, o);
    case MSG_KIND.CARRIER:
      return {
        kind: "carrier",
        xid: v.getUint32(o + CARRIER.xid.offset, LE),
        on: v.getUint8(o + CARRIER.flag.offset) !== 0,
      };
    case MSG_KIND.SPEED:
      return {
        kind: "speed",
        xid: v.getUint32(o + SPEED.xid.offset, LE),
        mbps: v.getUint32(o + SPEED.mbps.offset, LE),
      };
    case MSG_KIND.IFINFO:
      return {
        kind: "ifinfo",
        xid: v.getUint32(o + IFINFO.xid.offset, LE),
        kdata: v.getUint32(o + IFINFO.kdata.offset, LE),
        ifname: readName(v, o + IFINFO.ifname.offset, IFINFO.ifname.size),
        net: v.getBigUint64(o + IFINFO.net.offset, LE),
        ifindex: v.getInt32(o + IFINFO.ifindex.offset, LE),
        flags: v.getUint32(o + IFINFO.flags.offset, LE),
        addr: readMac(v, o + IFINFO.addr.offset),
        devKind: v.getUint8(o + IFINFO.kind.offset),
        reason: v.getUint8(o + IFINFO.reason.offset),
        features: v.getBigUint64(o + IFINFO.features.offset, LE),
      };
    case MSG_KIND.IFA: {
      const mask = v.getUint32(o + IFA.mask.offset, BE);
      const prefixLength = prefixLengthOfMask(mask);
      if (prefixLength < 0) {
        return invalid("field", n, length, `ifa mask ${mask.toString(16)}`);
      }
      return {
        kind: "ifa",
        xid: v.getUint32(o + IFA.xid.offset, LE),
        event: v.getUint32(o + IFA.event.offset, LE),
        address: v.getUint32(o + IFA.address.offset, BE),
        prefixLength,
      };
    }
    case MSG_KIND.IFA6: {
      const prefixLength = v.getUint8(o + IFA6.length.offset);
      if (prefixLength > 128) {
        return invalid("field", n, length, `ifa6 length ${prefixLength}`);
      }
      return {
        kind: "ifa6",
        xid: v.getUint32(o + IFA6.xid.offset, LE),
        event: v.getUint32(o + IFA6.event.offset, LE),
        address: readIp6(v, o + IFA6.address.offset),
        prefixLength,
      };
    }
    case MSG_KIND.FIBENTRY:
      return fibentry(v, o, length);
    case MSG_KIND.FIB6ENTRY:
      return fib6entry(v, o, length);
    case MSG_KIND.NEIGH_UPDATE:
      return neigh(v, o, length);
    case MSG_KIND.CHANGE_UPPER_XID:
      return {
        kind: "change_upper_xid",
        upper: v.getUint32(o + UPPER.upper.offset, LE),
        lower: v.getUint32(o + UPPER.lower.offset, LE),
        linking: v.getUint8(o + UPPER.linking.offset) !== 0,
      };
    case MSG_KIND.NETNS_ADD:
    case MSG_KIND.NETNS_DEL:
      return {
        kind: n === MSG_KIND.NETNS_ADD ? "netns_add" : "netns_del",
        net: v.getBigUint64(o + NETNS.net.offset, LE),
      };
    case MSG_KIND.EXT_ENABLE:
      return {
        kind: "ext_enable",
        extensions: v.getBigUint64(o + EXT_ENABLE.extensions.offset, LE),
      };
    case MSG_KIND.FIB_OFFLOAD:
      return fibOffload(v, o, length);
  }
  // kindName() knew the kind, so only a kind added there but not here
  return invalid("unknown-kind", n, length, `kind ${n} has no decoder`);
}

function fibentry(v: DataView, o: number, length: number): Decoded {
  const mask = v.getUint32(o + FIB.mask.offset, BE);
  const prefixLength = prefixLengthOfMask(mask);
  if (prefixLength < 0) {
    return invalid(
      "field",
      MSG_KIND.FIBENTRY,
      length,
      `fibentry mask ${mask.toString(16)}`,
    );
  }
  const nhs = v.getUint8(o + FIB.nhs.offset);
  const nextHops: NextHop[] = new Array(nhs);
  for (let i = 0, at = o + FIB.nh.offset; i < nhs; i++, at += FIB.nh.size) {
    nextHops[i] = {
      ifindex: v.getInt32(at + NH.ifindex.offset, LE),
      weight: v.getInt32(at + NH.weight.offset, LE),
      flags: v.getUint32(at + NH.flags.offset, LE),
      gw: v.getUint32(at + NH.gw.offset, BE),
      scope: v.getUint8(at + NH.scope.offset),
    };
  }
  const m: FibEntry = {
    kind: "fibentry",
    net: v.getBigUint64(o + FIB.net.offset, LE),
    address: v.getUint32(o + FIB.address.offset, BE),
    prefixLength,
    event: v.getUint8(o + FIB.event.offset),
    tos: v.getUint8(o + FIB.tos.offset),
    type: v.getUint8(o + FIB.type.offset),
    table: v.getUint32(o + FIB.table.offset, LE),
    nextHops,
  };
  return m;
}

function nextHop6(v: DataView, at: number): NextHop6 {
  return {
    ifindex: v.getInt32(at + NH6.ifindex.offset, LE),
    weight: v.getInt32(at + NH6.weight.offset, LE),
    flags: v.getUint32(at + NH6.flags.offset, LE),
    gw: readIp6(v, at + NH6.gw.offset),
  };
}

function fib6entry(v: DataView, o: number, length: number): Decoded {
  const prefixLength = v.getUint8(o + FIB6.length.offset);
  if (prefixLength > 128) {
    return invalid(
      "field",
      MSG_KIND.FIB6ENTRY,
      length,
      `fib6entry length ${prefixLength}`,
    );
  }
  const s = v.getUint8(o + FIB6.nsiblings.offset);
  const nextHops: NextHop6[] = new Array(1 + s);
  nextHops[0] = nextHop6(v, o + FIB6.nh.offset);
  for (let i = 0; i < s; i++) {
    nextHops[1 + i] = nextHop6(
      v,
      o + FIB6.siblings.offset + i * FIB6.siblings.size,
    );
  }
  const m: Fib6Entry = {
    kind: "fib6entry",
    net: v.getBigUint64(o + FIB6.net.offset, LE),
    address: readIp6(v, o + FIB6.address.offset),
    prefixLength,
    event: v.getUint8(o + FIB6.event.offset),
    type: v.getUint8(o + FIB6.type.offset),
    table: v.getUint32(o + FIB6.table.offset, LE),
    nextHops,
  };
  return m;
}

function neigh(v: DataView, o: number, length: number): Decoded {
  const family = v.getUint8(o + NEIGH.family.offset);
  const len = v.getUint8(o + NEIGH.len.offset);
  const net = v.getBigUint64(o + NEIGH.net.offset, LE);
  const ifindex = v.getInt32(o + NEIGH.ifindex.offset, LE);
  const lladdr = readMac(v, o + NEIGH.lladdr.offset);
  const dst = o + NEIGH.dst.offset;
  let m: NeighUpdate;
  if (family === VALUES.AF_INET && len === 4) {
    m = {
      kind: "neigh_update",
      net,
      ifindex,
      lladdr,
      deleted: lladdr === 0,
      family: "inet",
      dst: v.getUint32(dst, BE),
    };
  } else if (family === VALUES.AF_INET6 && len === 16) {
    m = {
      kind: "neigh_update",
      net,
      ifindex,
      lladdr,
      deleted: lladdr === 0,
      family: "inet6",
      dst: readIp6(v, dst),
    };
  } else {
    return invalid(
      "field",
      MSG_KIND.NEIGH_UPDATE,
      length,
      `neigh_update family ${family} with a ${len}-byte key`,
    );
  }
  return m;
}

function fibOffload(v: DataView, o: number, length: number): Decoded {
  const n = v.getUint32(o + OFFLOAD.n.offset, LE);
  const results: FibResult[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const at = o + OFFLOAD.results.offset + i * OFFLOAD.results.size;
    const family = v.getUint8(at + RESULT.family.offset);
    const common = {
      net: v.getBigUint64(at + RESULT.net.offset, LE),
      cookie: v.getBigUint64(at + RESULT.cookie.offset, LE),
      table: v.getUint32(at + RESULT.table.offset, LE),
      prefixLength: v.getUint8(at + RESULT.length.offset),
      result: v.getUint8(at + RESULT.result.offset),
    };
    const a = at + RESULT.address.offset;
    if (family === VALUES.AF_INET && common.prefixLength <= 32) {
      results[i] = {
        ...common,
        family: "inet",
        address: v.getUint32(a, BE),
        tos: v.getUint8(at + RESULT.tos.offset),
      };
    } else if (family === VALUES.AF_INET6 && common.prefixLength <= 128) {
      results[i] = { ...common, family: "inet6", address: readIp6(v, a) };
    } else {
      return invalid(
        "field",
        MSG_KIND.FIB_OFFLOAD,
        length,
        `fib_offload result ${i}: family ${family}, length ${common.prefixLength}`,
      );
    }
  }
  return { kind: "fib_offload", results };
}

function linkModesExt(v: DataView, o: number): Decoded {
  const nwords = v.getUint8(o + EXT.nwords.offset);
  // word i holds bits 64i..64i+63: the last word is the most significant
  let modes = 0n;
  for (let i = nwords - 1; i >= 0; i--) {
    const w = v.getBigUint64(o + EXT.modes.offset + i * EXT.modes.size, LE);
    modes = (modes << 64n) | w;
  }
  return {
    kind: "ethtool_link_modes_ext",
    xid: v.getUint32(o + EXT.xid.offset, LE),
    which: v.getUint8(o + EXT.which.offset),
    nwords,
    modes,
  };
}

const utf8 = new TextDecoder();

/**
 * A NUL-terminated name of at most `size` bytes. Names are ASCII in
 * practice, and building short strings by hand is cheaper than a
 * TextDecoder call; anything else goes through one, which replaces
 * invalid UTF-8 rather than throwing.
 */
function readName(v: DataView, o: number, size: number): string {
  let s = "";
  for (let i = 0; i < size; i++) {
    const c = v.getUint8(o + i);
    if (c === 0) break;
    if (c >= 0x80) {
      let end = i;
      while (end < size && v.getUint8(o + end) !== 0) end++;
      return utf8.decode(new Uint8Array(v.buffer, v.byteOffset + o, end));
    }
    s += String.fromCharCode(c);
  }
  return s;
}
