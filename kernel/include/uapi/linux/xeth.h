/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * xeth: the wire ABI between the xeth kernel module, iproute2 and SWITCHD.
 *
 * This header is the single definition of every rtnl attribute, frame
 * format and side-band message; the TypeScript codec and the Rust data
 * plane are checked against it by tests that compile against this file.
 */
#ifndef _UAPI_LINUX_XETH_H
#define _UAPI_LINUX_XETH_H

#include <linux/const.h>
#include <linux/types.h>

/* rtnl link kinds (IFLA_INFO_KIND) */
#define XETH_MUX_KIND		"xeth-mux"
#define XETH_PORT_KIND		"xeth-port"
#define XETH_VLAN_KIND		"xeth-vlan"
#define XETH_BRIDGE_KIND	"xeth-bridge"
#define XETH_LAG_KIND		"xeth-lag"
#define XETH_LOOPBACK_KIND	"xeth-loopback"

/* Device kinds, as IFINFO messages carry them. */
enum xeth_dev_kind {
	XETH_DEV_KIND_UNSPEC = 0,
	XETH_DEV_KIND_PORT = 1,
	XETH_DEV_KIND_VLAN = 2,
	XETH_DEV_KIND_BRIDGE = 3,
	XETH_DEV_KIND_LAG = 4,
	XETH_DEV_KIND_LOOPBACK = 5,
};

/*
 * xids: every proxy has one, unique within its mux.  Ports get the given
 * one or are allocated downward from XETH_PORT_XID_FIRST; lag, bridge and
 * loopback proxies upward from XETH_AUX_XID_FIRST (up to XETH_AUX_XID_LAST).
 * A VLAN proxy's xid is its lower's xid with the VLAN id shifted in by
 * XETH_VLAN_VID_SHIFT (vlan encap) or XETH_VPLS_VID_SHIFT (vpls encap).
 */
#define XETH_PORT_XID_FIRST	3999
#define XETH_AUX_XID_FIRST	3000
#define XETH_AUX_XID_LAST	4094
#define XETH_VLAN_VID_SHIFT	12
#define XETH_VPLS_VID_SHIFT	20
#define XETH_VLAN_XID_MASK	0xfff
#define XETH_VPLS_XID_MASK	0xfffff

/*
 * Encapsulation of proxy frames on the mux.
 *
 * XETH_ENCAP_VLAN: a port, lag, bridge or loopback frame carries one
 * 802.1Q tag (TPID 0x8100) whose VID is xid & XETH_VLAN_XID_MASK.  A VLAN
 * proxy's frame carries an outer 802.1ad tag (TPID 0x88a8) with its
 * lower's xid and an inner 802.1Q tag with its VLAN id.  On receive,
 * xid = outer VID, OR-ed with inner VID << XETH_VLAN_VID_SHIFT when the
 * outer TPID is 802.1ad and an 802.1Q tag follows; the outer PCP becomes
 * the frame's priority.  Transmitted tags have PCP 0.
 *
 * XETH_ENCAP_VPLS: an Ethernet pseudowire (RFC 4448 raw mode, no control
 * word).  The whole proxy frame follows an outer Ethernet header and an
 * MPLS label stack:
 *
 *   outer dst[6] src[6]	copies of the proxy frame's own addresses
 *   ethertype 0x8847		MPLS unicast
 *   label 1 (4 bytes, be)	label = xid & XETH_VPLS_XID_MASK, TC, S, TTL
 *   label 2 (VLAN proxies)	label = VLAN id, TC 0, S = 1, TTL
 *   proxy frame		dst, src, ethertype, payload
 *
 * Each label word is label << 12 | TC << 9 | S << 8 | TTL.  Transmitted
 * labels have TC 0 and TTL XETH_VPLS_TTL; on receive the first label's TC
 * becomes the frame's priority and the TTL is ignored.  VLAN ids occupy
 * label values 1-4094 although MPLS reserves 0-15: these labels never
 * leave the link between the mux and the switch.
 *
 * Exceptions: a frame written to a raw AF_PACKET socket bound to the mux
 * whose first tag has PCP XETH_EXCEPTION_PRIORITY (vlan) or whose first
 * label has TC XETH_EXCEPTION_PRIORITY (vpls) is not transmitted: the mux
 * strips the tags or labels and the frame is received by the proxy.
 *
 * Link-less muxes (no lower link) hand every proxy frame, encapsulated as
 * above, to the packet taps of the mux: a raw AF_PACKET socket bound to
 * the mux reads it with its tags or labels intact (sll_pkttype
 * PACKET_OUTGOING).  Unmarked frames written to a link-less mux are
 * dropped and counted; with lower links they leave through one of them.
 */
