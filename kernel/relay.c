// SPDX-License-Identifier: GPL-2.0
/*
 * What the daemon tells the kernel: dump requests, port carrier and
 * speed, and the link and ethtool statistics that proxies report as
 * their own.  Malformed input is counted and ignored, never fatal.
 */
#include <linux/etherdevice.h>
#include "xeth.h"

/* Port ethtool stat names until the operator sets others (sysfs). */
static const char *const xeth_default_stat_names[] = {
	"rx-unicast", "rx-multicast", "rx-broadcast", "rx-octets",
	"rx-crc-errors", "rx-undersize", "rx-oversize", "rx-discards",
	"tx-unicast", "tx-multicast", "tx-broadcast", "tx-octets",
	"tx-discards", "tx-errors", "link-down-events", "fec-corrected",
};

void xeth_relay_invalid(struct xeth_mux *mux, const char *why, u32 v)
{
	atomic64_inc(&mux->sb.count[XETH_SB_RX_INVALID]);
	net_info_ratelimited("%s: side-band: ignored a message: %s (%u)\n",
			     netdev_name(mux->dev), why, v);
}

/* Zeroes what the daemon relayed: a new connection starts from nothing. */
void xeth_relay_reset(struct xeth_mux *mux)
{
	struct xeth_proxy *p;

	rcu_read_lock();
	list_for_each_entry_rcu(p, &mux->proxy_list, list) {
		WRITE_ONCE(p->link_stats_set, 0);
		memset(p->link_stats, 0, sizeof(p->link_stats));
		if (p->ethtool_stats)
			memset(p->ethtool_stats, 0,
			       XETH_MAX_ETHTOOL_STATS * sizeof(u64));
	}
	rcu_read_unlock();
}

/* Without a daemon nobody vouches for the ports' links. */
void xeth_relay_carrier_off(struct xeth_mux *mux)
{
	struct xeth_proxy *p;

	rcu_read_lock();
	list_for_each_entry_rcu(p, &mux->proxy_list, list)
		if (p->kind == XETH_DEV_KIND_PORT)
			netif_carrier_off(p->dev);
	rcu_read_unlock();
}

static struct xeth_proxy *xeth_relay_proxy(struct xeth_mux *mux, u32 xid)
{
	struct xeth_proxy *p = xa_load(&mux->proxies, xid);

	if (!p)
		xeth_relay_invalid(mux, "unknown xid", xid);
	return p;
}

/* Carrier and speed are a port's: other xids are invalid there. */
static struct xeth_proxy *xeth_relay_port(struct xeth_mux *mux, u32 xid)
{
	struct xeth_proxy *p = xeth_relay_proxy(mux, xid);

	if (p && p->kind != XETH_DEV_KIND_PORT) {
		xeth_relay_invalid(mux, "port message for a proxy that is not a port",
				   xid);
		return NULL;
	}
	return p;
}

static void xeth_relay_carrier(struct xeth_mux *mux,
			       const struct xeth_msg_carrier *msg)
{
	struct xeth_proxy *p = xeth_relay_port(mux, msg->xid);

	if (!p)
		return;
	/* VLANs and masters follow through the netdev notifier. */
	if (msg->flag)
		netif_carrier_on(p->dev);
	else
		netif_carrier_off(p->dev);
}

static void xeth_relay_speed(struct xeth_mux *mux,
			     const struct xeth_msg_speed *msg)
{
	struct xeth_proxy *p = xeth_relay_port(mux, msg->xid);

	if (p)
		WRITE_ONCE(p->speed, msg->mbps);
}

static void xeth_relay_link_stat(struct xeth_mux *mux,
				 const struct xeth_msg_stat *msg)
{
	struct xeth_proxy *p = xeth_relay_proxy(mux, msg->xid);

	if (!p)
		return;
	if (msg->index >= XETH_N_LINK_STATS) {
		xeth_relay_invalid(mux, "link stat index", msg->index);
		return;
	}
	WRITE_ONCE(p->link_stats[msg->index], msg->count);
	set_bit(msg->index, &p->link_stats_set);
}

static void xeth_relay_ethtool_stat(struct xeth_mux *mux,
				    const struct xeth_msg_stat *msg)
{
	struct xeth_proxy *p = xeth_relay_proxy(mux, msg->xid);

	if (!p)
		return;
	if (!p->ethtool_stats) {
		xeth_relay_invalid(mux, "ethtool stat of a proxy that is not a port",
				   msg->xid);
		return;
	}
	if (msg->index >= XETH_MAX_ETHTOOL_STATS) {
		xeth_relay_invalid(mux, "ethtool stat index", msg->index);
		return;
	}
	WRITE_ONCE(p->ethtool_stats[msg->index], msg->count);
}

