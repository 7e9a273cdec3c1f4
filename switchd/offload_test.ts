// Route outcomes from the library's software SWITCH (with a capacity) to
// FIB_OFFLOAD messages, through the mirror's cookies: the real library
// and the real codec, a session that keeps what it is given to send.

import { deepEqual, equal } from "node:assert/strict";
import { openDataplane } from "../ffi/library.ts";
import { FIB_RESULT } from "./protocol/abi.generated.ts";
import { decode } from "./protocol/decode.ts";
import { fib6entry, fibentry, portInfo } from "./protocol/fixtures.ts";
import { FIB_EVENT } from "./protocol/kinds.ts";
import type { FibResult } from "./protocol/types.ts";
import { Mirror } from "./mirror/mirror.ts";
import {
  FIB_OFFLOAD_EXT,
  fibResults,
  OffloadReporter,
  type OffloadSession,
} from "./offload.ts";
import { SoftwareSwitch } from "./software/backend.ts";

const dp = openDataplane();
globalThis.addEventListener("unload", () => dp.close());

const NO_MUX = `xnooff${Deno.pid % 10000}`;

/** A session of one mirror that keeps the results it is asked to send. */
class KeptSession implements OffloadSession {
  extensions = FIB_OFFLOAD_EXT;
  mirror = new Mirror();
  sent: FibResult[][] = [];

  send(messages: readonly Uint8Array[]): Promise<boolean> {
    for (const m of messages) {
      const d = decode(m);
      if (d.kind !== "fib_offload") throw new Error(`sent ${d.kind}`);
      this.sent.push(d.results);
    }
    return Promise.resolve(true);
  }
}

/** IPv4 route i: 10.<i>.0.0/16 out of a non-proxy, with cookie 100 + i. */
function route4(i: number, event: number = FIB_EVENT.REPLACE) {
  return {
    ...fibentry(1),
    net: 1n,
    address: (10 << 24 | i << 16) >>> 0,
    prefixLength: 16,
    event,
    cookie: BigInt(100 + i),
  };
}

/** Applies `m` to the mirror and the SWITCH, and tells the reporter. */
function feed(
  s: KeptSession,
  sw: SoftwareSwitch,
  r: OffloadReporter,
  ...ms: Parameters<Mirror["apply"]>[0][]
) {
  for (const m of ms) sw.apply(s.mirror.apply(m));
  r.changed();
}

const short = (rs: FibResult[]) =>
  rs.map((r) =>
    `${r.address.toString(16)}/${r.prefixLength} ${r.cookie} ${r.result}`
  );

Deno.test("offload: outcomes become results with the mirror's cookies, in order, failed ones retried", async () => {
  const sw = SoftwareSwitch.open(dp, NO_MUX, { fibCapacity: { ipv4: 2 } });
  try {
    const s = new KeptSession();
    const r = new OffloadReporter(sw, s);
    const settle = async () => {
      await new Promise((ok) => setTimeout(ok, 0));
      await r.settled();
    };
    const { OFFLOAD, TRAP, FAILED } = FIB_RESULT;
    // port 1 is ifindex 10, the routes' next hop; route 3's is no proxy
    feed(s, sw, r, portInfo(1, { ifindex: 10 }));
    // the first outcomes asked for are all of them (no route yet), and
    // from then on, what changed, in order
    await settle();
    deepEqual(s.sent, []);
    const foreign = {
      ...route4(3),
      nextHops: [{ ...route4(3).nextHops[0], ifindex: 99 }],
    };
    feed(s, sw, r, route4(1), foreign, route4(2));
    await settle();
    deepEqual(s.sent.map(short), [[
      `a010000/16 101 ${OFFLOAD}`,
      `a030000/16 103 ${TRAP}`,
      `a020000/16 102 ${FAILED}`,
    ]]);
    equal(r.counters.messages, 1);
    // a deletion makes room: the failed route goes in, with its cookie
    s.sent = [];
    feed(s, sw, r, route4(1, FIB_EVENT.DEL));
    await settle();
    deepEqual(s.sent.map(short), [[`a020000/16 102 ${OFFLOAD}`]]);
    // a new connection: everything again, as the SWITCH holds it now
    s.sent = [];
    r.synced();
    await settle();
    deepEqual(s.sent.flat().map((x) => x.result).sort(), [OFFLOAD, TRAP]);
    // IPv6: no limit given, held
    s.sent = [];
    feed(s, sw, r, { ...fib6entry(0), cookie: 77n });
    await settle();
    equal(s.sent.flat()[0].family, "inet6");
    equal(s.sent.flat()[0].cookie, 77n);
    equal(r.counters.offload + r.counters.trap + r.counters.failed, 7);
  } finally {
    await sw.close();
  }
});

