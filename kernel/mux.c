// SPDX-License-Identifier: GPL-2.0
/*
 * xeth-mux: the netdev that multiplexes the proxies of one switch over its
 * lower links, or hands their frames to SWITCHD when it has none.
 */
#include <linux/etherdevice.h>
#include <linux/if_arp.h>
#include <linux/if_vlan.h>
#include "xeth.h"

struct xeth_mux *xeth_mux_of(const struct net_device *dev)
{
	return xeth_is_mux(dev) ? netdev_priv(dev) : NULL;
}

void xeth_mux_count(struct xeth_mux *mux, enum xeth_mux_counter c)
{
	struct xeth_mux_stats *s = this_cpu_ptr(mux->stats);

	u64_stats_update_begin(&s->syncp);
	s->count[c]++;
	u64_stats_update_end(&s->syncp);
}

bool xeth_mux_xid_valid(const struct xeth_mux *mux, u32 xid)
{
	if (mux->encap == XETH_ENCAP_VPLS)
		/* MPLS reserves labels 0-15 */
		return xid >= 16 && xid <= XETH_VPLS_XID_MASK;
	/* VID 0 means "no VLAN" and 4095 is reserved */
	return xid >= 1 && xid < XETH_VLAN_XID_MASK;
}

u32 xeth_mux_alloc_port_xid(struct xeth_mux *mux)
{
	u32 xid;

	for (xid = XETH_PORT_XID_FIRST; xeth_mux_xid_valid(mux, xid); xid--)
		if (!xa_load(&mux->proxies, xid))
			return xid;
	return 0;
}

u32 xeth_mux_alloc_aux_xid(struct xeth_mux *mux)
{
	u32 xid;

	for (xid = XETH_AUX_XID_FIRST; xid <= XETH_AUX_XID_LAST; xid++)
		if (!xa_load(&mux->proxies, xid))
			return xid;
	return 0;
}

int xeth_mux_add_proxy(struct xeth_mux *mux, struct xeth_proxy *p,
		       struct netlink_ext_ack *extack)
{
	int err = xa_insert(&mux->proxies, p->xid, p, GFP_KERNEL);

	if (err == -EBUSY) {
		NL_SET_ERR_MSG(extack, "xid is already used on this mux");
		return err;
	}
	if (err)
		return err;
	list_add_tail_rcu(&p->list, &mux->proxy_list);
	if (p->kind == XETH_DEV_KIND_PORT)
		mux->n_ports++;
	return 0;
}

void xeth_mux_del_proxy(struct xeth_mux *mux, struct xeth_proxy *p)
{
	xa_erase(&mux->proxies, p->xid);
	list_del_rcu(&p->list);
	if (p->kind == XETH_DEV_KIND_PORT)
		mux->n_ports--;
}

static struct net_device *xeth_mux_pick_lower(struct xeth_mux *mux, u32 hash)
{
	struct xeth_lowers *l = rcu_dereference_bh(mux->lowers);

	if (!l || !l->n)
		return NULL;
	return l->dev[reciprocal_scale(hash, l->n)];
}

/* The frame's data starts at its MAC header; the skb is consumed. */
static void xeth_mux_demux(struct xeth_mux *mux, struct sk_buff *skb,
			   const struct xeth_demux *d)
{
	struct xeth_proxy *p = xa_load(&mux->proxies, d->xid);

	if (!p) {
		xeth_mux_count(mux, XETH_MUX_RX_NOHANDLER);
		dev_core_stats_rx_nohandler_inc(mux->dev);
		kfree_skb(skb);
		return;
	}
	if (!netif_running(p->dev)) {
		xeth_mux_count(mux, XETH_MUX_RX_PROXY_DOWN);
		DEV_STATS_INC(p->dev, rx_dropped);
		kfree_skb(skb);
		return;
	}
	if (xeth_encap_strip(skb, mux->encap, d)) {
		xeth_mux_count(mux, XETH_MUX_RX_BAD_ENCAP);
		kfree_skb(skb);
		return;
	}
	xeth_proxy_receive(p, skb, d->priority);
}

