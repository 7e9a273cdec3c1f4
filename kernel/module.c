// SPDX-License-Identifier: GPL-2.0
/*
 * xeth: proxy netdevs for the ports and functions of a switch ASIC,
 * multiplexed over an xeth-mux.
 */
#include <linux/module.h>
#include "xeth.h"

static int __init xeth_init(void)
{
	return rtnl_link_register(&xeth_mux_link_ops);
}

static void __exit xeth_exit(void)
{
	rtnl_link_unregister(&xeth_mux_link_ops);
}

module_init(xeth_init);
module_exit(xeth_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("xeth switch proxy netdevs and their multiplexer");
MODULE_ALIAS_RTNL_LINK(XETH_MUX_KIND);
