/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xeth private API: the only header shared between the module's files.
 *
 * Locking: the mux's proxy list, its lower links and every upper/lower
 * relation change under RTNL.  The data path finds proxies by xid in the
 * mux's xarray and the lower links through an RCU-published array, so it
 * takes no lock.
 */
#ifndef __XETH_H
#define __XETH_H

#include <linux/netdevice.h>
#include <linux/xarray.h>
#include <linux/ethtool.h>
#include <linux/in6.h>
#include <linux/rhashtable-types.h>
#include <net/rtnetlink.h>
#include <linux/xeth.h>

#define XETH_MUX_MAX_LOWERS	8
/* port private flags: a u32 bitmap (ETHTOOL_FLAGS, ethtool priv flags) */
#define XETH_MAX_PRIV_FLAGS	32
/* ports a mux may be given (firmware "ports"): the xids of vlan encap */
#define XETH_MUX_MAX_PORTS	4094

/* Mux counters, shown by ethtool -S <mux>; order is that of the names. */
enum xeth_mux_counter {
	XETH_MUX_TX_TO_LOWER,	/* proxy frames sent out of a lower link */
	XETH_MUX_TX_TO_DAEMON,	/* link-less proxy frames given to taps */
	XETH_MUX_RX_FROM_LOWER,	/* frames demuxed from a lower link */
	XETH_MUX_EXCEPTIONS,	/* marked frames from the daemon */
	XETH_MUX_DAEMON_TO_LOWER, /* unmarked raw-socket frames forwarded */
	XETH_MUX_RX_NOHANDLER,	/* no proxy has the frame's xid */
	XETH_MUX_RX_PROXY_DOWN,	/* the proxy is admin-down */
	XETH_MUX_RX_BAD_ENCAP,	/* frames without a valid tag/label stack */
	XETH_MUX_TX_NO_PATH,	/* unmarked frames with no lower to go to */
	XETH_MUX_TX_ENCAP_ERRORS, /* proxy frames that could not be tagged */
	XETH_MUX_N_COUNTERS,
};

struct xeth_mux_stats {
	u64 count[XETH_MUX_N_COUNTERS];
	struct u64_stats_sync syncp;
};

/* Side-band counters, after the mux counters in ethtool -S <mux>. */
enum xeth_sb_counter {
	XETH_SB_TX_MSGS,	/* messages sent to the daemon */
	XETH_SB_RX_MSGS,	/* messages received from it */
	XETH_SB_RX_INVALID,	/* malformed, unknown kind or xid: ignored */
	XETH_SB_CONNECTS,	/* daemons accepted */
	XETH_SB_REFUSED,	/* peers without CAP_NET_ADMIN */
	XETH_SB_REPLACED,	/* connections replaced by a newer one */
	XETH_SB_RESYNCS,	/* queue overruns closed the connection */
	XETH_SB_CARRIER_DROPS,	/* carrier holds that ran out: ports down */
	XETH_SB_FIB_RESULTS,	/* FIB_OFFLOAD results applied to a route */
	XETH_SB_FIB_STALE,	/* results for a route's older version */
	XETH_SB_FIB_NOMEM,	/* routes that could not be recorded: resync */
	XETH_SB_N_COUNTERS,
};

struct xeth_sb_msg {
	struct list_head list;
	size_t len;
	bool dump;			/* part of a dump answer: not bounded */
	u8 data[] __aligned(8);
};

