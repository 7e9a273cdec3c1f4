/**
 * Polling for the library's tests: what a background thread does shows
 * up a little later, so tests wait for it, within a bound.
 *
 * @module
 */

/**
 * Resolves once `done()` is (or resolves to) true; throws after `ms`
 * naming `what`.
 */
export async function waitFor(
  what: string,
  done: () => boolean | Promise<boolean>,
  ms = 5000,
): Promise<void> {
  const end = Date.now() + ms;
  while (!await done()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
