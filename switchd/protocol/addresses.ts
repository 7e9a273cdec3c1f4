/**
 * The codec's address forms (see types.ts): IPv4 as a u32 number, IPv6 as
 * a u128 bigint, MAC as a 48-bit number, each most significant byte first
 * as on the wire. Readers and writers for the codec; formatters and
 * parsers for logs, tests and the CLI.
 *
 * @module
 */

const U64 = 0xffff_ffff_ffff_ffffn;
const U128 = (1n << 128n) - 1n;

/** An IPv6 address at `offset`, network order. */
export function readIp6(view: DataView, offset: number): bigint {
  const hi = view.getBigUint64(offset, false);
  const lo = view.getBigUint64(offset + 8, false);
  // Most addresses on the wire are zero (gateways of connected routes):
  // skip the bigint arithmetic for them.
  return hi === 0n ? lo : (hi << 64n) | lo;
}

export function writeIp6(view: DataView, offset: number, a: bigint): void {
  view.setBigUint64(offset, (a >> 64n) & U64, false);
  view.setBigUint64(offset + 8, a & U64, false);
}

/** A MAC address (6 bytes) at `offset`. */
export function readMac(view: DataView, offset: number): number {
  // not `<< 32`: JavaScript shifts are 32-bit
  return view.getUint16(offset, false) * 0x1_0000_0000 +
    view.getUint32(offset + 2, false);
}

export function writeMac(view: DataView, offset: number, mac: number): void {
  view.setUint16(offset, Math.floor(mac / 0x1_0000_0000), false);
  view.setUint32(offset + 2, mac >>> 0, false);
}

/** The IPv4 netmask of a prefix length 0-32. */
export function ip4Mask(prefixLength: number): number {
  // `x << 32` is `x << 0` in JavaScript, hence the zero case
  return prefixLength === 0 ? 0 : (0xffff_ffff << (32 - prefixLength)) >>> 0;
}

/** The prefix length of a netmask; -1 when its ones are not contiguous. */
export function prefixLengthOfMask(mask: number): number {
  const n = Math.clz32(~mask);
  return ip4Mask(n) === mask >>> 0 ? n : -1;
}

/** The IPv6 netmask of a prefix length 0-128. */
export function ip6Mask(prefixLength: number): bigint {
  return U128 ^ (U128 >> BigInt(prefixLength));
}

/** "10.0.0.1" */
export function formatIp4(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

const DECIMAL_OCTET = /^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$/;

/** The address of a dotted quad, or `undefined` when `s` is not one. */
export function parseIp4(s: string): number | undefined {
  const parts = s.split(".");
  if (parts.length !== 4 || !parts.every((p) => DECIMAL_OCTET.test(p))) {
    return undefined;
  }
  return parts.reduce((a, p) => a * 256 + Number(p), 0);
}

/**
 * RFC 5952 text: lower case, the longest run (the first of equals) of two
 * or more zero groups as "::", IPv4-mapped addresses with a dotted tail.
 */
export function formatIp6(a: bigint): string {
  const groups: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) {
    groups.push(Number((a >> shift) & 0xffffn));
  }
  if (a >> 32n === 0xffffn) {
    return `::ffff:${formatIp4(Number(a & 0xffff_ffffn))}`;
  }
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (g: number[]) => g.map((x) => x.toString(16)).join(":");
  if (best < 0) return hex(groups);
  return `${hex(groups.slice(0, best))}::${hex(groups.slice(best + bestLen))}`;
}

const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

function groupsOf(s: string): number[] | undefined {
  if (s === "") return [];
  const parts = s.split(":");
  const out: number[] = [];
  for (const [i, p] of parts.entries()) {
    if (i === parts.length - 1 && p.includes(".")) {
      const v4 = parseIp4(p);
      if (v4 === undefined) return undefined;
      out.push(v4 >>> 16, v4 & 0xffff);
    } else if (HEX_GROUP.test(p)) {
      out.push(parseInt(p, 16));
    } else {
      return undefined;
    }
  }
  return out;
}

/** The address of IPv6 text, or `undefined` when `s` is not one. */
export function parseIp6(s: string): bigint | undefined {
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const head = groupsOf(halves[0]);
  const tail = halves.length === 2 ? groupsOf(halves[1]) : [];
  if (head === undefined || tail === undefined) return undefined;
  const zeros = 8 - head.length - tail.length;
  if (halves.length === 2 ? zeros < 1 : zeros !== 0) return undefined;
  // a dotted tail may only end the address
  if (halves.length === 2 && halves[0].includes(".")) return undefined;
  const groups = [...head, ...new Array<number>(zeros).fill(0), ...tail];
  return groups.reduce((a, g) => (a << 16n) | BigInt(g), 0n);
}

/** "02:00:00:00:00:01" */
export function formatMac(mac: number): string {
  return mac.toString(16).padStart(12, "0").replace(/(..)(?!$)/g, "$1:");
}

const MAC = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;

/** The address of "xx:xx:xx:xx:xx:xx", or `undefined`. */
export function parseMac(s: string): number | undefined {
  return MAC.test(s) ? parseInt(s.replaceAll(":", ""), 16) : undefined;
}
