// SPDX-License-Identifier: GPL-2.0
/*
 * Muxes and ports that firmware describes: platform drivers for device
 * tree nodes and ACPI PRP0001 devices compatible with "xeth,mux" and
 * "xeth,port".  A switch's board knows its ports, their names and MACs
 * and the NICs that face the ASIC; with these the netdevs exist from
 * boot, as a NIC's do, instead of from a script of ip link commands.
 *
 * Order: a port whose mux is not there yet returns -EPROBE_DEFER and
 * waits; when a mux registers (firmware or rtnl), a work item attaches
 * the waiting ports again.  Unbinding a mux unbinds its firmware ports
 * first and leaves them waiting for it.  (Not device links: the driver
 * core warns when a consumer's unbind races its supplier's.)  Lower links
 * that a mux names (by permanent MAC or name) join it when they appear
 * (netdev notifier), so a mux never waits for its NICs.
 *
 * Locking: probe and remove run under their device's lock and take RTNL
 * inside it; a mux's remove takes its ports' device locks after its own.
 * Nothing here takes a device lock under RTNL.
 */
#include <linux/etherdevice.h>
#include <linux/if_arp.h>
#include <linux/mod_devicetable.h>
#include <linux/platform_device.h>
#include <linux/property.h>
#include "xeth.h"

#define XETH_FW_MUX_NAME	"xeth-mux"
#define XETH_FW_PORT_NAME	"xeth%d"
#define XETH_FW_MUX_PORTS	32

/* firmware muxes, whose lower links may appear at any time; RTNL */
static LIST_HEAD(xeth_fw_muxes);
/* bound firmware ports, with a netdev or not (ip link del); RTNL */
static LIST_HEAD(xeth_fw_ports);

/* ports waiting for their mux; see xeth_platform_mux_event() */
struct xeth_fw_waiter {
	struct list_head node;
	struct device *dev;
};

static LIST_HEAD(xeth_fw_waiters);
static DEFINE_MUTEX(xeth_fw_waiters_lock);
static bool xeth_fw_up;			/* RTNL */

/* --- properties: absent means the default, present must be right ------ */

/* An unsigned property of @bits (8 or 16) bits within @min..@max. */
static int xeth_fw_uint(struct device *dev, const char *prop,
			unsigned int bits, u16 def, u16 min, u16 max, u16 *val)
{
	u8 v8;
	int err;

	*val = def;
	if (!device_property_present(dev, prop))
		return 0;
	if (bits == 8) {
		err = device_property_read_u8(dev, prop, &v8);
		if (!err)
			*val = v8;
	} else {
		err = device_property_read_u16(dev, prop, val);
	}
	if (err) {
		dev_err(dev, "property \"%s\" is not a u%u (%pe)\n", prop, bits,
			ERR_PTR(err));
		return -EINVAL;
	}
	if (*val < min || *val > max) {
		dev_err(dev, "property \"%s\" is %u, not %u-%u\n", prop, *val,
			min, max);
		return -EINVAL;
	}
	return 0;
}

static int xeth_fw_u8(struct device *dev, const char *prop, u8 def,
		      u8 min, u8 max, u8 *val)
{
	u16 v;
	int err = xeth_fw_uint(dev, prop, 8, def, min, max, &v);

	*val = v;
	return err;
}

static int xeth_fw_u16(struct device *dev, const char *prop, u16 def,
		       u16 min, u16 max, u16 *val)
{
	return xeth_fw_uint(dev, prop, 16, def, min, max, val);
}

/*
 * A string property, @def when absent.  Quiet: a count that runs on every
 * ip link add reads it too, and only a probe reports a bad one.
 */
static int xeth_fw_string(struct device *dev, const char *prop,
			  const char *def, const char **val)
{
	*val = def;
	if (!device_property_present(dev, prop))
		return 0;
	return device_property_read_string(dev, prop, val);
}

