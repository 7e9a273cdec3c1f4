import { deepEqual, equal } from "node:assert/strict";
import { decode } from "./protocol/decode.ts";
import type { Decoded } from "./protocol/types.ts";
import { Mirror } from "./mirror/mirror.ts";
import { portInfo } from "./protocol/fixtures.ts";
import { Relay } from "./relay.ts";
import type { PortLink, ProxyCounters, SwitchBackend } from "./switch.ts";

/** A backend whose ports and counters the test sets. */
class TestSwitch implements SwitchBackend {
  readonly name = "test";
  ports: PortLink[] = [];
  stats: ProxyCounters[] = [];
  apply(): void {}
  links(): Iterable<PortLink> {
    return this.ports;
  }
  counters(): Iterable<ProxyCounters> {
    return this.stats;
  }
  close(): void {}
}

function mirrorWith(...xids: number[]): Mirror {
  const m = new Mirror();
  for (const xid of xids) {
    m.apply(portInfo(xid, { addr: 2, features: 0n }));
  }
  return m;
}

function summary(msgs: readonly Uint8Array[]): string[] {
  return msgs.map((b) => decode(b)).map((d: Decoded) => {
    switch (d.kind) {
      case "carrier":
        return `carrier ${d.xid} ${d.on}`;
      case "speed":
        return `speed ${d.xid} ${d.mbps}`;
      case "link_stat":
      case "ethtool_stat":
        return `${d.kind} ${d.xid} ${d.index} ${d.count}`;
      default:
        return d.kind;
    }
  });
}

Deno.test("relay sends link changes and moved counters once, for known proxies", async () => {
  const sw = new TestSwitch();
  const m = mirrorWith(7, 8);
  const relay = new Relay(sw, () => m);
  const sent: string[][] = [];
  const send = (msgs: readonly Uint8Array[]) => {
    sent.push(summary(msgs));
    return Promise.resolve(true);
  };
  sw.ports = [
    { xid: 7, carrier: true, speedMbps: 25000 },
    { xid: 8, carrier: false, speedMbps: 0 },
    { xid: 99, carrier: true, speedMbps: 10 }, // not a proxy the kernel has
  ];
  sw.stats = [{ xid: 7, link: [5n, 0n, 300n], ethtool: [0n, 9n] }];
  equal(await relay.tick(send), 6);
  deepEqual(sent[0], [
    "carrier 7 true",
    "speed 7 25000",
    "carrier 8 false",
    "link_stat 7 0 5",
    "link_stat 7 2 300",
    "ethtool_stat 7 1 9",
  ]);
  // Nothing moved: nothing sent.
  equal(await relay.tick(send), 0);
  // One counter and one carrier move.
  sw.stats = [{ xid: 7, link: [6n, 0n, 300n], ethtool: [0n, 9n] }];
  sw.ports[1] = { xid: 8, carrier: true, speedMbps: 0 };
  await relay.tick(send);
  deepEqual(sent[1], ["carrier 8 true", "link_stat 7 0 6"]);
  deepEqual(
    { ...relay.counters },
    {
      ticks: 3,
      carrier: 3,
      speed: 1,
      linkStats: 3,
      ethtoolStats: 1,
      unsent: 0,
    },
  );
});

Deno.test("relay resends everything after a reset and keeps what it could not send", async () => {
  const sw = new TestSwitch();
  const m = mirrorWith(7);
  const relay = new Relay(sw, () => m);
  sw.ports = [{ xid: 7, carrier: true, speedMbps: 1000 }];
  sw.stats = [{ xid: 7, link: [1n] }];
  // No live session: nothing is remembered as sent.
  equal(await relay.tick(() => Promise.resolve(false)), 0);
  equal(relay.counters.unsent, 1);
  const got: string[] = [];
  const send = (msgs: readonly Uint8Array[]) => {
    got.push(...summary(msgs));
    return Promise.resolve(true);
  };
  equal(await relay.tick(send), 3);
  equal(await relay.tick(send), 0);
  relay.reset(); // a new connection: the kernel dropped carrier, zeroed stats
  equal(await relay.tick(send), 3);
  deepEqual(got, [
    "carrier 7 true",
    "speed 7 1000",
    "link_stat 7 0 1",
    "carrier 7 true",
    "speed 7 1000",
    "link_stat 7 0 1",
  ]);
  // Links only: counters wait for their own tick.
  sw.stats = [{ xid: 7, link: [2n] }];
  equal(await relay.tick(send, { links: true, stats: false }), 0);
  equal(await relay.tick(send, { links: false, stats: true }), 1);
});