Deno.test("offload: an outcome of a route that changed after it was asked for is left out; the new version's follows", async () => {
  const sw = SoftwareSwitch.open(dp, NO_MUX, { fibCapacity: { ipv4: 1 } });
  try {
    const s = new KeptSession();
    // Right after the reporter asks (its call queued, not yet run), the
    // kernel deletes route 1 and replaces route 2: route 2's new version
    // goes to the SWITCH after the question.
    let ask: (() => void) | undefined;
    const asks: boolean[] = [];
    const backend = {
      resyncs: 0,
      name: sw.name,
      apply: (c: Parameters<typeof sw.apply>[0]) => sw.apply(c),
      links: () => sw.links(),
      counters: () => sw.counters(),
      close: () => sw.close(),
      routeOutcomes: (
        all: boolean,
        each: Parameters<typeof sw.routeOutcomes>[1],
      ) => {
        asks.push(all);
        const p = sw.routeOutcomes(all, each);
        const then = ask;
        ask = undefined;
        then?.();
        return p;
      },
    };
    const r = new OffloadReporter(backend, s);
    const settle = async () => {
      await new Promise((ok) => setTimeout(ok, 0));
      await r.settled();
    };
    const { OFFLOAD, FAILED } = FIB_RESULT;
    feed(s, sw, r, portInfo(1, { ifindex: 10 }));
    await settle();
    feed(s, sw, r, route4(1));
    await settle();
    deepEqual(s.sent.map(short), [[`a010000/16 101 ${OFFLOAD}`]]);
    s.sent = [];
    // route 2 does not fit: FAILED, for cookie 102; its new version
    // (cookie 203) fits, route 1 gone
    ask = () =>
      feed(s, sw, r, { ...route4(1, FIB_EVENT.DEL), cookie: 202n }, {
        ...route4(2),
        cookie: 203n,
      });
    feed(s, sw, r, route4(2));
    await settle();
    const sent = s.sent.flat();
    deepEqual(
      sent.filter((x) => x.cookie === 203n && x.result !== OFFLOAD),
      [],
      "no result gives the new version the old one's fate",
    );
    equal(sent.at(-1)?.cookie, 203n);
    equal(sent.at(-1)?.result, OFFLOAD);
    equal(r.counters.superseded, 1);
    equal(r.counters.failed, 0);
    equal(r.counters.unknown, 0);
    deepEqual(asks, [true, false, false, false]);
    // A SWITCH programmed anew meanwhile (a remote one back in reach) may
    // have taken the new version without its batch being sent again: the
    // status of every route is asked for next.
    asks.length = 0;
    ask = () => {
      backend.resyncs++;
      feed(s, sw, r, { ...route4(3), cookie: 205n });
    };
    s.sent = [];
    feed(s, sw, r, { ...route4(3), cookie: 204n });
    await settle();
    equal(r.counters.superseded, 1 + 1);
    deepEqual(asks, [false, false, true]);
    deepEqual(s.sent.map(short), [
      [`a030000/16 205 ${FAILED}`],
      [`a020000/16 203 ${OFFLOAD}`, `a030000/16 205 ${FAILED}`],
    ]);
  } finally {
    await sw.close();
  }
});

Deno.test("offload: nothing is asked of the SWITCH or sent without the extension", async () => {
  const sw = SoftwareSwitch.open(dp, NO_MUX, { fibCapacity: { ipv4: 1 } });
  try {
    const s = new KeptSession();
    s.extensions = 0n;
    const r = new OffloadReporter(sw, s);
    feed(s, sw, r, route4(1), route4(2));
    r.synced();
    await new Promise((ok) => setTimeout(ok, 0));
    await r.settled();
    deepEqual(s.sent, []);
    equal(r.counters.messages, 0);
  } finally {
    await sw.close();
  }
});

Deno.test("offload: routes the mirror lacks, or holds without a cookie, get no result", () => {
  const m = new Mirror();
  m.apply({ ...route4(1), cookie: undefined });
  m.apply(route4(2));
  const out = fibResults(m.fib, [
    {
      net: 1n,
      table: 254,
      family: "inet",
      address: 0x0a010000,
      prefixLength: 16,
      outcome: "forwarded",
    },
    {
      net: 1n,
      table: 254,
      family: "inet",
      address: 0x0a020000,
      prefixLength: 16,
      outcome: "failed",
    },
    {
      net: 1n,
      table: 254,
      family: "inet6",
      address: 1n,
      prefixLength: 128,
      outcome: "trapped",
    },
  ]);
  deepEqual(out.map((r) => [r.cookie, r.result]), [[102n, FIB_RESULT.FAILED]]);
});
