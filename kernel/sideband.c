// SPDX-License-Identifier: GPL-2.0
/*
 * The side-band server of a mux: an abstract SOCK_SEQPACKET listener
 * "@<mux name>" in the mux's namespace from admin-up to admin-down, and
 * one daemon connection at a time (a newer one replaces an older one).
 *
 * Event-driven: socket wake-ups and new messages queue the mux's work,
 * which accepts, receives and sends as much as the sockets allow, then
 * returns.  The transmit queue is bounded (xeth_sb_txq_max); when a live
 * event finds it full, the connection is closed and counted as a resync,
 * so the daemon reconnects and dumps instead of missing the event.
 */
#include <linux/module.h>
#include <linux/net.h>
#include <linux/un.h>
#include <linux/user_namespace.h>
#include <net/sock.h>
#include "xeth.h"

/*
 * 64k live messages (a few MB) absorb a table load of a million routes with
 * a daemon that pauses for seconds; at 4k, a pause of half a second under
 * such a load cost a full resync.
 */
unsigned int xeth_sb_txq_max = 65536;
module_param_named(sb_txq_max, xeth_sb_txq_max, uint, 0644);
MODULE_PARM_DESC(sb_txq_max,
		 "messages queued for a daemon before it must resync (dump)");

/*
 * A daemon that restarts (an upgrade, a crash and systemd's restart) comes
 * back within seconds; dropping every port's carrier meanwhile makes the
 * routing daemons on the proxies withdraw everything they learned over
 * them, a network-wide flap for a local restart.  Ports keep their carrier
 * this long after the daemon's connection ends; the next daemon's CARRIER
 * messages take over.  0 drops carrier at once, as xeth 3.x did; the mux
 * going down always does.
 */
unsigned int xeth_sb_carrier_hold_ms;
module_param_named(carrier_hold_ms, xeth_sb_carrier_hold_ms, uint, 0644);
MODULE_PARM_DESC(carrier_hold_ms,
		 "milliseconds ports keep carrier after the daemon's connection ends (0: drop at once)");

/* Messages received per run of the work before it yields. */
#define XETH_SB_RX_BUDGET	256

static struct workqueue_struct *xeth_wq;

int xeth_wq_init(void)
{
	xeth_wq = alloc_workqueue("xeth", WQ_UNBOUND, 0);
	return xeth_wq ? 0 : -ENOMEM;
}

void xeth_wq_exit(void)
{
	destroy_workqueue(xeth_wq);
}

static void xeth_sb_count(struct xeth_sb *sb, enum xeth_sb_counter c)
{
	atomic64_inc(&sb->count[c]);
}

static void xeth_sb_kick(struct xeth_sb *sb)
{
	queue_work(xeth_wq, &sb->work);
}

/*
 * The work wakes up the way a task sleeping on the socket would: an entry
 * on its wait queue, which the kernel's own callbacks (data ready, write
 * space, state change) wake.  The sockets' callbacks stay the kernel's, so
 * a socket that outlives its release here, as our end of a connection
 * does while the daemon's end holds it as its peer, has nothing of this
 * module in it.  Our function is called under the wait queue's lock, so
 * once remove_wait_queue() returns it is not running and cannot be called
 * again; a callback swapped back under sk_callback_lock gives no such
 * guarantee, since callers load the pointer without that lock.
 */
static int xeth_sb_wake(struct wait_queue_entry *w, unsigned int mode,
			int flags, void *key)
{
	xeth_sb_kick(w->private);
	return 0;
}

static void xeth_sb_watch(struct socket *sock, struct wait_queue_entry *w,
			  struct xeth_sb *sb)
{
	init_waitqueue_func_entry(w, xeth_sb_wake);
	w->private = sb;
	add_wait_queue(sk_sleep(sock->sk), w);
}

/* Whoever still holds the sock after this finds nothing of ours on it. */
static void xeth_sb_release(struct socket *sock, struct wait_queue_entry *w)
{
	remove_wait_queue(sk_sleep(sock->sk), w);
	sock_release(sock);
}

