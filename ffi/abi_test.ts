// ffi/abi.generated.ts is rendered from the data plane crate's own
// constants, and `cargo test` fails while it differs from them. These tests
// hold the library that is actually loaded to it: a build older or newer
// than the source fails here instead of mislabelling a counter or handing
// over the wrong report. (The ABI version is checked by every load:
// library_test.ts.) Build the library first (`./run build`).

import { deepEqual } from "node:assert/strict";
import { KIND, records } from "../switchd/records/reader.ts";
import { PUNT_STAT_NAMES, SWITCH_REPORT } from "./abi.generated.ts";
import { openDataplane } from "./library.ts";
import { puntStatNames } from "./punt.ts";
import { parseRecords, SoftSwitch, type SwitchReport } from "./switch.ts";
import { withVethNetns } from "./testing/veth_netns.ts";

Deno.test("abi: punt counter names are the library's, in its order", () => {
  using dp = openDataplane();
  deepEqual([...PUNT_STAT_NAMES], puntStatNames(dp));
});

// An attached port (needs root) makes every report but the mux's stat
// names (there is no mux) non-empty, each of its own record kind.
Deno.test(
  "abi: each report number asks the library for that report",
  { ignore: Deno.uid() !== 0 },
  async () => {
    await withVethNetns(1, { prefix: "xabi" }, async ([p]) => {
      using dp = openDataplane();
      using sw = SoftSwitch.open(dp, `xabinomux${Deno.pid % 10000}`);
      await sw.program(parseRecords(
        dp,
        "link 10 port 1 1 1 02:00:00:00:00:0a - 0 - -\n" +
          `attach 10 ${p.outer}\nroute 1 254 10.0.0.0/8 1 10`,
      ));
      // Two publications: the attach taken, then a pass that counted.
      await sw.published(await sw.published(0));
      const kinds = (what: SwitchReport) =>
        sw.read(what, (r) => new Set([...records(r)].map((r) => r.kind)));
      const want: Record<SwitchReport, number[]> = {
        ports: [KIND.port],
        counters: [KIND.counters],
        summary: [KIND.count],
        "ethtool-names": [KIND.name],
        "mux-stat-names": [],
        fib: [KIND.route4],
        // outcomes are collected from the first such report on
        "route-results": [],
        "route-status": [KIND.routeResult],
      };
      deepEqual(Object.keys(want).sort(), Object.keys(SWITCH_REPORT).sort());
      for (const what of Object.keys(want) as SwitchReport[]) {
        deepEqual([...await kinds(what)], want[what], what);
      }
    });
  },
);
