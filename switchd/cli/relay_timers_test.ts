// The relay's one timer with a real Relay and real timers: both parts are
// ticked, nothing after stop, a slow send holds the next tick back, and a
// SWITCH that says when its links changed drives the link ticks instead
// of a timer, with no tick while it is idle.
// Waits are for events, with a generous bound reported as what is pending.

import { deepEqual, equal, ok } from "node:assert/strict";
import { Mirror } from "../mirror/mirror.ts";
import { Relay } from "../relay.ts";
import type { Session } from "../session.ts";
import { NoSwitch, type SwitchBackend } from "../switch.ts";
import { startRelay } from "./relay_timers.ts";

type Parts = { links: boolean; stats: boolean };

/** A relay that records the parts of each tick and may hold it. */
class Recording extends Relay {
  readonly ticks: Parts[] = [];
  hold: Promise<void> | undefined;

  constructor(backend: SwitchBackend = new NoSwitch()) {
    super(backend, () => new Mirror());
  }

  override async tick(
    send: (m: readonly Uint8Array[]) => Promise<boolean>,
    parts: Parts = { links: true, stats: true },
  ): Promise<number> {
    this.ticks.push(parts);
    await this.hold;
    return await super.tick(send, parts);
  }
}

const SESSION = { send: () => Promise.resolve(true) } as unknown as Session;

async function until(what: string, done: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("relay timers: links and stats both ticked, nothing after stop", async () => {
  const relay = new Recording();
  // Counters every 500 ms, link state every 200 ms (at most): ticks with
  // link state alone come between those with counters too.
  const { stop } = startRelay(relay, SESSION, 500);
  try {
    await until(
      "a links tick and a stats tick",
      () =>
        relay.ticks.some((p) => p.links && !p.stats) &&
        relay.ticks.filter((p) => p.stats).length >= 2,
    );
    ok(relay.ticks.every((p) => p.links), "every tick has link state");
  } finally {
    await stop();
  }
  // a tick already running may finish; none starts after
  await sleep(50);
  const n = relay.ticks.length;
  await sleep(500);
  equal(relay.ticks.length, n, "ticks after stop");
  ok(relay.counters.ticks >= 2);
});

Deno.test("relay timers: one tick at a time, however slow the send", async () => {
  const relay = new Recording();
  let release = () => {};
  relay.hold = new Promise((r) => release = r);
  const { stop } = startRelay(relay, SESSION, 100);
  try {
    await until("the first tick", () => relay.ticks.length > 0);
    // Both timers fire several times meanwhile; none starts a tick.
    await sleep(600);
    equal(relay.ticks.length, 1, "ticks while one is held");
    relay.hold = undefined;
    release();
    await until("ticks after the held one", () => relay.ticks.length > 2);
  } finally {
    await stop();
  }
  deepEqual(Object.keys(relay.ticks[0]).sort(), ["links", "stats"]);
});

/**
 * A SWITCH whose link changes the test makes, one `change()` each; its
 * wait answers only then, or when closed (never by its timeout, so a
 * relay that waited for the answer would show it).
 */
class Changing extends NoSwitch {
  seq = 0;
  calls = 0;
  #waiters: (() => void)[] = [];

  change(): void {
    this.seq++;
    for (const w of this.#waiters.splice(0)) w();
  }

  linksChanged(after: number, _timeoutMs: number): Promise<number> {
    this.calls++;
    if (this.seq > after) return Promise.resolve(this.seq);
    return new Promise((resolve) =>
      this.#waiters.push(() => resolve(this.seq))
    );
  }
}

/** Resolves `p`, or rejects naming `what` after a generous bound. */
async function within<T>(what: string, p: Promise<T>): Promise<T> {
  let t: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    t = setTimeout(
      () => reject(new Error(`timed out waiting for ${what}`)),
      20_000,
    );
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(t);
  }
}

Deno.test("relay timers: a SWITCH that says when its links changed drives the link ticks", async () => {
  const backend = new Changing();
  const relay = new Recording(backend);
  // Counters far apart: every tick after the first comes from a change
  // or from now().
  const timers = startRelay(relay, SESSION, 3_600_000);
  try {
    await until("the first tick", () => relay.ticks.length === 1);
    deepEqual(relay.ticks[0], { links: true, stats: true });
    await sleep(300);
    equal(relay.ticks.length, 1, "ticks without a change");
    backend.change();
    await until("the tick after a change", () => relay.ticks.length === 2);
    deepEqual(relay.ticks[1], { links: true, stats: false });
    await sleep(300);
    equal(relay.ticks.length, 2, "ticks without a new change");
    // After a reset, link state goes at once, without a change.
    timers.now();
    await until("the tick of now()", () => relay.ticks.length === 3);
    deepEqual(relay.ticks[2], { links: true, stats: false });
  } finally {
    // The SWITCH's wait is still pending: stop does not wait for it.
    await within("stop, with the SWITCH's wait pending", timers.stop());
    backend.change();
  }
});

Deno.test("relay timers: a SWITCH that answers at once without a change is not asked in a loop", async () => {
  // A closed SWITCH answers every wait at once with nothing new; the relay
  // then waits for the counters' time, as for a SWITCH that cannot say.
  class Closed extends NoSwitch {
    calls = 0;
    linksChanged(after: number): Promise<number> {
      this.calls++;
      // Answered on a later turn, so that a relay asking in a loop
      // would not starve this test's timers but count the calls.
      return new Promise((r) => setTimeout(() => r(after), 0));
    }
  }
  const backend = new Closed();
  const relay = new Recording(backend);
  const timers = startRelay(relay, SESSION, 200);
  try {
    await until("the counters' ticks", () => relay.ticks.length >= 4);
  } finally {
    await timers.stop();
  }
  // One wait per tick (plus the one stop ended): a loop makes thousands.
  ok(
    backend.calls <= relay.ticks.length + 1,
    `${backend.calls} waits for ${relay.ticks.length} ticks`,
  );
  ok(relay.ticks.slice(1).every((p) => p.stats), "each tick is the counters'");
});
