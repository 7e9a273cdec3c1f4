/**
 * `deno task demo`, README's main command: boots a real kernel under QEMU,
 * loads the xeth module, builds a link-less switch, runs SWITCHD with the
 * software SWITCH on it and sends traffic between test hosts through it.
 *
 *   deno task demo [--kernel 6.12|6.1|all]
 */
import { parseArgs } from "node:util";
import { type KernelAlias, parseKernels } from "./kernels.ts";
import { ROOT, runRig, totals } from "./rig.ts";

const HELP = `usage: deno task demo [--kernel 6.12|6.1|all] [--verbose]

Boots Linux 6.12 (or the kernel named) under QEMU, loads the xeth module,
builds a link-less switch of four ports (two routed, two in a bridge), and
runs SWITCHD with the software switch on it. Four test hosts, network
namespaces on veth pairs attached to the ports, ping each other and move
data over TCP through the switch, routed and bridged; SWITCHD then shows
its links, FIB and counters.
`;

async function main(): Promise<number> {
  let kernels: KernelAlias[];
  let verbose = false;
  try {
    const { values } = parseArgs({
      args: Deno.args,
      options: {
        kernel: { type: "string", default: "6.12" },
        verbose: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    kernels = parseKernels(values.kernel);
    verbose = values.verbose;
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
        scenarios: [{ name: "demo", path: `${ROOT}/tests/vm/demo/mux.sh` }],
        jobs: 1,
        verbose,
        label: false,
      }),
    );
  }
  const t = totals(results);
  const ok = results.every((r) => r.verdict.outcome === "pass");
  console.log(
    ok
      ? `\nWhat you saw: in Linux ${
        kernels.join(" and ")
      }, the xeth module made a switch with no hardware behind it (a link-less mux and its port proxies, configured with the real ip). SWITCHD mirrored it over the side-band into its software switch (Rust, on its own threads), which then forwarded the hosts' traffic itself: routed between subnets (TTL 63) and bridged on br0, handing Linux only what Linux must answer (ARP, ND, TTL 1, the first packet to an unresolved neighbour). Its counters are what ip -s link shows for the ports. Next: ./run test runs every check; ./run demo --kernel 6.1 (or all) shows the same on 6.1.`
      : "\nThe demo failed: the lines above say where; the console log is kept.",
  );
  console.log(`${t.passed} passed, ${t.failed} failed`);
  return ok ? 0 : 1;
}

Deno.exit(await main());
