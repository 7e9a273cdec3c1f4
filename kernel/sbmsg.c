// SPDX-License-Identifier: GPL-2.0
/*
 * What the kernel tells the daemon: interface info, addresses, uppers and
 * port settings, live and as the DUMP_IFINFO answer.
 */
#include <linux/inetdevice.h>
#include <linux/linkmode.h>
#include <net/addrconf.h>
#include <net/net_namespace.h>
#include "xeth.h"

u64 xeth_net_id(const struct net *net)
{
	return net_eq(net, &init_net) ? XETH_NET_INIT : net->ns.inum;
}

static u32 xeth_ifinfo_kdata(const struct xeth_proxy *p)
{
	if (p->kind == XETH_DEV_KIND_VLAN)
		return p->mux->encap;
	if (p->kind == XETH_DEV_KIND_LOOPBACK)
		return p->channel;
	return 0;
}

static struct xeth_sb_msg *xeth_msg_ifinfo(struct xeth_proxy *p, u8 reason,
					   gfp_t gfp)
{
	struct xeth_sb_msg *m = xeth_sb_msg_new(XETH_MSG_KIND_IFINFO,
						sizeof(struct xeth_msg_ifinfo),
						gfp);
	struct net_device *dev = p->dev;
	struct xeth_msg_ifinfo *msg;

	if (!m)
		return NULL;
	msg = (struct xeth_msg_ifinfo *)m->data;
	msg->xid = p->xid;
	msg->kdata = xeth_ifinfo_kdata(p);
	strscpy(msg->ifname, dev->name, sizeof(msg->ifname));
	msg->net = xeth_net_id(dev_net(dev));
	msg->ifindex = dev->ifindex;
	msg->flags = dev->flags;
	memcpy(msg->addr, dev->dev_addr, sizeof(msg->addr));
	msg->kind = p->kind;
	msg->reason = reason;
	if (dev->features & NETIF_F_HW_L2FW_DOFFLOAD)
		msg->features |= XETH_FEATURE_L2_FWD_OFFLOAD;
	return m;
}

void xeth_sb_ifinfo(struct xeth_proxy *p, u8 reason)
{
	if (xeth_sb_live(p->mux))
		xeth_sb_queue(p->mux, xeth_msg_ifinfo(p, reason, GFP_ATOMIC),
			      false);
}

static struct xeth_sb_msg *xeth_msg_upper(u32 upper, u32 lower, bool linking,
					  gfp_t gfp)
{
	struct xeth_sb_msg *m;
	struct xeth_msg_change_upper_xid *msg;

	m = xeth_sb_msg_new(XETH_MSG_KIND_CHANGE_UPPER_XID, sizeof(*msg), gfp);
	if (!m)
		return NULL;
	msg = (struct xeth_msg_change_upper_xid *)m->data;
	msg->upper = upper;
	msg->lower = lower;
	msg->linking = linking;
	return m;
}

void xeth_sb_upper(struct xeth_proxy *upper, struct xeth_proxy *lower,
		   bool linking)
{
	if (xeth_sb_live(upper->mux))
		xeth_sb_queue(upper->mux,
			      xeth_msg_upper(upper->xid, lower->xid, linking,
					     GFP_ATOMIC), false);
}

static struct xeth_sb_msg *xeth_msg_ifa(u32 xid, __be32 addr, __be32 mask,
					u32 event, gfp_t gfp)
{
	struct xeth_sb_msg *m;
	struct xeth_msg_ifa *msg;

	m = xeth_sb_msg_new(XETH_MSG_KIND_IFA, sizeof(*msg), gfp);
	if (!m)
		return NULL;
	msg = (struct xeth_msg_ifa *)m->data;
	msg->xid = xid;
	msg->event = event;
	msg->address = addr;
	msg->mask = mask;
	return m;
}

void xeth_sb_ifa(struct xeth_proxy *p, __be32 addr, __be32 mask, u32 event)
{
	if (xeth_sb_live(p->mux))
		xeth_sb_queue(p->mux, xeth_msg_ifa(p->xid, addr, mask, event,
						   GFP_ATOMIC), false);
}

static struct xeth_sb_msg *xeth_msg_ifa6(u32 xid, const struct in6_addr *addr,
					 u8 len, u32 event, gfp_t gfp)
{
	struct xeth_sb_msg *m;
	struct xeth_msg_ifa6 *msg;

	m = xeth_sb_msg_new(XETH_MSG_KIND_IFA6, sizeof(*msg), gfp);
	if (!m)
		return NULL;
	msg = (struct xeth_msg_ifa6 *)m->data;
	msg->xid = xid;
	msg->event = event;
	memcpy(msg->address, addr, sizeof(msg->address));
	msg->length = len;
	return m;
}