/* An interface name (a "%d" in it is numbered at registration). */
static int xeth_fw_ifname(struct device *dev, const char *prop,
			  const char *def, const char **val)
{
	int err = xeth_fw_string(dev, prop, def, val);

	if (err) {
		dev_err(dev, "property \"%s\" is not a string (%pe)\n", prop,
			ERR_PTR(err));
		return -EINVAL;
	}
	if (!dev_valid_name(*val)) {
		dev_err(dev, "property \"%s\": \"%s\" is not a valid interface name\n",
			prop, *val);
		return -EINVAL;
	}
	return 0;
}

/* A unicast MAC address: 6 bytes; *found tells whether it was given. */
static int xeth_fw_mac(struct device *dev, const char *prop, u8 *mac,
		       bool *found)
{
	int n;

	*found = false;
	if (!device_property_present(dev, prop))
		return 0;
	n = device_property_count_u8(dev, prop);
	if (n != ETH_ALEN) {
		dev_err(dev, "property \"%s\" is not 6 bytes (%pe)\n", prop,
			ERR_PTR(n < 0 ? n : -EINVAL));
		return -EINVAL;
	}
	n = device_property_read_u8_array(dev, prop, mac, ETH_ALEN);
	if (n) {
		dev_err(dev, "property \"%s\" is not 6 bytes (%pe)\n", prop,
			ERR_PTR(n));
		return -EINVAL;
	}
	if (!is_valid_ether_addr(mac)) {
		dev_err(dev, "property \"%s\": %pM is not a unicast MAC address\n",
			prop, mac);
		return -EINVAL;
	}
	*found = true;
	return 0;
}

/*
 * A list of 1-max non-empty strings, each shorter than each bytes, into
 * a new array of fixed-size strings (*bufp, NULL when absent).
 */
static int xeth_fw_strings(struct device *dev, const char *prop,
			   unsigned int max, size_t each, char **bufp,
			   unsigned int *np)
{
	const char **v = NULL;
	char *buf = NULL;
	int n, i, err;

	*bufp = NULL;
	*np = 0;
	if (!device_property_present(dev, prop))
		return 0;
	n = device_property_string_array_count(dev, prop);
	if (n < 0) {
		dev_err(dev, "property \"%s\" is not a list of strings (%pe)\n",
			prop, ERR_PTR(n));
		return -EINVAL;
	}
	if (n < 1 || n > max) {
		dev_err(dev, "property \"%s\" has %d strings, not 1-%u\n", prop,
			n, max);
		return -EINVAL;
	}
	v = kcalloc(n, sizeof(*v), GFP_KERNEL);
	buf = kcalloc(n, each, GFP_KERNEL);
	err = -ENOMEM;
	if (!v || !buf)
		goto out;
	err = device_property_read_string_array(dev, prop, v, n);
	if (err < 0) {
		dev_err(dev, "property \"%s\" is not a list of strings (%pe)\n",
			prop, ERR_PTR(err));
		err = -EINVAL;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (!*v[i] || strlen(v[i]) >= each) {
			dev_err(dev, "property \"%s\": \"%s\" is empty or longer than %zu characters\n",
				prop, v[i], each - 1);
			err = -EINVAL;
			goto out;
		}
		strscpy(buf + i * each, v[i], each);
	}
	*bufp = buf;
	*np = n;
	buf = NULL;
	err = 0;
out:
	kfree(buf);
	kfree(v);
	return err;
}

static unsigned char xeth_fw_name_type(const char *name)
{
	return strchr(name, '%') ? NET_NAME_ENUM : NET_NAME_PREDICTABLE;
}

/* A fixed name must be free; RTNL is held. */
static int xeth_fw_name_free(struct device *dev, const char *name)
{
	if (strchr(name, '%') || !__dev_get_by_name(&init_net, name))
		return 0;
	dev_err(dev, "name \"%s\" is taken by another interface\n", name);
	return -EEXIST;
}

/* --- the mux's lower links -------------------------------------------- */

static bool xeth_fw_names_lower(const struct xeth_fw *fw,
				const struct net_device *dev)
{
	unsigned int i;

	if (dev->type == ARPHRD_ETHER && dev->addr_len == ETH_ALEN)
		for (i = 0; i < fw->n_macs; i++)
			if (ether_addr_equal(fw->macs[i], dev->perm_addr))
				return true;
	for (i = 0; i < fw->n_akas; i++)
		if (!strcmp(fw->akas[i], dev->name))
			return true;
	return false;
}

