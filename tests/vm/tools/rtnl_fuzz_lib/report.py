"""The report of a run: its checks, and counts of what it did.

The checks, at intervals (--check-every) and at the end: no kernel splat;
every refusal of a request that reached our code (an xeth kind's newlink,
a master change to an xeth device, a changelink of our kind) carries an
extack message; every request that is invalid by construction is
refused; the devices the kernel holds are the ones the documented
semantics give (cascading deletes, ports refunded to the initial
namespace, namespaces cleaned up); each mux tells a new daemon nothing
before its dump, and its dump matches rtnl (proxies, xids, namespaces and
ifindexes, addresses, members); every message the kernel sends decodes
as docs/protocol.md says; each mux's counters agree with its netdev
stats and with what the clients sent and received; at the end, deleting
every mux leaves no xeth device in any namespace, and rmmod succeeds.
Each check's findings are kept by Fuzzer.fail under a key of its own.
"""
import collections
import json


def report(fz):
    """The report of the run fz, a JSON object."""
    refused = sum(k["ops"] - k["ok"] for k in fz.by_kind.values())
    withmsg = sum(k["msg"] for k in fz.by_kind.values())
    nomsg = sum(k["nomsg"] for k in fz.by_kind.values())
    user = sum(k["user"] for k in fz.by_kind.values())
    other = sum(k["ioctl"] for k in fz.by_kind.values())
    sb = collections.Counter()
    for t in fz.threads:
        sb.update({f"{t.name}.{k}": v for k, v in t.stats.items()})

    def check(name, key, extra=()):
        return {"name": name, "ok": not fz.fails.get(key) and not extra,
                "detail": list(extra) + fz.fails.get(key, [])}
    thread_errors = [e for t in fz.threads for e in t.errors]
    checks = [
        {"name": "the fuzzer ran to the end", "ok": not fz.abort, "detail": [fz.abort] if fz.abort else []},
        {"name": "no kernel splat (oops, BUG, WARNING, lock or RCU splat, hung task, unregister_netdevice: waiting)",
         "ok": not fz.klog.splats, "detail": fz.klog.splats[:80]},
        check("every refusal of an xeth request carried an extack message", "extack"),
        check("every request that is invalid by construction was refused", "refused"),
        check("the kernel's devices are those the documented semantics give (deletes, moves, namespaces)", "semantics"),
        check("every namespace deleted was cleaned up (nothing held it)", "namespaces"),
        check("each mux's side-band dump matched rtnl at every checkpoint", "sideband", thread_errors),
        check("each mux's counters were consistent at every checkpoint", "counters"),
        check("rmmod left no xeth device, and rmmod xeth succeeded at the end", "rmmod"),
        check("deleting every mux left no xeth device in any namespace", "teardown"),
        {"name": "the side-band clients connected, dumped and fuzzed",
         "ok": fz.abort is not None or (sb["sb-daemon.breaks"] > 0 and sb["sb-fuzzer.sent"] > 0),
         "detail": [json.dumps(sb)]},
    ]
    by_kind = {k: dict(v) for k, v in sorted(fz.by_kind.items())}
    return {
        "seed": fz.a.seed, "ops": fz.done, "seconds": round(fz.elapsed, 1),
        "ops_per_s": round(fz.done / fz.elapsed, 1) if fz.elapsed else 0,
        "phases": {k: round(v, 1) for k, v in fz.phases.most_common()},
        "slowest_kinds": {k: round(v, 1) for k, v in fz.op_seconds.most_common(8)},
        "digest": fz.digest.hexdigest()[:16], "refused": refused, "with_message": withmsg,
        "without_message": nomsg, "before_kernel": user, "other_refusals": other,
        "checkpoints": fz.checkpoints, "sb_dumps_checked": fz.sb_checked,
        "by_kind": by_kind, "nomsg": dict(fz.nomsg_msgs.most_common(30)),
        "top_refusals": [f"{n} x {k} {c}: {m}" for (k, c, m), n in fz.msgs.most_common(25)],
        "notes": dict(fz.notes), "sideband": dict(sb), "checks": checks,
        "world": {"mean xeth devices": round(fz.sizes["xeth devices"] / max(1, fz.sizes["batches"]), 1),
                  "mean up": round(fz.sizes["up"] / max(1, fz.sizes["batches"]), 1),
                  "most xeth devices": fz.sizes["most xeth devices"]},
    }