static rx_handler_result_t xeth_mux_handle_frame(struct sk_buff **pskb)
{
	struct sk_buff *skb = *pskb;
	struct xeth_mux *mux = rcu_dereference(skb->dev->rx_handler_data);
	struct xeth_demux d;
	bool ours;

	if (unlikely(skb->pkt_type == PACKET_LOOPBACK))
		return RX_HANDLER_PASS;
	if (mux->encap == XETH_ENCAP_VPLS)
		ours = skb->protocol == htons(ETH_P_MPLS_UC);
	else
		ours = skb_vlan_tag_present(skb) || eth_type_vlan(skb->protocol);
	/* Untagged traffic (LLDP, the lower's own addresses) stays there. */
	if (!ours)
		return RX_HANDLER_PASS;
	skb = skb_share_check(skb, GFP_ATOMIC);
	if (!skb)
		return RX_HANDLER_CONSUMED;
	*pskb = skb;
	xeth_mux_count(mux, XETH_MUX_RX_FROM_LOWER);
	dev_sw_netstats_rx_add(mux->dev, skb->len);
	/* The parser reads frames from their MAC header, with the tag that
	 * the core moved into the skb's metadata put back in place.
	 */
	__skb_push(skb, skb->data - skb_mac_header(skb));
	if (skb_vlan_tag_present(skb)) {
		skb = __vlan_hwaccel_push_inside(skb);
		if (!skb)
			return RX_HANDLER_CONSUMED;
	}
	if (xeth_encap_parse(skb, mux->encap, &d)) {
		xeth_mux_count(mux, XETH_MUX_RX_BAD_ENCAP);
		kfree_skb(skb);
		return RX_HANDLER_CONSUMED;
	}
	xeth_mux_demux(mux, skb, &d);
	return RX_HANDLER_CONSUMED;
}

static bool xeth_mux_is_lower(const struct net_device *dev)
{
	return rcu_access_pointer(dev->rx_handler) == xeth_mux_handle_frame;
}

struct xeth_mux *xeth_mux_of_lower(const struct net_device *dev)
{
	return xeth_mux_is_lower(dev) ?
		rtnl_dereference(dev->rx_handler_data) : NULL;
}

/* A proxy's encapsulated frame leaves through a lower link, or, on a
 * link-less mux, goes to the packet taps of the mux (SWITCHD).
 */
void xeth_mux_xmit_proxy_frame(struct xeth_mux *mux, struct sk_buff *skb,
			       u32 hash)
{
	struct net_device *lower = xeth_mux_pick_lower(mux, hash);

	if (lower) {
		xeth_mux_count(mux, XETH_MUX_TX_TO_LOWER);
		skb->dev = lower;
		dev_queue_xmit(skb);
		return;
	}
	if (unlikely(!netif_running(mux->dev))) {
		xeth_mux_count(mux, XETH_MUX_TX_NO_PATH);
		DEV_STATS_INC(mux->dev, tx_dropped);
		kfree_skb(skb);
		return;
	}
	xeth_mux_count(mux, XETH_MUX_TX_TO_DAEMON);
	dev_sw_netstats_tx_add(mux->dev, 1, skb->len);
	skb->dev = mux->dev;
	if (dev_nit_active(mux->dev))
		dev_queue_xmit_nit(skb, mux->dev);
	consume_skb(skb);
}

/* Frames that SWITCHD writes to a raw socket bound to the mux. */
static netdev_tx_t xeth_mux_start_xmit(struct sk_buff *skb,
				       struct net_device *dev)
{
	struct xeth_mux *mux = netdev_priv(dev);
	struct net_device *lower;
	struct xeth_demux d;

	if (!xeth_encap_parse(skb, mux->encap, &d) && d.exception) {
		xeth_mux_count(mux, XETH_MUX_EXCEPTIONS);
		xeth_mux_demux(mux, skb, &d);
		return NETDEV_TX_OK;
	}
	lower = xeth_mux_pick_lower(mux, skb_get_hash(skb));
	if (!lower) {
		xeth_mux_count(mux, XETH_MUX_TX_NO_PATH);
		DEV_STATS_INC(dev, tx_dropped);
		kfree_skb(skb);
		return NETDEV_TX_OK;
	}
	xeth_mux_count(mux, XETH_MUX_DAEMON_TO_LOWER);
	dev_sw_netstats_tx_add(dev, 1, skb->len);
	skb->dev = lower;
	dev_queue_xmit(skb);
	return NETDEV_TX_OK;
}

