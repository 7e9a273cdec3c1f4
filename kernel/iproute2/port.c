// SPDX-License-Identifier: GPL-2.0
/* ip link plugin for the xeth-port kind */
#include <linux/xeth.h>

#include "common.h"

/* the mux knows which xids its encapsulation can carry and checks them */
static const struct xeth_ip_opt xid = {
	.key	= "xid",
	.attr	= IFLA_XETH_PORT_XID,
	.size	= sizeof(__u32),
	.min	= 0,
	.max	= 0xffffffff,
};

XETH_IP_KIND(xeth_port_link_util, XETH_PORT_KIND, IFLA_XETH_PORT_MAX,
	     .args	= "[ xid XID ]",
	     .details	= "XID := the port's id on the mux\n"
			  "       (without xid the mux allocates one)\n",
	     .opt	= &xid);
