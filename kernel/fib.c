// SPDX-License-Identifier: GPL-2.0
/*
 * FIB and neighbour state for the daemon: every route of every table of
 * each namespace that holds a proxy of a mux, and the neighbours of its
 * proxies; live through a FIB notifier per namespace and the netevent
 * chain, and as the DUMP_FIBINFO answer.
 */
#include <linux/inetdevice.h>
#include <net/arp.h>
#include <net/fib_notifier.h>
#include <net/inet_dscp.h>
#include <net/ip6_fib.h>
#include <net/ip_fib.h>
#include <net/ndisc.h>
#include <net/netevent.h>
#include <net/netns/generic.h>
#include <net/nexthop.h>
#include "xeth.h"

/* Every mux, for events that are not about one device. RTNL, RCU. */
static LIST_HEAD(xeth_muxes);

void xeth_fib_add_mux(struct xeth_mux *mux)
{
	list_add_tail_rcu(&mux->node, &xeth_muxes);
}

void xeth_fib_del_mux(struct xeth_mux *mux)
{
	list_del_rcu(&mux->node);
}

/* The namespaces that hold the mux's proxies, counted (RTNL, RCU). */
bool xeth_mux_in_net(struct xeth_mux *mux, const struct net *net)
{
	struct xeth_mux_net *mn;

	list_for_each_entry_rcu(mn, &mux->nets, list)
		if (net_eq(mn->net, net))
			return true;
	return false;
}

static void xeth_sb_netns(struct xeth_mux *mux, struct net *net, u8 kind)
{
	struct xeth_sb_msg *m;

	if (!xeth_sb_live(mux))
		return;
	m = xeth_sb_msg_new(kind, sizeof(struct xeth_msg_netns), GFP_KERNEL);
	if (m)
		((struct xeth_msg_netns *)m->data)->net = xeth_net_id(net);
	xeth_sb_queue(mux, m, false);
}

/* A proxy of the mux entered net; the first one there announces it. */
void xeth_mux_net_get(struct xeth_mux *mux, struct net *net)
{
	struct xeth_mux_net *mn;

	list_for_each_entry(mn, &mux->nets, list)
		if (net_eq(mn->net, net)) {
			mn->proxies++;
			return;
		}
	mn = kzalloc(sizeof(*mn), GFP_KERNEL);
	if (!mn) {
		/* the daemon would miss this namespace: make it resync */
		xeth_sb_resync(mux);
		return;
	}
	mn->net = net;
	mn->proxies = 1;
	list_add_tail_rcu(&mn->list, &mux->nets);
	xeth_sb_netns(mux, net, XETH_MSG_KIND_NETNS_ADD);
}

/* A proxy of the mux left net; the last one there withdraws it. */
void xeth_mux_net_put(struct xeth_mux *mux, struct net *net)
{
	struct xeth_mux_net *mn;

	list_for_each_entry(mn, &mux->nets, list)
		if (net_eq(mn->net, net)) {
			if (--mn->proxies)
				return;
			list_del_rcu(&mn->list);
			kfree_rcu(mn, rcu);
			xeth_sb_netns(mux, net, XETH_MSG_KIND_NETNS_DEL);
			/* the daemon forgets its routes: they are not offloaded */
			xeth_fo_forget_net(mux, net);
			return;
		}
}

static struct xeth_sb_msg *xeth_msg_fib4(struct net *net, unsigned long event,
					 const struct fib_entry_notifier_info *info)
{
	struct fib_info *fi = info->fi;
	unsigned int i, n = fib_info_num_path(fi);
	struct xeth_msg_fibentry *msg;
	struct xeth_sb_msg *m;

	n = min_t(unsigned int, n, U8_MAX);
	/* room for a cookie (fib-offload), which xeth_fo_note() adds */
	m = xeth_sb_msg_new(XETH_MSG_KIND_FIBENTRY, struct_size(msg, nh, n) +
			    sizeof(struct xeth_fib_cookie), GFP_ATOMIC);
	if (!m)
		return NULL;
	m->len = struct_size(msg, nh, n);
	msg = (struct xeth_msg_fibentry *)m->data;
	msg->net = xeth_net_id(net);
	msg->address = htonl(info->dst);
	msg->mask = info->dst_len ? htonl(~0U << (32 - info->dst_len)) : 0;
	msg->event = event;
	msg->nhs = n;
	msg->tos = inet_dscp_to_dsfield(info->dscp);
	msg->type = info->type;
	msg->table = info->tb_id;
	for (i = 0; i < n; i++) {
		struct fib_nh_common *nhc = fib_info_nhc(fi, i);

		msg->nh[i].weight = nhc->nhc_weight;
		msg->nh[i].flags = nhc->nhc_flags;
		msg->nh[i].scope = nhc->nhc_scope;
		/* An IPv6 gateway cannot be told: rather than a connected
		 * route out of the device, a hop through no proxy (uapi).
		 */
		if (nhc->nhc_gw_family == AF_INET6) {
			msg->nh[i].flags |= XETH_NH_F_GW_INET6;
			continue;
		}
		msg->nh[i].ifindex = nhc->nhc_dev ? nhc->nhc_dev->ifindex : 0;
		if (nhc->nhc_gw_family == AF_INET)
			msg->nh[i].gw = nhc->nhc_gw.ipv4;
	}
	return m;
}