static void xeth_mux_publish_lowers(struct xeth_mux *mux,
				    struct xeth_lowers *l)
{
	struct xeth_lowers *old = rtnl_dereference(mux->lowers);

	rcu_assign_pointer(mux->lowers, l);
	if (old)
		kfree_rcu(old, rcu);
}

int xeth_mux_add_lower(struct net_device *mux_dev, struct net_device *lower,
		       struct netlink_ext_ack *extack)
{
	struct xeth_mux *mux = netdev_priv(mux_dev);
	struct xeth_lowers *old = rtnl_dereference(mux->lowers), *l;
	int err;

	if (xeth_is_mux(lower) || xeth_is_proxy(lower)) {
		NL_SET_ERR_MSG(extack, "an xeth device cannot be a lower link of a mux");
		return -EINVAL;
	}
	if (lower->type != ARPHRD_ETHER || (lower->flags & IFF_LOOPBACK)) {
		NL_SET_ERR_MSG(extack, "a mux's lower link must be an Ethernet device");
		return -EINVAL;
	}
	if (!net_eq(dev_net(lower), dev_net(mux_dev))) {
		NL_SET_ERR_MSG(extack, "a mux's lower link must be in the mux's namespace");
		return -EINVAL;
	}
	if (netdev_master_upper_dev_get(lower)) {
		NL_SET_ERR_MSG(extack, "the lower link is already enslaved to another master");
		return -EBUSY;
	}
	if (netdev_is_rx_handler_busy(lower)) {
		NL_SET_ERR_MSG(extack, "the lower link is in use (bridge, bond, macvlan)");
		return -EBUSY;
	}
	if (old && old->n >= XETH_MUX_MAX_LOWERS) {
		NL_SET_ERR_MSG(extack, "a mux has at most 8 lower links");
		return -ENOSPC;
	}
	l = old ? kmemdup(old, sizeof(*l), GFP_KERNEL) :
		kzalloc(sizeof(*l), GFP_KERNEL);
	if (!l)
		return -ENOMEM;
	l->dev[l->n++] = lower;
	err = netdev_rx_handler_register(lower, xeth_mux_handle_frame, mux);
	if (err)
		goto free;
	err = netdev_master_upper_dev_link(lower, mux_dev, NULL, NULL, extack);
	if (err)
		goto unregister;
	/* Proxies have their own MAC addresses. */
	err = dev_set_promiscuity(lower, 1);
	if (err)
		goto unlink;
	xeth_mux_publish_lowers(mux, l);
	return 0;
unlink:
	netdev_upper_dev_unlink(lower, mux_dev);
unregister:
	netdev_rx_handler_unregister(lower);
free:
	kfree(l);
	return err;
}

void xeth_mux_del_lower(struct net_device *mux_dev, struct net_device *lower)
{
	struct xeth_mux *mux = netdev_priv(mux_dev);
	struct xeth_lowers *old = rtnl_dereference(mux->lowers), *l;
	unsigned int i, j;

	if (!old)
		return;
	/* GFP_KERNEL under RTNL is fine; on failure keep the old array but
	 * stop using the link, so removal never fails.
	 */
	l = kzalloc(sizeof(*l), GFP_KERNEL);
	for (i = 0, j = 0; l && i < old->n; i++)
		if (old->dev[i] != lower)
			l->dev[j++] = old->dev[i];
	if (l) {
		l->n = j;
		xeth_mux_publish_lowers(mux, l);
	} else {
		for (i = 0; i < old->n; i++)
			if (old->dev[i] == lower)
				WRITE_ONCE(old->dev[i], old->dev[0]);
		synchronize_net();
	}
	dev_set_promiscuity(lower, -1);
	netdev_upper_dev_unlink(lower, mux_dev);
	netdev_rx_handler_unregister(lower);
}

static int xeth_mux_add_slave(struct net_device *dev, struct net_device *lower,
			      struct netlink_ext_ack *extack)
{
	return xeth_mux_add_lower(dev, lower, extack);
}

static int xeth_mux_del_slave(struct net_device *dev, struct net_device *lower)
{
	if (xeth_mux_of_lower(lower) != netdev_priv(dev))
		return -EINVAL;
	xeth_mux_del_lower(dev, lower);
	return 0;
}

