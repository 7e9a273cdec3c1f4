// SPDX-License-Identifier: GPL-2.0
/*
 * Prints, as JSON, the layout of every side-band message and the values of
 * the wire enums, as the C compiler sees include/uapi/linux/xeth.h.  The
 * TypeScript codec is generated from this output (scripts/gen_abi.ts) and
 * the Rust data plane's constants are checked against it
 * (dataplane/src/uapi.rs), so the header stays the one definition of the
 * wire ABI.
 */
#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>
#include <linux/xeth.h>

static int first;

static void begin(const char *name, size_t size)
{
	printf("%s\n    \"%s\": { \"size\": %zu, \"fields\": {", first ? "" : ",",
	       name, size);
	first = 0;
}

static int first_field;

static void field(const char *name, size_t off, size_t size)
{
	printf("%s \"%s\": [%zu, %zu]", first_field ? "" : ",", name, off, size);
	first_field = 0;
}

#define STRUCT(s) do { begin(#s, sizeof(struct s)); first_field = 1; } while (0)
#define FIELD(s, f) field(#f, offsetof(struct s, f), sizeof(((struct s *)0)->f))
#define END() printf(" } }")

static void value(const char *name, unsigned long long v)
{
	printf("%s\n    \"%s\": %llu", first ? "" : ",", name, v);
	first = 0;
}

#define VALUE(v) value(#v, (unsigned long long)(v))

