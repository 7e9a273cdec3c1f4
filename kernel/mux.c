// SPDX-License-Identifier: GPL-2.0
/*
 * xeth-mux: the netdev that multiplexes the proxies of one switch.
 */
#include <linux/etherdevice.h>
#include "xeth.h"

static netdev_tx_t xeth_mux_start_xmit(struct sk_buff *skb,
				       struct net_device *dev)
{
	/* Frames reach the switch only through proxies; nothing is sent
	 * directly on the mux yet, so account and drop.
	 */
	DEV_STATS_INC(dev, tx_dropped);
	kfree_skb(skb);
	return NETDEV_TX_OK;
}

static const struct net_device_ops xeth_mux_netdev_ops = {
	.ndo_start_xmit		= xeth_mux_start_xmit,
	.ndo_validate_addr	= eth_validate_addr,
	.ndo_set_mac_address	= eth_mac_addr,
};

static void xeth_mux_setup(struct net_device *dev)
{
	ether_setup(dev);
	dev->netdev_ops = &xeth_mux_netdev_ops;
	dev->needs_free_netdev = true;
	dev->priv_flags &= ~IFF_TX_SKB_SHARING;
	dev->priv_flags |= IFF_NO_QUEUE;
	dev->min_mtu = ETH_MIN_MTU;
	dev->max_mtu = ETH_MAX_MTU;
	eth_hw_addr_random(dev);
}

static const struct nla_policy xeth_mux_policy[IFLA_XETH_MUX_MAX + 1] = {
	[IFLA_XETH_MUX_ENCAP] = NLA_POLICY_MAX(NLA_U8, XETH_ENCAP_VPLS),
};

static int xeth_mux_validate(struct nlattr *tb[], struct nlattr *data[],
			     struct netlink_ext_ack *extack)
{
	if (tb[IFLA_ADDRESS]) {
		if (nla_len(tb[IFLA_ADDRESS]) != ETH_ALEN) {
			NL_SET_ERR_MSG_ATTR(extack, tb[IFLA_ADDRESS],
					    "MAC address must be 6 bytes");
			return -EINVAL;
		}
		if (!is_valid_ether_addr(nla_data(tb[IFLA_ADDRESS]))) {
			NL_SET_ERR_MSG_ATTR(extack, tb[IFLA_ADDRESS],
					    "MAC address must be unicast and non-zero");
			return -EADDRNOTAVAIL;
		}
	}
	return 0;
}

static int xeth_mux_newlink(struct net *src_net, struct net_device *dev,
			    struct nlattr *tb[], struct nlattr *data[],
			    struct netlink_ext_ack *extack)
{
	struct xeth_mux *mux = xeth_mux_priv(dev);

	if (tb[IFLA_LINK]) {
		NL_SET_ERR_MSG_ATTR(extack, tb[IFLA_LINK],
				    "xeth-mux lower links are not supported yet");
		return -EOPNOTSUPP;
	}
	mux->dev = dev;
	mux->encap = XETH_ENCAP_VLAN;
	if (data && data[IFLA_XETH_MUX_ENCAP])
		mux->encap = nla_get_u8(data[IFLA_XETH_MUX_ENCAP]);
	return register_netdevice(dev);
}

static size_t xeth_mux_get_size(const struct net_device *dev)
{
	return nla_total_size(sizeof(u8));	/* IFLA_XETH_MUX_ENCAP */
}

static int xeth_mux_fill_info(struct sk_buff *skb,
			      const struct net_device *dev)
{
	const struct xeth_mux *mux = netdev_priv(dev);

	if (nla_put_u8(skb, IFLA_XETH_MUX_ENCAP, mux->encap))
		return -EMSGSIZE;
	return 0;
}

struct rtnl_link_ops xeth_mux_link_ops = {
	.kind		= XETH_MUX_KIND,
	.priv_size	= sizeof(struct xeth_mux),
	.setup		= xeth_mux_setup,
	.maxtype	= IFLA_XETH_MUX_MAX,
	.policy		= xeth_mux_policy,
	.validate	= xeth_mux_validate,
	.newlink	= xeth_mux_newlink,
	.get_size	= xeth_mux_get_size,
	.fill_info	= xeth_mux_fill_info,
};
