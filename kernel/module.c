// SPDX-License-Identifier: GPL-2.0
/*
 * xeth: proxy netdevs for the ports and functions of a switch ASIC,
 * multiplexed over an xeth-mux; made with ip link (rtnl) or from firmware
 * (platform.c).
 */
#include <linux/module.h>
#include "xeth.h"

/* The mux first: removing its kind removes every proxy with it. */
static struct rtnl_link_ops *const xeth_link_ops[] = {
	&xeth_mux_link_ops,
	&xeth_port_link_ops,
	&xeth_vlan_link_ops,
	&xeth_lag_link_ops,
	&xeth_bridge_link_ops,
	&xeth_loopback_link_ops,
};

static int __init xeth_init(void)
{
	int err, i;

	err = xeth_wq_init();
	if (err)
		return err;
	err = xeth_fib_init();
	if (err)
		goto wq;
	err = xeth_notify_init();
	if (err)
		goto fib;
	for (i = 0; i < ARRAY_SIZE(xeth_link_ops); i++) {
		err = rtnl_link_register(xeth_link_ops[i]);
		if (err)
			goto unregister;
	}
	/* devices from firmware are made with the kinds' link ops */
	err = xeth_platform_init();
	if (err)
		goto unregister;
	return 0;
unregister:
	while (i--)
		rtnl_link_unregister(xeth_link_ops[i]);
	xeth_notify_exit();
fib:
	xeth_fib_exit();
wq:
	xeth_wq_exit();
	return err;
}

static void __exit xeth_exit(void)
{
	int i;

	xeth_platform_exit();
	for (i = 0; i < ARRAY_SIZE(xeth_link_ops); i++)
		rtnl_link_unregister(xeth_link_ops[i]);
	xeth_notify_exit();
	xeth_fib_exit();
	/* every mux is gone, and with it every side-band work item */
	xeth_wq_exit();
}

module_init(xeth_init);
module_exit(xeth_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("xeth switch proxy netdevs and their multiplexer");
MODULE_ALIAS_RTNL_LINK(XETH_MUX_KIND);
MODULE_ALIAS_RTNL_LINK(XETH_PORT_KIND);
MODULE_ALIAS_RTNL_LINK(XETH_VLAN_KIND);
MODULE_ALIAS_RTNL_LINK(XETH_LAG_KIND);
MODULE_ALIAS_RTNL_LINK(XETH_BRIDGE_KIND);
MODULE_ALIAS_RTNL_LINK(XETH_LOOPBACK_KIND);
