// fields.ts names the field tables that the decoder and the encoder share:
// every struct a message kind carries, and the structs inside them (next
// hops, offload results, the cookie after a FIB entry), must have exactly one, or a kind added to the header would
// have no table to be read with.

import { deepEqual, equal } from "node:assert/strict";
import { STRUCTS } from "./abi.generated.ts";
import * as fields from "./fields.ts";
import { STRUCT_OF } from "./kinds.ts";

type StructName = keyof typeof STRUCTS;

/** The struct whose field table `table` is, by identity. */
function structOf(table: unknown): StructName | undefined {
  return (Object.keys(STRUCTS) as StructName[]).find((s) =>
    STRUCTS[s].fields === table
  );
}

Deno.test("fields: one table for each struct a kind carries, and the next hops", () => {
  const tables = Object.entries(fields).filter(([, v]) =>
    typeof v === "object"
  );
  const named = tables.map(([name, table]) => {
    const s = structOf(table);
    equal(typeof s, "string", `${name} is no struct's field table`);
    return s as StructName;
  });
  equal(new Set(named).size, named.length, "a struct with two tables");
  const carried = new Set<StructName>(Object.values(STRUCT_OF));
  // The bare header has no fields past the header's own.
  carried.delete("xeth_msg");
  deepEqual(
    [...new Set(named)].sort(),
    [
      ...carried,
      "xeth_next_hop",
      "xeth_next_hop6",
      // inside a FIB_OFFLOAD, after a FIBENTRY or FIB6ENTRY
      "xeth_fib_result",
      "xeth_fib_cookie",
    ].sort(),
  );
});

Deno.test("fields: the ABI's host order is this host's; be fields are network order", () => {
  const hostLittle = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  equal(fields.LE, hostLittle);
  equal(fields.BE, false);
});
