import assert from "node:assert/strict";
import { allocatePeerLinks, peerEnv, peerMac, peerQemuArgs } from "./peer.ts";

Deno.test("allocatePeerLinks: four distinct loopback ports", async () => {
  const l = await allocatePeerLinks();
  const all = [...l.wan, ...l.ctl];
  assert.equal(new Set(all).size, 4);
  for (const p of all) assert.ok(p > 0 && p < 65536);
});

Deno.test("peerQemuArgs: each side's local port is the other's remote", () => {
  const links = { wan: [4001, 4002], ctl: [4003, 4004] } as {
    wan: [number, number];
    ctl: [number, number];
  };
  const a = peerQemuArgs(links, "scenario").join(" ");
  const b = peerQemuArgs(links, "peer").join(" ");
  assert.match(a, /id=xrig_wan,.*local\.port=4001,.*remote\.port=4002/);
  assert.match(b, /id=xrig_wan,.*local\.port=4002,.*remote\.port=4001/);
  assert.match(a, /id=xrig_ctl,.*local\.port=4003,.*remote\.port=4004/);
  assert.match(b, /id=xrig_ctl,.*local\.port=4004,.*remote\.port=4003/);
  assert.ok(a.includes(`mac=${peerMac("wan", "scenario")}`));
  assert.ok(b.includes(`mac=${peerMac("ctl", "peer")}`));
});

Deno.test("peerMac: four different unicast, locally administered addresses", () => {
  const macs = (["wan", "ctl"] as const).flatMap((l) =>
    (["scenario", "peer"] as const).map((s) => peerMac(l, s))
  );
  assert.equal(new Set(macs).size, 4);
  for (const m of macs) {
    assert.match(m, /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    const first = parseInt(m.slice(0, 2), 16);
    assert.equal(first & 1, 0, "unicast");
    assert.equal(first & 2, 2, "locally administered");
  }
});

Deno.test("peerEnv: the side and its two MACs, as lib_peer.sh reads them", () => {
  const env = peerEnv("peer");
  assert.match(env, /^export XETH_PEER_SIDE=peer$/m);
  assert.match(env, new RegExp(`XETH_PEER_WAN_MAC=${peerMac("wan", "peer")}`));
  assert.match(env, new RegExp(`XETH_PEER_CTL_MAC=${peerMac("ctl", "peer")}`));
});
