// SPDX-License-Identifier: GPL-2.0
/*
 * Reactions to other devices' events: a lower link that goes away leaves
 * its mux, one that a firmware mux names joins it when it appears,
 * carrier follows from a proxy to its VLANs and master, and a mux renamed
 * while up listens on its new name.
 */
#include <linux/inetdevice.h>
#include <net/addrconf.h>
#include "xeth.h"

static void xeth_notify_carrier(struct xeth_proxy *p)
{
	struct xeth_proxy *q;

	list_for_each_entry(q, &p->mux->proxy_list, list)
		if (q->lower == p->dev && q->kind == XETH_DEV_KIND_VLAN)
			netif_stacked_transfer_operstate(p->dev, q->dev);
	if (p->master)
		xeth_upper_update_carrier(p->master);
}

static int xeth_netdev_event(struct notifier_block *nb, unsigned long event,
			     void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct xeth_proxy *p;
	struct xeth_mux *mux;

	p = xeth_proxy_of(dev);
	switch (event) {
	case NETDEV_REGISTER:
		if (!p) {
			/* a lower link that a firmware mux names */
			xeth_platform_lower_event(dev);
			break;
		}
		/* the first time it is new; later, moved into a namespace */
		xeth_mux_net_get(p->mux, dev_net(dev));
		xeth_sb_ifinfo(p, p->registered ? XETH_IFINFO_REASON_REG :
			       XETH_IFINFO_REASON_NEW);
		p->registered = true;
		break;
	case NETDEV_UNREGISTER:
		if (p) {
			xeth_sb_ifinfo(p, p->dying ? XETH_IFINFO_REASON_DEL :
				       XETH_IFINFO_REASON_UNREG);
			xeth_mux_net_put(p->mux, dev_net(dev));
			break;
		}
		mux = xeth_mux_of_lower(dev);
		if (mux)
			xeth_mux_del_lower(mux->dev, dev);
		break;
	case NETDEV_CHANGENAME:
		/* the side-band listens on @<mux name> */
		mux = xeth_mux_of(dev);
		if (mux && netif_running(dev))
			return notifier_from_errno(xeth_sb_rename(mux));
		if (!p)
			xeth_platform_lower_event(dev);
		break;
	case NETDEV_FEAT_CHANGE:
		if (p)
			xeth_sb_ifinfo(p, XETH_IFINFO_REASON_FEATURES);
		break;
	case NETDEV_CHANGE:
	case NETDEV_UP:
	case NETDEV_DOWN:
		if (p && !p->dying)
			xeth_notify_carrier(p);
		break;
	}
	return NOTIFY_DONE;
}

static struct notifier_block xeth_netdev_notifier = {
	.notifier_call = xeth_netdev_event,
};

static u32 xeth_ifa_event(unsigned long event)
{
	return event == NETDEV_UP ? XETH_IFA_ADD : XETH_IFA_DEL;
}

static int xeth_inetaddr_event(struct notifier_block *nb, unsigned long event,
			       void *ptr)
{
	const struct in_ifaddr *ifa = ptr;
	struct xeth_proxy *p = xeth_proxy_of(ifa->ifa_dev->dev);

	if (p && (event == NETDEV_UP || event == NETDEV_DOWN))
		xeth_sb_ifa(p, ifa->ifa_address, ifa->ifa_mask,
			    xeth_ifa_event(event));
	return NOTIFY_DONE;
}

static struct notifier_block xeth_inetaddr_notifier = {
	.notifier_call = xeth_inetaddr_event,
};

static int xeth_inet6addr_event(struct notifier_block *nb, unsigned long event,
				void *ptr)
{
	const struct inet6_ifaddr *ifa = ptr;
	struct xeth_proxy *p = xeth_proxy_of(ifa->idev->dev);

	if (p && (event == NETDEV_UP || event == NETDEV_DOWN))
		xeth_sb_ifa6(p, &ifa->addr, ifa->prefix_len,
			     xeth_ifa_event(event));
	return NOTIFY_DONE;
}

static struct notifier_block xeth_inet6addr_notifier = {
	.notifier_call = xeth_inet6addr_event,
};

int xeth_notify_init(void)
{
	int err;

	err = register_netdevice_notifier(&xeth_netdev_notifier);
	if (err)
		return err;
	err = register_inetaddr_notifier(&xeth_inetaddr_notifier);
	if (err)
		goto netdev;
	err = register_inet6addr_notifier(&xeth_inet6addr_notifier);
	if (err)
		goto inetaddr;
	return 0;
inetaddr:
	unregister_inetaddr_notifier(&xeth_inetaddr_notifier);
netdev:
	unregister_netdevice_notifier(&xeth_netdev_notifier);
	return err;
}

void xeth_notify_exit(void)
{
	unregister_inet6addr_notifier(&xeth_inet6addr_notifier);
	unregister_inetaddr_notifier(&xeth_inetaddr_notifier);
	unregister_netdevice_notifier(&xeth_netdev_notifier);
}
