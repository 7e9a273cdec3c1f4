// SPDX-License-Identifier: GPL-2.0
/*
 * xeth-port: the proxy of a front-panel port of the switch.
 */
#include "xeth.h"

static const struct nla_policy xeth_port_policy[IFLA_XETH_PORT_MAX + 1] = {
	[IFLA_XETH_PORT_XID] = NLA_POLICY_EXACT_LEN(sizeof(u32)),
};

/*
 * Registers a port on the mux mux_dev, with the xid of xid_attr or an
 * allocated one: for rtnl and for firmware (platform.c).  RTNL is held.
 */
int xeth_port_add(struct net_device *dev, struct net_device *mux_dev,
		  const struct nlattr *xid_attr,
		  struct netlink_ext_ack *extack)
{
	struct xeth_proxy *p = netdev_priv(dev);

	p->mux = netdev_priv(mux_dev);
	if (p->mux->max_ports && p->mux->n_ports >= p->mux->max_ports) {
		NL_SET_ERR_MSG(extack, "the mux has no room for another port (firmware \"ports\")");
		return -ENOSPC;
	}
	if (p->mux->max_ports && !p->fw &&
	    p->mux->n_ports + xeth_platform_kept_rooms(mux_dev) >=
	    p->mux->max_ports) {
		NL_SET_ERR_MSG(extack,
			       "the mux's free rooms are kept for its firmware ports (firmware \"ports\")");
		return -ENOSPC;
	}
	if (xid_attr) {
		p->xid = nla_get_u32(xid_attr);
		if (!xeth_mux_xid_valid(p->mux, p->xid)) {
			xeth_extack(extack, xid_attr,
				    p->mux->encap == XETH_ENCAP_VPLS ?
				    "xid out of range: 16-1048575 with vpls encap" :
				    "xid out of range: 1-4094 with vlan encap");
			return -ERANGE;
		}
	} else {
		p->xid = xeth_mux_alloc_port_xid(p->mux);
		if (!p->xid) {
			NL_SET_ERR_MSG(extack, "no free port xid on this mux");
			return -ENOSPC;
		}
	}
	p->cfg_speed = SPEED_UNKNOWN;
	p->cfg_duplex = DUPLEX_UNKNOWN;
	p->autoneg = AUTONEG_DISABLE;
	/* A port has no carrier until SWITCHD reports one. */
	netif_carrier_off(dev);
	return xeth_proxy_register(dev, p, mux_dev, XETH_DEV_KIND_PORT, extack);
}

static int xeth_port_newlink(struct net *src_net, struct net_device *dev,
			     struct nlattr *tb[], struct nlattr *data[],
			     struct netlink_ext_ack *extack)
{
	struct xeth_proxy *p = netdev_priv(dev);
	struct net_device *lower;

	lower = xeth_proxy_link_mux(src_net, tb, p,
				    "an xeth-port needs its mux: link MUX",
				    "the link of an xeth-port must be an xeth-mux",
				    extack);
	if (!lower)
		return -EINVAL;
	return xeth_port_add(dev, lower,
			     data ? data[IFLA_XETH_PORT_XID] : NULL, extack);
}

static int xeth_port_changelink(struct net_device *dev, struct nlattr *tb[],
				struct nlattr *data[],
				struct netlink_ext_ack *extack)
{
	const struct xeth_proxy *p = netdev_priv(dev);

	return xeth_proxy_changelink(data ? data[IFLA_XETH_PORT_XID] : NULL,
				     p->xid,
				     "the xid of a port cannot change: delete the port and add it again",
				     extack);
}

static size_t xeth_port_get_size(const struct net_device *dev)
{
	return nla_total_size(sizeof(u32));	/* IFLA_XETH_PORT_XID */
}

static int xeth_port_fill_info(struct sk_buff *skb,
			       const struct net_device *dev)
{
	const struct xeth_proxy *p = netdev_priv(dev);

	return nla_put_u32(skb, IFLA_XETH_PORT_XID, p->xid) ? -EMSGSIZE : 0;
}

struct rtnl_link_ops xeth_port_link_ops = {
	.kind		= XETH_PORT_KIND,
	.priv_size	= sizeof(struct xeth_proxy),
	.setup		= xeth_proxy_setup,
	.maxtype	= IFLA_XETH_PORT_MAX,
	.policy		= xeth_port_policy,
	.validate	= xeth_proxy_validate,
	.newlink	= xeth_port_newlink,
	.changelink	= xeth_port_changelink,
	.dellink	= xeth_proxy_dellink,
	.get_size	= xeth_port_get_size,
	.fill_info	= xeth_port_fill_info,
	/* like a physical port, it returns to init_net when its namespace goes */
	.netns_refund	= true,
};