static const size_t xeth_relay_size[] = {
	[XETH_MSG_KIND_LINK_STAT] = sizeof(struct xeth_msg_stat),
	[XETH_MSG_KIND_ETHTOOL_STAT] = sizeof(struct xeth_msg_stat),
	[XETH_MSG_KIND_DUMP_IFINFO] = sizeof(struct xeth_msg),
	[XETH_MSG_KIND_CARRIER] = sizeof(struct xeth_msg_carrier),
	[XETH_MSG_KIND_SPEED] = sizeof(struct xeth_msg_speed),
	[XETH_MSG_KIND_DUMP_FIBINFO] = sizeof(struct xeth_msg),
	[XETH_MSG_KIND_EXT_ENABLE] = sizeof(struct xeth_msg_ext_enable),
	/* the least: n results follow */
	[XETH_MSG_KIND_FIB_OFFLOAD] = sizeof(struct xeth_msg_fib_offload),
};

/* FIB_OFFLOAD: 1 to XETH_FIB_RESULTS_MAX results, exactly. */
static void xeth_relay_fib_offload(struct xeth_mux *mux, const u8 *buf,
				   size_t len)
{
	const struct xeth_msg_fib_offload *msg = (const void *)buf;

	if (!(READ_ONCE(mux->sb.ext) & _BITULL(XETH_EXT_FIB_OFFLOAD))) {
		xeth_relay_invalid(mux, "FIB_OFFLOAD without the fib-offload extension",
				   msg->header.kind);
		return;
	}
	if (!msg->n || msg->n > XETH_FIB_RESULTS_MAX) {
		xeth_relay_invalid(mux, "FIB_OFFLOAD: number of results", msg->n);
		return;
	}
	if (len != struct_size(msg, results, msg->n)) {
		xeth_relay_invalid(mux, "FIB_OFFLOAD: size for its results", len);
		return;
	}
	xeth_fo_results(mux, msg);
}

/* One datagram from the daemon, in the side-band work. */
void xeth_relay(struct xeth_mux *mux, const u8 *buf, size_t len)
{
	const struct xeth_msg_header *h = (const void *)buf;

	if (len > XETH_MSG_MAX_SIZE) {
		xeth_relay_invalid(mux, "oversize message", len);
		return;
	}
	if (len < sizeof(*h)) {
		xeth_relay_invalid(mux, "short message", len);
		return;
	}
	if (h->z64 || h->z32 || h->z16) {
		xeth_relay_invalid(mux, "not a message: header is not zero", 0);
		return;
	}
	if (h->version != XETH_MSG_VERSION) {
		xeth_relay_invalid(mux, "version", h->version);
		return;
	}
	if (h->kind >= ARRAY_SIZE(xeth_relay_size) ||
	    !xeth_relay_size[h->kind]) {
		xeth_relay_invalid(mux, "unknown or kernel-to-daemon kind",
				   h->kind);
		return;
	}
	if (h->kind == XETH_MSG_KIND_FIB_OFFLOAD &&
	    len >= xeth_relay_size[h->kind]) {
		xeth_relay_fib_offload(mux, buf, len);
		return;
	}
	if (len != xeth_relay_size[h->kind]) {
		xeth_relay_invalid(mux, "wrong size for its kind", len);
		return;
	}
	/* xa_load() and the proxies it finds are RCU-protected; what the
	 * relay does with them (carrier, counters) is fine under RCU.
	 */
	switch (h->kind) {
	case XETH_MSG_KIND_DUMP_IFINFO:
		xeth_sb_dump_ifinfo(mux);
		return;
	case XETH_MSG_KIND_DUMP_FIBINFO:
		xeth_sb_dump_fibinfo(mux);
		return;
	case XETH_MSG_KIND_EXT_ENABLE:
		/* what this kernel does not know stays off */
		xeth_sb_enable_ext(mux, ((const struct xeth_msg_ext_enable *)buf)->extensions &
				   XETH_EXT_SUPPORTED);
		return;
	}
	rcu_read_lock();
	switch (h->kind) {
	case XETH_MSG_KIND_CARRIER:
		xeth_relay_carrier(mux, (const void *)buf);
		break;
	case XETH_MSG_KIND_SPEED:
		xeth_relay_speed(mux, (const void *)buf);
		break;
	case XETH_MSG_KIND_LINK_STAT:
		xeth_relay_link_stat(mux, (const void *)buf);
		break;
	case XETH_MSG_KIND_ETHTOOL_STAT:
		xeth_relay_ethtool_stat(mux, (const void *)buf);
		break;
	}
	rcu_read_unlock();
}

/* Names from newline-separated text, at most max of them; NULL with no
 * name (an empty text), an ERR_PTR when one is too long or too many.
 */
static char (*xeth_relay_parse_names(const char *buf, size_t len,
				     unsigned int max,
				     unsigned int *np))[ETH_GSTRING_LEN]
{
	char (*names)[ETH_GSTRING_LEN];
	const char *p = buf, *end = buf + len, *nl;
	unsigned int n = 0;
	size_t l;

	names = kcalloc(max, ETH_GSTRING_LEN, GFP_KERNEL);
	if (!names)
		return ERR_PTR(-ENOMEM);
	while (p < end) {
		nl = memchr(p, '\n', end - p);
		l = (nl ? nl : end) - p;
		if (l) {
			if (l >= ETH_GSTRING_LEN || n == max) {
				kfree(names);
				return ERR_PTR(-EINVAL);
			}
			memcpy(names[n++], p, l);
		}
		p += l + 1;
	}
	if (!n) {
		kfree(names);
		names = NULL;
	}
	*np = n;
	return names;
}