enum xeth_encap {
	XETH_ENCAP_VLAN = 0,
	XETH_ENCAP_VPLS = 1,
};

#define XETH_EXCEPTION_PRIORITY	7
#define XETH_VPLS_TTL		64

/* IFLA_INFO_DATA of "xeth-mux" */
enum {
	IFLA_XETH_MUX_UNSPEC,
	IFLA_XETH_MUX_ENCAP,		/* u8: enum xeth_encap */
	__IFLA_XETH_MUX_MAX,
};

#define IFLA_XETH_MUX_MAX (__IFLA_XETH_MUX_MAX - 1)

/* IFLA_INFO_DATA of "xeth-port" */
enum {
	IFLA_XETH_PORT_UNSPEC,
	IFLA_XETH_PORT_XID,		/* u32 */
	__IFLA_XETH_PORT_MAX,
};

#define IFLA_XETH_PORT_MAX (__IFLA_XETH_PORT_MAX - 1)

/* IFLA_INFO_DATA of "xeth-vlan" */
enum {
	IFLA_XETH_VLAN_UNSPEC,
	IFLA_XETH_VLAN_VID,		/* u16 */
	__IFLA_XETH_VLAN_MAX,
};

#define IFLA_XETH_VLAN_MAX (__IFLA_XETH_VLAN_MAX - 1)

/* IFLA_INFO_DATA of "xeth-loopback" */
enum {
	IFLA_XETH_LOOPBACK_UNSPEC,
	IFLA_XETH_LOOPBACK_CHANNEL,	/* u8 */
	__IFLA_XETH_LOOPBACK_MAX,
};

#define IFLA_XETH_LOOPBACK_MAX (__IFLA_XETH_LOOPBACK_MAX - 1)

/*
 * Side-band messages (protocol version 2, wire-compatible with xeth 3.x).
 *
 * The mux listens on the abstract SOCK_SEQPACKET address "\0<mux name>"
 * in its namespace while it is admin-up.  Every message starts with struct
 * xeth_msg_header: 14 zero bytes (which tell a message from a frame), the
 * version and the kind.  Host byte order, except fields marked __be.
 */
#define XETH_MSG_VERSION	2
#define XETH_MSG_MAX_SIZE	9728	/* a jumbo frame */
#define XETH_IFNAMSIZ		16

enum xeth_msg_kind {
	XETH_MSG_KIND_BREAK = 0,			/* K->D end of a dump */
	XETH_MSG_KIND_LINK_STAT = 1,			/* D->K */
	XETH_MSG_KIND_ETHTOOL_STAT = 2,			/* D->K */
	XETH_MSG_KIND_ETHTOOL_FLAGS = 3,		/* K->D */
	XETH_MSG_KIND_ETHTOOL_SETTINGS = 4,		/* K->D */
	XETH_MSG_KIND_ETHTOOL_LINK_MODES_SUPPORTED = 5,	/* K->D */
	XETH_MSG_KIND_ETHTOOL_LINK_MODES_ADVERTISING = 6, /* K->D */
	XETH_MSG_KIND_ETHTOOL_LINK_MODES_LP_ADVERTISING = 7, /* K->D */
	XETH_MSG_KIND_DUMP_IFINFO = 8,			/* D->K */
	XETH_MSG_KIND_CARRIER = 9,			/* D->K */
	XETH_MSG_KIND_SPEED = 10,			/* D->K */
	XETH_MSG_KIND_IFINFO = 11,			/* K->D */
	XETH_MSG_KIND_IFA = 12,				/* K->D */
	XETH_MSG_KIND_IFA6 = 13,			/* K->D */
	XETH_MSG_KIND_DUMP_FIBINFO = 14,		/* D->K */
	XETH_MSG_KIND_FIBENTRY = 15,			/* K->D */
	XETH_MSG_KIND_FIB6ENTRY = 16,			/* K->D */
	XETH_MSG_KIND_NEIGH_UPDATE = 17,		/* K->D */
	XETH_MSG_KIND_CHANGE_UPPER_XID = 18,		/* K->D */
	XETH_MSG_KIND_NETNS_ADD = 19,			/* K->D */
	XETH_MSG_KIND_NETNS_DEL = 20,			/* K->D */
	/* extensions: see "Extensions" below */
	XETH_MSG_KIND_EXT_ENABLE = 21,			/* D->K */
	XETH_MSG_KIND_ETHTOOL_LINK_MODES_EXT = 22,	/* K->D */
	XETH_MSG_KIND_FIB_OFFLOAD = 23,			/* D->K */
};