/* struct xeth_sb - the mux's side-band server */
struct xeth_sb {
	struct mutex lock;		/* listener, conn, live */
	struct socket *listener;
	struct socket *conn;
	/* on the sockets' wait queues: what wakes the work */
	struct wait_queue_entry listener_wait;
	struct wait_queue_entry conn_wait;
	struct work_struct work;
	/* drops the ports' carrier when no daemon came back in time */
	struct delayed_work carrier_hold;
	spinlock_t txq_lock;		/* txq, its lengths, overrun, connected */
	struct list_head txq;
	unsigned int txq_len;		/* every queued message */
	unsigned int live_len;		/* queued live events: the bound */
	unsigned int txq_high;		/* of live_len, this connection */
	bool overrun;
	/* a connection to queue for: a dump that outlives the connection
	 * that asked for it (the mux went down while the dump waited for
	 * RTNL) queues nothing and turns on no live events
	 */
	bool connected;
	bool live;			/* a daemon dumped: stream events */
	u64 ext;			/* XETH_EXT_* the daemon enabled */
	atomic64_t count[XETH_SB_N_COUNTERS];
};

/*
 * struct xeth_fo - what the daemon's switch holds of each route, for the
 * route flags (XETH_EXT_FIB_OFFLOAD; offload.c).  One record per route
 * key the daemon was told of, with references on the route and the
 * cookie of its latest version.  A record leaves the table when its
 * route changes or goes, or when the connection ends, for the dead list,
 * where it is unflagged and freed under the mutex; so whoever holds the
 * mutex may use a record it found in the table after dropping the lock.
 */
struct xeth_fo {
	struct mutex mutex;		/* the flag setters; freeing records */
	spinlock_t lock;		/* on, cookie, table, records, dead */
	struct rhashtable table;	/* struct xeth_fo_rec by key */
	bool ready;			/* table initialized */
	bool on;			/* this connection enabled it */
	u64 cookie;			/* the last one given */
	unsigned int n;			/* records in the table */
	struct list_head records;	/* those in the table */
	struct list_head dead;		/* out of it, to unflag and free */
	struct work_struct reap;	/* of the dead, when nobody else does */
};

struct xeth_lowers {
	struct rcu_head rcu;
	unsigned int n;
	struct net_device *dev[XETH_MUX_MAX_LOWERS];
};

/* A namespace that holds proxies of a mux, and how many. */
struct xeth_mux_net {
	struct list_head list;
	struct rcu_head rcu;
	struct net *net;
	unsigned int proxies;
};

/*
 * struct xeth_fw - a mux or port that firmware describes (platform.c); the
 * platform device's driver data.  NULL in rtnl-made devices.
 */
struct xeth_fw {
	struct device *dev;		/* the platform device */
	struct net_device *ndev;	/* NULL once unregistered, RTNL */
	struct list_head node;		/* muxes: platform.c's list, RTNL */
	bool going;			/* muxes: being unbound, RTNL */
	struct list_head bound;		/* ports: bound ones, RTNL */
	char mux[IFNAMSIZ];		/* the mux's name, from firmware */
	/* muxes: lower links to bind when they appear */
	unsigned int n_macs;
	unsigned int n_akas;
	u8 macs[XETH_MUX_MAX_LOWERS][ETH_ALEN];
	char akas[XETH_MUX_MAX_LOWERS][IFNAMSIZ];
};

/* struct xeth_mux - private data of an xeth-mux netdev */
struct xeth_mux {
	struct net_device *dev;
	struct list_head node;		/* in the list of muxes */
	struct list_head nets;		/* struct xeth_mux_net, RTNL, RCU */
	u8 encap;			/* enum xeth_encap */
	struct xarray proxies;		/* xid -> struct xeth_proxy */
	struct list_head proxy_list;	/* every proxy, RTNL */
	struct xeth_lowers __rcu *lowers;
	struct xeth_mux_stats __percpu *stats;
	struct xeth_sb sb;
	struct xeth_fo fo;
	/* names of the ports' ethtool stats (ETHTOOL_STAT index), RTNL */
	char (*stat_names)[ETH_GSTRING_LEN];
	unsigned int n_stat_names;
	/* names of the ports' private flags (ETHTOOL_FLAGS bits), RTNL */
	char (*flag_names)[ETH_GSTRING_LEN];
	unsigned int n_flag_names;
	unsigned int max_ports;		/* 0: no limit (rtnl muxes) */
	unsigned int n_ports;		/* RTNL */
	u8 qsfp_addrs[2];		/* I2C addresses of the ports' modules */
	struct xeth_fw *fw;
};

