/**
 * `deno task demo`, README's main command: boots a real kernel under QEMU,
 * loads the xeth module, builds a link-less switch, runs SWITCHD with the
 * software SWITCH on it and sends traffic between test hosts through it.
 *
 *   deno task demo [--kernel 6.12|6.1|all] [--fabric]
 */
import { parseArgs } from "node:util";
import { type KernelAlias, parseKernels } from "./kernels.ts";
import { ROOT, runRig, totals } from "./rig.ts";

const HELP =
  `usage: deno task demo [--kernel 6.12|6.1|all] [--fabric] [--verbose]

Boots Linux 6.12 (or the kernel named) under QEMU, loads the xeth module,
builds a link-less switch of four ports (two routed, two in a bridge), and
runs SWITCHD with the software switch on it. Four test hosts, network
namespaces on veth pairs attached to the ports, ping each other and move
data over TCP through the switch, routed and bridged; SWITCHD then shows
its links, FIB and counters.

With --fabric: a network of four such switches instead (lab/fabric.yaml,
built by deno task lab): two spines, two leaves, four hosts, FRR's eBGP
between them and ECMP over both spines; a traceroute from h1 to h3 crosses
leaf, spine, leaf, and each switch shows how much it routed.
`;

async function main(): Promise<number> {
  let kernels: KernelAlias[];
  let verbose = false;
  let fabric = false;
  try {
    const { values } = parseArgs({
      args: Deno.args,
      options: {
        kernel: { type: "string", default: "6.12" },
        verbose: { type: "boolean", default: false },
        fabric: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    kernels = parseKernels(values.kernel);
    verbose = values.verbose;
    fabric = values.fabric;
  } catch (e) {
    console.error(`demo: ${(e as Error).message}; see --help`);
    return 2;
  }
  const results = [];
  for (const k of kernels) {
    console.log(
      `\n### booting Linux ${k} under QEMU (TCG); this takes about 10 s`,
    );
    results.push(
      ...await runRig({
        kernels: [k],
        scenarios: [
          fabric
            ? { name: "demo_fabric", path: `${ROOT}/tests/vm/demo/fabric.sh` }
            : { name: "demo", path: `${ROOT}/tests/vm/demo/mux.sh` },
        ],
        jobs: 1,
        verbose,
        label: false,
      }),
    );
  }
  const t = totals(results);
  const ok = results.every((r) => r.verdict.outcome === "pass");
  const sawFabric = `\nWhat you saw: four xeth switches in one Linux ${
    kernels.join(" and ")
  }, each a network namespace with its own link-less mux, ports, SWITCHD and software switch, wired to each other and to four hosts by veth pairs, all from lab/fabric.yaml. FRR ran eBGP on the switches' proxies as on any Linux router; SWITCHD mirrored the routes it installed, two next hops where both spines lead, into each software switch, which forwarded the hosts' traffic itself. Next: deno task lab up lab/fabric.yaml builds the same on your own machine (README, "Networks of switches").`;
  console.log(
    ok && fabric
      ? sawFabric
      : ok
      ? `\nWhat you saw: in Linux ${
        kernels.join(" and ")
      }, the xeth module made a switch with no hardware behind it (a link-less mux and its port proxies, configured with the real ip). SWITCHD mirrored it over the side-band into its software switch (Rust, on its own threads), which then forwarded the hosts' traffic itself: routed between subnets (TTL 63) and bridged on br0, handing Linux only what Linux must answer (ARP, ND, TTL 1, the first packet to an unresolved neighbour). Its counters are what ip -s link shows for the ports. Next: ./run test runs every check; ./run demo --kernel 6.1 (or all) shows the same on 6.1.`
      : "\nThe demo failed: the lines above say where; the console log is kept.",
  );
  console.log(`${t.passed} passed, ${t.failed} failed`);
  return ok ? 0 : 1;
}

Deno.exit(await main());