static void xeth_fw_bind_lower(struct xeth_fw *fw, struct net_device *lower)
{
	struct netlink_ext_ack extack = {};
	int err;

	if (xeth_mux_of_lower(lower) ||
	    !net_eq(dev_net(lower), dev_net(fw->ndev)))
		return;
	err = xeth_mux_add_lower(fw->ndev, lower, &extack);
	if (err)
		dev_err(fw->dev, "%s: cannot bind lower link %s: %s (%pe)\n",
			netdev_name(fw->ndev), netdev_name(lower),
			extack._msg ? extack._msg : "", ERR_PTR(err));
	else
		dev_info(fw->dev, "%s: lower link %s\n", netdev_name(fw->ndev),
			 netdev_name(lower));
}

/* A device registered or renamed: a firmware mux may name it.  RTNL. */
void xeth_platform_lower_event(struct net_device *dev)
{
	struct xeth_fw *fw;

	if (xeth_is_mux(dev) || xeth_is_proxy(dev))
		return;
	list_for_each_entry(fw, &xeth_fw_muxes, node)
		if (xeth_fw_names_lower(fw, dev)) {
			xeth_fw_bind_lower(fw, dev);
			return;
		}
}

/* The lower links that were there before the mux.  RTNL. */
static void xeth_fw_bind_present(struct xeth_fw *fw)
{
	struct net_device *dev;

	for_each_netdev(dev_net(fw->ndev), dev)
		if (!xeth_is_mux(dev) && !xeth_is_proxy(dev) &&
		    xeth_fw_names_lower(fw, dev))
			xeth_fw_bind_lower(fw, dev);
}

/* A mux's or port's netdev is being unregistered (ndo_uninit).  RTNL. */
void xeth_platform_forget(struct xeth_fw *fw)
{
	fw->ndev = NULL;
	list_del_init(&fw->node);
}

/* --- rooms a firmware mux keeps for its firmware ports ---------------- */

struct xeth_fw_named {
	const char *mux;
	unsigned int n;
};

static int xeth_fw_count_named(struct device *dev, void *data)
{
	struct xeth_fw_named *named = data;
	const char *mux;

	if (device_property_match_string(dev, "compatible", "xeth,port") < 0)
		return 0;
	/* a "mux" that is not a string fails the port's probe: no room */
	if (xeth_fw_string(dev, "mux", XETH_FW_MUX_NAME, &mux))
		return 0;
	named->n += !strcmp(mux, named->mux);
	return 0;
}

/*
 * The rooms of a firmware mux that its firmware ports may still need: one
 * for each port device that names the mux and has no port on it now
 * (unbound, waiting, probing, or deleted with ip link).  A probe that
 * finds no room fails for good, so an rtnl port may not take these.  RTNL.
 */
unsigned int xeth_platform_kept_rooms(struct net_device *mux_dev)
{
	struct xeth_mux *mux = netdev_priv(mux_dev);
	struct xeth_fw_named named = { .mux = netdev_name(mux_dev) };
	unsigned int on_mux = 0;
	struct xeth_proxy *p;

	if (!mux->fw)
		return 0;
	bus_for_each_dev(&platform_bus_type, NULL, &named, xeth_fw_count_named);
	list_for_each_entry(p, &mux->proxy_list, list)
		on_mux += p->kind == XETH_DEV_KIND_PORT && p->fw;
	return named.n > on_mux ? named.n - on_mux : 0;
}

/* --- ports that wait for their mux ------------------------------------ */

static void xeth_fw_attach_waiters(struct work_struct *work)
{
	struct xeth_fw_waiter *w, *tmp;
	LIST_HEAD(list);

	mutex_lock(&xeth_fw_waiters_lock);
	list_splice_init(&xeth_fw_waiters, &list);
	mutex_unlock(&xeth_fw_waiters_lock);
	list_for_each_entry_safe(w, tmp, &list, node) {
		/* one that still waits puts itself back on the list */
		if (device_attach(w->dev) < 0)
			dev_dbg(w->dev, "still no mux\n");
		put_device(w->dev);
		kfree(w);
	}
}