struct xeth_sb_msg *xeth_sb_msg_new(u8 kind, size_t len, gfp_t gfp)
{
	struct xeth_sb_msg *m = kzalloc(struct_size(m, data, len), gfp);
	struct xeth_msg_header *h;

	if (!m)
		return NULL;
	m->len = len;
	h = (struct xeth_msg_header *)m->data;
	h->version = XETH_MSG_VERSION;
	h->kind = kind;
	return m;
}

static void xeth_sb_flush_txq(struct xeth_sb *sb)
{
	struct xeth_sb_msg *m, *tmp;
	LIST_HEAD(drop);

	spin_lock_bh(&sb->txq_lock);
	list_splice_init(&sb->txq, &drop);
	sb->txq_len = 0;
	sb->live_len = 0;
	sb->overrun = false;
	spin_unlock_bh(&sb->txq_lock);
	list_for_each_entry_safe(m, tmp, &drop, list)
		kfree(m);
}

/* The daemon cannot be told the truth this way: make it reconnect and
 * dump again.  Any context.
 */
void xeth_sb_resync(struct xeth_mux *mux)
{
	struct xeth_sb *sb = &mux->sb;

	spin_lock_bh(&sb->txq_lock);
	sb->overrun = true;
	spin_unlock_bh(&sb->txq_lock);
	xeth_sb_kick(sb);
}

/*
 * EXT_ENABLE, from the relay (which runs without sb->lock): a connection
 * that ended meanwhile enables nothing.
 */
void xeth_sb_enable_ext(struct xeth_mux *mux, u64 ext)
{
	struct xeth_sb *sb = &mux->sb;

	mutex_lock(&sb->lock);
	if (sb->conn) {
		WRITE_ONCE(sb->ext, ext);
		xeth_fo_enable(mux, ext & _BITULL(XETH_EXT_FIB_OFFLOAD));
	}
	mutex_unlock(&sb->lock);
}

bool xeth_sb_live(const struct xeth_mux *mux)
{
	return READ_ONCE(mux->sb.live);
}

/*
 * The end of a DUMP_IFINFO answer: live events follow it, if the
 * connection that asked is still there.  The dump runs in the relay,
 * without sb->lock, and waits for RTNL, which the mux's admin-down may
 * hold: that closes the connection, and its dump, made afterwards, must
 * not turn on live events that nobody reads (they would pile up to
 * sb_txq_max, and the next daemon would get them before its own dump).
 */
void xeth_sb_go_live(struct xeth_mux *mux)
{
	struct xeth_sb *sb = &mux->sb;

	spin_lock_bh(&sb->txq_lock);
	if (sb->connected)
		WRITE_ONCE(sb->live, true);
	spin_unlock_bh(&sb->txq_lock);
}

/*
 * Queues a message for the daemon; it is dropped when no daemon is
 * connected, and a live event also when the daemon has not dumped.  Live
 * events are bounded by xeth_sb_txq_max; dump messages are not, since a
 * dump is bounded by the state it describes.  Any context.
 */
void xeth_sb_queue(struct xeth_mux *mux, struct xeth_sb_msg *m, bool dump)
{
	struct xeth_sb *sb = &mux->sb;
	bool queued = false;

	if (!m) {
		/* an event we could not even allocate: resync */
		spin_lock_bh(&sb->txq_lock);
		sb->overrun = xeth_sb_live(mux);
		spin_unlock_bh(&sb->txq_lock);
		xeth_sb_kick(sb);
		return;
	}
	m->dump = dump;
	spin_lock_bh(&sb->txq_lock);
	if (sb->connected && (dump || xeth_sb_live(mux)) && !sb->overrun) {
		/* a dump being sent does not count against live events */
		if (dump || sb->live_len < xeth_sb_txq_max) {
			list_add_tail(&m->list, &sb->txq);
			sb->txq_len++;
			if (!dump) {
				sb->live_len++;
				sb->txq_high = max(sb->txq_high, sb->live_len);
			}
			queued = true;
		} else {
			sb->overrun = true;
		}
	}
	spin_unlock_bh(&sb->txq_lock);
	if (!queued)
		kfree(m);
	xeth_sb_kick(sb);
}

