/**
 * Messages to bytes, both directions: the daemon's requests for the
 * session, and the kernel's messages for tests and a software fake of the
 * kernel. Unlike the decoder, the encoder throws (RangeError) on values
 * that do not fit their fields: those are the caller's bugs, and a
 * silently wrapped xid or a truncated list would hide them.
 *
 * @module
 */

import { VALUES } from "./abi.generated.ts";
import { ip4Mask, writeIp6, writeMac } from "./addresses.ts";
import { writeHeader } from "./header.ts";
import {
  COOKIE_SIZE,
  fib6entrySize,
  fibentrySize,
  fibOffloadSize,
  fixedSize,
  KIND,
  linkModesExtSize,
} from "./kinds.ts";
import type {
  Fib6Entry,
  FibEntry,
  FibOffload,
  Ifinfo,
  LinkModesExt,
  Message,
  NeighUpdate,
} from "./types.ts";
import {
  BE,
  CARRIER,
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

/** Bytes `msg` takes on the wire. Throws when its lists are too long. */
export function encodedLength(msg: Message): number {
  switch (msg.kind) {
    case "fibentry":
      return fibentrySize(count(msg.nextHops.length, 0, 255, "next hops")) +
        (msg.cookie === undefined ? 0 : COOKIE_SIZE);
    case "fib6entry":
      return fib6entrySize(
        count(msg.nextHops.length, 1, 256, "next hops") - 1,
      ) + (msg.cookie === undefined ? 0 : COOKIE_SIZE);
    case "fib_offload":
      return fibOffloadSize(
        count(msg.results.length, 0, VALUES.XETH_FIB_RESULTS_MAX, "results"),
      );
    case "ethtool_link_modes_ext":
      return linkModesExtSize(u8(msg.nwords, "nwords"));
  }
  return fixedSize(KIND[msg.kind]);
}

/**
 * Writes `msg` at `offset` of `target` and returns its length, so that
 * many messages can share one send buffer. Every byte of the message is
 * written, padding as zero, so the buffer may be reused.
 */
export function encodeInto(
  msg: Message,
  target: DataView | Uint8Array,
  offset = 0,
): number {
  const length = encodedLength(msg);
  const view = target instanceof DataView
    ? target
    : new DataView(target.buffer, target.byteOffset, target.byteLength);
  if (
    !Number.isSafeInteger(offset) || offset < 0 ||
    offset + length > view.byteLength
  ) {
    throw new RangeError(
      `${msg.kind} needs ${length} bytes at ${offset} of ${view.byteLength}`,
    );
  }
  new Uint8Array(view.buffer, view.byteOffset + offset, length).fill(0);
  writeHeader(view, offset, KIND[msg.kind]);
  writeBody(view, offset, msg);
  return length;
}

/** `msg` in a new buffer of its own. */
export function encode(msg: Message): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(encodedLength(msg));
  encodeInto(msg, bytes);
  return bytes;
}

function count(n: number, min: number, max: number, what: string): number {
  if (n < min || n > max) {
    throw new RangeError(`${n} ${what}: from ${min} to ${max} fit`);
  }
  return n;
}

function integer(v: number, min: number, max: number, what: string): number {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new RangeError(
      `${what} ${v} is not an integer from ${min} to ${max}`,
    );
  }
  return v;
}

const u8 = (v: number, what: string) => integer(v, 0, 0xff, what);
const u32 = (v: number, what: string) => integer(v, 0, 0xffff_ffff, what);
const s32 = (v: number, what: string) =>
  integer(v, -0x8000_0000, 0x7fff_ffff, what);
const mac = (v: number, what: string) => integer(v, 0, 0xffff_ffff_ffff, what);

function big(v: bigint, bits: bigint, what: string): bigint {
  if (v < 0n || v >> bits !== 0n) {
    throw new RangeError(`${what} ${v} does not fit ${bits} bits`);
  }
  return v;
}