static DECLARE_WORK(xeth_fw_attach_work, xeth_fw_attach_waiters);

/* A mux registered (rtnl or firmware).  RTNL. */
void xeth_platform_mux_event(void)
{
	if (READ_ONCE(xeth_fw_up))
		schedule_work(&xeth_fw_attach_work);
}

/* A mux that a port can join: registered, and not being unbound. RTNL. */
static struct net_device *xeth_fw_find_mux(const char *name, bool *not_mux)
{
	struct net_device *dev = __dev_get_by_name(&init_net, name);
	struct xeth_mux *mux;

	*not_mux = dev && !xeth_is_mux(dev);
	if (!dev || *not_mux)
		return NULL;
	mux = netdev_priv(dev);
	return mux->fw && mux->fw->going ? NULL : dev;
}

/* A port that has no mux yet: listed, to be attached when one registers. */
static int xeth_fw_wait(struct device *dev, const char *mux_name)
{
	struct xeth_fw_waiter *w;
	bool listed = false, not_mux;

	mutex_lock(&xeth_fw_waiters_lock);
	list_for_each_entry(w, &xeth_fw_waiters, node)
		listed |= w->dev == dev;
	w = listed ? NULL : kzalloc(sizeof(*w), GFP_KERNEL);
	if (w) {
		w->dev = get_device(dev);
		list_add_tail(&w->node, &xeth_fw_waiters);
	}
	mutex_unlock(&xeth_fw_waiters_lock);
	/* a mux that registered since the port looked finds it listed now;
	 * the attach waits for this probe to return
	 */
	rtnl_lock();
	if (xeth_fw_find_mux(mux_name, &not_mux))
		xeth_platform_mux_event();
	rtnl_unlock();
	return dev_err_probe(dev, -EPROBE_DEFER, "waiting for mux %s\n",
			     mux_name);
}

/* --- xeth,mux ---------------------------------------------------------- */

struct xeth_fw_mux_cfg {
	const char *name;
	u8 encap;
	u8 txqs;
	u8 rxqs;
	u16 ports;
	u8 qsfp[2];
	char *flags;
	unsigned int n_flags;
	char *stats;
	unsigned int n_stats;
};

static int xeth_fw_mux_lowers(struct device *dev, struct xeth_fw *fw)
{
	char prop[sizeof("link0-mac-address")];
	unsigned int i, n;
	char *akas;
	bool found;
	int err;

	for (i = 0; i < XETH_MUX_MAX_LOWERS; i++) {
		snprintf(prop, sizeof(prop), "link%u-mac-address", i);
		err = xeth_fw_mac(dev, prop, fw->macs[fw->n_macs], &found);
		if (err)
			return err;
		fw->n_macs += found;
	}
	err = xeth_fw_strings(dev, "link-akas",
			      XETH_MUX_MAX_LOWERS - fw->n_macs, IFNAMSIZ,
			      &akas, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		strscpy(fw->akas[i], akas + i * IFNAMSIZ, IFNAMSIZ);
		if (!dev_valid_name(fw->akas[i]) || strchr(fw->akas[i], '%')) {
			dev_err(dev, "property \"link-akas\": \"%s\" is not a valid interface name\n",
				fw->akas[i]);
			err = -EINVAL;
		}
	}
	fw->n_akas = n;
	kfree(akas);
	return err;
}

static int xeth_fw_mux_cfg(struct device *dev, struct xeth_fw *fw,
			   struct xeth_fw_mux_cfg *cfg)
{
	int err;