static int xeth_mux_init(struct net_device *dev)
{
	struct xeth_mux *mux = netdev_priv(dev);

	int err;

	mux->stats = netdev_alloc_pcpu_stats(struct xeth_mux_stats);
	if (!mux->stats)
		return -ENOMEM;
	err = xeth_fo_init(mux);
	if (err) {
		free_percpu(mux->stats);
		mux->stats = NULL;
	}
	return err;
}

static void xeth_mux_uninit(struct net_device *dev)
{
	struct xeth_mux *mux = netdev_priv(dev);

	xeth_fo_uninit(mux);
	free_percpu(mux->stats);
	mux->stats = NULL;
	if (mux->fw)
		xeth_platform_forget(mux->fw);
}

static int xeth_mux_open(struct net_device *dev)
{
	return xeth_sb_start(netdev_priv(dev));
}

static int xeth_mux_stop(struct net_device *dev)
{
	xeth_sb_stop(netdev_priv(dev));
	return 0;
}

static void xeth_mux_destructor(struct net_device *dev)
{
	struct xeth_mux *mux = netdev_priv(dev);

	xeth_sb_destroy(mux);
	kfree(mux->stat_names);
	mux->stat_names = NULL;
	kfree(mux->flag_names);
	mux->flag_names = NULL;
}

/* Frees a mux that was never registered, or whose registration failed. */
void xeth_mux_free_unregistered(struct net_device *dev)
{
	xeth_mux_destructor(dev);
	free_netdev(dev);
}

static const struct net_device_ops xeth_mux_netdev_ops = {
	.ndo_init		= xeth_mux_init,
	.ndo_uninit		= xeth_mux_uninit,
	.ndo_open		= xeth_mux_open,
	.ndo_stop		= xeth_mux_stop,
	.ndo_start_xmit		= xeth_mux_start_xmit,
	.ndo_get_stats64	= dev_get_tstats64,
	.ndo_validate_addr	= eth_validate_addr,
	.ndo_set_mac_address	= eth_mac_addr,
	.ndo_add_slave		= xeth_mux_add_slave,
	.ndo_del_slave		= xeth_mux_del_slave,
};

void xeth_mux_setup(struct net_device *dev)
{
	struct xeth_mux *mux = netdev_priv(dev);

	ether_setup(dev);
	dev->netdev_ops = &xeth_mux_netdev_ops;
	dev->ethtool_ops = &xeth_mux_ethtool_ops;
	dev->needs_free_netdev = true;
	dev->priv_destructor = xeth_mux_destructor;
	dev->sysfs_groups[0] = &xeth_mux_sysfs_group;
	dev->pcpu_stat_type = NETDEV_PCPU_STAT_TSTATS;
	dev->priv_flags &= ~IFF_TX_SKB_SHARING;
	dev->priv_flags |= IFF_NO_QUEUE;
	xeth_set_lltx(dev);
	dev->min_mtu = ETH_MIN_MTU;
	dev->max_mtu = ETH_MAX_MTU;
	eth_hw_addr_random(dev);
	mux->dev = dev;
	mux->qsfp_addrs[0] = 0x50;
	mux->qsfp_addrs[1] = 0x51;
	xeth_sb_init(mux);
	xeth_fo_setup(mux);
	xa_init(&mux->proxies);
	INIT_LIST_HEAD(&mux->proxy_list);
	INIT_LIST_HEAD(&mux->nets);
}

static const struct nla_policy xeth_mux_policy[IFLA_XETH_MUX_MAX + 1] = {
	[IFLA_XETH_MUX_ENCAP] = NLA_POLICY_EXACT_LEN(sizeof(u8)),
};

static int xeth_mux_validate(struct nlattr *tb[], struct nlattr *data[],
			     struct netlink_ext_ack *extack)
{
	int err = xeth_validate_addr(tb, extack);

	if (err)
		return err;
	if (!data || !data[IFLA_XETH_MUX_ENCAP])
		return 0;
	if (nla_get_u8(data[IFLA_XETH_MUX_ENCAP]) > XETH_ENCAP_VPLS) {
		NL_SET_ERR_MSG_ATTR(extack, data[IFLA_XETH_MUX_ENCAP],
				    "encap must be 0 (vlan) or 1 (vpls)");
		return -EINVAL;
	}
	return 0;
}

/*
 * Registers a mux whose settings are in place (rtnl or firmware); RTNL
 * is held.  Ports get the default stat names unless some are set.  On
 * failure the caller frees the device with xeth_mux_free_unregistered().
 */
