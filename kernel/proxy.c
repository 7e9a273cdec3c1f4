// SPDX-License-Identifier: GPL-2.0
/*
 * What every proxy kind shares: its netdev, transmit through the mux,
 * receive from it, registration and teardown.
 */
#include <linux/etherdevice.h>
#include "xeth.h"

static int xeth_proxy_open(struct net_device *dev)
{
	xeth_sb_ifinfo(netdev_priv(dev), XETH_IFINFO_REASON_UP);
	return 0;
}

static int xeth_proxy_stop(struct net_device *dev)
{
	xeth_sb_ifinfo(netdev_priv(dev), XETH_IFINFO_REASON_DOWN);
	return 0;
}

/* What SWITCHD relayed (the switch's counters) stands in for the
 * software counts, field by field.
 */
static void xeth_proxy_get_stats64(struct net_device *dev,
				   struct rtnl_link_stats64 *stats)
{
	const struct xeth_proxy *p = netdev_priv(dev);
	unsigned long set = READ_ONCE(p->link_stats_set);
	u64 *field = (u64 *)stats;
	unsigned int i;

	BUILD_BUG_ON(sizeof(*stats) < XETH_N_LINK_STATS * sizeof(u64));
	dev_get_tstats64(dev, stats);
	for_each_set_bit(i, &set, XETH_N_LINK_STATS)
		field[i] = READ_ONCE(p->link_stats[i]);
}

static netdev_tx_t xeth_proxy_start_xmit(struct sk_buff *skb,
					 struct net_device *dev)
{
	struct xeth_proxy *p = netdev_priv(dev);
	unsigned int len = skb->len;
	/* The flow hash of the proxy's own frame picks the lower link. */
	u32 hash = skb_get_hash(skb);

	skb = xeth_encap_push(skb, p->mux->encap, p);
	if (!skb) {
		DEV_STATS_INC(dev, tx_dropped);
		xeth_mux_count(p->mux, XETH_MUX_TX_ENCAP_ERRORS);
		return NETDEV_TX_OK;
	}
	dev_sw_netstats_tx_add(dev, 1, len);
	xeth_mux_xmit_proxy_frame(p->mux, skb, hash);
	return NETDEV_TX_OK;
}

/* A frame for this proxy, data at its MAC header; the skb is consumed. */
void xeth_proxy_receive(struct xeth_proxy *p, struct sk_buff *skb, u8 prio)
{
	struct net_device *dev = p->dev;

	if (skb->ip_summed == CHECKSUM_COMPLETE)
		skb->ip_summed = CHECKSUM_NONE;
	/* scrubs the skb when it crosses namespaces, checks the MTU and
	 * sets the protocol, as veth does
	 */
	if (__dev_forward_skb(dev, skb)) {
		DEV_STATS_INC(dev, rx_dropped);
		return;
	}
	skb->priority = prio;
	dev_sw_netstats_rx_add(dev, skb->len + ETH_HLEN);
	netif_rx(skb);
}

static int xeth_proxy_get_iflink(const struct net_device *dev)
{
	const struct xeth_proxy *p = netdev_priv(dev);

	/* a lag or bridge has members, not a link: its own index hides
	 * the "@NONE" that 0 would show
	 */
	return p->lower ? READ_ONCE(p->lower->ifindex) : READ_ONCE(dev->ifindex);
}

static int xeth_proxy_add_slave(struct net_device *dev,
				struct net_device *member,
				struct netlink_ext_ack *extack)
{
	const struct xeth_proxy *p = netdev_priv(dev);

	if (p->kind != XETH_DEV_KIND_LAG && p->kind != XETH_DEV_KIND_BRIDGE) {
		NL_SET_ERR_MSG(extack,
			       "only an xeth-lag or xeth-bridge takes members");
		return -EOPNOTSUPP;
	}
	return xeth_upper_add_member(dev, member, extack);
}

static int xeth_proxy_del_slave(struct net_device *dev,
				struct net_device *member)
{
	const struct xeth_proxy *mp = xeth_proxy_of(member);

