// SPDX-License-Identifier: GPL-2.0
/*
 * fib-offload (XETH_EXT_FIB_OFFLOAD): the daemon reports what its switch
 * holds of each route it was told of, and the route's flags show it
 * (ip route: offload, trap, offload_failed).
 *
 * Each FIBENTRY or FIB6ENTRY sent with the extension on carries a new
 * cookie.  The record of the route's key keeps the latest one, with
 * references on the route as it was told: an IPv4 alias is found again by
 * its fib_info, table, prefix, dscp and type; an IPv6 route is its
 * fib6_info and those of its siblings, each with its own flags.  A result
 * is applied only with the latest cookie, so never to a route the daemon
 * did not program.
 *
 * The FIB notifiers call in atomic context (IPv6 with the table locked):
 * records change under a spinlock and allocate with GFP_ATOMIC.  The flag
 * setters want process context (IPv6 allocates with GFP_KERNEL): they run
 * under the mutex, in the side-band work (results), the reap work, and
 * where records are dropped wholesale (the connection or the extension
 * ends, the mux leaves a namespace, a namespace goes).  A record that
 * leaves the table goes to the dead list and is only unflagged and freed
 * under the mutex, so a holder of the mutex may use a record it found in
 * the table after dropping the spinlock.
 *
 * A namespace's records are dropped by the module's pernet exit, which
 * runs before the FIB's own (it was registered later) and waits for the
 * mutex: no reference outlives the FIB it came from, and the setters are
 * never called for a namespace whose count reached zero.
 */
#include <linux/rhashtable.h>
#include <net/fib_notifier.h>
#include <net/inet_dscp.h>
#include <net/ip6_fib.h>
#include <net/ip_fib.h>
#include "xeth.h"

/* The key of a route, as FIBENTRY and FIB6ENTRY name it; no padding. */
struct xeth_fo_key {
	u64 net;		/* xeth_net_id() */
	u32 table;
	u8 family;
	u8 len;
	u8 pad[2];
	u8 addr[16];		/* IPv4: the first 4 bytes, network order */
};

struct xeth_fo_rec {
	struct rhash_head node;
	struct list_head list;		/* fo->records or fo->dead */
	struct xeth_fo_key key;
	struct net *net;
	u64 cookie;			/* of the latest version told */
	u8 result;			/* enum xeth_fib_offload_result set */
	/* IPv4: the alias that was told */
	struct fib_info *fi;
	dscp_t dscp;
	u8 type;
	/* IPv6: the route and its siblings */
	unsigned int n6;
	struct fib6_info *rt6[];
};

static const struct rhashtable_params xeth_fo_params = {
	.key_len = sizeof(struct xeth_fo_key),
	.key_offset = offsetof(struct xeth_fo_rec, key),
	.head_offset = offsetof(struct xeth_fo_rec, node),
	.automatic_shrinking = true,
};

/* Records dropped per hold of the spinlock when all of them go. */
#define XETH_FO_BATCH	1024

static const struct fib_entry_notifier_info *
xeth_fo_info4(const struct fib_notifier_info *info)
{
	return container_of(info, struct fib_entry_notifier_info, info);
}

static const struct fib6_entry_notifier_info *
xeth_fo_info6(const struct fib_notifier_info *info)
{
	return container_of(info, struct fib6_entry_notifier_info, info);
}

static void xeth_fo_key_of(struct xeth_fo_key *k, struct net *net,
			   const struct fib_notifier_info *info)
{
	memset(k, 0, sizeof(*k));
	k->net = xeth_net_id(net);
	k->family = info->family;
	if (info->family == AF_INET) {
		const struct fib_entry_notifier_info *e = xeth_fo_info4(info);
		__be32 dst = htonl(e->dst);

		k->table = e->tb_id;
		k->len = e->dst_len;
		memcpy(k->addr, &dst, sizeof(dst));
	} else {
		const struct fib6_info *rt = xeth_fo_info6(info)->rt;

		k->table = rt->fib6_table ? rt->fib6_table->tb6_id : 0;
		k->len = rt->fib6_dst.plen;
		memcpy(k->addr, &rt->fib6_dst.addr, sizeof(k->addr));
	}
}

static struct xeth_fo_rec *xeth_fo_rec_new(const struct xeth_fo_key *k,
					   struct net *net, unsigned int n6)
{
	struct xeth_fo_rec *rec = kzalloc(struct_size(rec, rt6, n6),
					  GFP_ATOMIC);

	if (rec) {
		rec->key = *k;
		rec->net = net;
	}
	return rec;
}