	cfg->qsfp[0] = 0x50;
	cfg->qsfp[1] = 0x51;
	err = xeth_fw_ifname(dev, "name", XETH_FW_MUX_NAME, &cfg->name);
	if (!err && strchr(cfg->name, '%')) {
		/* the side-band socket is named after the mux */
		dev_err(dev, "property \"name\": a mux needs a fixed name, not \"%s\"\n",
			cfg->name);
		err = -EINVAL;
	}
	err = err ?: xeth_fw_u8(dev, "encap", XETH_ENCAP_VLAN,
				XETH_ENCAP_VLAN, XETH_ENCAP_VPLS, &cfg->encap);
	err = err ?: xeth_fw_u16(dev, "ports", XETH_FW_MUX_PORTS, 1,
				 XETH_MUX_MAX_PORTS, &cfg->ports);
	err = err ?: xeth_fw_u8(dev, "txqs", 1, 1, U8_MAX, &cfg->txqs);
	err = err ?: xeth_fw_u8(dev, "rxqs", 1, 1, U8_MAX, &cfg->rxqs);
	err = err ?: xeth_fw_mux_lowers(dev, fw);
	if (err)
		return err;
	if (device_property_present(dev, "qsfp-i2c-addrs")) {
		err = device_property_count_u8(dev, "qsfp-i2c-addrs");
		err = err == 2 ? device_property_read_u8_array(dev, "qsfp-i2c-addrs",
							       cfg->qsfp, 2) : -EINVAL;
		if (err || cfg->qsfp[0] > 0x7f || cfg->qsfp[1] > 0x7f) {
			dev_err(dev, "property \"qsfp-i2c-addrs\" is not two 7-bit I2C addresses\n");
			return -EINVAL;
		}
	}
	err = xeth_fw_strings(dev, "priv-flags", XETH_MAX_PRIV_FLAGS,
			      ETH_GSTRING_LEN, &cfg->flags, &cfg->n_flags);
	if (err)
		return err;
	return xeth_fw_strings(dev, "stat-names", XETH_MAX_ETHTOOL_STATS,
			       ETH_GSTRING_LEN, &cfg->stats, &cfg->n_stats);
}

static int xeth_mux_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	struct xeth_fw_mux_cfg cfg = {};
	struct net_device *ndev;
	struct xeth_mux *mux;
	struct xeth_fw *fw;
	int err;

	fw = devm_kzalloc(dev, sizeof(*fw), GFP_KERNEL);
	if (!fw)
		return -ENOMEM;
	fw->dev = dev;
	INIT_LIST_HEAD(&fw->node);
	INIT_LIST_HEAD(&fw->bound);
	err = xeth_fw_mux_cfg(dev, fw, &cfg);
	if (err)
		goto free;
	strscpy(fw->mux, cfg.name, sizeof(fw->mux));
	ndev = alloc_netdev_mqs(sizeof(*mux), cfg.name,
				xeth_fw_name_type(cfg.name), xeth_mux_setup,
				cfg.txqs, cfg.rxqs);
	if (!ndev) {
		err = -ENOMEM;
		goto free;
	}
	SET_NETDEV_DEV(ndev, dev);
	ndev->rtnl_link_ops = &xeth_mux_link_ops;
	mux = netdev_priv(ndev);
	mux->encap = cfg.encap;
	mux->max_ports = cfg.ports;
	memcpy(mux->qsfp_addrs, cfg.qsfp, sizeof(mux->qsfp_addrs));
	/* the mux owns the names from here on */
	mux->flag_names = (void *)cfg.flags;
	mux->n_flag_names = cfg.n_flags;
	mux->stat_names = (void *)cfg.stats;
	mux->n_stat_names = cfg.n_stats;
	cfg.flags = NULL;
	cfg.stats = NULL;
	mux->fw = fw;
	rtnl_lock();
	err = xeth_fw_name_free(dev, cfg.name);
	if (err)
		goto unlock;
	err = xeth_mux_register(ndev);
	if (err) {
		dev_err(dev, "cannot register mux %s (%pe)\n", cfg.name,
			ERR_PTR(err));
		goto unlock;
	}
	fw->ndev = ndev;
	list_add_tail(&fw->node, &xeth_fw_muxes);
	xeth_fw_bind_present(fw);
	rtnl_unlock();
	platform_set_drvdata(pdev, fw);
	dev_info(dev, "%s: %s encap, %u ports, %u lower links named\n",
		 netdev_name(ndev), cfg.encap == XETH_ENCAP_VPLS ? "vpls" : "vlan",
		 cfg.ports, fw->n_macs + fw->n_akas);
	return 0;