	if (!mp || mp->master != dev)
		return -EINVAL;
	xeth_upper_del_member(dev, member);
	return 0;
}

/* Within register_netdevice(): the kind is known, and ndo_uninit undoes
 * this on every way out, failed registration included.
 */
static int xeth_proxy_init(struct net_device *dev)
{
	struct xeth_proxy *p = netdev_priv(dev);

	if (p->kind != XETH_DEV_KIND_PORT)
		return 0;
	p->ethtool_stats = kcalloc(XETH_MAX_ETHTOOL_STATS, sizeof(u64),
				   GFP_KERNEL);
	return p->ethtool_stats ? 0 : -ENOMEM;
}

static void xeth_proxy_uninit(struct net_device *dev)
{
	struct xeth_proxy *p = netdev_priv(dev);

	kfree(p->ethtool_stats);
	p->ethtool_stats = NULL;
	if (p->fw)
		xeth_platform_forget(p->fw);
}

static const struct net_device_ops xeth_proxy_netdev_ops = {
	.ndo_init		= xeth_proxy_init,
	.ndo_uninit		= xeth_proxy_uninit,
	.ndo_open		= xeth_proxy_open,
	.ndo_stop		= xeth_proxy_stop,
	.ndo_start_xmit		= xeth_proxy_start_xmit,
	.ndo_get_stats64	= xeth_proxy_get_stats64,
	.ndo_validate_addr	= eth_validate_addr,
	.ndo_set_mac_address	= eth_mac_addr,
	.ndo_get_iflink		= xeth_proxy_get_iflink,
	.ndo_add_slave		= xeth_proxy_add_slave,
	.ndo_del_slave		= xeth_proxy_del_slave,
};

bool xeth_is_proxy(const struct net_device *dev)
{
	return dev->netdev_ops == &xeth_proxy_netdev_ops;
}

void xeth_proxy_setup(struct net_device *dev)
{
	struct xeth_proxy *p = netdev_priv(dev);

	p->qsfp_bus = -1;
	ether_setup(dev);
	dev->netdev_ops = &xeth_proxy_netdev_ops;
	dev->ethtool_ops = &xeth_proxy_ethtool_ops;
	dev->needs_free_netdev = true;
	dev->pcpu_stat_type = NETDEV_PCPU_STAT_TSTATS;
	dev->priv_flags &= ~IFF_TX_SKB_SHARING;
	dev->priv_flags |= IFF_NO_QUEUE | IFF_LIVE_ADDR_CHANGE;
	xeth_set_lltx(dev);
	/* The switch forwards in hardware unless told to leave a device's
	 * traffic to Linux: a user-changeable feature, on by default.
	 */
	dev->hw_features |= NETIF_F_HW_L2FW_DOFFLOAD;
	dev->features |= NETIF_F_HW_L2FW_DOFFLOAD;
	dev->min_mtu = ETH_MIN_MTU;
	dev->max_mtu = ETH_MAX_MTU;
	eth_hw_addr_random(dev);
}

/*
 * IFLA_ADDRESS, which every kind validates: rtnl would set any bytes
 * (a short attribute as a partial address) and eth_validate_addr would
 * refuse a multicast or zero one only at the first ip link set up, with
 * no message.
 */
int xeth_validate_addr(struct nlattr *tb[], struct netlink_ext_ack *extack)
{
	if (!tb[IFLA_ADDRESS])
		return 0;
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
	return 0;
}

/* The validate of the kinds without attributes of their own to check. */
int xeth_proxy_validate(struct nlattr *tb[], struct nlattr *data[],
			struct netlink_ext_ack *extack)
{
	return xeth_validate_addr(tb, extack);
}

/*
 * ip link set DEV type KIND [OPTION VALUE]: an attribute of a proxy is
 * fixed at its creation (the xid and what it derives from are how the
 * switch knows the proxy).  The same value is no change; another is
 * refused with this message.  Kinds without attributes have nothing to
 * change.
 */