/*
 * Caller holds sb->lock.  With hold, the ports keep their carrier for
 * carrier_hold_ms in case the daemon comes back.
 */
static void xeth_sb_disconnect(struct xeth_mux *mux, bool hold)
{
	struct xeth_sb *sb = &mux->sb;
	unsigned int ms = READ_ONCE(xeth_sb_carrier_hold_ms);

	if (!sb->conn)
		return;
	spin_lock_bh(&sb->txq_lock);
	sb->connected = false;
	WRITE_ONCE(sb->live, false);
	spin_unlock_bh(&sb->txq_lock);
	xeth_sb_release(sb->conn, &sb->conn_wait);
	sb->conn = NULL;
	xeth_sb_flush_txq(sb);
	/* a route nobody holds is not offloaded */
	WRITE_ONCE(sb->ext, 0);
	xeth_fo_enable(mux, false);
	if (hold && ms)
		mod_delayed_work(xeth_wq, &sb->carrier_hold,
				 msecs_to_jiffies(ms));
	else
		xeth_relay_carrier_off(mux);
}

static void xeth_sb_carrier_expired(struct work_struct *work)
{
	struct xeth_sb *sb = container_of(to_delayed_work(work),
					  struct xeth_sb, carrier_hold);
	struct xeth_mux *mux = container_of(sb, struct xeth_mux, sb);

	mutex_lock(&sb->lock);
	if (!sb->conn) {
		xeth_sb_count(sb, XETH_SB_CARRIER_DROPS);
		xeth_relay_carrier_off(mux);
	}
	mutex_unlock(&sb->lock);
}

/*
 * CAP_NET_ADMIN over the mux's namespace, judged on the credentials the
 * peer connected with: the capability in that user namespace, or
 * ownership of it or of an ancestor below the peer's own namespace (the
 * rule of commoncap; no task is at hand to ask ns_capable()).
 */
static bool xeth_sb_peer_capable(const struct cred *cred,
				 struct user_namespace *ns)
{
	for (;;) {
		if (ns == cred->user_ns)
			return cap_raised(cred->cap_effective, CAP_NET_ADMIN);
		if (ns->level <= cred->user_ns->level)
			return false;
		if (ns->parent == cred->user_ns && uid_eq(ns->owner, cred->euid))
			return true;
		ns = ns->parent;
	}
}

static bool xeth_sb_peer_allowed(struct xeth_mux *mux, struct socket *sock)
{
	struct sock *sk = sock->sk;
	const struct cred *cred;
	bool ok;

	spin_lock(&sk->sk_peer_lock);
	cred = get_cred(sk->sk_peer_cred);
	spin_unlock(&sk->sk_peer_lock);
	if (!cred)
		return false;
	ok = xeth_sb_peer_capable(cred, dev_net(mux->dev)->user_ns);
	put_cred(cred);
	return ok;
}

/* Caller holds sb->lock. */
static void xeth_sb_accept(struct xeth_mux *mux)
{
	struct xeth_sb *sb = &mux->sb;
	struct socket *sock;

	while (sb->listener && !kernel_accept(sb->listener, &sock, O_NONBLOCK)) {
		if (!xeth_sb_peer_allowed(mux, sock)) {
			xeth_sb_count(sb, XETH_SB_REFUSED);
			net_info_ratelimited("%s: refused a side-band peer without CAP_NET_ADMIN\n",
					     netdev_name(mux->dev));
			sock_release(sock);
			continue;
		}
		if (sb->conn) {
			xeth_sb_count(sb, XETH_SB_REPLACED);
			xeth_sb_disconnect(mux, true);
		}
		/* a daemon is back: the one it replaces vouches no more */
		cancel_delayed_work(&sb->carrier_hold);
		/* a dump the last daemon asked for is not this one's */
		xeth_sb_flush_txq(sb);
		spin_lock_bh(&sb->txq_lock);
		sb->txq_high = 0;	/* the high-water mark of this session */
		sb->connected = true;
		spin_unlock_bh(&sb->txq_lock);
		sb->conn = sock;
		WRITE_ONCE(sb->ext, 0);
		/* what came before this is read below, in this run */
		xeth_sb_watch(sock, &sb->conn_wait, sb);
		xeth_sb_count(sb, XETH_SB_CONNECTS);
		xeth_relay_reset(mux);
	}
}

