/**
 * The daemon's timers that tick the relay (relay.ts), so that what the
 * SWITCH measures reaches the kernel.
 *
 * @module
 */

import type { Relay } from "../relay.ts";
import type { Session } from "../session.ts";

/**
 * Ticks the relay: link state every 200 ms (carrier should reach the
 * kernel promptly), counters every `statsMs`, one tick at a time. Returns
 * its stop function.
 */
export function startRelay(
  relay: Relay,
  session: Session,
  statsMs: number,
): () => void {
  const send = (m: readonly Uint8Array[]) => session.send(m);
  const linkMs = Math.min(200, statsMs);
  let busy = false;
  const run = async (parts: { links: boolean; stats: boolean }) => {
    // One tick at a time: a slow send must not pile ticks up.
    if (busy) return;
    busy = true;
    try {
      await relay.tick(send, parts);
    } finally {
      busy = false;
    }
  };
  const links = setInterval(() => run({ links: true, stats: false }), linkMs);
  const stats = setInterval(() => run({ links: false, stats: true }), statsMs);
  return () => {
    clearInterval(links);
    clearInterval(stats);
  };
}
