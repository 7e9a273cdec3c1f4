import { deepEqual, equal, ok } from "node:assert/strict";
import { LINK_MODES_WHICH } from "../protocol/abi.generated.ts";
import { ifinfo, NET, OTHER } from "./fixtures.ts";
import { Links } from "./links.ts";

Deno.test("links: identity, admin state, addresses, uppers and deletion", () => {
  const l = new Links();
  l.applyIfinfo(ifinfo(7, 0, { flags: 1 }));
  ok(l.get(7)?.adminUp, "NEW with IFF_UP");
  l.applyIfinfo(ifinfo(7, 3));
  equal(l.get(7)?.adminUp, false, "DOWN");
  l.applyIfa({
    kind: "ifa",
    xid: 7,
    event: 1,
    address: 0x0a000001,
    prefixLength: 24,
  });
  l.applyIfa({
    kind: "ifa6",
    xid: 7,
    event: 1,
    address: 1n,
    prefixLength: 128,
  });
  deepEqual([...l.get(7)!.ipv4.keys()], [`${0x0a000001}/24`]);
  l.applyIfa({
    kind: "ifa",
    xid: 7,
    event: 2,
    address: 0x0a000001,
    prefixLength: 24,
  });
  equal(l.get(7)!.ipv4.size, 0);
  l.applyIfinfo(ifinfo(3000, 4, { devKind: 4 }));
  l.applyUpper({
    kind: "change_upper_xid",
    upper: 3000,
    lower: 7,
    linking: true,
  });
  deepEqual([...l.get(7)!.uppers], [3000]);
  equal(l.byIfindex(NET, 107)?.xid, 7);
  l.applyIfinfo(ifinfo(3000, 1));
  equal(l.get(3000), undefined);
  equal(l.get(7)!.uppers.size, 0, "a deleted upper leaves its members");
  // A move to another namespace: UNREG then REG.
  deepEqual(l.applyIfinfo(ifinfo(7, 6)).map((c) => c.op), ["set"]);
  equal(l.get(7)!.ifindex, undefined);
  equal(l.get(7)!.ipv6.size, 0);
  l.applyIfinfo(ifinfo(7, 5, { net: OTHER, ifindex: 2 }));
  equal(l.byIfindex(OTHER, 2)?.xid, 7);
  equal(l.byIfindex(NET, 107), undefined);
  // Messages for unknown xids change nothing.
  deepEqual(l.applyEthtool({ kind: "ethtool_flags", xid: 99, flags: 1 }), []);
  l.applyEthtool({ kind: "ethtool_flags", xid: 7, flags: 5 });
  equal(l.get(7)!.ethtool.privFlags, 5);
});

Deno.test("links: admin state follows UP and DOWN, not REG's flags", () => {
  const l = new Links();
  l.applyIfinfo(ifinfo(7, 0, { flags: 0 }));
  equal(l.get(7)!.adminUp, false);
  l.applyIfinfo(ifinfo(7, 2));
  ok(l.get(7)!.adminUp, "UP");
  l.applyIfinfo(ifinfo(7, 5, { flags: 0 }));
  ok(l.get(7)!.adminUp, "REG keeps it");
  l.applyIfinfo(ifinfo(7, 7, { features: 1n }));
  equal(l.get(7)!.features, 1n, "FEATURES");
  deepEqual(l.applyIfinfo(ifinfo(8, 1)), [], "DEL of an unknown xid");
});

Deno.test("links: ethtool settings and link modes, classic and extended", () => {
  const l = new Links();
  l.applyIfinfo(ifinfo(7, 4));
  const settings = {
    speed: 100000,
    duplex: 1,
    port: 3,
    phyAddress: 0,
    autoneg: 1,
    mdioSupport: 0,
    ethTpMdix: 0,
    ethTpMdixCtrl: 0,
  };
  l.applyEthtool({ kind: "ethtool_settings", xid: 7, ...settings });
  deepEqual(l.get(7)!.ethtool.settings, settings);
  l.applyEthtool({ kind: "ethtool_link_modes_supported", xid: 7, modes: 3n });
  l.applyEthtool({
    kind: "ethtool_link_modes_ext",
    xid: 7,
    which: LINK_MODES_WHICH.ADVERTISING,
    nwords: 2,
    modes: 1n << 100n,
  });
  l.applyEthtool({
    kind: "ethtool_link_modes_ext",
    xid: 7,
    which: LINK_MODES_WHICH.LP_ADVERTISING,
    nwords: 1,
    modes: 5n,
  });
  l.applyEthtool({
    kind: "ethtool_link_modes_ext",
    xid: 7,
    which: 9,
    nwords: 1,
    modes: 6n,
  });
  deepEqual(l.get(7)!.ethtool.linkModes, {
    supported: 3n,
    advertising: 1n << 100n,
    lp_advertising: 5n,
    which9: 6n,
  });
});

Deno.test("links: a namespace's proxies leave it", () => {
  const l = new Links();
  l.applyIfinfo(ifinfo(7, 4, { net: OTHER }));
  l.applyIfinfo(ifinfo(8, 4));
  deepEqual(l.dropNet(OTHER).map((c) => c.link.xid), [7]);
  equal(l.get(7)!.ifindex, undefined);
  equal(l.byIfindex(OTHER, 107), undefined);
  equal(l.size, 2, "the proxy stays, without a namespace");
  equal(l.byIfindex(NET, 108)?.xid, 8);
});
