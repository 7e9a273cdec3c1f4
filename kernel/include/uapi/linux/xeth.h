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

/* Encapsulation of proxy frames on the mux. */
enum xeth_encap {
	XETH_ENCAP_VLAN = 0,
	XETH_ENCAP_VPLS = 1,
};

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
