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

#endif /* _UAPI_LINUX_XETH_H */
