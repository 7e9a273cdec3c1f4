/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xeth private API: the only header shared between the module's files.
 */
#ifndef __XETH_H
#define __XETH_H

#include <linux/netdevice.h>
#include <net/rtnetlink.h>
#include <linux/xeth.h>

/* struct xeth_mux - private data of an xeth-mux netdev */
struct xeth_mux {
	struct net_device *dev;
	u8 encap;		/* enum xeth_encap */
};

extern struct rtnl_link_ops xeth_mux_link_ops;

static inline struct xeth_mux *xeth_mux_priv(struct net_device *dev)
{
	return netdev_priv(dev);
}

static inline bool xeth_is_mux(const struct net_device *dev)
{
	return dev->rtnl_link_ops == &xeth_mux_link_ops;
}

#endif /* __XETH_H */
