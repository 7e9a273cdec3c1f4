// The hand-kept parts of kinds.ts (which struct each kind has, which kinds
// a daemon sends, the kernel's FIB event values) against docs/protocol.md,
// and the lengths it derives from them.

import assert from "node:assert/strict";
import { MSG_KIND, STRUCTS } from "./abi.generated.ts";
import {
  DAEMON_KINDS,
  expectedLength,
  fib6entrySize,
  FIB_EVENT,
  fibentrySize,
  fibOffloadSize,
  FIRST_EXTENSION_KIND,
  fixedSize,
  KIND,
  KIND_NAMES,
  type KindName,
  kindName,
  linkModesExtSize,
  STRUCT_OF,
  trailerSize,
} from "./kinds.ts";

Deno.test("kinds: every kind has a name, a struct and a size", () => {
  assert.deepEqual(
    Object.keys(KIND),
    Object.keys(MSG_KIND).map((k) => k.toLowerCase()),
  );
  assert.equal(KIND_NAMES.length, Object.keys(MSG_KIND).length);
  KIND_NAMES.forEach((name, n) => {
    assert.ok(name !== undefined, `kind ${n} has a name`);
    assert.equal(KIND[name], n);
    assert.ok(fixedSize(n) >= STRUCTS.xeth_msg_header.size, name);
  });
  // every message struct is some kind's (the next hops are parts)
  const used = new Set(Object.values(STRUCT_OF));
  const parts = [
    "xeth_msg_header",
    "xeth_next_hop",
    "xeth_next_hop6",
    "xeth_fib_cookie",
    "xeth_fib_result",
  ];
  assert.deepEqual(
    Object.keys(STRUCTS).filter((s) => !used.has(s as keyof typeof STRUCTS)),
    parts,
  );
});

Deno.test("kinds: sizes per kind as docs/protocol.md lists them", () => {
  const sizes: Record<KindName, number> = {
    break: 16,
    link_stat: 32,
    ethtool_stat: 32,
    ethtool_flags: 24,
    ethtool_settings: 32,
    ethtool_link_modes_supported: 32,
    ethtool_link_modes_advertising: 32,
    ethtool_link_modes_lp_advertising: 32,
    dump_ifinfo: 16,
    carrier: 24,
    speed: 24,
    ifinfo: 72,
    ifa: 32,
    ifa6: 48,
    dump_fibinfo: 16,
    fibentry: 40,
    fib6entry: 80,
    neigh_update: 56,
    change_upper_xid: 32,
    netns_add: 24,
    netns_del: 24,
    ext_enable: 24,
    ethtool_link_modes_ext: 24,
    fib_offload: 24,
  };
  for (const [k, size] of Object.entries(sizes)) {
    assert.equal(fixedSize(KIND[k as KindName]), size, k);
  }
});

Deno.test("kinds: daemon kinds and FIB events as docs/protocol.md gives them", () => {
  assert.deepEqual(
    [...DAEMON_KINDS].map((k) => KIND[k]).sort((a, b) => a - b),
    [1, 2, 8, 9, 10, 14, 21, 23],
  );
  assert.deepEqual(FIB_EVENT, { REPLACE: 0, APPEND: 1, ADD: 2, DEL: 3 });
});

Deno.test("kinds: kinds past the last known one have no name and no size", () => {
  const next = Object.keys(MSG_KIND).length;
  assert.equal(kindName(next - 1), "fib_offload");
  assert.equal(kindName(next), undefined);
  assert.equal(kindName(255), undefined);
  assert.equal(fixedSize(next), 0);
  assert.equal(fixedSize(-1), 0);
  assert.equal(FIRST_EXTENSION_KIND, 21);
});

Deno.test("kinds: the length a message must have follows its count field", () => {
  assert.equal(fibentrySize(0), 40);
  assert.equal(fibentrySize(255), 40 + 255 * 24);
  assert.equal(fib6entrySize(2), 80 + 2 * 32);
  assert.equal(linkModesExtSize(3), 24 + 3 * 8);
  const buf = new Uint8Array(200);
  const view = new DataView(buf.buffer);
  buf[33] = 2; // FIBENTRY nhs
  assert.equal(expectedLength(view, 0, 200, KIND.fibentry), 40 + 2 * 24);
  buf[42] = 1; // FIB6ENTRY nsiblings
  assert.equal(expectedLength(view, 0, 200, KIND.fib6entry), 80 + 32);
  buf[21] = 4; // ETHTOOL_LINK_MODES_EXT nwords
  assert.equal(
    expectedLength(view, 0, 200, KIND.ethtool_link_modes_ext),
    24 + 4 * 8,
  );
  buf.fill(0);
  view.setUint32(16, 3, true); // FIB_OFFLOAD n
  assert.equal(expectedLength(view, 0, 200, KIND.fib_offload), 24 + 3 * 40);
  assert.equal(fibOffloadSize(242), 9704);
  view.setUint32(16, 243, true); // more than a datagram holds
  assert.equal(expectedLength(view, 0, 200, KIND.fib_offload), -1);
  // the cookie may follow FIBENTRY and FIB6ENTRY only
  assert.equal(trailerSize(KIND.fibentry), 8);
  assert.equal(trailerSize(KIND.fib6entry), 8);
  assert.equal(trailerSize(KIND.neigh_update), 0);
  assert.equal(trailerSize(KIND.fib_offload), 0);
  // too short to hold its count: the fixed size, which it then fails
  assert.equal(expectedLength(view, 0, 20, KIND.fibentry), 40);
  assert.equal(expectedLength(view, 0, 200, KIND.ifinfo), 72);
});