/* Caller holds sb->lock; returns false when the connection went away. */
static bool xeth_sb_transmit(struct xeth_mux *mux)
{
	struct xeth_sb *sb = &mux->sb;
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };
	struct xeth_sb_msg *m;
	struct kvec iov;
	int n;

	while (sb->conn) {
		spin_lock_bh(&sb->txq_lock);
		m = list_first_entry_or_null(&sb->txq, struct xeth_sb_msg, list);
		if (m) {
			list_del(&m->list);
			sb->txq_len--;
			sb->live_len -= !m->dump;
		}
		spin_unlock_bh(&sb->txq_lock);
		if (!m)
			return true;
		iov.iov_base = m->data;
		iov.iov_len = m->len;
		n = kernel_sendmsg(sb->conn, &msg, &iov, 1, m->len);
		if (n == -EAGAIN) {
			/* the write-space callback queues us again */
			spin_lock_bh(&sb->txq_lock);
			list_add(&m->list, &sb->txq);
			sb->txq_len++;
			sb->live_len += !m->dump;
			spin_unlock_bh(&sb->txq_lock);
			return true;
		}
		kfree(m);
		if (n < 0)
			return false;
		xeth_sb_count(sb, XETH_SB_TX_MSGS);
	}
	return true;
}

static void xeth_sb_work(struct work_struct *work)
{
	struct xeth_sb *sb = container_of(work, struct xeth_sb, work);
	struct xeth_mux *mux = container_of(sb, struct xeth_mux, sb);
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT };
	struct kvec iov;
	unsigned int i;
	bool overrun;
	u8 *buf;
	int n;

	buf = kmalloc(XETH_MSG_MAX_SIZE, GFP_KERNEL);
	if (!buf) {
		xeth_sb_kick(sb);
		return;
	}
	mutex_lock(&sb->lock);
	xeth_sb_accept(mux);
	spin_lock_bh(&sb->txq_lock);
	overrun = sb->overrun;
	spin_unlock_bh(&sb->txq_lock);
	if (overrun && sb->conn) {
		xeth_sb_count(sb, XETH_SB_RESYNCS);
		net_warn_ratelimited("%s: side-band queue overrun (%u messages): closing the connection so the daemon resyncs\n",
				     netdev_name(mux->dev), xeth_sb_txq_max);
		xeth_sb_disconnect(mux, true);
	}
	for (i = 0; sb->conn && i < XETH_SB_RX_BUDGET; i++) {
		iov.iov_base = buf;
		iov.iov_len = XETH_MSG_MAX_SIZE;
		n = kernel_recvmsg(sb->conn, &msg, &iov, 1, XETH_MSG_MAX_SIZE,
				   MSG_DONTWAIT | MSG_TRUNC);
		if (n == -EAGAIN)
			break;
		/* SEQPACKET: 0 is an empty datagram unless the peer is gone */
		if (!n && !(READ_ONCE(sb->conn->sk->sk_shutdown) & RCV_SHUTDOWN)) {
			xeth_sb_count(sb, XETH_SB_RX_MSGS);
			mutex_unlock(&sb->lock);
			xeth_relay(mux, buf, 0);
			mutex_lock(&sb->lock);
			continue;
		}
		if (n <= 0) {
			/* the daemon closed its end, or the socket failed */
			xeth_sb_disconnect(mux, true);
			break;
		}
		xeth_sb_count(sb, XETH_SB_RX_MSGS);
		/* the relay may take RTNL (dumps), which ranks above sb->lock */
		mutex_unlock(&sb->lock);
		xeth_relay(mux, buf, n);
		mutex_lock(&sb->lock);
	}
	if (sb->conn && !xeth_sb_transmit(mux))
		xeth_sb_disconnect(mux, true);
	if (i == XETH_SB_RX_BUDGET)
		xeth_sb_kick(sb);
	mutex_unlock(&sb->lock);
	kfree(buf);
}

