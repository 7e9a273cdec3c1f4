// The symbol-table helpers: names bound by a table, and the library's own
// export list (build the library first, `./run build`).

import { deepEqual, ok, rejects } from "node:assert/strict";
import {
  assertBindsExactly,
  boundFunctions,
  exportedFunctions,
} from "./exports.ts";

Deno.test("boundFunctions: an entry's name when it has one, else its key", () => {
  deepEqual(
    boundFunctions({
      xeth_dp_b: { parameters: [], result: "void" },
      xeth_dp_b_async: {
        name: "xeth_dp_b",
        parameters: [],
        result: "void",
        nonblocking: true,
      },
      xeth_dp_a: { parameters: [], result: "void" },
    }),
    ["xeth_dp_a", "xeth_dp_b"],
  );
});

Deno.test("exportedFunctions: the library's xeth_dp_ functions, sorted", async () => {
  const names = await exportedFunctions();
  ok(names.includes("xeth_dp_abi_version"), names.join(" "));
  ok(names.every((n) => n.startsWith("xeth_dp_")));
  deepEqual(names, [...names].sort());
});

Deno.test("assertBindsExactly: a missing or an extra function fails", async () => {
  const version = { parameters: [], result: "u32" } as const;
  await assertBindsExactly({ xeth_dp_abi_version: version }, [
    "xeth_dp_abi_",
  ]);
  await rejects(assertBindsExactly({}, ["xeth_dp_abi_"]));
  await rejects(
    assertBindsExactly({
      xeth_dp_abi_version: version,
      xeth_dp_abi_gone: version,
    }, ["xeth_dp_abi_"]),
  );
});
