// SPDX-License-Identifier: GPL-2.0
/*
 * xeth-vlan: the proxy of a VLAN on a switch port or lag.
 */
#include <linux/if_vlan.h>
#include "xeth.h"

static const struct nla_policy xeth_vlan_policy[IFLA_XETH_VLAN_MAX + 1] = {
	[IFLA_XETH_VLAN_VID] = NLA_POLICY_EXACT_LEN(sizeof(u16)),
};

static int xeth_vlan_validate(struct nlattr *tb[], struct nlattr *data[],
			      struct netlink_ext_ack *extack)
{
	int err = xeth_validate_addr(tb, extack);
	u16 vid;

	if (err)
		return err;
	if (!data || !data[IFLA_XETH_VLAN_VID])
		return 0;
	vid = nla_get_u16(data[IFLA_XETH_VLAN_VID]);
	if (vid < 1 || vid >= VLAN_VID_MASK) {
		NL_SET_ERR_MSG_ATTR(extack, data[IFLA_XETH_VLAN_VID],
				    "vid out of range: 1-4094");
		return -ERANGE;
	}
	return 0;
}

/* "NAME.VID" gives the VLAN id when no vid attribute does. */
static u16 xeth_vlan_vid_from_name(const char *name)
{
	const char *dot = strrchr(name, '.');
	u16 vid;

	if (!dot || kstrtou16(dot + 1, 10, &vid))
		return 0;
	return vid;
}

static int xeth_vlan_newlink(struct net *src_net, struct net_device *dev,
			     struct nlattr *tb[], struct nlattr *data[],
			     struct netlink_ext_ack *extack)
{
	struct xeth_proxy *p = netdev_priv(dev), *lp;
	struct net_device *lower;
	unsigned int shift;

	lower = xeth_proxy_lower_dev(src_net, tb,
				     "an xeth-vlan needs its port or lag: link DEV",
				     extack);
	if (!lower)
		return -EINVAL;
	lp = xeth_proxy_of(lower);
	if (!lp || (lp->kind != XETH_DEV_KIND_PORT &&
		    lp->kind != XETH_DEV_KIND_LAG)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[IFLA_LINK],
				    "the link of an xeth-vlan must be an xeth-port or xeth-lag");
		return -EINVAL;
	}
	if (data && data[IFLA_XETH_VLAN_VID]) {
		p->vid = nla_get_u16(data[IFLA_XETH_VLAN_VID]);
	} else {
		p->vid = xeth_vlan_vid_from_name(dev->name);
		if (p->vid < 1 || p->vid >= VLAN_VID_MASK) {
			NL_SET_ERR_MSG(extack,
				       "no vid: give vid VID or name the device NAME.VID (1-4094)");
			return -EINVAL;
		}
	}
	p->mux = lp->mux;
	shift = p->mux->encap == XETH_ENCAP_VPLS ?
		XETH_VPLS_VID_SHIFT : XETH_VLAN_VID_SHIFT;
	p->xid = lp->xid | (u32)p->vid << shift;
	return xeth_proxy_register(dev, p, lower, XETH_DEV_KIND_VLAN, extack);
}

static int xeth_vlan_changelink(struct net_device *dev, struct nlattr *tb[],
				struct nlattr *data[],
				struct netlink_ext_ack *extack)
{
	const struct xeth_proxy *p = netdev_priv(dev);

	return xeth_proxy_changelink(data ? data[IFLA_XETH_VLAN_VID] : NULL,
				     p->vid,
				     "the vid of a vlan cannot change: delete the vlan and add it again",
				     extack);
}

static size_t xeth_vlan_get_size(const struct net_device *dev)
{
	return nla_total_size(sizeof(u16));	/* IFLA_XETH_VLAN_VID */
}

static int xeth_vlan_fill_info(struct sk_buff *skb,
			       const struct net_device *dev)
{
	const struct xeth_proxy *p = netdev_priv(dev);

	return nla_put_u16(skb, IFLA_XETH_VLAN_VID, p->vid) ? -EMSGSIZE : 0;
}

struct rtnl_link_ops xeth_vlan_link_ops = {
	.kind		= XETH_VLAN_KIND,
	.priv_size	= sizeof(struct xeth_proxy),
	.setup		= xeth_proxy_setup,
	.maxtype	= IFLA_XETH_VLAN_MAX,
	.policy		= xeth_vlan_policy,
	.validate	= xeth_vlan_validate,
	.newlink	= xeth_vlan_newlink,
	.changelink	= xeth_vlan_changelink,
	.dellink	= xeth_proxy_dellink,
	.get_size	= xeth_vlan_get_size,
	.fill_info	= xeth_vlan_fill_info,
};
