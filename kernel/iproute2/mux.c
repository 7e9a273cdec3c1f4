// SPDX-License-Identifier: GPL-2.0
/* ip link plugin for the xeth-mux kind */
#include <linux/xeth.h>

#include "common.h"

static const char * const encap_names[] = {
	[XETH_ENCAP_VLAN] = "vlan",
	[XETH_ENCAP_VPLS] = "vpls",
};

static const struct xeth_ip_opt encap = {
	.key		= "encap",
	.attr		= IFLA_XETH_MUX_ENCAP,
	.size		= sizeof(__u8),
	.names		= encap_names,
	.n_names	= ARRAY_SIZE(encap_names),
};

XETH_IP_KIND(xeth_mux_link_util, XETH_MUX_KIND, IFLA_XETH_MUX_MAX,
	     .args	= "[ encap { vlan | vpls } ]",
	     .details	= "encap vlan: proxy frames carry VLAN tags (default)\n"
			  "encap vpls: proxy frames carry MPLS labels\n",
	     .opt	= &encap);