/* Sets the port ethtool stat names of a mux from newline-separated text;
 * "" restores the defaults.  Caller holds RTNL.
 */
int xeth_relay_set_stat_names(struct xeth_mux *mux, const char *buf,
			      size_t len)
{
	char (*names)[ETH_GSTRING_LEN];
	unsigned int n, i;

	names = xeth_relay_parse_names(buf, len, XETH_MAX_ETHTOOL_STATS, &n);
	if (IS_ERR(names))
		return PTR_ERR(names);
	if (!names) {
		n = ARRAY_SIZE(xeth_default_stat_names);
		names = kcalloc(n, ETH_GSTRING_LEN, GFP_KERNEL);
		if (!names)
			return -ENOMEM;
		for (i = 0; i < n; i++)
			strscpy(names[i], xeth_default_stat_names[i],
				ETH_GSTRING_LEN);
	}
	kfree(mux->stat_names);
	mux->stat_names = names;
	mux->n_stat_names = n;
	return 0;
}

/* Sets the port private flag names of a mux from newline-separated text;
 * "" leaves none.  Flags past the new names are cleared, and the daemon
 * told.  Caller holds RTNL.
 */
int xeth_relay_set_flag_names(struct xeth_mux *mux, const char *buf,
			      size_t len)
{
	char (*names)[ETH_GSTRING_LEN];
	struct xeth_proxy *p;
	unsigned int n;
	u32 mask;

	names = xeth_relay_parse_names(buf, len, XETH_MAX_PRIV_FLAGS, &n);
	if (IS_ERR(names))
		return PTR_ERR(names);
	kfree(mux->flag_names);
	mux->flag_names = names;
	mux->n_flag_names = n;
	mask = n < XETH_MAX_PRIV_FLAGS ? BIT(n) - 1 : U32_MAX;
	list_for_each_entry(p, &mux->proxy_list, list)
		if (p->priv_flags & ~mask) {
			p->priv_flags &= mask;
			xeth_sb_port_flags(p);
		}
	return 0;
}

/* One name per line, read under RTNL: the names are replaced under it. */
static ssize_t xeth_mux_names_show(struct device *d, char *buf, bool flags)
{
	struct xeth_mux *mux = netdev_priv(to_net_dev(d));
	char (*names)[ETH_GSTRING_LEN];
	unsigned int i, n;
	ssize_t len = 0;

	if (!rtnl_trylock())
		return restart_syscall();
	names = flags ? mux->flag_names : mux->stat_names;
	n = flags ? mux->n_flag_names : mux->n_stat_names;
	for (i = 0; i < n; i++)
		len += sysfs_emit_at(buf, len, "%s\n", names[i]);
	rtnl_unlock();
	return len;
}

static ssize_t xeth_mux_names_store(struct device *d, const char *buf,
				    size_t len, bool flags)
{
	struct xeth_mux *mux = netdev_priv(to_net_dev(d));
	int err;

	if (!rtnl_trylock())
		return restart_syscall();
	err = flags ? xeth_relay_set_flag_names(mux, buf, len) :
		      xeth_relay_set_stat_names(mux, buf, len);
	rtnl_unlock();
	return err ? err : len;
}

static ssize_t ethtool_stat_names_show(struct device *d,
				       struct device_attribute *attr, char *buf)
{
	return xeth_mux_names_show(d, buf, false);
}

static ssize_t ethtool_stat_names_store(struct device *d,
					struct device_attribute *attr,
					const char *buf, size_t len)
{
	return xeth_mux_names_store(d, buf, len, false);
}

static DEVICE_ATTR_RW(ethtool_stat_names);

static ssize_t priv_flag_names_show(struct device *d,
				    struct device_attribute *attr, char *buf)
{
	return xeth_mux_names_show(d, buf, true);
}

static ssize_t priv_flag_names_store(struct device *d,
				     struct device_attribute *attr,
				     const char *buf, size_t len)
{
	return xeth_mux_names_store(d, buf, len, true);
}

static DEVICE_ATTR_RW(priv_flag_names);

/* The side-band extensions this kernel offers (uapi: "Extensions"). */
static ssize_t extensions_show(struct device *d, struct device_attribute *attr,
			       char *buf)
{
	return sysfs_emit(buf, "%d link-modes-ext\n%d fib-offload\n",
			  XETH_EXT_LINK_MODES, XETH_EXT_FIB_OFFLOAD);
}

static DEVICE_ATTR_RO(extensions);

static struct attribute *xeth_mux_sysfs_attrs[] = {
	&dev_attr_ethtool_stat_names.attr,
	&dev_attr_priv_flag_names.attr,
	&dev_attr_extensions.attr,
	NULL,
};

const struct attribute_group xeth_mux_sysfs_group = {
	.name = "xeth",
	.attrs = xeth_mux_sysfs_attrs,
};
