// SPDX-License-Identifier: GPL-2.0
/*
 * ethtool operations of the mux (its counters) and of proxies.
 */
#include <linux/ethtool.h>
#include <linux/linkmode.h>
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

static const char xeth_sb_counter_names[][ETH_GSTRING_LEN] = {
	[XETH_SB_TX_MSGS]	= "sb-tx-msgs",
	[XETH_SB_RX_MSGS]	= "sb-rx-msgs",
	[XETH_SB_RX_INVALID]	= "sb-rx-invalid",
	[XETH_SB_CONNECTS]	= "sb-connects",
	[XETH_SB_REFUSED]	= "sb-refused-peers",
	[XETH_SB_REPLACED]	= "sb-replaced",
	[XETH_SB_RESYNCS]	= "sb-resyncs",
	/* gauges, after the counters */
	"sb-txq-depth",		/* every queued message */
	"sb-txq-high-water",	/* of queued live events, this connection */
	"sb-txq-max",
};

#define XETH_MUX_N_STATS (XETH_MUX_N_COUNTERS + ARRAY_SIZE(xeth_sb_counter_names))

static int xeth_mux_get_sset_count(struct net_device *dev, int sset)
{
	return sset == ETH_SS_STATS ? XETH_MUX_N_STATS : -EOPNOTSUPP;
}

static void xeth_mux_get_strings(struct net_device *dev, u32 sset, u8 *buf)
{
	if (sset != ETH_SS_STATS)
		return;
	memcpy(buf, xeth_mux_counter_names, sizeof(xeth_mux_counter_names));
	memcpy(buf + sizeof(xeth_mux_counter_names), xeth_sb_counter_names,
	       sizeof(xeth_sb_counter_names));
}

static void xeth_mux_get_ethtool_stats(struct net_device *dev,
				       struct ethtool_stats *stats, u64 *data)
{
	struct xeth_mux *mux = netdev_priv(dev);
	unsigned int start, i;
	int cpu;

	memset(data, 0, XETH_MUX_N_STATS * sizeof(*data));
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
	data += XETH_MUX_N_COUNTERS;
	for (i = 0; i < XETH_SB_N_COUNTERS; i++)
		*data++ = atomic64_read(&mux->sb.count[i]);
	spin_lock_bh(&mux->sb.txq_lock);
	*data++ = mux->sb.txq_len;
	*data++ = mux->sb.txq_high;
	spin_unlock_bh(&mux->sb.txq_lock);
	*data++ = READ_ONCE(xeth_sb_txq_max);
}

const struct ethtool_ops xeth_mux_ethtool_ops = {
	.get_drvinfo		= xeth_get_drvinfo,
	.get_link		= ethtool_op_get_link,
	.get_sset_count		= xeth_mux_get_sset_count,
	.get_strings		= xeth_mux_get_strings,
	.get_ethtool_stats	= xeth_mux_get_ethtool_stats,
};

static int xeth_proxy_get_link_ksettings(struct net_device *dev,
					 struct ethtool_link_ksettings *ks)
{
	const struct xeth_proxy *p = netdev_priv(dev);
	u32 speed = READ_ONCE(p->speed);

	/* the switch knows what the port can do; any mode may be asked */
	bitmap_fill(ks->link_modes.supported, __ETHTOOL_LINK_MODE_MASK_NBITS);
	linkmode_copy(ks->link_modes.advertising, p->advertising);
	ks->base.speed = speed && netif_carrier_ok(dev) ? speed : SPEED_UNKNOWN;
	ks->base.duplex = speed && netif_carrier_ok(dev) ?
		DUPLEX_FULL : DUPLEX_UNKNOWN;
	ks->base.port = PORT_OTHER;
	ks->base.autoneg = p->autoneg;
	return 0;
}

/* ethtool -s on a port: kept, and told to the daemon, which drives the
 * switch; speed then comes back with SPEED.  RTNL is held.
 */
static int xeth_proxy_set_link_ksettings(struct net_device *dev,
					 const struct ethtool_link_ksettings *ks)
{
	struct xeth_proxy *p = netdev_priv(dev);

	if (p->kind != XETH_DEV_KIND_PORT)
		return -EOPNOTSUPP;
	linkmode_copy(p->advertising, ks->link_modes.advertising);
	p->autoneg = ks->base.autoneg;
	p->cfg_speed = ks->base.speed;
	p->cfg_duplex = ks->base.duplex;
	xeth_sb_port_settings(p);
	return 0;
}

/* Port stats are the mux's configured names with SWITCHD's counts. */
static int xeth_proxy_get_sset_count(struct net_device *dev, int sset)
{
	const struct xeth_proxy *p = netdev_priv(dev);

	if (sset != ETH_SS_STATS || !p->ethtool_stats)
		return -EOPNOTSUPP;
	return p->mux->n_stat_names;
}

static void xeth_proxy_get_strings(struct net_device *dev, u32 sset, u8 *buf)
{
	const struct xeth_proxy *p = netdev_priv(dev);

	if (sset == ETH_SS_STATS && p->ethtool_stats)
		memcpy(buf, p->mux->stat_names,
		       p->mux->n_stat_names * ETH_GSTRING_LEN);
}

static void xeth_proxy_get_ethtool_stats(struct net_device *dev,
					 struct ethtool_stats *stats,
					 u64 *data)
{
	const struct xeth_proxy *p = netdev_priv(dev);
	unsigned int i;

	for (i = 0; p->ethtool_stats && i < p->mux->n_stat_names; i++)
		data[i] = READ_ONCE(p->ethtool_stats[i]);
}

const struct ethtool_ops xeth_proxy_ethtool_ops = {
	.get_drvinfo		= xeth_get_drvinfo,
	.get_link		= ethtool_op_get_link,
	.get_link_ksettings	= xeth_proxy_get_link_ksettings,
	.set_link_ksettings	= xeth_proxy_set_link_ksettings,
	.get_sset_count		= xeth_proxy_get_sset_count,
	.get_strings		= xeth_proxy_get_strings,
	.get_ethtool_stats	= xeth_proxy_get_ethtool_stats,
};