// The header is written and the rest zeroed; fields only.
function writeBody(v: DataView, o: number, m: Message): void {
  switch (m.kind) {
    case "break":
    case "dump_ifinfo":
    case "dump_fibinfo":
      return;
    case "link_stat":
    case "ethtool_stat":
      v.setUint32(o + STAT.xid.offset, u32(m.xid, "xid"), LE);
      v.setUint32(o + STAT.index.offset, u32(m.index, "index"), LE);
      v.setBigUint64(o + STAT.count.offset, big(m.count, 64n, "count"), LE);
      return;
    case "ethtool_flags":
      v.setUint32(o + FLAGS.xid.offset, u32(m.xid, "xid"), LE);
      v.setUint32(o + FLAGS.flags.offset, u32(m.flags, "flags"), LE);
      return;
    case "ethtool_settings":
      v.setUint32(o + SET.xid.offset, u32(m.xid, "xid"), LE);
      v.setUint32(o + SET.speed.offset, u32(m.speed, "speed"), LE);
      v.setUint8(o + SET.duplex.offset, u8(m.duplex, "duplex"));
      v.setUint8(o + SET.port.offset, u8(m.port, "port"));
      v.setUint8(o + SET.phy_address.offset, u8(m.phyAddress, "phyAddress"));
      v.setUint8(o + SET.autoneg.offset, u8(m.autoneg, "autoneg"));
      v.setUint8(
        o + SET.mdio_support.offset,
        u8(m.mdioSupport, "mdioSupport"),
      );
      v.setUint8(o + SET.eth_tp_mdix.offset, u8(m.ethTpMdix, "ethTpMdix"));
      v.setUint8(
        o + SET.eth_tp_mdix_ctrl.offset,
        u8(m.ethTpMdixCtrl, "ethTpMdixCtrl"),
      );
      return;
    case "ethtool_link_modes_supported":
    case "ethtool_link_modes_advertising":
    case "ethtool_link_modes_lp_advertising":
      v.setUint32(o + MODES.xid.offset, u32(m.xid, "xid"), LE);
      v.setBigUint64(o + MODES.modes.offset, big(m.modes, 64n, "modes"), LE);
      return;
    case "ethtool_link_modes_ext":
      return linkModesExt(v, o, m);
    case "carrier":
      v.setUint32(o + CARRIER.xid.offset, u32(m.xid, "xid"), LE);
      v.setUint8(o + CARRIER.flag.offset, m.on ? 1 : 0);
      return;
    case "speed":
      v.setUint32(o + SPEED.xid.offset, u32(m.xid, "xid"), LE);
      v.setUint32(o + SPEED.mbps.offset, u32(m.mbps, "mbps"), LE);
      return;
    case "ifinfo":
      return ifinfo(v, o, m);
    case "ifa":
      v.setUint32(o + IFA.xid.offset, u32(m.xid, "xid"), LE);
      v.setUint32(o + IFA.event.offset, u32(m.event, "event"), LE);
      v.setUint32(o + IFA.address.offset, u32(m.address, "address"), BE);
      v.setUint32(
        o + IFA.mask.offset,
        ip4Mask(integer(m.prefixLength, 0, 32, "prefixLength")),
        BE,
      );
      return;
    case "ifa6":
      v.setUint32(o + IFA6.xid.offset, u32(m.xid, "xid"), LE);
      v.setUint32(o + IFA6.event.offset, u32(m.event, "event"), LE);
      writeIp6(v, o + IFA6.address.offset, big(m.address, 128n, "address"));
      v.setUint8(
        o + IFA6.length.offset,
        integer(m.prefixLength, 0, 128, "prefixLength"),
      );
      return;
    case "fibentry":
      return fibentry(v, o, m);
    case "fib6entry":
      return fib6entry(v, o, m);
    case "neigh_update":
      return neigh(v, o, m);
    case "change_upper_xid":
      v.setUint32(o + UPPER.upper.offset, u32(m.upper, "upper"), LE);
      v.setUint32(o + UPPER.lower.offset, u32(m.lower, "lower"), LE);
      v.setUint8(o + UPPER.linking.offset, m.linking ? 1 : 0);
      return;
    case "netns_add":
    case "netns_del":
      v.setBigUint64(o + NETNS.net.offset, big(m.net, 64n, "net"), LE);
      return;
    case "ext_enable":
      v.setBigUint64(
        o + EXT_ENABLE.extensions.offset,
        big(m.extensions, 64n, "extensions"),
        LE,
      );
      return;
    case "fib_offload":
      return fibOffload(v, o, m);
  }
}

