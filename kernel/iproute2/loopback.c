// SPDX-License-Identifier: GPL-2.0
/* ip link plugin for the xeth-loopback kind */
#include <linux/xeth.h>

#include "common.h"

static const struct xeth_ip_opt channel = {
	.key	= "channel",
	.attr	= IFLA_XETH_LOOPBACK_CHANNEL,
	.size	= sizeof(__u8),
	.min	= 0,
	.max	= 255,
};

XETH_IP_KIND(xeth_loopback_link_util, XETH_LOOPBACK_KIND,
	     IFLA_XETH_LOOPBACK_MAX,
	     .args	= "[ channel CHANNEL ]",
	     .details	= "CHANNEL := 0..255\n",
	     .opt	= &channel);