int xeth_proxy_changelink(const struct nlattr *attr, u32 now, const char *msg,
			  struct netlink_ext_ack *extack)
{
	u32 v;

	if (!attr)
		return 0;
	switch (nla_len(attr)) {
	case sizeof(u8):
		v = nla_get_u8(attr);
		break;
	case sizeof(u16):
		v = nla_get_u16(attr);
		break;
	default:
		v = nla_get_u32(attr);
		break;
	}
	if (v == now)
		return 0;
	xeth_extack(extack, attr, msg);
	return -EOPNOTSUPP;
}

/* The device named by "link DEV", which every proxy kind requires. */
struct net_device *xeth_proxy_lower_dev(struct net *net, struct nlattr *tb[],
					const char *msg,
					struct netlink_ext_ack *extack)
{
	struct net_device *lower;

	if (!tb[IFLA_LINK]) {
		xeth_extack(extack, NULL, msg);
		return NULL;
	}
	lower = __dev_get_by_index(net, nla_get_u32(tb[IFLA_LINK]));
	if (!lower)
		NL_SET_ERR_MSG_ATTR(extack, tb[IFLA_LINK], "no such link device");
	return lower;
}

/* For kinds whose link is the mux: the lower, with p->mux set. */
struct net_device *xeth_proxy_link_mux(struct net *net, struct nlattr *tb[],
				       struct xeth_proxy *p,
				       const char *missing, const char *not_mux,
				       struct netlink_ext_ack *extack)
{
	struct net_device *lower = xeth_proxy_lower_dev(net, tb, missing,
							extack);

	if (!lower)
		return NULL;
	p->mux = xeth_mux_of(lower);
	if (!p->mux) {
		xeth_extack(extack, tb[IFLA_LINK], not_mux);
		return NULL;
	}
	return lower;
}

/*
 * Registers a proxy whose xid, mux and kind data are set.  A port,
 * loopback or vlan becomes an upper of its lower; a lag or bridge
 * becomes the master of its first member.
 */
int xeth_proxy_register(struct net_device *dev, struct xeth_proxy *p,
			struct net_device *lower, u8 kind,
			struct netlink_ext_ack *extack)
{
	bool master = kind == XETH_DEV_KIND_LAG || kind == XETH_DEV_KIND_BRIDGE;
	int err;

	p->dev = dev;
	p->kind = kind;
	p->lower = master ? NULL : lower;
	err = xeth_mux_add_proxy(p->mux, p, extack);
	if (err)
		return err;
	err = register_netdevice(dev);
	if (err)
		goto del_proxy;
	if (master)
		err = xeth_upper_add_member(dev, lower, extack);
	else
		err = netdev_upper_dev_link(lower, dev, extack);
	if (err)
		goto unregister;
	if (kind == XETH_DEV_KIND_VLAN)
		netif_stacked_transfer_operstate(lower, dev);
	return 0;
unregister:
	xeth_mux_del_proxy(p->mux, p);
	unregister_netdevice(dev);
	return err;
del_proxy:
	xeth_mux_del_proxy(p->mux, p);
	return err;
}

/* Queues the proxy, and the VLANs on it, for unregistration; releases
 * the members of a lag or bridge and leaves the proxy's own master.
 */
void xeth_proxy_dellink(struct net_device *dev, struct list_head *head)
{
	struct xeth_proxy *p = netdev_priv(dev), *q;

	if (p->dying)
		return;
	p->dying = true;
restart:
	list_for_each_entry(q, &p->mux->proxy_list, list)
		if (q->lower == dev && !q->dying) {
			xeth_proxy_dellink(q->dev, head);
			goto restart;
		}
	if (p->kind == XETH_DEV_KIND_LAG || p->kind == XETH_DEV_KIND_BRIDGE)
		xeth_upper_release_members(dev);
	if (p->master)
		xeth_upper_del_member(p->master, dev);
	if (p->lower)
		netdev_upper_dev_unlink(p->lower, dev);
	xeth_mux_del_proxy(p->mux, p);
	unregister_netdevice_queue(dev, head);
}
