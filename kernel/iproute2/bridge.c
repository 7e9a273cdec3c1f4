// SPDX-License-Identifier: GPL-2.0
/*
 * ip link plugin for the xeth-bridge kind.  The kind has no options; the
 * plugin exists so that help and mistyped options get an answer from
 * xeth-bridge instead of ip's generic "Garbage instead of arguments".
 */
#include <linux/xeth.h>

#include "common.h"

XETH_IP_KIND(xeth_bridge_link_util, XETH_BRIDGE_KIND, 0,
	     .details	= "xeth-bridge has no options.\n");