/* Any context: the routes go with RCU. */
static void xeth_fo_rec_free(struct xeth_fo_rec *rec)
{
	unsigned int i;

	if (rec->fi)
		fib_info_put(rec->fi);
	for (i = 0; i < rec->n6; i++)
		fib6_info_release(rec->rt6[i]);
	kfree(rec);
}

/*
 * A route being removed may be seen by a dump (RCU) with its count gone
 * to zero: it is not taken, and the dump, which saw the FIB change, is
 * not the last one (fib_notifier retries or fails it).
 */
static bool xeth_fo_hold6(struct xeth_fo_rec *rec, struct fib6_info *f6i)
{
	if (!fib6_info_hold_safe(f6i))
		return false;
	rec->rt6[rec->n6++] = f6i;
	return true;
}

static bool xeth_fo_has6(const struct xeth_fo_rec *rec,
			 const struct fib6_info *f6i)
{
	unsigned int i;

	for (i = 0; i < rec->n6; i++)
		if (rec->rt6[i] == f6i)
			return true;
	return false;
}

/* The route a notification names, and the siblings it names with it. */
static unsigned int xeth_fo_event6(const struct fib6_entry_notifier_info *e,
				   struct fib6_info **v, unsigned int max)
{
	struct fib6_info *sib;
	unsigned int n = 0;

	if (max)
		v[n++] = e->rt;
	if (!e->nsiblings)
		return n;
	list_for_each_entry(sib, &e->rt->fib6_siblings, fib6_siblings) {
		if (n == max || n == 1 + e->nsiblings)
			break;
		v[n++] = sib;
	}
	return n;
}

static bool xeth_fo_in_event6(const struct fib6_entry_notifier_info *e,
			      const struct fib6_info *f6i)
{
	struct fib6_info *sib;
	unsigned int n = 0;

	if (f6i == e->rt)
		return true;
	if (!e->nsiblings)
		return false;
	list_for_each_entry(sib, &e->rt->fib6_siblings, fib6_siblings) {
		if (n++ == e->nsiblings)
			break;
		if (sib == f6i)
			return true;
	}
	return false;
}

static struct xeth_fo_rec *xeth_fo_new4(const struct xeth_fo_key *k,
					struct net *net,
					const struct fib_entry_notifier_info *e)
{
	struct xeth_fo_rec *rec = xeth_fo_rec_new(k, net, 0);

	if (!rec)
		return NULL;
	/* fib_info_hold() but for a dump's race with its removal (above) */
	if (!refcount_inc_not_zero(&e->fi->fib_clntref)) {
		kfree(rec);
		return NULL;
	}
	rec->fi = e->fi;
	rec->dscp = e->dscp;
	rec->type = e->type;
	return rec;
}

/*
 * The IPv6 route that follows the notification: REPLACE names it whole,
 * APPEND adds siblings to what old held, DEL takes some away (NULL and
 * *gone when nothing is left).
 */
static struct xeth_fo_rec *xeth_fo_new6(const struct xeth_fo_key *k,
					struct net *net, unsigned long event,
					const struct fib6_entry_notifier_info *e,
					const struct xeth_fo_rec *old,
					bool *gone)
{
	unsigned int i, n = 1 + e->nsiblings, keep = 0;
	struct fib6_info *ev[8], **v = ev;
	struct xeth_fo_rec *rec = NULL;

	*gone = false;
	if (event == FIB_EVENT_ENTRY_DEL) {
		for (i = 0; old && i < old->n6; i++)
			keep += !xeth_fo_in_event6(e, old->rt6[i]);
		if (!keep) {
			*gone = true;
			return NULL;
		}
		rec = xeth_fo_rec_new(k, net, keep);
		for (i = 0; rec && i < old->n6; i++)
			if (!xeth_fo_in_event6(e, old->rt6[i])) {
				fib6_info_hold(old->rt6[i]);
				rec->rt6[rec->n6++] = old->rt6[i];
			}
		return rec;
	}
	if (n > ARRAY_SIZE(ev)) {
		v = kmalloc_array(n, sizeof(*v), GFP_ATOMIC);
		if (!v)
			return NULL;
	}
	n = xeth_fo_event6(e, v, n);
	if (event != FIB_EVENT_ENTRY_APPEND)
		old = NULL;
	rec = xeth_fo_rec_new(k, net, (old ? old->n6 : 0) + n);
	for (i = 0; rec && old && i < old->n6; i++) {
		fib6_info_hold(old->rt6[i]);
		rec->rt6[rec->n6++] = old->rt6[i];
	}
	for (i = 0; rec && i < n; i++) {
		if (xeth_fo_has6(rec, v[i]))
			continue;
		if (!xeth_fo_hold6(rec, v[i])) {
			xeth_fo_rec_free(rec);
			rec = NULL;
		}
	}
	if (v != ev)
		kfree(v);
	return rec;
}