/*
 * Extensions.  A kernel lists the extensions it supports in
 * /sys/class/net/<mux>/xeth/extensions, one "<bit> <name>" per line; a
 * daemon that knows one of them may send EXT_ENABLE with those bits set,
 * before its dumps.  Only then does the kernel send extension kinds on
 * that connection.  Old daemons never read the file nor send EXT_ENABLE,
 * so they never see an extension kind; old kernels have no file, so new
 * daemons never send one to them.  Enabled extensions end with the
 * connection.
 *
 * XETH_EXT_LINK_MODES: ETHTOOL_LINK_MODES_EXT carries a port's whole
 * ethtool link-mode bitmaps (modes past bit 63: 200G, 400G, 800G), after
 * each classic ETHTOOL_LINK_MODES_* message, in dumps and live.
 */
#define XETH_EXT_LINK_MODES		0
/*
 * XETH_EXT_FIB_OFFLOAD: the daemon tells the kernel what its switch holds
 * of each route, and the kernel shows it in the route's flags
 * (RTM_F_OFFLOAD, RTM_F_TRAP, RTM_F_OFFLOAD_FAILED: "ip route" shows
 * offload, trap, offload_failed).  With it enabled, every FIBENTRY and
 * FIB6ENTRY (dumps and live) is followed, in the same datagram, by a
 * struct xeth_fib_cookie naming that version of the route; the daemon
 * answers with FIB_OFFLOAD results carrying the route's key and that
 * cookie.  A result whose cookie is not the route's latest (the route
 * changed or went away meanwhile) is stale: ignored and counted.  When
 * the connection ends, the kernel clears the flags of every route it
 * had flagged: a route nobody holds is not offloaded.
 */
#define XETH_EXT_FIB_OFFLOAD		1
#define XETH_EXT_SUPPORTED		(_BITULL(XETH_EXT_LINK_MODES) | \
					 _BITULL(XETH_EXT_FIB_OFFLOAD))

/* which bitmap an ETHTOOL_LINK_MODES_EXT carries */
enum xeth_link_modes_which {
	XETH_LINK_MODES_SUPPORTED = 0,
	XETH_LINK_MODES_ADVERTISING = 1,
	XETH_LINK_MODES_LP_ADVERTISING = 2,
};

/* IFINFO reason */
enum xeth_ifinfo_reason {
	XETH_IFINFO_REASON_NEW = 0,
	XETH_IFINFO_REASON_DEL = 1,
	XETH_IFINFO_REASON_UP = 2,
	XETH_IFINFO_REASON_DOWN = 3,
	XETH_IFINFO_REASON_DUMP = 4,
	XETH_IFINFO_REASON_REG = 5,	/* moved into a namespace */
	XETH_IFINFO_REASON_UNREG = 6,	/* moved out of a namespace */
	XETH_IFINFO_REASON_FEATURES = 7,
};

/* IFINFO features */
#define XETH_FEATURE_L2_FWD_OFFLOAD	_BITULL(0)

/* IFA and IFA6 event */
#define XETH_IFA_ADD	1	/* NETDEV_UP */
#define XETH_IFA_DEL	2	/* NETDEV_DOWN */

/* Net namespace id of the initial namespace; others go by inode number. */
#define XETH_NET_INIT	1

