/**
 * Our uapi header against the side-band protocol's facts (version 2, as
 * xeth 3.x daemons speak it; docs/protocol.md): message sizes, field
 * offsets and wire values, as the C compiler lays them out.
 */
import assert from "node:assert/strict";
import { abiLayout } from "./layout.ts";

const layout = await abiLayout();

// name: [size, {field: offset}]
const PROTOCOL: Record<string, [number, Record<string, number>]> = {
  xeth_msg_header: [16, { z64: 0, z32: 8, z16: 12, version: 14, kind: 15 }],
  xeth_msg: [16, { header: 0 }],
  xeth_msg_stat: [32, { xid: 16, index: 20, count: 24 }],
  xeth_msg_ethtool_flags: [24, { xid: 16, flags: 20 }],
  xeth_msg_ethtool_settings: [32, {
    xid: 16,
    speed: 20,
    duplex: 24,
    port: 25,
    phy_address: 26,
    autoneg: 27,
    mdio_support: 28,
    eth_tp_mdix: 29,
    eth_tp_mdix_ctrl: 30,
    pad: 31,
  }],
  xeth_msg_ethtool_link_modes: [32, { xid: 16, reserved: 20, modes: 24 }],
  xeth_msg_carrier: [24, { xid: 16, flag: 20, pad: 21 }],
  xeth_msg_speed: [24, { xid: 16, mbps: 20 }],
  xeth_msg_ifinfo: [72, {
    xid: 16,
    kdata: 20,
    ifname: 24,
    net: 40,
    ifindex: 48,
    flags: 52,
    addr: 56,
    kind: 62,
    reason: 63,
    features: 64,
  }],
  xeth_msg_ifa: [32, { xid: 16, event: 20, address: 24, mask: 28 }],
  xeth_msg_ifa6: [48, { xid: 16, event: 20, address: 24, length: 40, pad: 41 }],
  xeth_next_hop: [24, {
    ifindex: 0,
    weight: 4,
    flags: 8,
    gw: 12,
    scope: 16,
    pad: 17,
  }],
  xeth_msg_fibentry: [40, {
    net: 16,
    address: 24,
    mask: 28,
    event: 32,
    nhs: 33,
    tos: 34,
    type: 35,
    table: 36,
    nh: 40,
  }],
  xeth_next_hop6: [32, {
    ifindex: 0,
    weight: 4,
    flags: 8,
    reserved: 12,
    gw: 16,
  }],
  xeth_msg_fib6entry: [80, {
    net: 16,
    address: 24,
    length: 40,
    event: 41,
    nsiblings: 42,
    type: 43,
    table: 44,
    nh: 48,
    siblings: 80,
  }],
  xeth_msg_neigh_update: [56, {
    net: 16,
    ifindex: 24,
    family: 28,
    len: 29,
    reserved: 30,
    dst: 32,
    lladdr: 48,
    pad: 54,
  }],
  xeth_msg_change_upper_xid: [32, {
    upper: 16,
    lower: 20,
    linking: 24,
    pad: 25,
  }],
  xeth_msg_netns: [24, { net: 16 }],
  // our extensions (kinds 21 and 22), not in the 3.x protocol
  xeth_msg_ext_enable: [24, { extensions: 16 }],
  xeth_msg_ethtool_link_modes_ext: [24, {
    xid: 16,
    which: 20,
    nwords: 21,
    reserved: 22,
    modes: 24,
  }],
  // fib-offload (kind 23): the cookie after each FIBENTRY and FIB6ENTRY,
  // and the daemon's results
  xeth_fib_cookie: [8, { cookie: 0 }],
  xeth_fib_result: [40, {
    net: 0,
    cookie: 8,
    address: 16,
    table: 32,
    family: 36,
    length: 37,
    tos: 38,
    result: 39,
  }],
  xeth_msg_fib_offload: [24, { n: 16, reserved: 20, results: 24 }],
};

