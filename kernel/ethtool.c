// SPDX-License-Identifier: GPL-2.0
/*
 * ethtool operations of the mux (its counters) and of proxies.
 */
#include <linux/ethtool.h>
#include "xeth.h"

static const char xeth_mux_counter_names[XETH_MUX_N_COUNTERS][ETH_GSTRING_LEN] = {
	[XETH_MUX_TX_TO_LOWER]		= "tx-to-lower",
	[XETH_MUX_TX_TO_DAEMON]		= "tx-to-daemon",
	[XETH_MUX_RX_FROM_LOWER]	= "rx-from-lower",
	[XETH_MUX_EXCEPTIONS]		= "rx-exceptions",
	[XETH_MUX_DAEMON_TO_LOWER]	= "daemon-to-lower",
	[XETH_MUX_RX_NOHANDLER]		= "rx-nohandler",
	[XETH_MUX_RX_PROXY_DOWN]	= "rx-proxy-down",
	[XETH_MUX_RX_BAD_ENCAP]		= "rx-bad-encap",
	[XETH_MUX_TX_NO_PATH]		= "tx-no-path",
	[XETH_MUX_TX_ENCAP_ERRORS]	= "tx-encap-errors",
};

static void xeth_get_drvinfo(struct net_device *dev,
			     struct ethtool_drvinfo *info)
{
	strscpy(info->driver, "xeth", sizeof(info->driver));
	strscpy(info->bus_info, dev->rtnl_link_ops->kind,
		sizeof(info->bus_info));
}

static int xeth_mux_get_sset_count(struct net_device *dev, int sset)
{
	return sset == ETH_SS_STATS ? XETH_MUX_N_COUNTERS : -EOPNOTSUPP;
}

static void xeth_mux_get_strings(struct net_device *dev, u32 sset, u8 *buf)
{
	if (sset == ETH_SS_STATS)
		memcpy(buf, xeth_mux_counter_names,
		       sizeof(xeth_mux_counter_names));
}

static void xeth_mux_get_ethtool_stats(struct net_device *dev,
				       struct ethtool_stats *stats, u64 *data)
{
	struct xeth_mux *mux = netdev_priv(dev);
	unsigned int start, i;
	int cpu;

	memset(data, 0, XETH_MUX_N_COUNTERS * sizeof(*data));
	for_each_possible_cpu(cpu) {
		const struct xeth_mux_stats *s = per_cpu_ptr(mux->stats, cpu);
		u64 v[XETH_MUX_N_COUNTERS];

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			memcpy(v, s->count, sizeof(v));
		} while (u64_stats_fetch_retry(&s->syncp, start));
		for (i = 0; i < XETH_MUX_N_COUNTERS; i++)
			data[i] += v[i];
	}
}

const struct ethtool_ops xeth_mux_ethtool_ops = {
	.get_drvinfo		= xeth_get_drvinfo,
	.get_link		= ethtool_op_get_link,
	.get_sset_count		= xeth_mux_get_sset_count,
	.get_strings		= xeth_mux_get_strings,
	.get_ethtool_stats	= xeth_mux_get_ethtool_stats,
};

const struct ethtool_ops xeth_proxy_ethtool_ops = {
	.get_drvinfo		= xeth_get_drvinfo,
	.get_link		= ethtool_op_get_link,
};
