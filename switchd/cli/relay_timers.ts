/**
 * The daemon's one timer for the relay (relay.ts), so that what the
 * SWITCH measures reaches the kernel.
 *
 * @module
 */

import type { Relay } from "../relay.ts";
import type { Session } from "../session.ts";

/** Link state is relayed this often by a SWITCH that does not say when it changed. */
export const LINK_MS = 200;

/** The relay's ticking, as the daemon drives it. */
export interface RelayTimers {
  /** Stops ticking; resolves once no tick runs. */
  stop(): Promise<void>;
  /**
   * Makes the next tick come at once, with link state: after
   * {@link Relay.reset}, so that a new connection gets carrier without
   * waiting for a change or for the counters' interval.
   */
  now(): void;
}

/**
 * Ticks the relay, one tick at a time, each with link state (carrier,
 * speed) and, once `statsMs` have passed since they last went, counters.
 * A tick comes when the counters are due, when {@link RelayTimers.now} is
 * called, and when link state changed: the SWITCH says so
 * (`backend.linksChanged`, the software switch's), so that an idle SWITCH
 * does not wake the daemon; one that cannot say is asked every
 * {@link LINK_MS} (at most `statsMs`).
 */
export function startRelay(
  relay: Relay,
  session: Session,
  statsMs: number,
): RelayTimers {
  const send = (m: readonly Uint8Array[]) => session.send(m);
  const backend = relay.backend;
  const linkMs = Math.min(LINK_MS, statsMs);
  let stopped = false;
  // Link state to send at once: on the first tick and after now().
  let due = true;
  let kick = () => {};
  // Resolves after `ms`, or at once on now() or stop().
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        kick = () => {};
        resolve();
      }
      kick = done;
    });
  const loop = async () => {
    let seq = 0;
    let statsAt = -Infinity;
    while (!stopped) {
      const left = Math.ceil(statsAt + statsMs - performance.now());
      let links = due;
      if (!due && left > 0) {
        if (backend.linksChanged) {
          // The SWITCH's answer is not awaited past now() or stop(): it
          // ends by itself (at `left`), or when the SWITCH closes.
          const was = seq;
          const kicked = pause(left);
          const answer = backend.linksChanged(seq, left).then((s) => {
            seq = s;
          });
          await Promise.race([answer, kicked]);
          // An answer of no change before its time (a SWITCH that closed
          // answers at once): the counters' time, now() or stop() ends
          // the wait, as for a SWITCH that cannot say.
          if (seq === was && !due && !stopped) await kicked;
          kick();
          links = seq !== was || due;
        } else {
          await pause(Math.min(linkMs, left));
          links = true;
        }
        if (stopped) break;
      }
      const now = performance.now();
      const stats = now - statsAt >= statsMs;
      if (stats) statsAt = now;
      if (!links && !stats) continue;
      due = false;
      await relay.tick(send, { links: true, stats });
    }
  };
  const running = loop();
  return {
    stop: () => {
      stopped = true;
      kick();
      return running;
    },
    now: () => {
      due = true;
      kick();
    },
  };
}
