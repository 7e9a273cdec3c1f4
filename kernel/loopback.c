// SPDX-License-Identifier: GPL-2.0
/*
 * xeth-loopback: the proxy of a switch loopback channel.
 */
#include "xeth.h"

static const struct nla_policy
xeth_loopback_policy[IFLA_XETH_LOOPBACK_MAX + 1] = {
	[IFLA_XETH_LOOPBACK_CHANNEL] = NLA_POLICY_EXACT_LEN(sizeof(u8)),
};

static int xeth_loopback_newlink(struct net *src_net, struct net_device *dev,
				 struct nlattr *tb[], struct nlattr *data[],
				 struct netlink_ext_ack *extack)
{
	struct xeth_proxy *p = netdev_priv(dev);
	struct net_device *lower;

	lower = xeth_proxy_link_mux(src_net, tb, p,
				    "an xeth-loopback needs its mux: link MUX",
				    "the link of an xeth-loopback must be an xeth-mux",
				    extack);
	if (!lower)
		return -EINVAL;
	if (data && data[IFLA_XETH_LOOPBACK_CHANNEL])
		p->channel = nla_get_u8(data[IFLA_XETH_LOOPBACK_CHANNEL]);
	p->xid = xeth_mux_alloc_aux_xid(p->mux);
	if (!p->xid) {
		NL_SET_ERR_MSG(extack, "no free xid on this mux");
		return -ENOSPC;
	}
	return xeth_proxy_register(dev, p, lower, XETH_DEV_KIND_LOOPBACK,
				   extack);
}

static int xeth_loopback_changelink(struct net_device *dev,
				    struct nlattr *tb[], struct nlattr *data[],
				    struct netlink_ext_ack *extack)
{
	const struct xeth_proxy *p = netdev_priv(dev);

	return xeth_proxy_changelink(data ? data[IFLA_XETH_LOOPBACK_CHANNEL] : NULL,
				     p->channel,
				     "the channel of a loopback cannot change: delete the loopback and add it again",
				     extack);
}

static size_t xeth_loopback_get_size(const struct net_device *dev)
{
	return nla_total_size(sizeof(u8));	/* IFLA_XETH_LOOPBACK_CHANNEL */
}

static int xeth_loopback_fill_info(struct sk_buff *skb,
				   const struct net_device *dev)
{
	const struct xeth_proxy *p = netdev_priv(dev);

	return nla_put_u8(skb, IFLA_XETH_LOOPBACK_CHANNEL, p->channel) ?
		-EMSGSIZE : 0;
}

struct rtnl_link_ops xeth_loopback_link_ops = {
	.kind		= XETH_LOOPBACK_KIND,
	.priv_size	= sizeof(struct xeth_proxy),
	.setup		= xeth_proxy_setup,
	.maxtype	= IFLA_XETH_LOOPBACK_MAX,
	.policy		= xeth_loopback_policy,
	.validate	= xeth_proxy_validate,
	.newlink	= xeth_loopback_newlink,
	.changelink	= xeth_loopback_changelink,
	.dellink	= xeth_proxy_dellink,
	.get_size	= xeth_loopback_get_size,
	.fill_info	= xeth_loopback_fill_info,
};
