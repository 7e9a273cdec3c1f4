/**
 * Milliseconds since the epoch, with the monotonic clock's resolution.
 *
 * `show` reports when the mirror and the SWITCH last changed in this unit
 * so that another process on the machine (a benchmark, a test) can subtract
 * its own moment from it: `performance.now()` alone starts at each
 * process's own origin, and `Date.now()` stops at milliseconds.
 */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}