/* LINK_STAT index: the order of struct rtnl_link_stats64 */
enum xeth_link_stat {
	XETH_LINK_STAT_RX_PACKETS,
	XETH_LINK_STAT_TX_PACKETS,
	XETH_LINK_STAT_RX_BYTES,
	XETH_LINK_STAT_TX_BYTES,
	XETH_LINK_STAT_RX_ERRORS,
	XETH_LINK_STAT_TX_ERRORS,
	XETH_LINK_STAT_RX_DROPPED,
	XETH_LINK_STAT_TX_DROPPED,
	XETH_LINK_STAT_MULTICAST,
	XETH_LINK_STAT_COLLISIONS,
	XETH_LINK_STAT_RX_LENGTH_ERRORS,
	XETH_LINK_STAT_RX_OVER_ERRORS,
	XETH_LINK_STAT_RX_CRC_ERRORS,
	XETH_LINK_STAT_RX_FRAME_ERRORS,
	XETH_LINK_STAT_RX_FIFO_ERRORS,
	XETH_LINK_STAT_RX_MISSED_ERRORS,
	XETH_LINK_STAT_TX_ABORTED_ERRORS,
	XETH_LINK_STAT_TX_CARRIER_ERRORS,
	XETH_LINK_STAT_TX_FIFO_ERRORS,
	XETH_LINK_STAT_TX_HEARTBEAT_ERRORS,
	XETH_LINK_STAT_TX_WINDOW_ERRORS,
	XETH_LINK_STAT_RX_COMPRESSED,
	XETH_LINK_STAT_TX_COMPRESSED,
	XETH_LINK_STAT_RX_NOHANDLER,
	XETH_N_LINK_STATS,
};

#define XETH_MAX_ETHTOOL_STATS	512

struct xeth_msg_header {
	__u64 z64;
	__u32 z32;
	__u16 z16;
	__u8 version;
	__u8 kind;
};

/* BREAK, DUMP_IFINFO, DUMP_FIBINFO */
struct xeth_msg {
	struct xeth_msg_header header;
};

/* LINK_STAT, ETHTOOL_STAT: absolute values */
struct xeth_msg_stat {
	struct xeth_msg_header header;
	__u32 xid;
	__u32 index;
	__u64 count;
};

struct xeth_msg_ethtool_flags {
	struct xeth_msg_header header;
	__u32 xid;
	__u32 flags;		/* port private flags */
};

struct xeth_msg_ethtool_settings {
	struct xeth_msg_header header;
	__u32 xid;
	__u32 speed;
	__u8 duplex;
	__u8 port;
	__u8 phy_address;
	__u8 autoneg;
	__u8 mdio_support;
	__u8 eth_tp_mdix;
	__u8 eth_tp_mdix_ctrl;
	__u8 pad;
};

/* ETHTOOL_LINK_MODES_*: the first 64 ethtool link-mode bits */
struct xeth_msg_ethtool_link_modes {
	struct xeth_msg_header header;
	__u32 xid;
	__u32 reserved;
	__u64 modes;
};

struct xeth_msg_carrier {
	struct xeth_msg_header header;
	__u32 xid;
	__u8 flag;		/* 0 off, 1 on */
	__u8 pad[3];
};

struct xeth_msg_speed {
	struct xeth_msg_header header;
	__u32 xid;
	__u32 mbps;
};

struct xeth_msg_ifinfo {
	struct xeth_msg_header header;
	__u32 xid;
	__u32 kdata;		/* vlan: mux encap; loopback: channel */
	char ifname[XETH_IFNAMSIZ];
	__u64 net;
	__s32 ifindex;
	__u32 flags;		/* IFF_* */
	__u8 addr[6];
	__u8 kind;		/* enum xeth_dev_kind */
	__u8 reason;		/* enum xeth_ifinfo_reason */
	__u64 features;		/* XETH_FEATURE_* */
};

struct xeth_msg_ifa {
	struct xeth_msg_header header;
	__u32 xid;
	__u32 event;		/* XETH_IFA_ADD or XETH_IFA_DEL */
	__be32 address;
	__be32 mask;
};

struct xeth_msg_ifa6 {
	struct xeth_msg_header header;
	__u32 xid;
	__u32 event;
	__u8 address[16];
	__u8 length;
	__u8 pad[7];
};

struct xeth_next_hop {
	__s32 ifindex;
	__s32 weight;
	__u32 flags;		/* RTNH_F_*, and XETH_NH_F_GW_INET6 */
	__be32 gw;
	__u8 scope;
	__u8 pad[7];
};

