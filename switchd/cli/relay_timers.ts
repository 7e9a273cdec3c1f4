/**
 * The daemon's one timer for the relay (relay.ts), so that what the
 * SWITCH measures reaches the kernel.
 *
 * @module
 */

import type { Relay } from "../relay.ts";
import type { Session } from "../session.ts";

/** Link state is relayed this often by a SWITCH that does not say when it measured. */
export const LINK_MS = 200;

/**
 * Ticks the relay, one tick at a time: link state (carrier, speed) on
 * every tick, counters too once `statsMs` have passed since they last
 * went. A tick comes when the SWITCH has measured its ports again
 * (`backend.measured`, the software switch's own tick), or every
 * {@link LINK_MS} (at most `statsMs`) for a SWITCH that cannot say. Returns
 * its stop function, which resolves once no tick runs.
 */
export function startRelay(
  relay: Relay,
  session: Session,
  statsMs: number,
): () => Promise<void> {
  const send = (m: readonly Uint8Array[]) => session.send(m);
  const backend = relay.backend;
  const linkMs = Math.min(LINK_MS, statsMs);
  let stopped = false;
  let wake = () => {};
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        wake = () => {};
        resolve();
      }
      wake = done;
    });
  const loop = async () => {
    let seq = 0;
    let statsAt = -Infinity;
    while (!stopped) {
      // The SWITCH's own tick when it has one; a timer when it has none,
      // or when it no longer answers (closed).
      const was = seq;
      if (backend.measured) seq = await backend.measured(seq);
      if (stopped) break;
      if (seq === was) await sleep(linkMs);
      if (stopped) break;
      const now = performance.now();
      const stats = now - statsAt >= statsMs;
      if (stats) statsAt = now;
      await relay.tick(send, { links: true, stats });
    }
  };
  const running = loop();
  return () => {
    stopped = true;
    wake();
    return running;
  };
}