function cookie(v: DataView, at: number, c: bigint | undefined): void {
  if (c === undefined) return;
  if (c === 0n) throw new RangeError("cookie 0: cookies are never 0");
  v.setBigUint64(at, big(c, 64n, "cookie"), LE);
}

function fibOffload(v: DataView, o: number, m: FibOffload): void {
  v.setUint32(o + OFFLOAD.n.offset, m.results.length, LE);
  let at = o + OFFLOAD.results.offset;
  for (const r of m.results) {
    v.setBigUint64(at + RESULT.net.offset, big(r.net, 64n, "net"), LE);
    v.setBigUint64(at + RESULT.cookie.offset, big(r.cookie, 64n, "cookie"), LE);
    v.setUint32(at + RESULT.table.offset, u32(r.table, "table"), LE);
    v.setUint8(at + RESULT.result.offset, u8(r.result, "result"));
    const a = at + RESULT.address.offset;
    if (r.family === "inet") {
      v.setUint8(at + RESULT.family.offset, VALUES.AF_INET);
      v.setUint32(a, u32(r.address, "address"), BE);
      v.setUint8(
        at + RESULT.length.offset,
        integer(r.prefixLength, 0, 32, "prefixLength"),
      );
      v.setUint8(at + RESULT.tos.offset, u8(r.tos, "tos"));
    } else {
      v.setUint8(at + RESULT.family.offset, VALUES.AF_INET6);
      writeIp6(v, a, big(r.address, 128n, "address"));
      v.setUint8(
        at + RESULT.length.offset,
        integer(r.prefixLength, 0, 128, "prefixLength"),
      );
    }
    at += OFFLOAD.results.size;
  }
}

const utf8 = new TextEncoder();

function ifinfo(v: DataView, o: number, m: Ifinfo): void {
  const name = utf8.encode(m.ifname);
  // the kernel's names end in a NUL within IFNAMSIZ
  if (name.length >= IFINFO.ifname.size || name.includes(0)) {
    throw new RangeError(`ifname ${JSON.stringify(m.ifname)} does not fit`);
  }
  v.setUint32(o + IFINFO.xid.offset, u32(m.xid, "xid"), LE);
  v.setUint32(o + IFINFO.kdata.offset, u32(m.kdata, "kdata"), LE);
  new Uint8Array(v.buffer, v.byteOffset + o + IFINFO.ifname.offset).set(name);
  v.setBigUint64(o + IFINFO.net.offset, big(m.net, 64n, "net"), LE);
  v.setInt32(o + IFINFO.ifindex.offset, s32(m.ifindex, "ifindex"), LE);
  v.setUint32(o + IFINFO.flags.offset, u32(m.flags, "flags"), LE);
  writeMac(v, o + IFINFO.addr.offset, mac(m.addr, "addr"));
  v.setUint8(o + IFINFO.kind.offset, u8(m.devKind, "devKind"));
  v.setUint8(o + IFINFO.reason.offset, u8(m.reason, "reason"));
  v.setBigUint64(
    o + IFINFO.features.offset,
    big(m.features, 64n, "features"),
    LE,
  );
}