static void xeth_nh6(struct xeth_next_hop6 *nh, const struct fib6_nh *f6nh)
{
	const struct fib_nh_common *nhc;

	/* a group member that is no IPv6 next hop: a hop through nothing */
	if (!f6nh)
		return;
	nhc = &f6nh->nh_common;
	nh->ifindex = nhc->nhc_dev ? nhc->nhc_dev->ifindex : 0;
	nh->weight = nhc->nhc_weight;
	nh->flags = nhc->nhc_flags;
	if (nhc->nhc_gw_family == AF_INET6)
		memcpy(nh->gw, &nhc->nhc_gw.ipv6, sizeof(nh->gw));
}

/* Fills a route's hops from its nexthop object, one per path. */
struct xeth_nh6_fill {
	struct xeth_msg_fib6entry *msg;
	unsigned int i, n;
};

static int xeth_nh6_fill_one(struct fib6_nh *f6nh, void *arg)
{
	struct xeth_nh6_fill *f = arg;

	if (f->i > f->n)
		return 1;
	xeth_nh6(f->i ? &f->msg->siblings[f->i - 1] : &f->msg->nh, f6nh);
	f->i++;
	return 0;
}

/*
 * Called with the route's table locked, so its siblings hold still.  A
 * route whose hops are its own (ip route add ... nexthop ... nexthop)
 * comes with its siblings; one that uses a nexthop object (ip nexthop,
 * as FRR's zebra installs its routes) has one path per member of the
 * object's group, told as the hop and its siblings alike.
 */
static struct xeth_sb_msg *xeth_msg_fib6(struct net *net, unsigned long event,
					 const struct fib6_entry_notifier_info *info)
{
	struct fib6_info *rt = info->rt, *sib;
	unsigned int i = 0, n = info->nsiblings;
	struct xeth_msg_fib6entry *msg;
	struct xeth_sb_msg *m;

	if (rt->nh)
		n = nexthop_num_path(rt->nh) - 1;
	n = min_t(unsigned int, n, U8_MAX);
	/* room for a cookie, as above */
	m = xeth_sb_msg_new(XETH_MSG_KIND_FIB6ENTRY,
			    struct_size(msg, siblings, n) +
			    sizeof(struct xeth_fib_cookie), GFP_ATOMIC);
	if (!m)
		return NULL;
	msg = (struct xeth_msg_fib6entry *)m->data;
	msg->net = xeth_net_id(net);
	memcpy(msg->address, &rt->fib6_dst.addr, sizeof(msg->address));
	msg->length = rt->fib6_dst.plen;
	msg->event = event;
	msg->type = rt->fib6_type;
	msg->table = rt->fib6_table ? rt->fib6_table->tb6_id : 0;
	if (rt->nh) {
		struct xeth_nh6_fill f = { .msg = msg, .n = n };

		nexthop_for_each_fib6_nh(rt->nh, xeth_nh6_fill_one, &f);
		i = f.i ? f.i - 1 : 0;
	} else {
		xeth_nh6(&msg->nh, rt->fib6_nh);
		if (n)
			list_for_each_entry(sib, &rt->fib6_siblings,
					    fib6_siblings) {
				if (i == n)
					break;
				xeth_nh6(&msg->siblings[i++], sib->fib6_nh);
			}
	}
	msg->nsiblings = i;
	m->len = struct_size(msg, siblings, i);
	return m;
}

static bool xeth_fib_event_sent(unsigned long event)
{
	return event == FIB_EVENT_ENTRY_REPLACE ||
	       event == FIB_EVENT_ENTRY_APPEND ||
	       event == FIB_EVENT_ENTRY_ADD || event == FIB_EVENT_ENTRY_DEL;
}

