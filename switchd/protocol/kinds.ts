/**
 * What each message kind is: its name, direction and size. Numbers and
 * struct sizes come from the generated tables; only the pairing of kinds
 * with structs, and the kernel-internal FIB event values, are written here.
 *
 * @module
 */

import { MSG_KIND, STRUCTS, VALUES } from "./abi.generated.ts";
import { EXT, FIB, FIB6, OFFLOAD } from "./fields.ts";

/** A kind's name: the C enum name, lower case, without XETH_MSG_KIND_. */
export type KindName = Lowercase<keyof typeof MSG_KIND>;

/** Kind numbers by name. */
export const KIND: { readonly [K in KindName]: number } = Object.fromEntries(
  Object.entries(MSG_KIND).map(([k, v]) => [k.toLowerCase(), v]),
) as { [K in KindName]: number };

/** Kind names by number; `undefined` past the last kind this codec knows. */
export const KIND_NAMES: readonly (KindName | undefined)[] = (() => {
  const names: (KindName | undefined)[] = [];
  for (const [k, v] of Object.entries(KIND)) names[v] = k as KindName;
  return names;
})();

/** The name of kind number `n`, or `undefined` when the codec does not know it. */
export function kindName(n: number): KindName | undefined {
  return KIND_NAMES[n];
}

type StructName = keyof typeof STRUCTS;

/**
 * The struct of each kind. The header pairs them only in comments, so this
 * is the one hand-kept table; kinds_test.ts checks it covers every kind.
 */
export const STRUCT_OF: { readonly [K in KindName]: StructName } = {
  break: "xeth_msg",
  link_stat: "xeth_msg_stat",
  ethtool_stat: "xeth_msg_stat",
  ethtool_flags: "xeth_msg_ethtool_flags",
  ethtool_settings: "xeth_msg_ethtool_settings",
  ethtool_link_modes_supported: "xeth_msg_ethtool_link_modes",
  ethtool_link_modes_advertising: "xeth_msg_ethtool_link_modes",
  ethtool_link_modes_lp_advertising: "xeth_msg_ethtool_link_modes",
  dump_ifinfo: "xeth_msg",
  carrier: "xeth_msg_carrier",
  speed: "xeth_msg_speed",
  ifinfo: "xeth_msg_ifinfo",
  ifa: "xeth_msg_ifa",
  ifa6: "xeth_msg_ifa6",
  dump_fibinfo: "xeth_msg",
  fibentry: "xeth_msg_fibentry",
  fib6entry: "xeth_msg_fib6entry",
  neigh_update: "xeth_msg_neigh_update",
  change_upper_xid: "xeth_msg_change_upper_xid",
  netns_add: "xeth_msg_netns",
  netns_del: "xeth_msg_netns",
  ext_enable: "xeth_msg_ext_enable",
  ethtool_link_modes_ext: "xeth_msg_ethtool_link_modes_ext",
  fib_offload: "xeth_msg_fib_offload",
};

/** Kinds a daemon sends; the kernel sends all others. */
export const DAEMON_KINDS: ReadonlySet<KindName> = new Set<KindName>([
  "link_stat",
  "ethtool_stat",
  "dump_ifinfo",
  "carrier",
  "speed",
  "dump_fibinfo",
  "ext_enable",
  "fib_offload",
]);

/** Kinds past the protocol's twenty, sent only once enabled (EXT_ENABLE). */
export const FIRST_EXTENSION_KIND = MSG_KIND.EXT_ENABLE;

/**
 * `enum fib_event_type` of the kernel, which FIBENTRY and FIB6ENTRY carry.
 * It is kernel-internal (include/net/fib_notifier.h), not uapi, so the C
 * compiler cannot check it against our header; docs/protocol.md fixes these
 * four, the only ones sent.
 */
export const FIB_EVENT = {
  REPLACE: 0,
  APPEND: 1,
  ADD: 2,
  DEL: 3,
} as const;

// The size of each kind's fixed part, by number (header and count fields
// included): a flat array because the decoder looks it up per message.
const FIXED_SIZE: readonly number[] = KIND_NAMES.map((k) =>
  k === undefined ? 0 : STRUCTS[STRUCT_OF[k]].size
);

/** Size of the fixed part of kind number `n`; 0 for an unknown kind. */
export function fixedSize(n: number): number {
  return FIXED_SIZE[n] ?? 0;
}

/** Bytes of the xeth_fib_cookie after a FIBENTRY or FIB6ENTRY. */
export const COOKIE_SIZE: number = STRUCTS.xeth_fib_cookie.size;

/** Wire size of a FIBENTRY with `n` next hops. */
export function fibentrySize(n: number): number {
  return FIB.nh.offset + n * FIB.nh.size;
}

/** Wire size of a FIB6ENTRY with `s` siblings (next hops past the first). */
export function fib6entrySize(s: number): number {
  return FIB6.siblings.offset + s * FIB6.siblings.size;
}

/** Wire size of an ETHTOOL_LINK_MODES_EXT with `n` 64-bit words. */
export function linkModesExtSize(n: number): number {
  return EXT.modes.offset + n * EXT.modes.size;
}

/** Wire size of a FIB_OFFLOAD with `n` results. */
export function fibOffloadSize(n: number): number {
  return OFFLOAD.results.offset + n * OFFLOAD.results.size;
}

/**
 * Bytes that may follow a message of kind number `n` in its datagram: the
 * cookie after FIBENTRY and FIB6ENTRY (XETH_EXT_FIB_OFFLOAD); 0 for the
 * others.
 */
export function trailerSize(n: number): number {
  return n === MSG_KIND.FIBENTRY || n === MSG_KIND.FIB6ENTRY ? COOKIE_SIZE : 0;
}

/**
 * The one length a message of kind number `n` may have, given its bytes
 * (a FIBENTRY or FIB6ENTRY may also carry {@link trailerSize} more):
 * the fixed size, or for the kinds that end in an array the size that
 * their count field implies. A message too short to hold its count field
 * gets the fixed size, which it then fails to match.
 */
export function expectedLength(
  view: DataView,
  offset: number,
  length: number,
  n: number,
): number {
  const fixed = fixedSize(n);
  if (length < fixed) return fixed;
  switch (n) {
    case MSG_KIND.FIBENTRY:
      return fibentrySize(view.getUint8(offset + FIB.nhs.offset));
    case MSG_KIND.FIB6ENTRY:
      return fib6entrySize(view.getUint8(offset + FIB6.nsiblings.offset));
    case MSG_KIND.ETHTOOL_LINK_MODES_EXT:
      return linkModesExtSize(view.getUint8(offset + EXT.nwords.offset));
    case MSG_KIND.FIB_OFFLOAD: {
      // a count past what a message can hold gives a length no message has
      const n = view.getUint32(offset + OFFLOAD.n.offset, true);
      return n > VALUES.XETH_FIB_RESULTS_MAX ? -1 : fibOffloadSize(n);
    }
  }
  return fixed;
}