void xeth_sb_init(struct xeth_mux *mux)
{
	struct xeth_sb *sb = &mux->sb;
	int i;

	mutex_init(&sb->lock);
	spin_lock_init(&sb->txq_lock);
	INIT_LIST_HEAD(&sb->txq);
	INIT_WORK(&sb->work, xeth_sb_work);
	INIT_DELAYED_WORK(&sb->carrier_hold, xeth_sb_carrier_expired);
	for (i = 0; i < XETH_SB_N_COUNTERS; i++)
		atomic64_set(&sb->count[i], 0);
}

/* Admin-up: listen on "@<mux name>" in the mux's namespace. */
int xeth_sb_start(struct xeth_mux *mux)
{
	struct xeth_sb *sb = &mux->sb;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	size_t n = strnlen(mux->dev->name, IFNAMSIZ);
	struct socket *sock;
	int err;

	/*
	 * A kernel socket holds no reference on its namespace: the mux's
	 * ndo_stop releases it, which a namespace going away runs (dellink)
	 * before af_unix's own exit.
	 */
	err = sock_create_kern(dev_net(mux->dev), AF_UNIX, SOCK_SEQPACKET, 0,
			       &sock);
	if (err)
		return err;
	xeth_sb_watch(sock, &sb->listener_wait, sb);
	/* abstract: a NUL, then the name, not NUL-terminated */
	memcpy(addr.sun_path + 1, mux->dev->name, n);
	err = kernel_bind(sock, (struct sockaddr *)&addr,
			  offsetof(struct sockaddr_un, sun_path) + 1 + n);
	if (!err)
		err = kernel_listen(sock, 4);
	if (err) {
		netdev_err(mux->dev, "side-band: cannot listen on @%s: %d\n",
			   mux->dev->name, err);
		xeth_sb_release(sock, &sb->listener_wait);
		return err;
	}
	mutex_lock(&sb->lock);
	sb->listener = sock;
	mutex_unlock(&sb->lock);
	/* a daemon that connected before the listener was published woke a
	 * work that found none: look again
	 */
	xeth_sb_kick(sb);
	return 0;
}

/*
 * The mux was renamed while up (kernels from 6.8 rename devices that are
 * up): the listener moves to the new name, as if the mux had come up with
 * it; the daemon's connection stays.  RTNL is held.  An error makes the
 * rename fail, and the name change back brings the old listener back.
 */
int xeth_sb_rename(struct xeth_mux *mux)
{
	struct xeth_sb *sb = &mux->sb;

	mutex_lock(&sb->lock);
	if (sb->listener) {
		xeth_sb_release(sb->listener, &sb->listener_wait);
		sb->listener = NULL;
	}
	mutex_unlock(&sb->lock);
	return xeth_sb_start(mux);
}

/* Admin-down: close the listener and the connection. */
void xeth_sb_stop(struct xeth_mux *mux)
{
	struct xeth_sb *sb = &mux->sb;

	mutex_lock(&sb->lock);
	xeth_sb_disconnect(mux, false);
	/* the mux itself is down: nobody is coming back to its ports */
	if (cancel_delayed_work(&sb->carrier_hold))
		xeth_relay_carrier_off(mux);
	if (sb->listener) {
		xeth_sb_release(sb->listener, &sb->listener_wait);
		sb->listener = NULL;
	}
	mutex_unlock(&sb->lock);
}

/*
 * The mux is going away: nothing may run on its behalf any more.  With
 * the sockets released (and our wait entries off them) nothing queues the
 * work but the mux's own events, which stopped with its unregistration;
 * the work may still requeue itself, which cancel_work_sync() outlasts.
 */
void xeth_sb_destroy(struct xeth_mux *mux)
{
	xeth_sb_stop(mux);
	cancel_work_sync(&mux->sb.work);
	/* only a connection arms it, and there is none since the stop */
	cancel_delayed_work_sync(&mux->sb.carrier_hold);
	xeth_sb_flush_txq(&mux->sb);
	xeth_fo_destroy(mux);
}
