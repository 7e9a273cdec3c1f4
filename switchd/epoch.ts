/**
 * Milliseconds since the epoch, with the monotonic clock's resolution.
 *
 * `show` reports when the mirror and the SWITCH last changed in this unit
 * so that another process on the machine (a benchmark, a test) can subtract
 * its own moment from it: `performance.now()` alone starts at each
 * process's own origin, and `Date.now()` stops at milliseconds.
 *
 * `performance.timeOrigin + performance.now()` alone drifts from the wall
 * clock in a long-lived process: NTP slews the wall clock (up to 0.5 ms a
 * second) and steps it, the monotonic clock follows neither. So each
 * reading is held within the millisecond `Date.now()` says, and the
 * origin moves when it would leave it.
 */
let origin = performance.timeOrigin;

export function epochMs(): number {
  const now = performance.now();
  const wall = Date.now();
  let t = origin + now;
  // Date.now() is the wall clock rounded down: the moment is in
  // [wall, wall + 1)
  if (t < wall || t >= wall + 1) {
    t = t < wall ? wall : wall + 0.999;
    origin = t - now;
  }
  return t;
}

/** Moves the origin, as a slewed or stepped wall clock would: for tests. */
export function driftForTest(ms: number): void {
  origin += ms;
}
