// SPDX-License-Identifier: GPL-2.0
/* ip link plugin for the xeth-vlan kind */
#include <linux/xeth.h>

#include "common.h"

/*
 * 0 and 4095 are reserved by 802.1Q; the kernel rejects them as well, but
 * checking here names the accepted range before anything is sent.
 */
static const struct xeth_ip_opt vid = {
	.key	= "vid",
	.attr	= IFLA_XETH_VLAN_VID,
	.size	= sizeof(__u16),
	.min	= 1,
	.max	= 4094,
};

XETH_IP_KIND(xeth_vlan_link_util, XETH_VLAN_KIND, IFLA_XETH_VLAN_MAX,
	     .args	= "vid VID",
	     .details	= "VID := 1..4094\n",
	     .opt	= &vid);
