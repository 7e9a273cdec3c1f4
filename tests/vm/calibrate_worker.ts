/// <reference lib="deno.worker" />
/**
 * The calibration loop (see calibrate.ts): integer work the JIT cannot
 * fold away; answers with the milliseconds it took.
 */
function spin(rounds: number): number {
  let x = 0x12345678;
  for (let i = 0; i < rounds; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x |= 0;
  }
  return x;
}

self.onmessage = (e: MessageEvent<number>) => {
  const t0 = performance.now();
  const x = spin(e.data);
  const ms = performance.now() - t0;
  // x keeps the loop alive; it is never 0.5
  self.postMessage(x === 0.5 ? -1 : ms);
};