function fibentry(v: DataView, o: number, m: FibEntry): void {
  v.setBigUint64(o + FIB.net.offset, big(m.net, 64n, "net"), LE);
  v.setUint32(o + FIB.address.offset, u32(m.address, "address"), BE);
  v.setUint32(
    o + FIB.mask.offset,
    ip4Mask(integer(m.prefixLength, 0, 32, "prefixLength")),
    BE,
  );
  v.setUint8(o + FIB.event.offset, u8(m.event, "event"));
  v.setUint8(o + FIB.nhs.offset, m.nextHops.length);
  v.setUint8(o + FIB.tos.offset, u8(m.tos, "tos"));
  v.setUint8(o + FIB.type.offset, u8(m.type, "type"));
  v.setUint32(o + FIB.table.offset, u32(m.table, "table"), LE);
  let at = o + FIB.nh.offset;
  for (const nh of m.nextHops) {
    v.setInt32(at + NH.ifindex.offset, s32(nh.ifindex, "ifindex"), LE);
    v.setInt32(at + NH.weight.offset, s32(nh.weight, "weight"), LE);
    v.setUint32(at + NH.flags.offset, u32(nh.flags, "flags"), LE);
    v.setUint32(at + NH.gw.offset, u32(nh.gw, "gw"), BE);
    v.setUint8(at + NH.scope.offset, u8(nh.scope, "scope"));
    at += FIB.nh.size;
  }
  cookie(v, at, m.cookie);
}

function fib6entry(v: DataView, o: number, m: Fib6Entry): void {
  v.setBigUint64(o + FIB6.net.offset, big(m.net, 64n, "net"), LE);
  writeIp6(v, o + FIB6.address.offset, big(m.address, 128n, "address"));
  v.setUint8(
    o + FIB6.length.offset,
    integer(m.prefixLength, 0, 128, "prefixLength"),
  );
  v.setUint8(o + FIB6.event.offset, u8(m.event, "event"));
  v.setUint8(o + FIB6.nsiblings.offset, m.nextHops.length - 1);
  v.setUint8(o + FIB6.type.offset, u8(m.type, "type"));
  v.setUint32(o + FIB6.table.offset, u32(m.table, "table"), LE);
  m.nextHops.forEach((nh, i) => {
    const at = i === 0
      ? o + FIB6.nh.offset
      : o + FIB6.siblings.offset + (i - 1) * FIB6.siblings.size;
    v.setInt32(at + NH6.ifindex.offset, s32(nh.ifindex, "ifindex"), LE);
    v.setInt32(at + NH6.weight.offset, s32(nh.weight, "weight"), LE);
    v.setUint32(at + NH6.flags.offset, u32(nh.flags, "flags"), LE);
    writeIp6(v, at + NH6.gw.offset, big(nh.gw, 128n, "gw"));
  });
  cookie(v, o + fib6entrySize(m.nextHops.length - 1), m.cookie);
}

function neigh(v: DataView, o: number, m: NeighUpdate): void {
  if (m.deleted !== (m.lladdr === 0)) {
    throw new RangeError(
      `neigh_update: deleted is ${m.deleted} but lladdr is ${m.lladdr}`,
    );
  }
  v.setBigUint64(o + NEIGH.net.offset, big(m.net, 64n, "net"), LE);
  v.setInt32(o + NEIGH.ifindex.offset, s32(m.ifindex, "ifindex"), LE);
  const dst = o + NEIGH.dst.offset;
  if (m.family === "inet") {
    v.setUint8(o + NEIGH.family.offset, VALUES.AF_INET);
    v.setUint8(o + NEIGH.len.offset, 4);
    v.setUint32(dst, u32(m.dst, "dst"), BE);
  } else {
    v.setUint8(o + NEIGH.family.offset, VALUES.AF_INET6);
    v.setUint8(o + NEIGH.len.offset, 16);
    writeIp6(v, dst, big(m.dst, 128n, "dst"));
  }
  writeMac(v, o + NEIGH.lladdr.offset, mac(m.lladdr, "lladdr"));
}

function linkModesExt(v: DataView, o: number, m: LinkModesExt): void {
  let modes = big(m.modes, 64n * BigInt(m.nwords), "modes");
  v.setUint32(o + EXT.xid.offset, u32(m.xid, "xid"), LE);
  v.setUint8(o + EXT.which.offset, u8(m.which, "which"));
  v.setUint8(o + EXT.nwords.offset, m.nwords);
  for (let i = 0; i < m.nwords; i++) {
    const at = o + EXT.modes.offset + i * EXT.modes.size;
    v.setBigUint64(at, modes & 0xffff_ffff_ffff_ffffn, LE);
    modes >>= 64n;
  }
}