void xeth_sb_ifa6(struct xeth_proxy *p, const struct in6_addr *addr, u8 len,
		  u32 event)
{
	if (xeth_sb_live(p->mux))
		xeth_sb_queue(p->mux, xeth_msg_ifa6(p->xid, addr, len, event,
						    GFP_ATOMIC), false);
}

static void xeth_dump(struct xeth_mux *mux, struct xeth_sb_msg *m)
{
	xeth_sb_queue(mux, m, true);
}

static struct xeth_sb_msg *xeth_msg_settings(const struct xeth_proxy *p)
{
	struct xeth_msg_ethtool_settings *set;
	struct xeth_sb_msg *m;

	m = xeth_sb_msg_new(XETH_MSG_KIND_ETHTOOL_SETTINGS, sizeof(*set),
			    GFP_KERNEL);
	if (!m)
		return NULL;
	set = (struct xeth_msg_ethtool_settings *)m->data;
	set->xid = p->xid;
	set->speed = p->cfg_speed;
	set->duplex = p->cfg_duplex;
	set->port = PORT_OTHER;
	set->autoneg = p->autoneg;
	return m;
}

/* A port's link-mode bitmap: supported (everything; the switch knows
 * better), advertising (ethtool -s), or the partner's (not known here).
 */
static void xeth_port_modes(const struct xeth_proxy *p, u8 which,
			    unsigned long *modes)
{
	linkmode_zero(modes);
	if (which == XETH_LINK_MODES_SUPPORTED)
		bitmap_fill(modes, __ETHTOOL_LINK_MODE_MASK_NBITS);
	else if (which == XETH_LINK_MODES_ADVERTISING)
		linkmode_copy(modes, p->advertising);
}

/* The classic message with the first 64 bits, then, for a daemon that
 * enabled XETH_EXT_LINK_MODES, the whole bitmap.
 */
static void xeth_queue_modes(struct xeth_proxy *p, u8 which, bool dump)
{
	__ETHTOOL_DECLARE_LINK_MODE_MASK(modes);
	const unsigned int nwords = DIV_ROUND_UP(__ETHTOOL_LINK_MODE_MASK_NBITS, 64);
	struct xeth_msg_ethtool_link_modes_ext *ext;
	struct xeth_msg_ethtool_link_modes *msg;
	struct xeth_sb_msg *m;

	xeth_port_modes(p, which, modes);
	m = xeth_sb_msg_new(XETH_MSG_KIND_ETHTOOL_LINK_MODES_SUPPORTED + which,
			    sizeof(*msg), GFP_KERNEL);
	if (m) {
		msg = (struct xeth_msg_ethtool_link_modes *)m->data;
		msg->xid = p->xid;
		bitmap_to_arr64(&msg->modes, modes, 64);
	}
	xeth_sb_queue(p->mux, m, dump);
	if (!(READ_ONCE(p->mux->sb.ext) & _BITULL(XETH_EXT_LINK_MODES)))
		return;
	m = xeth_sb_msg_new(XETH_MSG_KIND_ETHTOOL_LINK_MODES_EXT,
			    struct_size(ext, modes, nwords), GFP_KERNEL);
	if (m) {
		ext = (struct xeth_msg_ethtool_link_modes_ext *)m->data;
		ext->xid = p->xid;
		ext->which = which;
		ext->nwords = nwords;
		bitmap_to_arr64(ext->modes, modes, nwords * 64);
	}
	xeth_sb_queue(p->mux, m, dump);
}

/* ethtool -s changed a port: its settings and advertised modes, live. */
void xeth_sb_port_settings(struct xeth_proxy *p)
{
	if (!xeth_sb_live(p->mux))
		return;
	xeth_sb_queue(p->mux, xeth_msg_settings(p), false);
	xeth_queue_modes(p, XETH_LINK_MODES_ADVERTISING, false);
}

/* A port's private flags (ethtool --show-priv-flags), the mux's names. */
static struct xeth_sb_msg *xeth_msg_flags(const struct xeth_proxy *p)
{
	struct xeth_msg_ethtool_flags *flags;
	struct xeth_sb_msg *m;

