// SPDX-License-Identifier: GPL-2.0
/*
 * Reactions to other devices' events: a lower link that goes away leaves
 * its mux, and carrier follows from a proxy to its VLANs and master.
 */
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

	switch (event) {
	case NETDEV_UNREGISTER:
		mux = xeth_mux_of_lower(dev);
		if (mux)
			xeth_mux_del_lower(mux->dev, dev);
		break;
	case NETDEV_CHANGE:
	case NETDEV_UP:
	case NETDEV_DOWN:
		p = xeth_proxy_of(dev);
		if (p && !p->dying)
			xeth_notify_carrier(p);
		break;
	}
	return NOTIFY_DONE;
}

static struct notifier_block xeth_netdev_notifier = {
	.notifier_call = xeth_netdev_event,
};

int xeth_notify_init(void)
{
	return register_netdevice_notifier(&xeth_netdev_notifier);
}

void xeth_notify_exit(void)
{
	unregister_netdevice_notifier(&xeth_netdev_notifier);
}