/* The same route told again (a dump, a replace with equal attributes). */
static bool xeth_fo_same(const struct xeth_fo_rec *a,
			 const struct xeth_fo_rec *b)
{
	unsigned int i;

	if (a->key.family == AF_INET)
		return a->fi == b->fi && a->dscp == b->dscp &&
		       a->type == b->type;
	if (a->n6 != b->n6)
		return false;
	for (i = 0; i < b->n6; i++)
		if (!xeth_fo_has6(a, b->rt6[i]))
			return false;
	return true;
}

/* Out of the table, to be unflagged and freed under the mutex. */
static void xeth_fo_kill(struct xeth_fo *fo, struct xeth_fo_rec *rec)
{
	rhashtable_remove_fast(&fo->table, &rec->node, xeth_fo_params);
	list_move_tail(&rec->list, &fo->dead);
	WRITE_ONCE(fo->n, fo->n - 1);
}

static bool xeth_fo_install(struct xeth_fo *fo, struct xeth_fo_rec *old,
			    struct xeth_fo_rec *rec)
{
	if (old && !rhashtable_replace_fast(&fo->table, &old->node,
					    &rec->node, xeth_fo_params)) {
		list_add_tail(&rec->list, &fo->records);
		list_move_tail(&old->list, &fo->dead);
		return true;
	}
	if (old)
		xeth_fo_kill(fo, old);
	if (rhashtable_insert_fast(&fo->table, &rec->node, xeth_fo_params)) {
		xeth_fo_rec_free(rec);
		return false;
	}
	list_add_tail(&rec->list, &fo->records);
	WRITE_ONCE(fo->n, fo->n + 1);
	return true;
}

/*
 * The record of the route a notification names follows it; *cookie is
 * what the message carries.  False when it could not: the record is gone.
 * Caller holds fo->lock.
 */
static bool xeth_fo_update(struct xeth_fo *fo, struct net *net,
			   unsigned long event,
			   const struct fib_notifier_info *info, u64 *cookie)
{
	struct xeth_fo_rec *old, *rec;
	struct xeth_fo_key k;
	bool gone = false;

	xeth_fo_key_of(&k, net, info);
	old = rhashtable_lookup_fast(&fo->table, &k, xeth_fo_params);
	*cookie = ++fo->cookie;
	if (info->family == AF_INET)
		rec = event == FIB_EVENT_ENTRY_DEL ? NULL :
			xeth_fo_new4(&k, net, xeth_fo_info4(info));
	else
		rec = xeth_fo_new6(&k, net, event, xeth_fo_info6(info), old,
				   &gone);
	if (!rec) {
		if (old)
			xeth_fo_kill(fo, old);
		/* an IPv4 DEL, or every path of an IPv6 route, went */
		return event == FIB_EVENT_ENTRY_DEL &&
		       (info->family == AF_INET || gone || !old);
	}
	rec->cookie = *cookie;
	if (old && xeth_fo_same(old, rec)) {
		xeth_fo_rec_free(rec);
		old->cookie = *cookie;
		return true;
	}
	/*
	 * A sibling appended or deleted: the switch still holds the paths
	 * that stay, until the daemon says otherwise; those keep their flags
	 * (a deleted one has left the FIB, an appended one has none yet).
	 */
	if (old && info->family == AF_INET6 && event != FIB_EVENT_ENTRY_REPLACE &&
	    event != FIB_EVENT_ENTRY_ADD) {
		rec->result = old->result;
		old->result = XETH_FIB_RESULT_NONE;
	}
	return xeth_fo_install(fo, old, rec);
}

/* The daemon hears nothing of this route: it holds nothing of it either. */
static void xeth_fo_forget(struct xeth_fo *fo, struct net *net,
			   const struct fib_notifier_info *info)
{
	struct xeth_fo_rec *old;
	struct xeth_fo_key k;

	xeth_fo_key_of(&k, net, info);
	old = rhashtable_lookup_fast(&fo->table, &k, xeth_fo_params);
	if (old)
		xeth_fo_kill(fo, old);
}

/*
 * A FIB notification for the mux: with the extension on, the record
 * follows it and m gets its cookie; m (NULL: it could not be made) is
 * queued when tell, as it would be without the extension.  Any context.
 */