unlock:
	rtnl_unlock();
	xeth_mux_free_unregistered(ndev);
free:
	kfree(cfg.flags);
	kfree(cfg.stats);
	return err;
}

/*
 * Unbinding deletes the mux, as ip link del does.  The firmware ports
 * that name it are unbound first (with a netdev or, after an ip link del,
 * without), and then wait for a mux of its name; ports that probe
 * meanwhile wait too.  Others go with the mux.
 */
static void xeth_mux_remove(struct platform_device *pdev)
{
	struct xeth_fw *fw = platform_get_drvdata(pdev), *port;
	struct xeth_fw_waiter *w;
	LIST_HEAD(ports);

	rtnl_lock();
	fw->going = true;
	list_for_each_entry(port, &xeth_fw_ports, bound) {
		w = strcmp(port->mux, fw->mux) ? NULL :
			kzalloc(sizeof(*w), GFP_KERNEL);
		if (!w)
			continue;
		w->dev = get_device(port->dev);
		list_add_tail(&w->node, &ports);
	}
	rtnl_unlock();
	list_for_each_entry(w, &ports, node)
		device_release_driver(w->dev);
	/* listed before the mux goes: a mux of its name that registers
	 * after that finds them
	 */
	mutex_lock(&xeth_fw_waiters_lock);
	list_splice_tail(&ports, &xeth_fw_waiters);
	mutex_unlock(&xeth_fw_waiters_lock);
	rtnl_lock();
	if (fw->ndev)
		xeth_mux_delete(fw->ndev);
	rtnl_unlock();
}

static const struct of_device_id xeth_mux_of_match[] = {
	{ .compatible = "xeth,mux" },
	{ }
};
MODULE_DEVICE_TABLE(of, xeth_mux_of_match);

static struct platform_driver xeth_mux_driver = {
	.probe = xeth_mux_probe,
	/* void remove: .remove_new in 6.1, an alias of .remove in 6.12 */
	.remove_new = xeth_mux_remove,
	.driver = {
		.name = "xeth-mux",
		.of_match_table = xeth_mux_of_match,
	},
};

/* --- xeth,port --------------------------------------------------------- */

static int xeth_port_probe(struct platform_device *pdev)
{
	struct netlink_ext_ack extack = {};
	struct device *dev = &pdev->dev;
	const char *name, *mux_name;
	struct net_device *ndev, *mux_dev;
	u8 mac[ETH_ALEN], bus, txqs, rxqs;
	bool has_mac, not_mux;
	struct xeth_proxy *p;
	struct xeth_fw *fw;
	int err;

	err = xeth_fw_ifname(dev, "name", XETH_FW_PORT_NAME, &name);
	err = err ?: xeth_fw_ifname(dev, "mux", XETH_FW_MUX_NAME, &mux_name);
	err = err ?: xeth_fw_mac(dev, "mac-address", mac, &has_mac);
	err = err ?: xeth_fw_u8(dev, "qsfp-bus", U8_MAX, 0, U8_MAX, &bus);
	err = err ?: xeth_fw_u8(dev, "txqs", 1, 1, U8_MAX, &txqs);
	err = err ?: xeth_fw_u8(dev, "rxqs", 1, 1, U8_MAX, &rxqs);
	if (err)
		return err;
	fw = devm_kzalloc(dev, sizeof(*fw), GFP_KERNEL);
	if (!fw)
		return -ENOMEM;
	fw->dev = dev;
	INIT_LIST_HEAD(&fw->node);
	INIT_LIST_HEAD(&fw->bound);
	strscpy(fw->mux, mux_name, sizeof(fw->mux));
	ndev = alloc_netdev_mqs(sizeof(*p), name, xeth_fw_name_type(name),
				xeth_proxy_setup, txqs, rxqs);
	if (!ndev)
		return -ENOMEM;
	SET_NETDEV_DEV(ndev, dev);
	ndev->rtnl_link_ops = &xeth_port_link_ops;
	if (has_mac) {
		/* the board's address: permanent, as a NIC's */
		eth_hw_addr_set(ndev, mac);
		ndev->addr_assign_type = NET_ADDR_PERM;
	}
	p = netdev_priv(ndev);
	p->fw = fw;
	if (device_property_present(dev, "qsfp-bus"))
		p->qsfp_bus = bus;
	rtnl_lock();
	mux_dev = xeth_fw_find_mux(mux_name, &not_mux);
	if (not_mux) {
		dev_err(dev, "property \"mux\": %s is not an xeth-mux\n",
			mux_name);
		err = -EINVAL;
		goto unlock;
	}
	if (!mux_dev) {
		rtnl_unlock();
		free_netdev(ndev);
		return xeth_fw_wait(dev, mux_name);
	}
	err = xeth_fw_name_free(dev, name);
	if (err)
		goto unlock;
	err = xeth_port_add(ndev, mux_dev, NULL, &extack);
	if (err) {
		dev_err(dev, "cannot add port %s to mux %s: %s (%pe)\n", name,
			mux_name, extack._msg ? extack._msg : "", ERR_PTR(err));
		goto unlock;
	}
	fw->ndev = ndev;
	list_add_tail(&fw->bound, &xeth_fw_ports);
	rtnl_unlock();
	platform_set_drvdata(pdev, fw);
	dev_info(dev, "%s: port of %s, xid %u\n", netdev_name(ndev), mux_name,
		 p->xid);
	return 0;
unlock:
	rtnl_unlock();
	/* a port that failed after registration is freed by its unregistration */
	if (ndev->reg_state == NETREG_UNINITIALIZED)
		free_netdev(ndev);
	return err;
}