/* struct xeth_proxy - private data shared by every proxy kind */
struct xeth_proxy {
	struct net_device *dev;
	struct xeth_mux *mux;
	struct net_device *lower;	/* the device given with "link" */
	struct net_device *master;	/* an xeth lag or bridge, or NULL */
	struct list_head list;		/* in mux->proxy_list */
	u32 xid;
	u8 kind;			/* enum xeth_dev_kind */
	u8 channel;			/* loopback */
	u16 vid;			/* vlan */
	bool dying;			/* queued for unregistration */
	bool registered;		/* NETDEV_REGISTER seen once */
	/* relayed by SWITCHD: absolute counts, link speed */
	u32 speed;			/* Mb/s, ports */
	/* set with ethtool -s on a port, told to the daemon */
	__ETHTOOL_DECLARE_LINK_MODE_MASK(advertising);
	u32 cfg_speed;
	u8 cfg_duplex;
	u8 autoneg;
	unsigned long link_stats_set;	/* bit per XETH_LINK_STAT_* given */
	u64 link_stats[XETH_N_LINK_STATS];
	u64 *ethtool_stats;		/* ports: XETH_MAX_ETHTOOL_STATS */
	u32 priv_flags;			/* ports: ethtool priv flags, RTNL */
	s16 qsfp_bus;			/* ports: I2C bus of the module, or -1 */
	struct xeth_fw *fw;
};

extern struct rtnl_link_ops xeth_mux_link_ops;
extern struct rtnl_link_ops xeth_port_link_ops;
extern struct rtnl_link_ops xeth_vlan_link_ops;
extern struct rtnl_link_ops xeth_lag_link_ops;
extern struct rtnl_link_ops xeth_bridge_link_ops;
extern struct rtnl_link_ops xeth_loopback_link_ops;
extern const struct ethtool_ops xeth_mux_ethtool_ops;
extern const struct ethtool_ops xeth_proxy_ethtool_ops;

static inline bool xeth_is_mux(const struct net_device *dev)
{
	return dev->rtnl_link_ops == &xeth_mux_link_ops;
}

bool xeth_is_proxy(const struct net_device *dev);

static inline struct xeth_proxy *xeth_proxy_of(const struct net_device *dev)
{
	return xeth_is_proxy(dev) ? netdev_priv(dev) : NULL;
}

static inline bool xeth_proxy_is(const struct net_device *dev, u8 kind)
{
	const struct xeth_proxy *p = xeth_proxy_of(dev);

	return p && p->kind == kind;
}

/*
 * The mux and the proxies transmit by queueing to a lower link: like
 * vlan and macvlan they need no transmit lock of their own (their
 * counters are per cpu), and must not hold one, for the lower's is of
 * the same lockdep class (_xmit_ETHER) and lockdep reports the nesting
 * as recursive locking. 6.12 made lockless transmit a field of the
 * device (dev->lltx) instead of a feature bit.
 */
static inline void xeth_set_lltx(struct net_device *dev)
{
#ifdef NETIF_F_LLTX
	dev->features |= NETIF_F_LLTX;
#else
	dev->lltx = true;
#endif
}

/*
 * NL_SET_ERR_MSG*() take string literals only; this passes a message
 * (which must be static, as literals are) through a helper.
 */
static inline void xeth_extack(struct netlink_ext_ack *extack,
			       const struct nlattr *attr, const char *msg)
{
	if (extack) {
		extack->_msg = msg;
		extack->bad_attr = attr;
	}
}