void xeth_fo_note(struct xeth_mux *mux, struct net *net, unsigned long event,
		  const struct fib_notifier_info *info, struct xeth_sb_msg *m,
		  bool tell, bool dump)
{
	struct xeth_fo *fo = &mux->fo;
	bool nomem = false;
	u64 cookie;

	/* cookie order is queue order: both under the lock */
	spin_lock_bh(&fo->lock);
	if (fo->on) {
		if (!tell || !m) {
			xeth_fo_forget(fo, net, info);
		} else if (xeth_fo_update(fo, net, event, info, &cookie)) {
			/* xeth_msg_fib() left room for it */
			memcpy(m->data + m->len, &cookie, sizeof(cookie));
			m->len += sizeof(struct xeth_fib_cookie);
		} else {
			/* a route the daemon cannot answer for: resync */
			nomem = true;
			kfree(m);
			m = NULL;
		}
		if (!list_empty(&fo->dead))
			schedule_work(&fo->reap);
	}
	if (tell)
		xeth_sb_queue(mux, m, dump);
	spin_unlock_bh(&fo->lock);
	if (nomem) {
		atomic64_inc(&mux->sb.count[XETH_SB_FIB_NOMEM]);
		xeth_sb_resync(mux);
	}
}

/* Sets a route's flags; caller holds fo->mutex. */
static void xeth_fo_flag(const struct xeth_fo_rec *rec, u8 result)
{
	bool offload = result == XETH_FIB_RESULT_OFFLOAD;
	bool trap = result == XETH_FIB_RESULT_TRAP;
	bool failed = result == XETH_FIB_RESULT_FAILED;
	unsigned int i;

	/* a namespace on its way out: its FIB is flushed, nobody looks */
	if (!check_net(rec->net))
		return;
	if (rec->key.family == AF_INET) {
		struct fib_rt_info fri = {
			.fi = rec->fi,
			.tb_id = rec->key.table,
			.dst_len = rec->key.len,
			.dscp = rec->dscp,
			.type = rec->type,
			.offload = offload,
			.trap = trap,
			.offload_failed = failed,
		};

		memcpy(&fri.dst, rec->key.addr, sizeof(fri.dst));
		fib_alias_hw_flags_set(rec->net, &fri);
		return;
	}
	for (i = 0; i < rec->n6; i++)
		fib6_info_hw_flags_set(rec->net, rec->rt6[i], offload, trap,
				       failed);
}

/* Unflags and frees what left the table; caller holds fo->mutex. */
static void xeth_fo_reap_locked(struct xeth_fo *fo)
{
	struct xeth_fo_rec *rec, *tmp;
	LIST_HEAD(dead);

	lockdep_assert_held(&fo->mutex);
	spin_lock_bh(&fo->lock);
	list_splice_init(&fo->dead, &dead);
	spin_unlock_bh(&fo->lock);
	list_for_each_entry_safe(rec, tmp, &dead, list) {
		if (rec->result != XETH_FIB_RESULT_NONE)
			xeth_fo_flag(rec, XETH_FIB_RESULT_NONE);
		xeth_fo_rec_free(rec);
		cond_resched();
	}
}

static void xeth_fo_reap(struct work_struct *work)
{
	struct xeth_fo *fo = container_of(work, struct xeth_fo, reap);

	mutex_lock(&fo->mutex);
	xeth_fo_reap_locked(fo);
	mutex_unlock(&fo->mutex);
}

/* Drops net's records (NULL: all of them, and the extension is off). */
static void xeth_fo_drain(struct xeth_fo *fo, struct net *net)
{
	struct xeth_fo_rec *rec, *tmp;
	unsigned int n;
	bool more;

	mutex_lock(&fo->mutex);
	do {
		n = 0;
		spin_lock_bh(&fo->lock);
		if (!net)
			WRITE_ONCE(fo->on, false);
		list_for_each_entry_safe(rec, tmp, &fo->records, list) {
			if (net && rec->net != net)
				continue;
			xeth_fo_kill(fo, rec);
			/* all of them: a batch at a time, for bottom halves */
			if (!net && ++n == XETH_FO_BATCH)
				break;
		}
		more = !net && !list_empty(&fo->records);
		spin_unlock_bh(&fo->lock);
		xeth_fo_reap_locked(fo);
	} while (more);
	mutex_unlock(&fo->mutex);
}

/* The mux left net, or net is going: nothing of it stays flagged or held. */
void xeth_fo_forget_net(struct xeth_mux *mux, struct net *net)
{
	xeth_fo_drain(&mux->fo, net);
}

