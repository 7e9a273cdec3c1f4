// SPDX-License-Identifier: GPL-2.0
/*
 * xeth-lag and xeth-bridge: proxies whose members are other proxies of
 * the same mux, linked to them as their master.
 */
#include "xeth.h"

static bool xeth_upper_takes(const struct xeth_proxy *up,
			     const struct xeth_proxy *mp,
			     struct netlink_ext_ack *extack)
{
	if (up->kind == XETH_DEV_KIND_LAG) {
		if (mp->kind == XETH_DEV_KIND_PORT)
			return true;
		NL_SET_ERR_MSG(extack, "an xeth-lag takes only xeth-port members");
		return false;
	}
	if (mp->kind == XETH_DEV_KIND_PORT || mp->kind == XETH_DEV_KIND_LAG ||
	    mp->kind == XETH_DEV_KIND_VLAN)
		return true;
	NL_SET_ERR_MSG(extack,
		       "an xeth-bridge takes only xeth-port, xeth-lag and xeth-vlan members");
	return false;
}

void xeth_upper_update_carrier(struct net_device *upper)
{
	struct xeth_proxy *up = netdev_priv(upper), *q;
	bool carrier = false;

	list_for_each_entry(q, &up->mux->proxy_list, list)
		if (q->master == upper && netif_carrier_ok(q->dev)) {
			carrier = true;
			break;
		}
	if (carrier)
		netif_carrier_on(upper);
	else
		netif_carrier_off(upper);
}

int xeth_upper_add_member(struct net_device *upper, struct net_device *member,
			  struct netlink_ext_ack *extack)
{
	struct xeth_proxy *up = netdev_priv(upper);
	struct xeth_proxy *mp = xeth_proxy_of(member);
	int err;

	if (!mp) {
		NL_SET_ERR_MSG(extack,
			       "only xeth proxies can be members of an xeth-lag or xeth-bridge");
		return -EINVAL;
	}
	if (!xeth_upper_takes(up, mp, extack))
		return -EINVAL;
	if (mp->mux != up->mux) {
		NL_SET_ERR_MSG(extack, "the member belongs to a different mux");
		return -EXDEV;
	}
	if (mp->master || netdev_master_upper_dev_get(member)) {
		NL_SET_ERR_MSG(extack, "the member is already enslaved to a master");
		return -EBUSY;
	}
	err = netdev_master_upper_dev_link(member, upper, NULL, NULL, extack);
	if (err)
		return err;
	mp->master = upper;
	xeth_upper_update_carrier(upper);
	xeth_sb_upper(up, mp, true);
	return 0;
}

void xeth_upper_del_member(struct net_device *upper, struct net_device *member)
{
	struct xeth_proxy *mp = netdev_priv(member);

	netdev_upper_dev_unlink(member, upper);
	mp->master = NULL;
	xeth_upper_update_carrier(upper);
	xeth_sb_upper(netdev_priv(upper), mp, false);
}

void xeth_upper_release_members(struct net_device *upper)
{
	struct xeth_proxy *up = netdev_priv(upper), *q;

	list_for_each_entry(q, &up->mux->proxy_list, list)
		if (q->master == upper)
			xeth_upper_del_member(upper, q->dev);
}

/* The first member comes with "link DEV"; more with "master". */
static int xeth_upper_newlink(struct net *src_net, struct net_device *dev,
			      struct nlattr *tb[], u8 kind, const char *msg,
			      struct netlink_ext_ack *extack)
{
	struct xeth_proxy *p = netdev_priv(dev), *mp;
	struct net_device *member;

	member = xeth_proxy_lower_dev(src_net, tb, msg, extack);
	if (!member)
		return -EINVAL;
	mp = xeth_proxy_of(member);
	if (!mp) {
		NL_SET_ERR_MSG_ATTR(extack, tb[IFLA_LINK],
				    "the link of an xeth-lag or xeth-bridge must be an xeth proxy");
		return -EINVAL;
	}
	p->mux = mp->mux;
	p->xid = xeth_mux_alloc_aux_xid(p->mux);
	if (!p->xid) {
		NL_SET_ERR_MSG(extack, "no free xid on this mux");
		return -ENOSPC;
	}
	netif_carrier_off(dev);
	return xeth_proxy_register(dev, p, member, kind, extack);
}

static int xeth_lag_newlink(struct net *src_net, struct net_device *dev,
			    struct nlattr *tb[], struct nlattr *data[],
			    struct netlink_ext_ack *extack)
{
	return xeth_upper_newlink(src_net, dev, tb, XETH_DEV_KIND_LAG,
				  "an xeth-lag needs its first member: link PORT",
				  extack);
}

static int xeth_bridge_newlink(struct net *src_net, struct net_device *dev,
			       struct nlattr *tb[], struct nlattr *data[],
			       struct netlink_ext_ack *extack)
{
	return xeth_upper_newlink(src_net, dev, tb, XETH_DEV_KIND_BRIDGE,
				  "an xeth-bridge needs its first member: link DEV",
				  extack);
}

/* No attributes: nothing to change (rtnl refuses a change of a kind
 * without changelink with no message).
 */
static int xeth_upper_changelink(struct net_device *dev, struct nlattr *tb[],
				 struct nlattr *data[],
				 struct netlink_ext_ack *extack)
{
	return 0;
}

struct rtnl_link_ops xeth_lag_link_ops = {
	.kind		= XETH_LAG_KIND,
	.priv_size	= sizeof(struct xeth_proxy),
	.setup		= xeth_proxy_setup,
	.validate	= xeth_proxy_validate,
	.newlink	= xeth_lag_newlink,
	.changelink	= xeth_upper_changelink,
	.dellink	= xeth_proxy_dellink,
};

struct rtnl_link_ops xeth_bridge_link_ops = {
	.kind		= XETH_BRIDGE_KIND,
	.priv_size	= sizeof(struct xeth_proxy),
	.setup		= xeth_proxy_setup,
	.validate	= xeth_proxy_validate,
	.newlink	= xeth_bridge_newlink,
	.changelink	= xeth_upper_changelink,
	.dellink	= xeth_proxy_dellink,
};