/* mux.c */
struct xeth_mux *xeth_mux_of(const struct net_device *dev);
struct xeth_mux *xeth_mux_of_lower(const struct net_device *dev);
void xeth_mux_count(struct xeth_mux *mux, enum xeth_mux_counter c);
void xeth_mux_xmit_proxy_frame(struct xeth_mux *mux, struct sk_buff *skb,
			       u32 hash);
int xeth_mux_add_lower(struct net_device *mux_dev, struct net_device *lower,
		       struct netlink_ext_ack *extack);
void xeth_mux_del_lower(struct net_device *mux_dev, struct net_device *lower);
int xeth_mux_add_proxy(struct xeth_mux *mux, struct xeth_proxy *p,
		       struct netlink_ext_ack *extack);
void xeth_mux_del_proxy(struct xeth_mux *mux, struct xeth_proxy *p);
u32 xeth_mux_alloc_port_xid(struct xeth_mux *mux);
u32 xeth_mux_alloc_aux_xid(struct xeth_mux *mux);
bool xeth_mux_xid_valid(const struct xeth_mux *mux, u32 xid);
void xeth_mux_setup(struct net_device *dev);
int xeth_mux_register(struct net_device *dev);
void xeth_mux_free_unregistered(struct net_device *dev);
void xeth_mux_delete(struct net_device *dev);

/* port.c */
int xeth_port_add(struct net_device *dev, struct net_device *mux_dev,
		  const struct nlattr *xid_attr,
		  struct netlink_ext_ack *extack);

/* encap.c */
struct xeth_demux {
	u32 xid;
	u8 priority;
	bool exception;
	unsigned int hlen;	/* bytes of tags/labels to remove */
};

struct sk_buff *xeth_encap_push(struct sk_buff *skb, u8 encap,
				const struct xeth_proxy *p);
int xeth_encap_parse(struct sk_buff *skb, u8 encap, struct xeth_demux *d);
int xeth_encap_strip(struct sk_buff *skb, u8 encap,
		     const struct xeth_demux *d);
unsigned int xeth_encap_overhead(u8 encap, u8 kind);

/* proxy.c */
void xeth_proxy_setup(struct net_device *dev);
int xeth_validate_addr(struct nlattr *tb[], struct netlink_ext_ack *extack);
int xeth_proxy_validate(struct nlattr *tb[], struct nlattr *data[],
			struct netlink_ext_ack *extack);
int xeth_proxy_changelink(const struct nlattr *attr, u32 now, const char *msg,
			  struct netlink_ext_ack *extack);
struct net_device *xeth_proxy_link_mux(struct net *net, struct nlattr *tb[],
				       struct xeth_proxy *p,
				       const char *missing, const char *not_mux,
				       struct netlink_ext_ack *extack);
int xeth_proxy_register(struct net_device *dev, struct xeth_proxy *p,
			struct net_device *lower, u8 kind,
			struct netlink_ext_ack *extack);
void xeth_proxy_dellink(struct net_device *dev, struct list_head *head);
void xeth_proxy_receive(struct xeth_proxy *p, struct sk_buff *skb, u8 prio);
struct net_device *xeth_proxy_lower_dev(struct net *net, struct nlattr *tb[],
					const char *kind,
					struct netlink_ext_ack *extack);

/* upper.c: lag and bridge membership */
int xeth_upper_add_member(struct net_device *upper, struct net_device *member,
			  struct netlink_ext_ack *extack);
void xeth_upper_del_member(struct net_device *upper,
			   struct net_device *member);
void xeth_upper_release_members(struct net_device *upper);
void xeth_upper_update_carrier(struct net_device *upper);