int main(void)
{
	printf("{\n  \"structs\": {");
	first = 1;
	STRUCT(xeth_msg_header);
	FIELD(xeth_msg_header, z64); FIELD(xeth_msg_header, z32);
	FIELD(xeth_msg_header, z16); FIELD(xeth_msg_header, version);
	FIELD(xeth_msg_header, kind); END();
	STRUCT(xeth_msg); FIELD(xeth_msg, header); END();
	STRUCT(xeth_msg_stat);
	FIELD(xeth_msg_stat, xid); FIELD(xeth_msg_stat, index);
	FIELD(xeth_msg_stat, count); END();
	STRUCT(xeth_msg_ethtool_flags);
	FIELD(xeth_msg_ethtool_flags, xid); FIELD(xeth_msg_ethtool_flags, flags); END();
	STRUCT(xeth_msg_ethtool_settings);
	FIELD(xeth_msg_ethtool_settings, xid); FIELD(xeth_msg_ethtool_settings, speed);
	FIELD(xeth_msg_ethtool_settings, duplex); FIELD(xeth_msg_ethtool_settings, port);
	FIELD(xeth_msg_ethtool_settings, phy_address);
	FIELD(xeth_msg_ethtool_settings, autoneg);
	FIELD(xeth_msg_ethtool_settings, mdio_support);
	FIELD(xeth_msg_ethtool_settings, eth_tp_mdix);
	FIELD(xeth_msg_ethtool_settings, eth_tp_mdix_ctrl);
	FIELD(xeth_msg_ethtool_settings, pad); END();
	STRUCT(xeth_msg_ethtool_link_modes);
	FIELD(xeth_msg_ethtool_link_modes, xid);
	FIELD(xeth_msg_ethtool_link_modes, reserved);
	FIELD(xeth_msg_ethtool_link_modes, modes); END();
	STRUCT(xeth_msg_carrier);
	FIELD(xeth_msg_carrier, xid); FIELD(xeth_msg_carrier, flag);
	FIELD(xeth_msg_carrier, pad); END();
	STRUCT(xeth_msg_speed);
	FIELD(xeth_msg_speed, xid); FIELD(xeth_msg_speed, mbps); END();
	STRUCT(xeth_msg_ifinfo);
	FIELD(xeth_msg_ifinfo, xid); FIELD(xeth_msg_ifinfo, kdata);
	FIELD(xeth_msg_ifinfo, ifname); FIELD(xeth_msg_ifinfo, net);
	FIELD(xeth_msg_ifinfo, ifindex); FIELD(xeth_msg_ifinfo, flags);
	FIELD(xeth_msg_ifinfo, addr); FIELD(xeth_msg_ifinfo, kind);
	FIELD(xeth_msg_ifinfo, reason); FIELD(xeth_msg_ifinfo, features); END();
	STRUCT(xeth_msg_ifa);
	FIELD(xeth_msg_ifa, xid); FIELD(xeth_msg_ifa, event);
	FIELD(xeth_msg_ifa, address); FIELD(xeth_msg_ifa, mask); END();
	STRUCT(xeth_msg_ifa6);
	FIELD(xeth_msg_ifa6, xid); FIELD(xeth_msg_ifa6, event);
	FIELD(xeth_msg_ifa6, address); FIELD(xeth_msg_ifa6, length);
	FIELD(xeth_msg_ifa6, pad); END();
	STRUCT(xeth_next_hop);
	FIELD(xeth_next_hop, ifindex); FIELD(xeth_next_hop, weight);
	FIELD(xeth_next_hop, flags); FIELD(xeth_next_hop, gw);
	FIELD(xeth_next_hop, scope); FIELD(xeth_next_hop, pad); END();
	STRUCT(xeth_msg_fibentry);
	FIELD(xeth_msg_fibentry, net); FIELD(xeth_msg_fibentry, address);
	FIELD(xeth_msg_fibentry, mask); FIELD(xeth_msg_fibentry, event);
	FIELD(xeth_msg_fibentry, nhs); FIELD(xeth_msg_fibentry, tos);
	FIELD(xeth_msg_fibentry, type); FIELD(xeth_msg_fibentry, table);
	field("nh", offsetof(struct xeth_msg_fibentry, nh), sizeof(struct xeth_next_hop));
	END();
	STRUCT(xeth_next_hop6);
	FIELD(xeth_next_hop6, ifindex); FIELD(xeth_next_hop6, weight);
	FIELD(xeth_next_hop6, flags); FIELD(xeth_next_hop6, reserved);
	FIELD(xeth_next_hop6, gw); END();
	STRUCT(xeth_msg_fib6entry);
	FIELD(xeth_msg_fib6entry, net); FIELD(xeth_msg_fib6entry, address);
	FIELD(xeth_msg_fib6entry, length); FIELD(xeth_msg_fib6entry, event);
	FIELD(xeth_msg_fib6entry, nsiblings); FIELD(xeth_msg_fib6entry, type);
	FIELD(xeth_msg_fib6entry, table); FIELD(xeth_msg_fib6entry, nh);
	field("siblings", offsetof(struct xeth_msg_fib6entry, siblings),
	      sizeof(struct xeth_next_hop6));
	END();
	STRUCT(xeth_msg_neigh_update);
	FIELD(xeth_msg_neigh_update, net); FIELD(xeth_msg_neigh_update, ifindex);
	FIELD(xeth_msg_neigh_update, family); FIELD(xeth_msg_neigh_update, len);
	FIELD(xeth_msg_neigh_update, reserved); FIELD(xeth_msg_neigh_update, dst);
	FIELD(xeth_msg_neigh_update, lladdr); FIELD(xeth_msg_neigh_update, pad);
	END();
	STRUCT(xeth_msg_change_upper_xid);
	FIELD(xeth_msg_change_upper_xid, upper);
	FIELD(xeth_msg_change_upper_xid, lower);
	FIELD(xeth_msg_change_upper_xid, linking);
	FIELD(xeth_msg_change_upper_xid, pad); END();
	STRUCT(xeth_msg_netns); FIELD(xeth_msg_netns, net); END();
	STRUCT(xeth_msg_ext_enable); FIELD(xeth_msg_ext_enable, extensions); END();
	STRUCT(xeth_msg_ethtool_link_modes_ext);
	FIELD(xeth_msg_ethtool_link_modes_ext, xid);
	FIELD(xeth_msg_ethtool_link_modes_ext, which);
	FIELD(xeth_msg_ethtool_link_modes_ext, nwords);
	FIELD(xeth_msg_ethtool_link_modes_ext, reserved);
	field("modes", offsetof(struct xeth_msg_ethtool_link_modes_ext, modes),
	      sizeof(__u64));
	END();
	STRUCT(xeth_fib_cookie); FIELD(xeth_fib_cookie, cookie); END();
	STRUCT(xeth_fib_result);
	FIELD(xeth_fib_result, net); FIELD(xeth_fib_result, cookie);
	FIELD(xeth_fib_result, address); FIELD(xeth_fib_result, table);
	FIELD(xeth_fib_result, family); FIELD(xeth_fib_result, length);
	FIELD(xeth_fib_result, tos); FIELD(xeth_fib_result, result); END();
	STRUCT(xeth_msg_fib_offload);
	FIELD(xeth_msg_fib_offload, n); FIELD(xeth_msg_fib_offload, reserved);
	field("results", offsetof(struct xeth_msg_fib_offload, results),
	      sizeof(struct xeth_fib_result));
	END();
	printf("\n  },\n  \"values\": {");
	first = 1;
	VALUE(XETH_MSG_VERSION); VALUE(XETH_MSG_MAX_SIZE); VALUE(XETH_IFNAMSIZ);
	VALUE(XETH_MSG_KIND_BREAK); VALUE(XETH_MSG_KIND_LINK_STAT);
	VALUE(XETH_MSG_KIND_ETHTOOL_STAT); VALUE(XETH_MSG_KIND_ETHTOOL_FLAGS);
	VALUE(XETH_MSG_KIND_ETHTOOL_SETTINGS);
	VALUE(XETH_MSG_KIND_ETHTOOL_LINK_MODES_SUPPORTED);
	VALUE(XETH_MSG_KIND_ETHTOOL_LINK_MODES_ADVERTISING);
	VALUE(XETH_MSG_KIND_ETHTOOL_LINK_MODES_LP_ADVERTISING);
	VALUE(XETH_MSG_KIND_DUMP_IFINFO); VALUE(XETH_MSG_KIND_CARRIER);
	VALUE(XETH_MSG_KIND_SPEED); VALUE(XETH_MSG_KIND_IFINFO);
	VALUE(XETH_MSG_KIND_IFA); VALUE(XETH_MSG_KIND_IFA6);
	VALUE(XETH_MSG_KIND_DUMP_FIBINFO); VALUE(XETH_MSG_KIND_FIBENTRY);
	VALUE(XETH_MSG_KIND_FIB6ENTRY); VALUE(XETH_MSG_KIND_NEIGH_UPDATE);
	VALUE(XETH_MSG_KIND_CHANGE_UPPER_XID); VALUE(XETH_MSG_KIND_NETNS_ADD);
	VALUE(XETH_MSG_KIND_NETNS_DEL); VALUE(XETH_MSG_KIND_EXT_ENABLE);
	VALUE(XETH_MSG_KIND_ETHTOOL_LINK_MODES_EXT);
	VALUE(XETH_MSG_KIND_FIB_OFFLOAD);
	VALUE(XETH_EXT_LINK_MODES); VALUE(XETH_EXT_FIB_OFFLOAD);
	VALUE(XETH_EXT_SUPPORTED);
	VALUE(XETH_FIB_RESULT_NONE); VALUE(XETH_FIB_RESULT_OFFLOAD);
	VALUE(XETH_FIB_RESULT_TRAP); VALUE(XETH_FIB_RESULT_FAILED);
	VALUE(XETH_FIB_RESULTS_MAX);
	VALUE(XETH_LINK_MODES_SUPPORTED); VALUE(XETH_LINK_MODES_ADVERTISING);
	VALUE(XETH_LINK_MODES_LP_ADVERTISING);
	VALUE(XETH_IFINFO_REASON_NEW); VALUE(XETH_IFINFO_REASON_DEL);
	VALUE(XETH_IFINFO_REASON_UP); VALUE(XETH_IFINFO_REASON_DOWN);
	VALUE(XETH_IFINFO_REASON_DUMP); VALUE(XETH_IFINFO_REASON_REG);
	VALUE(XETH_IFINFO_REASON_UNREG); VALUE(XETH_IFINFO_REASON_FEATURES);
	VALUE(XETH_DEV_KIND_UNSPEC); VALUE(XETH_DEV_KIND_PORT);
	VALUE(XETH_DEV_KIND_VLAN); VALUE(XETH_DEV_KIND_BRIDGE);
	VALUE(XETH_DEV_KIND_LAG); VALUE(XETH_DEV_KIND_LOOPBACK);
	VALUE(XETH_FEATURE_L2_FWD_OFFLOAD); VALUE(XETH_IFA_ADD); VALUE(XETH_IFA_DEL);
	VALUE(XETH_NET_INIT);
	VALUE(XETH_LINK_STAT_RX_PACKETS); VALUE(XETH_LINK_STAT_TX_PACKETS);
	VALUE(XETH_LINK_STAT_RX_BYTES); VALUE(XETH_LINK_STAT_TX_BYTES);
	VALUE(XETH_LINK_STAT_RX_ERRORS); VALUE(XETH_LINK_STAT_TX_ERRORS);
	VALUE(XETH_LINK_STAT_RX_DROPPED); VALUE(XETH_LINK_STAT_TX_DROPPED);
	VALUE(XETH_LINK_STAT_MULTICAST); VALUE(XETH_LINK_STAT_COLLISIONS);
	VALUE(XETH_LINK_STAT_RX_LENGTH_ERRORS);
	VALUE(XETH_LINK_STAT_RX_OVER_ERRORS);
	VALUE(XETH_LINK_STAT_RX_CRC_ERRORS);
	VALUE(XETH_LINK_STAT_RX_FRAME_ERRORS);
	VALUE(XETH_LINK_STAT_RX_FIFO_ERRORS);
	VALUE(XETH_LINK_STAT_RX_MISSED_ERRORS);
	VALUE(XETH_LINK_STAT_TX_ABORTED_ERRORS);
	VALUE(XETH_LINK_STAT_TX_CARRIER_ERRORS);
	VALUE(XETH_LINK_STAT_TX_FIFO_ERRORS);
	VALUE(XETH_LINK_STAT_TX_HEARTBEAT_ERRORS);
	VALUE(XETH_LINK_STAT_TX_WINDOW_ERRORS);
	VALUE(XETH_LINK_STAT_RX_COMPRESSED); VALUE(XETH_LINK_STAT_TX_COMPRESSED);
	VALUE(XETH_LINK_STAT_RX_NOHANDLER); VALUE(XETH_N_LINK_STATS);
	VALUE(XETH_MAX_ETHTOOL_STATS);
	VALUE(XETH_ENCAP_VLAN); VALUE(XETH_ENCAP_VPLS); VALUE(XETH_NH_F_GW_INET6);
	VALUE(XETH_EXCEPTION_PRIORITY); VALUE(XETH_VPLS_TTL);
	VALUE(XETH_PORT_XID_FIRST); VALUE(XETH_AUX_XID_FIRST);
	VALUE(XETH_AUX_XID_LAST); VALUE(XETH_VLAN_VID_SHIFT);
	VALUE(XETH_VPLS_VID_SHIFT); VALUE(XETH_VLAN_XID_MASK);
	VALUE(XETH_VPLS_XID_MASK);
	/* NEIGH_UPDATE family: the C library's values, as the kernel's */
	VALUE(AF_INET); VALUE(AF_INET6);
	printf("\n  }\n}\n");
	return 0;
}