/*
 * A next hop of an IPv4 route through an IPv6 gateway (RFC 5549, as
 * "BGP unnumbered" installs them) does not fit gw.  The kernel sends it
 * with ifindex 0 and gw 0 and this bit in flags: to any daemon, old ones
 * included, a next hop through no proxy, whose traffic the switch hands
 * to Linux, never a connected route out of the proxy.  A daemon that
 * knows the bit may say why.  (No RTNH_F_* flag uses bit 31.)
 */
#define XETH_NH_F_GW_INET6	0x80000000U

/* event: enum fib_event_type (REPLACE 0, APPEND 1, ADD 2, DEL 3) */
struct xeth_msg_fibentry {
	struct xeth_msg_header header;
	__u64 net;
	__be32 address;
	__be32 mask;
	__u8 event;
	__u8 nhs;
	__u8 tos;
	__u8 type;		/* RTN_* */
	__u32 table;
	struct xeth_next_hop nh[];
};

struct xeth_next_hop6 {
	__s32 ifindex;
	__s32 weight;
	__u32 flags;
	__u32 reserved;
	__u8 gw[16];
};

struct xeth_msg_fib6entry {
	struct xeth_msg_header header;
	__u64 net;
	__u8 address[16];
	__u8 length;
	__u8 event;
	__u8 nsiblings;
	__u8 type;
	__u32 table;
	struct xeth_next_hop6 nh;
	struct xeth_next_hop6 siblings[];
};

struct xeth_msg_neigh_update {
	struct xeth_msg_header header;
	__u64 net;
	__s32 ifindex;
	__u8 family;		/* AF_INET or AF_INET6 */
	__u8 len;		/* of dst: 4 or 16 */
	__u16 reserved;
	__u8 dst[16];
	__u8 lladdr[6];		/* all zero: the entry was deleted */
	__u8 pad[2];
};

struct xeth_msg_change_upper_xid {
	struct xeth_msg_header header;
	__u32 upper;
	__u32 lower;
	__u8 linking;		/* 1 join, 0 quit */
	__u8 pad[7];
};

/* NETNS_ADD, NETNS_DEL */
struct xeth_msg_netns {
	struct xeth_msg_header header;
	__u64 net;
};

/* EXT_ENABLE: the XETH_EXT_* bits the daemon wants */
struct xeth_msg_ext_enable {
	struct xeth_msg_header header;
	__u64 extensions;
};

/* ETHTOOL_LINK_MODES_EXT: bit n of the bitmap is bit n % 64 of modes[n / 64] */
struct xeth_msg_ethtool_link_modes_ext {
	struct xeth_msg_header header;
	__u32 xid;
	__u8 which;		/* enum xeth_link_modes_which */
	__u8 nwords;		/* of modes */
	__u16 reserved;
	__u64 modes[];
};

/* after each FIBENTRY and FIB6ENTRY with XETH_EXT_FIB_OFFLOAD enabled */
struct xeth_fib_cookie {
	__u64 cookie;		/* never 0 */
};

/* what the switch holds of a route */
enum xeth_fib_offload_result {
	XETH_FIB_RESULT_NONE = 0,	/* nothing: clear the flags */
	XETH_FIB_RESULT_OFFLOAD = 1,	/* the switch forwards it */
	XETH_FIB_RESULT_TRAP = 2,	/* the switch hands its traffic to Linux */
	XETH_FIB_RESULT_FAILED = 3,	/* it did not fit: Linux forwards it */
};

/*
 * One route's result.  The key is the one its FIBENTRY or FIB6ENTRY
 * carried: net, table, family, address (IPv4: the first 4 bytes, network
 * order), prefix length and tos (0 for IPv6).
 */
struct xeth_fib_result {
	__u64 net;
	__u64 cookie;
	__u8 address[16];
	__u32 table;
	__u8 family;		/* AF_INET or AF_INET6 */
	__u8 length;
	__u8 tos;
	__u8 result;		/* enum xeth_fib_offload_result */
};

/* FIB_OFFLOAD: n results; at most XETH_FIB_RESULTS_MAX in one datagram */
struct xeth_msg_fib_offload {
	struct xeth_msg_header header;
	__u32 n;
	__u32 reserved;
	struct xeth_fib_result results[];
};

#define XETH_FIB_RESULTS_MAX	((XETH_MSG_MAX_SIZE - \
				  sizeof(struct xeth_msg_fib_offload)) / \
				 sizeof(struct xeth_fib_result))

#endif /* _UAPI_LINUX_XETH_H */
