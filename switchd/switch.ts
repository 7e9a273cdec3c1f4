/**
 * The interface through which SWITCHD programs a SWITCH and reads it back.
 *
 * A backend is the software SWITCH of switch-less mode (in the data plane
 * library), a SWITCH on another machine, or a chip driven over vfio;
 * SWITCHD does not care which. It is given the mirror's changes in order
 * (see mirror/mirror.ts: additions before what depends on them, removals
 * in reverse), and it reports its ports' link state and counters, which
 * the relay (relay.ts) turns into CARRIER, SPEED, LINK_STAT and
 * ETHTOOL_STAT for the kernel.
 *
 * A backend may answer at once or later (a SWITCH elsewhere waits for the
 * network): SWITCHD awaits every answer, and never waits for one on its
 * event loop. Changes are not awaited one by one: a backend takes them as
 * they come and applies them in that order.
 *
 * @module
 */

import type { Change } from "./mirror/mirror.ts";

/** Link state of one port of the SWITCH. */
export interface PortLink {
  /** the port proxy's xid */
  xid: number;
  carrier: boolean;
  /** Mb/s; 0 when unknown */
  speedMbps: number;
}

/** Counters of one proxy, absolute values. */
export interface ProxyCounters {
  xid: number;
  /**
   * LINK_STAT values by index (struct rtnl_link_stats64 order, 24 of them;
   * shorter arrays leave the rest alone).
   */
  link: readonly bigint[];
  /** ethtool stat values by index into the port's stat names */
  ethtool?: readonly bigint[];
}

/** A route as a SWITCH holds it: next hops by proxy. */
export interface SwitchRoute {
  /** the namespace id */
  net: bigint;
  table: number;
  family: "inet" | "inet6";
  /** IPv4: a u32 number; IPv6: a u128 bigint (see protocol/types.ts) */
  address: number | bigint;
  prefixLength: number;
  /** RTN_* */
  type: number;
  /**
   * Out of proxy `xid` to `gw` (none: on the link); no xid: out of an
   * interface that is no proxy
   */
  nextHops: { xid?: number; gw?: number | bigint }[];
}

/**
 * What a SWITCH did with a route it was sent: holds it and forwards its
 * traffic, holds it and hands its traffic to Linux, or could not hold it
 * (no room; Linux forwards its traffic). SWITCHD tells the kernel
 * (fib-offload: `ip route` shows offload, trap, offload_failed).
 */
export interface RouteOutcome {
  net: bigint;
  table: number;
  family: "inet" | "inet6";
  /** IPv4: a u32 number; IPv6: a u128 bigint */
  address: number | bigint;
  prefixLength: number;
  outcome: "forwarded" | "trapped" | "failed";
}

/** A value now, or a promise of it. */
export type Awaitable<T> = T | Promise<T>;

/** A SWITCH that SWITCHD programs. */
export interface SwitchBackend {
  /** For logs and `show`: "software", "vfio 0000:03:00.0", ... */
  readonly name: string;
  /**
   * Programs what changed; called in the order the mirror gave, and
   * applied in that order, each after what was asked of the SWITCH
   * before it. Settles once the changes went to the SWITCH; never
   * rejects (what the SWITCH refuses is the backend's to log).
   */
  apply(changes: readonly Change[]): Awaitable<void>;
  /** The link state of every port now. */
  links(): Awaitable<Iterable<PortLink>>;
  /** The counters of every proxy the SWITCH counts for, now. */
  counters(): Awaitable<Iterable<ProxyCounters>>;
  /**
   * What the SWITCH holds and did, by stable name (`routes4`, `fdb`,
   * `forwarded`, `exception.arp`, ...), for `show switch`.
   */
  summary?(): Awaitable<Record<string, bigint>>;
  /**
   * Every route the SWITCH holds, sorted by namespace, table, family and
   * prefix, for `show switch-fib` and for comparing it with Linux.
   */
  fib?(): Awaitable<SwitchRoute[]>;
  /**
   * What became of routes since the last call, in order (with `all`, of
   * every route it holds or could not hold), each given to `each`, for
   * the kernel's route flags; asked after the changes given so far. A
   * SWITCH without it says nothing, and SWITCHD does not ask the kernel
   * for the fib-offload extension.
   */
  routeOutcomes?(
    all: boolean,
    each: (o: RouteOutcome) => void,
  ): Awaitable<void>;
  /**
   * Times the SWITCH was programmed anew from the mirror (a SWITCH
   * elsewhere, back after it was out of reach). Outcomes read across one
   * may answer changes given after they were asked for.
   */
  readonly resyncs?: number;
  /**
   * Resolves when the SWITCH's ports' link state (carrier, speed, the set
   * of ports) changed since change number `after`, or once `timeoutMs`
   * passed, with the number to pass as `after` next time (the same one
   * when nothing changed): the relay sends link state when it changes,
   * instead of polling on a timer of its own, and sleeps while the SWITCH
   * is idle.
   */
  linksChanged?(after: number, timeoutMs: number): Promise<number>;
  /**
   * Releases the SWITCH; SWITCHD calls it last, and waits for it before
   * it unloads the library.
   */
  close(): Awaitable<void>;
}

/**
 * A SWITCH that forwards nothing: it keeps the count of what it was told
 * and reports no ports. SWITCHD runs with it until a real backend is
 * configured, so that the session, the mirror and `show` work on their own.
 */
export class NoSwitch implements SwitchBackend {
  readonly name = "none";
  /** changes applied, by table */
  readonly applied: Record<Change["table"], number> = {
    link: 0,
    fib: 0,
    neigh: 0,
    netns: 0,
  };

  apply(changes: readonly Change[]): void {
    for (const c of changes) this.applied[c.table]++;
  }

  links(): Iterable<PortLink> {
    return [];
  }

  counters(): Iterable<ProxyCounters> {
    return [];
  }

  summary(): Record<string, bigint> {
    return Object.fromEntries(
      Object.entries(this.applied).map(([k, v]) => [`applied.${k}`, BigInt(v)]),
    );
  }

  close(): void {}
}
