// SPDX-License-Identifier: GPL-2.0
/*
 * ip link plugin for the xeth-lag kind.  The kind has no options; the
 * plugin exists so that help and mistyped options get an answer from
 * xeth-lag instead of ip's generic "Garbage instead of arguments".
 */
#include <linux/xeth.h>

#include "common.h"

XETH_IP_KIND(xeth_lag_link_util, XETH_LAG_KIND, 0,
	     .details	= "xeth-lag has no options.\n");