int xeth_mux_register(struct net_device *dev)
{
	struct xeth_mux *mux = netdev_priv(dev);
	int err;

	if (!mux->stat_names) {
		err = xeth_relay_set_stat_names(mux, "", 0);
		if (err)
			return err;
	}
	/* The mux's link-layer header is the encapsulation in front of a
	 * proxy frame's own Ethernet header.  A packet socket refuses a
	 * frame longer than mtu + hard_header_len (+ 4 for an 802.1Q
	 * frame), so with the bare Ethernet length SWITCHD could not hand
	 * Linux a full-size exception for an xeth-vlan (two tags) or any
	 * VPLS proxy, and TCP to Linux over those stalled.
	 */
	dev->hard_header_len = ETH_HLEN +
		xeth_encap_overhead(mux->encap, XETH_DEV_KIND_VLAN);
	err = register_netdevice(dev);
	if (err)
		return err;
	xeth_fib_add_mux(mux);
	netif_carrier_on(dev);
	xeth_platform_mux_event();
	return 0;
}

/* The encapsulation is the mux's for good: its proxies' xids depend on it. */
static int xeth_mux_changelink(struct net_device *dev, struct nlattr *tb[],
			       struct nlattr *data[],
			       struct netlink_ext_ack *extack)
{
	const struct xeth_mux *mux = netdev_priv(dev);

	if (data && data[IFLA_XETH_MUX_ENCAP] &&
	    nla_get_u8(data[IFLA_XETH_MUX_ENCAP]) != mux->encap) {
		NL_SET_ERR_MSG_ATTR(extack, data[IFLA_XETH_MUX_ENCAP],
				    "the encap of a mux cannot change: delete the mux and add it again");
		return -EOPNOTSUPP;
	}
	return 0;
}

static int xeth_mux_newlink(struct net *src_net, struct net_device *dev,
			    struct nlattr *tb[], struct nlattr *data[],
			    struct netlink_ext_ack *extack)
{
	struct xeth_mux *mux = netdev_priv(dev);
	struct net_device *lower = NULL;
	int err;

	if (data && data[IFLA_XETH_MUX_ENCAP])
		mux->encap = nla_get_u8(data[IFLA_XETH_MUX_ENCAP]);
	if (tb[IFLA_LINK]) {
		lower = __dev_get_by_index(src_net, nla_get_u32(tb[IFLA_LINK]));
		if (!lower) {
			NL_SET_ERR_MSG_ATTR(extack, tb[IFLA_LINK],
					    "no such lower link");
			return -ENODEV;
		}
	}
	err = xeth_mux_register(dev);
	if (err) {
		/* rtnl frees the device but knows nothing of its names */
		kfree(mux->stat_names);
		mux->stat_names = NULL;
		return err;
	}
	if (lower) {
		err = xeth_mux_add_lower(dev, lower, extack);
		if (err) {
			xeth_fib_del_mux(mux);
			unregister_netdevice(dev);
			return err;
		}
	}
	return 0;
}

static void xeth_mux_dellink(struct net_device *dev, struct list_head *head)
{
	struct xeth_mux *mux = netdev_priv(dev);
	struct xeth_lowers *l;
	struct xeth_proxy *p;

	/* Each proxy's dellink takes it, and whatever depends on it, off
	 * the list.
	 */
	while (!list_empty(&mux->proxy_list)) {
		p = list_first_entry(&mux->proxy_list, struct xeth_proxy, list);
		xeth_proxy_dellink(p->dev, head);
	}
	while ((l = rtnl_dereference(mux->lowers)) && l->n)
		xeth_mux_del_lower(dev, l->dev[l->n - 1]);
	xeth_mux_publish_lowers(mux, NULL);
	xeth_fib_del_mux(mux);
	unregister_netdevice_queue(dev, head);
}

/* Deletes a mux and its proxies, as ip link del does; RTNL is held. */
void xeth_mux_delete(struct net_device *dev)
{
	LIST_HEAD(kill);

	xeth_mux_dellink(dev, &kill);
	unregister_netdevice_many(&kill);
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
	.changelink	= xeth_mux_changelink,
	.dellink	= xeth_mux_dellink,
	.get_size	= xeth_mux_get_size,
	.fill_info	= xeth_mux_fill_info,
};
