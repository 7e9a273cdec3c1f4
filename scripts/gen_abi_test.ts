// The generator refuses what would make a wrong or unparsable table, rather
// than writing it. (switchd/protocol/abi_test.ts checks that the committed
// table is what the header generates.)

import assert from "node:assert/strict";
import { abiLayout } from "../tests/abi/layout.ts";
import { GENERATED_PATH, renderAbi } from "./gen_abi.ts";

const layout = await abiLayout();

Deno.test("gen_abi: writes to switchd/protocol/abi.generated.ts", () => {
  assert.ok(
    GENERATED_PATH.pathname.endsWith("/switchd/protocol/abi.generated.ts"),
    GENERATED_PATH.pathname,
  );
});

Deno.test("gen_abi: every value of the header is in VALUES and its group", () => {
  const text = renderAbi(layout);
  assert.match(text, /^ {2}XETH_VLAN_VID_SHIFT: 12,$/m);
  assert.match(
    text,
    /^export const ENCAP = \{\n {2}VLAN: 0,\n {2}VPLS: 1,\n\}/m,
  );
});

Deno.test("gen_abi: refuses a name that is not an identifier", () => {
  const bad = structuredClone(layout);
  bad.values["XETH-BAD"] = 1;
  assert.throws(() => renderAbi(bad), /not an identifier: XETH-BAD/);
});

Deno.test("gen_abi: refuses a value JSON cannot carry exactly", () => {
  const bad = structuredClone(layout);
  bad.values.XETH_MSG_MAX_SIZE = 2 ** 53;
  assert.throws(() => renderAbi(bad), /XETH_MSG_MAX_SIZE = .* not a safe/);
  bad.values.XETH_MSG_MAX_SIZE = -1;
  assert.throws(() => renderAbi(bad), /not a safe non-negative integer/);
});

Deno.test("gen_abi: refuses a layout that lost a group of values", () => {
  const bad = structuredClone(layout);
  for (const v of Object.keys(bad.values)) {
    if (v.startsWith("XETH_ENCAP_")) delete bad.values[v];
  }
  assert.throws(() => renderAbi(bad), /no values named XETH_ENCAP_\*/);
});