/* sideband.c: transport */
extern unsigned int xeth_sb_txq_max;
extern unsigned int xeth_sb_carrier_hold_ms;
void xeth_sb_init(struct xeth_mux *mux);
int xeth_sb_start(struct xeth_mux *mux);
void xeth_sb_stop(struct xeth_mux *mux);
int xeth_sb_rename(struct xeth_mux *mux);
void xeth_sb_destroy(struct xeth_mux *mux);
struct xeth_sb_msg *xeth_sb_msg_new(u8 kind, size_t len, gfp_t gfp);
void xeth_sb_queue(struct xeth_mux *mux, struct xeth_sb_msg *m, bool dump);
bool xeth_sb_live(const struct xeth_mux *mux);
void xeth_sb_go_live(struct xeth_mux *mux);
void xeth_sb_resync(struct xeth_mux *mux);
void xeth_sb_enable_ext(struct xeth_mux *mux, u64 ext);
int xeth_wq_init(void);
void xeth_wq_exit(void);

/* sbmsg.c: what the kernel tells the daemon */
u64 xeth_net_id(const struct net *net);
void xeth_sb_ifinfo(struct xeth_proxy *p, u8 reason);
void xeth_sb_upper(struct xeth_proxy *upper, struct xeth_proxy *lower,
		   bool linking);
void xeth_sb_ifa(struct xeth_proxy *p, __be32 addr, __be32 mask, u32 event);
void xeth_sb_ifa6(struct xeth_proxy *p, const struct in6_addr *addr,
		  u8 len, u32 event);
void xeth_sb_dump_ifinfo(struct xeth_mux *mux);
void xeth_sb_port_settings(struct xeth_proxy *p);
void xeth_sb_port_flags(struct xeth_proxy *p);

/* fib.c: routes, neighbours and namespaces */
void xeth_sb_dump_fibinfo(struct xeth_mux *mux);
void xeth_fib_add_mux(struct xeth_mux *mux);
void xeth_fib_del_mux(struct xeth_mux *mux);
bool xeth_mux_in_net(struct xeth_mux *mux, const struct net *net);
void xeth_mux_net_get(struct xeth_mux *mux, struct net *net);
void xeth_mux_net_put(struct xeth_mux *mux, struct net *net);
int xeth_fib_init(void);
void xeth_fib_exit(void);

/* offload.c: route flags from the daemon's results (fib-offload) */
struct fib_notifier_info;
void xeth_fo_setup(struct xeth_mux *mux);
int xeth_fo_init(struct xeth_mux *mux);
void xeth_fo_destroy(struct xeth_mux *mux);
void xeth_fo_enable(struct xeth_mux *mux, bool on);
bool xeth_fo_on(const struct xeth_mux *mux);
void xeth_fo_uninit(struct xeth_mux *mux);
void xeth_fo_note(struct xeth_mux *mux, struct net *net, unsigned long event,
		  const struct fib_notifier_info *info, struct xeth_sb_msg *m,
		  bool tell, bool dump);
void xeth_fo_forget_net(struct xeth_mux *mux, struct net *net);
void xeth_fo_results(struct xeth_mux *mux,
		     const struct xeth_msg_fib_offload *msg);

/* relay.c: what the daemon tells the kernel */
void xeth_relay(struct xeth_mux *mux, const u8 *buf, size_t len);
void xeth_relay_invalid(struct xeth_mux *mux, const char *why, u32 v);
void xeth_relay_reset(struct xeth_mux *mux);
void xeth_relay_carrier_off(struct xeth_mux *mux);
int xeth_relay_set_stat_names(struct xeth_mux *mux, const char *buf,
			      size_t len);
int xeth_relay_set_flag_names(struct xeth_mux *mux, const char *buf,
			      size_t len);
extern const struct attribute_group xeth_mux_sysfs_group;

/* notify.c */
int xeth_notify_init(void);
void xeth_notify_exit(void);

/* platform.c: muxes and ports that firmware (DT, ACPI) describes */
int xeth_platform_init(void);
void xeth_platform_exit(void);
void xeth_platform_forget(struct xeth_fw *fw);
void xeth_platform_lower_event(struct net_device *dev);
void xeth_platform_mux_event(void);
unsigned int xeth_platform_kept_rooms(struct net_device *mux_dev);

#endif /* __XETH_H */
