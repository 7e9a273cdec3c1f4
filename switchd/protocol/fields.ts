/**
 * The field tables of every message struct (offsets and sizes from
 * abi.generated.ts), under short names, and the byte orders, shared by
 * the decoder and the encoder.
 *
 * @module
 */

import { STRUCTS } from "./abi.generated.ts";

export const STAT = STRUCTS.xeth_msg_stat.fields;
export const FLAGS = STRUCTS.xeth_msg_ethtool_flags.fields;
export const SET = STRUCTS.xeth_msg_ethtool_settings.fields;
export const MODES = STRUCTS.xeth_msg_ethtool_link_modes.fields;
export const EXT = STRUCTS.xeth_msg_ethtool_link_modes_ext.fields;
export const CARRIER = STRUCTS.xeth_msg_carrier.fields;
export const SPEED = STRUCTS.xeth_msg_speed.fields;
export const IFINFO = STRUCTS.xeth_msg_ifinfo.fields;
export const IFA = STRUCTS.xeth_msg_ifa.fields;
export const IFA6 = STRUCTS.xeth_msg_ifa6.fields;
export const FIB = STRUCTS.xeth_msg_fibentry.fields;
export const NH = STRUCTS.xeth_next_hop.fields;
export const FIB6 = STRUCTS.xeth_msg_fib6entry.fields;
export const NH6 = STRUCTS.xeth_next_hop6.fields;
export const NEIGH = STRUCTS.xeth_msg_neigh_update.fields;
export const UPPER = STRUCTS.xeth_msg_change_upper_xid.fields;
export const NETNS = STRUCTS.xeth_msg_netns.fields;
export const EXT_ENABLE = STRUCTS.xeth_msg_ext_enable.fields;
export const OFFLOAD = STRUCTS.xeth_msg_fib_offload.fields;
export const RESULT = STRUCTS.xeth_fib_result.fields;
export const COOKIE = STRUCTS.xeth_fib_cookie.fields;

/** DataView's littleEndian argument: the ABI's host order (x86_64). */
export const LE = true;
/** ...and network order, for the fields marked be. */
export const BE = false;