static struct xeth_sb_msg *xeth_msg_fib(struct net *net, unsigned long event,
					const struct fib_notifier_info *info)
{
	if (info->family == AF_INET)
		return xeth_msg_fib4(net, event, container_of(info,
			struct fib_entry_notifier_info, info));
	if (info->family == AF_INET6)
		return xeth_msg_fib6(net, event, container_of(info,
			struct fib6_entry_notifier_info, info));
	return NULL;
}

struct xeth_net {
	struct net *net;
	struct notifier_block fib_nb;
};

static unsigned int xeth_net_gen_id;

/*
 * Live routes: to each live mux with a proxy in the namespace.  A mux
 * that records routes (fib-offload) follows the others too, which it
 * holds nothing of.
 */
static int xeth_fib_event(struct notifier_block *nb, unsigned long event,
			  void *ptr)
{
	struct xeth_net *xn = container_of(nb, struct xeth_net, fib_nb);
	const struct fib_notifier_info *info = ptr;
	struct xeth_mux *mux;
	bool tell;

	if (!xeth_fib_event_sent(event) ||
	    (info->family != AF_INET && info->family != AF_INET6))
		return NOTIFY_DONE;
	rcu_read_lock();
	list_for_each_entry_rcu(mux, &xeth_muxes, node) {
		tell = xeth_sb_live(mux) && xeth_mux_in_net(mux, xn->net);
		if (tell || xeth_fo_on(mux))
			xeth_fo_note(mux, xn->net, event, info,
				     tell ? xeth_msg_fib(xn->net, event, info) :
				     NULL, tell, false);
	}
	rcu_read_unlock();
	return NOTIFY_DONE;
}

static int __net_init xeth_net_init(struct net *net)
{
	struct xeth_net *xn = net_generic(net, xeth_net_gen_id);

	xn->net = net;
	xn->fib_nb.notifier_call = xeth_fib_event;
	return register_fib_notifier(net, &xn->fib_nb, NULL, NULL);
}

/*
 * Runs before the FIB's own exit (registered later, it exits earlier), so
 * the routes recorded for fib-offload are dropped while that FIB is whole.
 */
static void __net_exit xeth_net_exit(struct net *net)
{
	struct xeth_net *xn = net_generic(net, xeth_net_gen_id);
	struct xeth_mux *mux;

	unregister_fib_notifier(net, &xn->fib_nb);
	/* no dump records it any more either: they take the net first */
	rtnl_lock();
	list_for_each_entry(mux, &xeth_muxes, node)
		xeth_fo_forget_net(mux, net);
	rtnl_unlock();
}

static struct pernet_operations xeth_net_ops = {
	.init = xeth_net_init,
	.exit = xeth_net_exit,
	.id = &xeth_net_gen_id,
	.size = sizeof(struct xeth_net),
};

static struct xeth_sb_msg *xeth_msg_neigh(struct neighbour *n, gfp_t gfp)
{
	struct xeth_msg_neigh_update *msg;
	struct xeth_sb_msg *m;
	unsigned int len = n->tbl->key_len;

	m = xeth_sb_msg_new(XETH_MSG_KIND_NEIGH_UPDATE, sizeof(*msg), gfp);
	if (!m)
		return NULL;
	msg = (struct xeth_msg_neigh_update *)m->data;
	msg->net = xeth_net_id(dev_net(n->dev));
	msg->ifindex = n->dev->ifindex;
	msg->family = n->tbl->family;
	msg->len = min_t(unsigned int, len, sizeof(msg->dst));
	memcpy(msg->dst, n->primary_key, msg->len);
	read_lock_bh(&n->lock);
	/*
	 * All zero: the entry is not valid, which the daemon deletes.  So is
	 * a dead one: a flush (carrier loss, link down) leaves an entry that
	 * is still referenced NUD_NOARP, valid by its state, as it goes.
	 */
	if ((n->nud_state & NUD_VALID) && !n->dead)
		memcpy(msg->lladdr, n->ha, sizeof(msg->lladdr));
	read_unlock_bh(&n->lock);
	return m;
}

static int xeth_netevent(struct notifier_block *nb, unsigned long event,
			 void *ptr)
{
	struct neighbour *n = ptr;
	struct xeth_proxy *p;

	if (event != NETEVENT_NEIGH_UPDATE)
		return NOTIFY_DONE;
	if (n->tbl != &arp_tbl && n->tbl != &nd_tbl)
		return NOTIFY_DONE;
	p = xeth_proxy_of(n->dev);
	if (p && xeth_sb_live(p->mux))
		xeth_sb_queue(p->mux, xeth_msg_neigh(n, GFP_ATOMIC), false);
	return NOTIFY_DONE;
}

