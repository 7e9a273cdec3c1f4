/**
 * The stats and link relay: what the SWITCH measures goes back to the
 * kernel, so that `ip link`, `ethtool` and `ip -s link` on the proxies show
 * it.
 *
 * Each tick compares the backend's link state and counters with what was
 * last sent on this connection and sends only the differences, as one
 * batch: CARRIER and SPEED for ports whose link changed, LINK_STAT and
 * ETHTOOL_STAT for counters that moved. After a reconnect the kernel has
 * dropped carrier and zeroed the stats (docs/protocol.md), so {@link Relay.reset}
 * makes the next tick send everything again.
 *
 * @module
 */

import type { Mirror } from "./mirror/mirror.ts";
import { VALUES } from "./protocol/abi.generated.ts";
import { carrier, ethtoolStat, linkStat, speed } from "./protocol/requests.ts";
import type { SwitchBackend } from "./switch.ts";

/** LINK_STAT indexes the kernel knows (struct rtnl_link_stats64 order). */
const LINK_STATS = VALUES.XETH_N_LINK_STATS;
/** ETHTOOL_STAT indexes the kernel accepts per port. */
const ETHTOOL_STATS = VALUES.XETH_MAX_ETHTOOL_STATS;

export interface RelayCounters {
  ticks: number;
  carrier: number;
  speed: number;
  linkStats: number;
  ethtoolStats: number;
  /** ticks that found no live session to send on */
  unsent: number;
}

export class Relay {
  readonly counters: RelayCounters = {
    ticks: 0,
    carrier: 0,
    speed: 0,
    linkStats: 0,
    ethtoolStats: 0,
    unsent: 0,
  };
  #carrier = new Map<number, boolean>();
  #speed = new Map<number, number>();
  #stats = new Map<string, bigint>();

  constructor(
    readonly backend: SwitchBackend,
    /** The mirror of the session: only proxies it knows are relayed. */
    readonly mirror: () => Mirror,
  ) {}

  /** Forgets what was sent; the next tick sends everything. */
  reset(): void {
    this.#carrier.clear();
    this.#speed.clear();
    this.#stats.clear();
  }

  /**
   * The messages for what changed since the last call, and the state to
   * remember once they are sent. `links` and `stats` pick the parts.
   */
  async collect(parts: { links: boolean; stats: boolean }): Promise<{
    messages: Uint8Array[];
    commit: () => void;
  }> {
    // Asked first: a SWITCH elsewhere answers later, and the mirror the
    // answers are matched with is the one of then.
    const links = parts.links ? await this.backend.links() : [];
    const counters = parts.stats ? await this.backend.counters() : [];
    const m = this.mirror();
    const messages: Uint8Array[] = [];
    const carriers: [number, boolean][] = [];
    const speeds: [number, number][] = [];
    const stats: [string, bigint][] = [];
    let nCarrier = 0, nSpeed = 0, nLink = 0, nEthtool = 0;
    if (parts.links) {
      for (const l of links) {
        if (!m.links.get(l.xid)) continue;
        if (this.#carrier.get(l.xid) !== l.carrier) {
          messages.push(carrier(l.xid, l.carrier));
          carriers.push([l.xid, l.carrier]);
          nCarrier++;
        }
        if (l.speedMbps > 0 && this.#speed.get(l.xid) !== l.speedMbps) {
          messages.push(speed(l.xid, l.speedMbps));
          speeds.push([l.xid, l.speedMbps]);
          nSpeed++;
        }
      }
    }
    if (parts.stats) {
      for (const c of counters) {
        if (!m.links.get(c.xid)) continue;
        const n = Math.min(c.link.length, LINK_STATS);
        for (let i = 0; i < n; i++) {
          const k = `l/${c.xid}/${i}`;
          if ((this.#stats.get(k) ?? 0n) === c.link[i]) continue;
          messages.push(linkStat(c.xid, i, c.link[i]));
          stats.push([k, c.link[i]]);
          nLink++;
        }
        const e = c.ethtool ?? [];
        for (let i = 0; i < Math.min(e.length, ETHTOOL_STATS); i++) {
          const k = `e/${c.xid}/${i}`;
          if ((this.#stats.get(k) ?? 0n) === e[i]) continue;
          messages.push(ethtoolStat(c.xid, i, e[i]));
          stats.push([k, e[i]]);
          nEthtool++;
        }
      }
    }
    return {
      messages,
      commit: () => {
        for (const [x, v] of carriers) this.#carrier.set(x, v);
        for (const [x, v] of speeds) this.#speed.set(x, v);
        for (const [k, v] of stats) this.#stats.set(k, v);
        this.counters.carrier += nCarrier;
        this.counters.speed += nSpeed;
        this.counters.linkStats += nLink;
        this.counters.ethtoolStats += nEthtool;
      },
    };
  }

  /**
   * Collects and sends with `send` (the session's); remembers the state
   * only when it was sent. Returns the number of messages sent.
   */
  async tick(
    send: (messages: readonly Uint8Array[]) => Promise<boolean>,
    parts = { links: true, stats: true },
  ): Promise<number> {
    this.counters.ticks++;
    const { messages, commit } = await this.collect(parts);
    if (messages.length === 0) return 0;
    if (!await send(messages)) {
      this.counters.unsent++;
      return 0;
    }
    commit();
    return messages.length;
  }
}