/* Unbinding deletes the port and its VLANs, as ip link del does. */
static void xeth_port_remove(struct platform_device *pdev)
{
	struct xeth_fw *fw = platform_get_drvdata(pdev);
	LIST_HEAD(kill);

	rtnl_lock();
	list_del(&fw->bound);
	if (fw->ndev) {
		xeth_proxy_dellink(fw->ndev, &kill);
		unregister_netdevice_many(&kill);
	}
	rtnl_unlock();
}

static const struct of_device_id xeth_port_of_match[] = {
	{ .compatible = "xeth,port" },
	{ }
};
MODULE_DEVICE_TABLE(of, xeth_port_of_match);

static struct platform_driver xeth_port_driver = {
	.probe = xeth_port_probe,
	.remove_new = xeth_port_remove,
	.driver = {
		.name = "xeth-port",
		.of_match_table = xeth_port_of_match,
	},
};

static void xeth_fw_stop_waiting(void)
{
	rtnl_lock();
	WRITE_ONCE(xeth_fw_up, false);
	rtnl_unlock();
	cancel_work_sync(&xeth_fw_attach_work);
}

static void xeth_fw_free_waiters(void)
{
	struct xeth_fw_waiter *w, *tmp;

	mutex_lock(&xeth_fw_waiters_lock);
	list_for_each_entry_safe(w, tmp, &xeth_fw_waiters, node) {
		put_device(w->dev);
		kfree(w);
	}
	INIT_LIST_HEAD(&xeth_fw_waiters);
	mutex_unlock(&xeth_fw_waiters_lock);
}

/* The mux driver first: its devices bind before the ports look for them. */
int xeth_platform_init(void)
{
	int err;

	rtnl_lock();
	WRITE_ONCE(xeth_fw_up, true);
	rtnl_unlock();
	err = platform_driver_register(&xeth_mux_driver);
	if (err)
		goto stop;
	err = platform_driver_register(&xeth_port_driver);
	if (err)
		goto mux;
	return 0;
mux:
	platform_driver_unregister(&xeth_mux_driver);
stop:
	xeth_fw_stop_waiting();
	xeth_fw_free_waiters();
	return err;
}

/* No more attaching; the ports go first, then the muxes with whatever
 * rtnl added to them.
 */
void xeth_platform_exit(void)
{
	xeth_fw_stop_waiting();
	platform_driver_unregister(&xeth_port_driver);
	platform_driver_unregister(&xeth_mux_driver);
	xeth_fw_free_waiters();
}
