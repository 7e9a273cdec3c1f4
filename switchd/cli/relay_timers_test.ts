// The relay's timers with a real Relay and real timers: both parts are
// ticked, nothing after stop, and a slow send holds the next tick back.
// Waits are for events, with a generous bound reported as what is pending.

import { deepEqual, equal, ok } from "node:assert/strict";
import { Mirror } from "../mirror/mirror.ts";
import { Relay } from "../relay.ts";
import type { Session } from "../session.ts";
import { NoSwitch } from "../switch.ts";
import { startRelay } from "./relay_timers.ts";

type Parts = { links: boolean; stats: boolean };

/** A relay that records the parts of each tick and may hold it. */
class Recording extends Relay {
  readonly ticks: Parts[] = [];
  hold: Promise<void> | undefined;

  constructor() {
    super(new NoSwitch(), () => new Mirror());
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
  const stop = startRelay(relay, SESSION, 100);
  try {
    await until(
      "a links tick and a stats tick",
      () =>
        relay.ticks.some((p) => p.links && !p.stats) &&
        relay.ticks.some((p) => p.stats && !p.links),
    );
  } finally {
    stop();
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
  const stop = startRelay(relay, SESSION, 100);
  try {
    await until("the first tick", () => relay.ticks.length > 0);
    // Both timers fire several times meanwhile; none starts a tick.
    await sleep(600);
    equal(relay.ticks.length, 1, "ticks while one is held");
    relay.hold = undefined;
    release();
    await until("ticks after the held one", () => relay.ticks.length > 2);
  } finally {
    stop();
  }
  deepEqual(Object.keys(relay.ticks[0]).sort(), ["links", "stats"]);
});