	m = xeth_sb_msg_new(XETH_MSG_KIND_ETHTOOL_FLAGS, sizeof(*flags),
			    GFP_KERNEL);
	if (m) {
		flags = (struct xeth_msg_ethtool_flags *)m->data;
		flags->xid = p->xid;
		flags->flags = p->priv_flags;
	}
	return m;
}

/* ethtool --set-priv-flags changed a port's flags: told live. */
void xeth_sb_port_flags(struct xeth_proxy *p)
{
	if (xeth_sb_live(p->mux))
		xeth_sb_queue(p->mux, xeth_msg_flags(p), false);
}

static void xeth_dump_port(struct xeth_mux *mux, struct xeth_proxy *p)
{
	u8 which;

	xeth_dump(mux, xeth_msg_settings(p));
	for (which = XETH_LINK_MODES_SUPPORTED;
	     which <= XETH_LINK_MODES_LP_ADVERTISING; which++)
		xeth_queue_modes(p, which, true);
	xeth_dump(mux, xeth_msg_flags(p));
}

static void xeth_dump_addrs(struct xeth_mux *mux, struct xeth_proxy *p)
{
	struct in_device *in_dev = __in_dev_get_rtnl(p->dev);
	struct inet6_dev *in6_dev = __in6_dev_get(p->dev);
	const struct inet6_ifaddr *ifa6;
	const struct in_ifaddr *ifa;

	if (in_dev)
		in_dev_for_each_ifa_rtnl(ifa, in_dev)
			xeth_dump(mux, xeth_msg_ifa(p->xid, ifa->ifa_address,
						    ifa->ifa_mask, XETH_IFA_ADD,
						    GFP_KERNEL));
	if (!in6_dev)
		return;
	read_lock_bh(&in6_dev->lock);
	list_for_each_entry(ifa6, &in6_dev->addr_list, if_list)
		xeth_dump(mux, xeth_msg_ifa6(p->xid, &ifa6->addr,
					     ifa6->prefix_len, XETH_IFA_ADD,
					     GFP_ATOMIC));
	read_unlock_bh(&in6_dev->lock);
}

static void xeth_dump_break(struct xeth_mux *mux)
{
	xeth_dump(mux, xeth_sb_msg_new(XETH_MSG_KIND_BREAK,
				       sizeof(struct xeth_msg), GFP_KERNEL));
}

static void xeth_dump_netns(struct xeth_mux *mux, struct net *net)
{
	struct xeth_sb_msg *m;
	struct xeth_msg_netns *msg;

	m = xeth_sb_msg_new(XETH_MSG_KIND_NETNS_ADD, sizeof(*msg), GFP_KERNEL);
	if (m) {
		msg = (struct xeth_msg_netns *)m->data;
		msg->net = xeth_net_id(net);
	}
	xeth_dump(mux, m);
}

static void xeth_dump_netnses(struct xeth_mux *mux)
{
	struct xeth_mux_net *mn;

	list_for_each_entry(mn, &mux->nets, list)
		xeth_dump_netns(mux, mn->net);
}

/*
 * The answer to DUMP_IFINFO: per proxy its IFINFO, port settings,
 * addresses (not for bridge members) and members; BREAK; then, as xeth
 * 3.x daemons expect, NETNS_ADD per namespace and IFINFO REG per proxy.
 * Under RTNL, so that no event falls between the dump and the live
 * stream that starts with it.
 */
void xeth_sb_dump_ifinfo(struct xeth_mux *mux)
{
	struct xeth_proxy *p, *q;

	rtnl_lock();
	list_for_each_entry(p, &mux->proxy_list, list) {
		xeth_dump(mux, xeth_msg_ifinfo(p, XETH_IFINFO_REASON_DUMP,
					       GFP_KERNEL));
		if (p->kind == XETH_DEV_KIND_PORT)
			xeth_dump_port(mux, p);
		if (!p->master || !xeth_proxy_is(p->master, XETH_DEV_KIND_BRIDGE))
			xeth_dump_addrs(mux, p);
		list_for_each_entry(q, &mux->proxy_list, list)
			if (q->master == p->dev)
				xeth_dump(mux, xeth_msg_upper(p->xid, q->xid,
							      true, GFP_KERNEL));
	}
	xeth_dump_break(mux);
	xeth_dump_netnses(mux);
	list_for_each_entry(p, &mux->proxy_list, list)
		xeth_dump(mux, xeth_msg_ifinfo(p, XETH_IFINFO_REASON_REG,
					       GFP_KERNEL));
	xeth_sb_go_live(mux);
	rtnl_unlock();
}