static struct notifier_block xeth_netevent_nb = {
	.notifier_call = xeth_netevent,
};

/* A throw-away FIB notifier whose registration replays a namespace's
 * routes for one mux's dump.
 */
struct xeth_fib_dump {
	struct notifier_block nb;
	struct xeth_mux *mux;
	struct net *net;
};

static int xeth_fib_dump_event(struct notifier_block *nb, unsigned long event,
			       void *ptr)
{
	struct xeth_fib_dump *d = container_of(nb, struct xeth_fib_dump, nb);
	const struct fib_notifier_info *info = ptr;

	if (xeth_fib_event_sent(event) &&
	    (info->family == AF_INET || info->family == AF_INET6))
		xeth_fo_note(d->mux, d->net, event, info,
			     xeth_msg_fib(d->net, event, info), true, true);
	return NOTIFY_DONE;
}

struct xeth_neigh_dump {
	struct xeth_mux *mux;
};

static void xeth_neigh_dump_one(struct neighbour *n, void *cookie)
{
	struct xeth_neigh_dump *d = cookie;
	struct xeth_proxy *p = xeth_proxy_of(n->dev);

	if (p && p->mux == d->mux && (n->nud_state & NUD_VALID))
		xeth_sb_queue(d->mux, xeth_msg_neigh(n, GFP_ATOMIC), true);
}

/*
 * The answer to DUMP_FIBINFO: NETNS_ADD, every route (REPLACE) of each
 * namespace that holds a proxy, the proxies' neighbours, BREAK.
 */
void xeth_sb_dump_fibinfo(struct xeth_mux *mux)
{
	struct xeth_neigh_dump nd = { .mux = mux };
	struct xeth_fib_dump d = {
		.nb.notifier_call = xeth_fib_dump_event,
		.mux = mux,
	};
	struct xeth_mux_net *mn;
	unsigned int n = 0, i;
	struct xeth_sb_msg *m;
	struct net **nets;

	rtnl_lock();
	list_for_each_entry(mn, &mux->nets, list)
		n++;
	nets = kcalloc(n, sizeof(*nets), GFP_KERNEL);
	if (!nets) {
		rtnl_unlock();
		/* no dump without every namespace: make the daemon retry */
		xeth_sb_resync(mux);
		return;
	}
	n = 0;
	/* a namespace on its way out (its proxies not gone yet) is not */
	list_for_each_entry(mn, &mux->nets, list)
		if (maybe_get_net(mn->net))
			nets[n++] = mn->net;
	rtnl_unlock();
	for (i = 0; i < n; i++) {
		m = xeth_sb_msg_new(XETH_MSG_KIND_NETNS_ADD,
				    sizeof(struct xeth_msg_netns), GFP_KERNEL);
		if (m)
			((struct xeth_msg_netns *)m->data)->net =
				xeth_net_id(nets[i]);
		xeth_sb_queue(mux, m, true);
		d.net = nets[i];
		/* The FIB core gives up (-EBUSY) when routes keep changing
		 * under its walk; an incomplete dump must not end in BREAK.
		 */
		if (!register_fib_notifier(nets[i], &d.nb, NULL, NULL)) {
			unregister_fib_notifier(nets[i], &d.nb);
		} else {
			net_info_ratelimited("%s: side-band: the FIB changed during the dump; the daemon resyncs\n",
					     netdev_name(mux->dev));
			xeth_sb_resync(mux);
		}
		put_net(nets[i]);
	}
	kfree(nets);
	neigh_for_each(&arp_tbl, xeth_neigh_dump_one, &nd);
	neigh_for_each(&nd_tbl, xeth_neigh_dump_one, &nd);
	xeth_sb_queue(mux, xeth_sb_msg_new(XETH_MSG_KIND_BREAK,
					   sizeof(struct xeth_msg), GFP_KERNEL),
		      true);
}

int xeth_fib_init(void)
{
	int err = register_pernet_subsys(&xeth_net_ops);

	if (err)
		return err;
	err = register_netevent_notifier(&xeth_netevent_nb);
	if (err)
		unregister_pernet_subsys(&xeth_net_ops);
	return err;
}

void xeth_fib_exit(void)
{
	unregister_netevent_notifier(&xeth_netevent_nb);
	unregister_pernet_subsys(&xeth_net_ops);
}
