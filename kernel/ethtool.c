// SPDX-License-Identifier: GPL-2.0
/*
 * ethtool operations of the mux (its counters) and of proxies, and the
 * module EEPROM of a port whose firmware names its I2C bus.
 */
#include <linux/ethtool.h>
#include <linux/i2c.h>
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
	/* a device from firmware names its platform device, as drivers do */
	strscpy(info->bus_info, dev->dev.parent ? dev_name(dev->dev.parent) :
		dev->rtnl_link_ops->kind, sizeof(info->bus_info));
}

static const char xeth_sb_counter_names[][ETH_GSTRING_LEN] = {
	[XETH_SB_TX_MSGS]	= "sb-tx-msgs",
	[XETH_SB_RX_MSGS]	= "sb-rx-msgs",
	[XETH_SB_RX_INVALID]	= "sb-rx-invalid",
	[XETH_SB_CONNECTS]	= "sb-connects",
	[XETH_SB_REFUSED]	= "sb-refused-peers",
	[XETH_SB_REPLACED]	= "sb-replaced",
	[XETH_SB_RESYNCS]	= "sb-resyncs",
	[XETH_SB_CARRIER_DROPS]	= "sb-carrier-drops",
	[XETH_SB_FIB_RESULTS]	= "sb-fib-offload-results",
	[XETH_SB_FIB_STALE]	= "sb-fib-offload-stale",
	[XETH_SB_FIB_NOMEM]	= "sb-fib-offload-nomem",
	/* gauges, after the counters */
	"sb-txq-depth",		/* every queued message */
	"sb-txq-high-water",	/* of queued live events, this connection */
	"sb-txq-max",
	"sb-fib-offload-routes",	/* routes recorded, this connection */
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
	*data++ = READ_ONCE(mux->fo.n);
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

/* Port stats are the mux's configured names with SWITCHD's counts; port
 * private flags are the mux's flag names.
 */
static int xeth_proxy_get_sset_count(struct net_device *dev, int sset)
{
	const struct xeth_proxy *p = netdev_priv(dev);

	if (p->kind != XETH_DEV_KIND_PORT)
		return -EOPNOTSUPP;
	switch (sset) {
	case ETH_SS_STATS:
		return p->ethtool_stats ? p->mux->n_stat_names : -EOPNOTSUPP;
	case ETH_SS_PRIV_FLAGS:
		/* none rather than an empty set: ethtool's GSTRINGS ioctl
		 * warns (WARN_ON_ONCE) about a set of no strings
		 */
		return p->mux->n_flag_names ? p->mux->n_flag_names : -EOPNOTSUPP;
	}
	return -EOPNOTSUPP;
}

static void xeth_proxy_get_strings(struct net_device *dev, u32 sset, u8 *buf)
{
	const struct xeth_proxy *p = netdev_priv(dev);

	if (p->kind != XETH_DEV_KIND_PORT)
		return;
	if (sset == ETH_SS_STATS && p->ethtool_stats)
		memcpy(buf, p->mux->stat_names,
		       p->mux->n_stat_names * ETH_GSTRING_LEN);
	else if (sset == ETH_SS_PRIV_FLAGS && p->mux->n_flag_names)
		memcpy(buf, p->mux->flag_names,
		       p->mux->n_flag_names * ETH_GSTRING_LEN);
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

static u32 xeth_proxy_get_priv_flags(struct net_device *dev)
{
	const struct xeth_proxy *p = netdev_priv(dev);

	return p->priv_flags;
}

/* ethtool --set-priv-flags on a port: kept and told to the daemon. RTNL. */
static int xeth_proxy_set_priv_flags(struct net_device *dev, u32 flags)
{
	struct xeth_proxy *p = netdev_priv(dev);

	if (p->kind != XETH_DEV_KIND_PORT)
		return -EOPNOTSUPP;
	if (p->mux->n_flag_names < XETH_MAX_PRIV_FLAGS &&
	    flags >> p->mux->n_flag_names)
		return -EINVAL;
	if (flags == p->priv_flags)
		return 0;
	p->priv_flags = flags;
	xeth_sb_port_flags(p);
	return 0;
}

/*
 * The EEPROM of a port's module (SFP, QSFP) through the I2C bus that
 * firmware gave the port ("qsfp-bus"), at the mux's two addresses
 * ("qsfp-i2c-addrs"): bytes 0-255 at the first, 256-511 (SFF-8472's
 * diagnostics) at the second.  SMBus byte reads, which every adapter
 * does, or I2C block reads where the adapter has them.
 */
static int xeth_module_read(const struct xeth_proxy *p, u32 off, u32 len,
			    u8 *buf)
{
	struct i2c_adapter *adap;
	union i2c_smbus_data data;
	bool block;
	u32 n;
	u8 addr;
	int err = 0;

	if (p->qsfp_bus < 0)
		return -EOPNOTSUPP;
	adap = i2c_get_adapter(p->qsfp_bus);
	if (!adap)
		return -ENODEV;
	block = i2c_check_functionality(adap, I2C_FUNC_SMBUS_READ_I2C_BLOCK);
	while (len && !err) {
		addr = p->mux->qsfp_addrs[off >= 256];
		n = block ? min3(len, 256 - off % 256, (u32)I2C_SMBUS_BLOCK_MAX) : 1;
		data.block[0] = n;
		err = i2c_smbus_xfer(adap, addr, 0, I2C_SMBUS_READ, off % 256,
				     block ? I2C_SMBUS_I2C_BLOCK_DATA :
				     I2C_SMBUS_BYTE_DATA, &data);
		if (err)
			break;
		if (block)
			memcpy(buf, &data.block[1], n);
		else
			*buf = data.byte;
		buf += n;
		off += n;
		len -= n;
	}
	i2c_put_adapter(adap);
	return err;
}

/* SFF-8024 identifiers, byte 0 of a module's EEPROM */
#define XETH_SFF_ID_SFP		0x03
#define XETH_SFF_ID_QSFP	0x0c
#define XETH_SFF_ID_QSFP_PLUS	0x0d
#define XETH_SFF_ID_QSFP28	0x11

static int xeth_proxy_get_module_info(struct net_device *dev,
				      struct ethtool_modinfo *mi)
{
	const struct xeth_proxy *p = netdev_priv(dev);
	u8 id;
	int err = xeth_module_read(p, 0, 1, &id);

	if (err)
		return err;
	switch (id) {
	case XETH_SFF_ID_SFP:
		mi->type = ETH_MODULE_SFF_8472;
		mi->eeprom_len = ETH_MODULE_SFF_8472_LEN;
		break;
	case XETH_SFF_ID_QSFP:
	case XETH_SFF_ID_QSFP_PLUS:
		mi->type = ETH_MODULE_SFF_8436;
		mi->eeprom_len = ETH_MODULE_SFF_8436_LEN;
		break;
	case XETH_SFF_ID_QSFP28:
		mi->type = ETH_MODULE_SFF_8636;
		mi->eeprom_len = ETH_MODULE_SFF_8636_LEN;
		break;
	default:
		mi->type = ETH_MODULE_SFF_8079;
		mi->eeprom_len = ETH_MODULE_SFF_8079_LEN;
		break;
	}
	return 0;
}

static int xeth_proxy_get_module_eeprom(struct net_device *dev,
					struct ethtool_eeprom *ee, u8 *data)
{
	const struct xeth_proxy *p = netdev_priv(dev);

	if (ee->offset >= ETH_MODULE_SFF_8472_LEN ||
	    ee->len > ETH_MODULE_SFF_8472_LEN - ee->offset)
		return -EINVAL;
	return xeth_module_read(p, ee->offset, ee->len, data);
}

const struct ethtool_ops xeth_proxy_ethtool_ops = {
	.get_drvinfo		= xeth_get_drvinfo,
	.get_link		= ethtool_op_get_link,
	.get_link_ksettings	= xeth_proxy_get_link_ksettings,
	.set_link_ksettings	= xeth_proxy_set_link_ksettings,
	.get_sset_count		= xeth_proxy_get_sset_count,
	.get_strings		= xeth_proxy_get_strings,
	.get_ethtool_stats	= xeth_proxy_get_ethtool_stats,
	.get_priv_flags		= xeth_proxy_get_priv_flags,
	.set_priv_flags		= xeth_proxy_set_priv_flags,
	.get_module_info	= xeth_proxy_get_module_info,
	.get_module_eeprom	= xeth_proxy_get_module_eeprom,
};
