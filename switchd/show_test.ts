// What `show` reports, view by view, from a mirror filled with the
// messages the kernel sends, and how the views read as text.

import { deepEqual, equal, match } from "node:assert/strict";
import { fib4, fib6, ifinfo, neigh } from "./mirror/fixtures.ts";
import { Mirror } from "./mirror/mirror.ts";
import { FIB_EVENT } from "./protocol/kinds.ts";
import { Relay } from "./relay.ts";
import type { Session, SessionCounters } from "./session.ts";
import { formatView, showView } from "./show.ts";
import { NoSwitch, type SwitchBackend, type SwitchRoute } from "./switch.ts";

const COUNTERS: SessionCounters = {
  connects: 2,
  disconnects: 1,
  syncs: 2,
  redumps: 0,
  messages: 40,
  batches: 9,
  invalid: 1,
  sent: 3,
};

/** What showView reads of a session: its state, counters and mirror. */
function session(mirror = new Mirror()): Session {
  return {
    mirror,
    state: "live",
    counters: COUNTERS,
    changedAt: 1764806400123.4567,
  } as unknown as Session;
}

/** Port 7 (ifindex 107) with an address, a route through it, a neighbour. */
function filled(): Mirror {
  const m = new Mirror();
  m.apply(ifinfo(7, 4, { flags: 1 }));
  m.apply({
    kind: "ifa",
    xid: 7,
    event: 1,
    address: 0x0a000001,
    prefixLength: 24,
  });
  m.apply({ ...fib4(0x0a010000, 16, FIB_EVENT.REPLACE), nextHops: [] });
  m.apply({
    ...fib4(0x0a020000, 16, FIB_EVENT.REPLACE),
    nextHops: [{ ifindex: 107, weight: 1, flags: 0, gw: 0x0a000002, scope: 0 }],
  });
  m.apply(fib6(0x20010db8n << 96n, FIB_EVENT.REPLACE, [[107, 0n]]));
  m.apply({ ...neigh(0x0a000002, 0x02aa00000001), ifindex: 107 });
  m.apply(ifinfo(8, 4, { flags: 0 }));
  return m;
}

Deno.test("show session and counters: state, mirror sizes and counts", async () => {
  const s = session(filled());
  deepEqual(await showView("session", s, "xm0", { backend: new NoSwitch() }), {
    mux: "xm0",
    state: "live",
    switch: "none",
    links: 2,
    routes: 3,
    neighbours: 1,
    netns: 0,
    ...COUNTERS,
    changed_at_ms: 1764806400123.457,
  });
  equal(
    ((await showView("session", s, "xm0")) as { switch: string }).switch,
    "none",
  );
  s.mirror.apply({ kind: "break" });
  deepEqual(await showView("counters", s, "xm0"), {
    ...COUNTERS,
    mirror_ignored: 1,
  });
  const relay = new Relay(new NoSwitch(), () => s.mirror);
  relay.counters.carrier = 4;
  deepEqual(await showView("counters", s, "xm0", { relay }), {
    ...COUNTERS,
    mirror_ignored: 1,
    relay_carrier: 4,
    relay_speed: 0,
    relay_link_stats: 0,
    relay_ethtool_stats: 0,
    relay_unsent: 0,
  });
});

Deno.test("show links, fib and neighbours: rows, interfaces by name", async () => {
  const s = session(filled());
  deepEqual(await showView("links", s, "xm0"), [
    {
      xid: 7,
      name: "xeth7",
      kind: "port",
      net: "1",
      ifindex: 107,
      admin: "up",
      mac: "02:00:00:00:00:07",
      addresses: "10.0.0.1/24",
      uppers: "",
    },
    {
      xid: 8,
      name: "xeth8",
      kind: "port",
      net: "1",
      ifindex: 108,
      admin: "down",
      mac: "02:00:00:00:00:08",
      addresses: "",
      uppers: "",
    },
  ]);
  deepEqual(await showView("fib", s, "xm0"), [
    { net: "1", table: 254, prefix: "10.1.0.0/16", type: 1, nexthops: "" },
    {
      net: "1",
      table: 254,
      prefix: "10.2.0.0/16",
      type: 1,
      nexthops: "via 10.0.0.2 dev xeth7",
    },
    {
      net: "1",
      table: 254,
      prefix: "2001:db8::/64",
      type: 1,
      nexthops: "dev xeth7",
    },
  ]);
  deepEqual(await showView("neighbours", s, "xm0"), [
    { net: "1", dev: "xeth7", dst: "10.0.0.2", lladdr: "02:aa:00:00:00:01" },
  ]);
  // an ifindex that is no proxy keeps its number
  s.mirror.apply(neigh(0x0a000003, 0x02aa00000002));
  equal(
    ((await showView("neighbours", s, "xm0")) as { dev: string }[])[1].dev,
    "if5",
  );
});