/*
 * EXT_ENABLE with or without the bit, or the connection's end (off):
 * routes nobody holds are not offloaded.  Caller holds sb->lock.
 */
void xeth_fo_enable(struct xeth_mux *mux, bool on)
{
	struct xeth_fo *fo = &mux->fo;

	if (!on) {
		xeth_fo_drain(fo, NULL);
		return;
	}
	spin_lock_bh(&fo->lock);
	WRITE_ONCE(fo->on, fo->ready);
	spin_unlock_bh(&fo->lock);
}

bool xeth_fo_on(const struct xeth_mux *mux)
{
	return READ_ONCE(mux->fo.on);
}

static void xeth_fo_result(struct xeth_mux *mux, const struct xeth_fib_result *r)
{
	struct xeth_fo *fo = &mux->fo;
	struct xeth_fo_rec *rec = NULL;
	struct xeth_fo_key k = {
		.net = r->net,
		.table = r->table,
		.family = r->family,
		.len = r->length,
	};

	if (r->family != AF_INET && r->family != AF_INET6) {
		xeth_relay_invalid(mux, "fib result: family", r->family);
		return;
	}
	if (r->length > (r->family == AF_INET ? 32 : 128)) {
		xeth_relay_invalid(mux, "fib result: prefix length", r->length);
		return;
	}
	if (r->family == AF_INET6 && r->tos) {
		xeth_relay_invalid(mux, "fib result: IPv6 with a tos", r->tos);
		return;
	}
	if (r->result > XETH_FIB_RESULT_FAILED) {
		xeth_relay_invalid(mux, "fib result", r->result);
		return;
	}
	memcpy(k.addr, r->address, r->family == AF_INET ? 4 : 16);
	spin_lock_bh(&fo->lock);
	if (fo->on)
		rec = rhashtable_lookup_fast(&fo->table, &k, xeth_fo_params);
	if (rec && (rec->cookie != r->cookie ||
		    (r->family == AF_INET &&
		     inet_dscp_to_dsfield(rec->dscp) != r->tos)))
		rec = NULL;
	/* what the reap of a record that leaves meanwhile undoes */
	if (rec)
		rec->result = r->result;
	spin_unlock_bh(&fo->lock);
	if (!rec) {
		atomic64_inc(&mux->sb.count[XETH_SB_FIB_STALE]);
		return;
	}
	xeth_fo_flag(rec, r->result);
	atomic64_inc(&mux->sb.count[XETH_SB_FIB_RESULTS]);
}

/* FIB_OFFLOAD, its size checked; in the side-band work. */
void xeth_fo_results(struct xeth_mux *mux,
		     const struct xeth_msg_fib_offload *msg)
{
	struct xeth_fo *fo = &mux->fo;
	unsigned int i;

	mutex_lock(&fo->mutex);
	/*
	 * What left the table before the daemon sent these loses its flags
	 * first: it may share routes with what these flag (an IPv6 sibling
	 * appended or deleted, an IPv4 route replaced by an equal one).
	 */
	xeth_fo_reap_locked(fo);
	for (i = 0; i < msg->n; i++)
		xeth_fo_result(mux, &msg->results[i]);
	mutex_unlock(&fo->mutex);
}

/* xeth_mux_setup(): what needs no allocation. */
void xeth_fo_setup(struct xeth_mux *mux)
{
	struct xeth_fo *fo = &mux->fo;

	mutex_init(&fo->mutex);
	spin_lock_init(&fo->lock);
	INIT_LIST_HEAD(&fo->records);
	INIT_LIST_HEAD(&fo->dead);
	INIT_WORK(&fo->reap, xeth_fo_reap);
}

/* ndo_init */
int xeth_fo_init(struct xeth_mux *mux)
{
	int err = rhashtable_init(&mux->fo.table, &xeth_fo_params);

	mux->fo.ready = !err;
	return err;
}

/*
 * ndo_uninit: the connection ended at ndo_stop; nothing looks the table up
 * once it is not ready, though the side-band work may still run.
 */
void xeth_fo_uninit(struct xeth_mux *mux)
{
	struct xeth_fo *fo = &mux->fo;
	bool ready;

	xeth_fo_drain(fo, NULL);
	spin_lock_bh(&fo->lock);
	ready = fo->ready;
	fo->ready = false;
	spin_unlock_bh(&fo->lock);
	if (ready)
		rhashtable_destroy(&fo->table);
}

/* The mux is freed: its reap work may not run any more. */
void xeth_fo_destroy(struct xeth_mux *mux)
{
	cancel_work_sync(&mux->fo.reap);
}