Deno.test("abi: every message has the protocol's size and field offsets", () => {
  assert.deepEqual(
    Object.keys(layout.structs).sort(),
    Object.keys(PROTOCOL).sort(),
  );
  for (const [name, [size, fields]] of Object.entries(PROTOCOL)) {
    const s = layout.structs[name];
    assert.equal(s.size, size, `sizeof(struct ${name})`);
    const offsets = Object.fromEntries(
      Object.entries(s.fields).map(([f, [off]]) => [f, off]),
    );
    assert.deepEqual(offsets, fields, `offsets of struct ${name}`);
  }
});

Deno.test("abi: message kinds are numbered as in protocol version 2", () => {
  const kinds = [
    "BREAK",
    "LINK_STAT",
    "ETHTOOL_STAT",
    "ETHTOOL_FLAGS",
    "ETHTOOL_SETTINGS",
    "ETHTOOL_LINK_MODES_SUPPORTED",
    "ETHTOOL_LINK_MODES_ADVERTISING",
    "ETHTOOL_LINK_MODES_LP_ADVERTISING",
    "DUMP_IFINFO",
    "CARRIER",
    "SPEED",
    "IFINFO",
    "IFA",
    "IFA6",
    "DUMP_FIBINFO",
    "FIBENTRY",
    "FIB6ENTRY",
    "NEIGH_UPDATE",
    "CHANGE_UPPER_XID",
    "NETNS_ADD",
    "NETNS_DEL",
  ];
  kinds.forEach((k, i) =>
    assert.equal(layout.values[`XETH_MSG_KIND_${k}`], i, k)
  );
  // extensions start after the protocol's last kind
  assert.equal(layout.values.XETH_MSG_KIND_EXT_ENABLE, 21);
  assert.equal(layout.values.XETH_MSG_KIND_ETHTOOL_LINK_MODES_EXT, 22);
  assert.equal(layout.values.XETH_MSG_KIND_FIB_OFFLOAD, 23);
  assert.equal(layout.values.XETH_EXT_FIB_OFFLOAD, 1);
  assert.equal(layout.values.XETH_EXT_SUPPORTED, 3);
  // (9728 - 24) / 40 results fit one datagram
  assert.equal(layout.values.XETH_FIB_RESULTS_MAX, 242);
  ["NONE", "OFFLOAD", "TRAP", "FAILED"].forEach((r, i) =>
    assert.equal(layout.values[`XETH_FIB_RESULT_${r}`], i, r)
  );
  assert.equal(layout.values.XETH_MSG_VERSION, 2);
  assert.equal(layout.values.XETH_MSG_MAX_SIZE, 9728);
});

Deno.test("abi: reasons, device kinds, stats and xid constants", () => {
  const v = layout.values;
  ["NEW", "DEL", "UP", "DOWN", "DUMP", "REG", "UNREG", "FEATURES"].forEach((
    r,
    i,
  ) => assert.equal(v[`XETH_IFINFO_REASON_${r}`], i, r));
  ["UNSPEC", "PORT", "VLAN", "BRIDGE", "LAG", "LOOPBACK"].forEach((k, i) =>
    assert.equal(v[`XETH_DEV_KIND_${k}`], i, k)
  );
  assert.equal(v.XETH_FEATURE_L2_FWD_OFFLOAD, 1);
  assert.equal(v.XETH_IFA_ADD, 1);
  assert.equal(v.XETH_IFA_DEL, 2);
  assert.equal(v.XETH_NET_INIT, 1);
  assert.equal(v.XETH_N_LINK_STATS, 24);
  assert.equal(v.XETH_LINK_STAT_RX_NOHANDLER, 23);
  assert.equal(v.XETH_MAX_ETHTOOL_STATS, 512);
  assert.equal(v.XETH_PORT_XID_FIRST, 3999);
  assert.equal(v.XETH_AUX_XID_FIRST, 3000);
  assert.equal(v.XETH_VLAN_VID_SHIFT, 12);
  assert.equal(v.XETH_VPLS_VID_SHIFT, 20);
  assert.equal(v.XETH_EXCEPTION_PRIORITY, 7);
});