Deno.test("show mirror: structured, addresses as text, u64s as strings", async () => {
  const v = (await showView("mirror", session(filled()), "xm0")) as unknown as {
    links: { xid: number; net: string; features: string }[];
    fib4: { address: string; nextHops: { gw: string | null }[] }[];
    fib6: { address: string; net: string }[];
    neighbours: { dst: string; lladdr: string }[];
    netns: string[];
  };
  deepEqual(v.links.map((l) => [l.xid, l.net, l.features]), [
    [7, "1", "0"],
    [8, "1", "0"],
  ]);
  deepEqual(v.fib4.map((r) => [r.address, r.nextHops.map((h) => h.gw)]), [
    ["10.1.0.0", []],
    ["10.2.0.0", ["10.0.0.2"]],
  ]);
  deepEqual(v.fib6.map((r) => [r.address, r.net]), [["2001:db8::", "1"]]);
  deepEqual(v.neighbours.map((n) => [n.dst, n.lladdr]), [
    ["10.0.0.2", "02:aa:00:00:00:01"],
  ]);
  deepEqual(v.netns, []);
  equal(
    formatView(v),
    "links: 2\nfib4: 2\nfib6: 1\nneighbours: 1\nnetns: 0",
  );
});

/** A SWITCH that reports the summary and routes it is given. */
function reporting(
  summary: Record<string, bigint>,
  fib: SwitchRoute[],
): SwitchBackend {
  const none = new NoSwitch();
  return {
    name: "software",
    apply: (c) => none.apply(c),
    links: () => [],
    counters: () => [],
    summary: () => summary,
    fib: () => fib,
    close: () => {},
  };
}

Deno.test("show switch: the backend's summary as strings", async () => {
  const s = session();
  deepEqual(
    await showView("switch", s, "xm0", {
      backend: reporting({
        fdb: 3n,
        forwarded: 18446744073709551615n,
        "switchd.lines": 0n,
        "switchd.errors": 0n,
      }, []),
    }),
    {
      switch: "software",
      fdb: "3",
      forwarded: "18446744073709551615",
      "switchd.lines": "0",
      "switchd.errors": "0",
    },
  );
  const none = new NoSwitch();
  none.apply(new Mirror().apply(ifinfo(10, 4)));
  deepEqual(await showView("switch", s, "xm0", { backend: none }), {
    switch: "none",
    "applied.link": "1",
    "applied.fib": "0",
    "applied.neigh": "0",
    "applied.netns": "0",
  });
  deepEqual(await showView("switch", s, "xm0"), { switch: "none" });
});

Deno.test("show switch-fib: the SWITCH's routes as rows", async () => {
  const s = session();
  const backend = reporting({}, [
    {
      net: 1n,
      table: 254,
      family: "inet",
      address: 0x0a000000,
      prefixLength: 8,
      type: 1,
      nextHops: [{ xid: 10, gw: 0x0a090001 }, {}],
    },
    {
      net: 4026531840n,
      table: 255,
      family: "inet6",
      address: 1n,
      prefixLength: 128,
      type: 2,
      nextHops: [],
    },
  ]);
  deepEqual(await showView("switch-fib", s, "xm0", { backend }), [
    {
      net: "1",
      table: 254,
      prefix: "10.0.0.0/8",
      type: 1,
      nexthops: "10@10.9.0.1,?",
    },
    {
      net: "4026531840",
      table: 255,
      prefix: "::1/128",
      type: 2,
      nexthops: "-",
    },
  ]);
  // A SWITCH that cannot list its routes lists none.
  deepEqual(
    await showView("switch-fib", s, "xm0", { backend: new NoSwitch() }),
    [],
  );
});

Deno.test("formatView: a table for rows, key: value for a record", async () => {
  equal(
    formatView([
      { xid: 7, name: "xeth7", addresses: "" },
      { xid: 3000, name: "br0", addresses: "10.0.0.1/24" },
    ]),
    [
      "xid   name   addresses",
      "7     xeth7",
      "3000  br0    10.0.0.1/24",
    ].join("\n"),
  );
  equal(formatView([]), "(none)");
  equal(formatView({ mux: "xm0", links: 2 }), "mux: xm0\nlinks: 2");
  match(
    formatView(await showView("session", session(), "xm0")),
    /^state: live$/m,
  );
});
