/**
 * `deno task demo`, README's main command: boots real kernels under QEMU,
 * loads the xeth module, creates a link-less xeth-mux and shows it.
 *
 *   deno task demo [--kernel 6.12|6.1|all]
 */
import { parseArgs } from "node:util";
import { type KernelAlias, parseKernels } from "./kernels.ts";
import { ROOT, runRig, totals } from "./rig.ts";

const HELP = `usage: deno task demo [--kernel 6.12|6.1|all] [--verbose]

Boots each kernel under QEMU, loads the xeth module, builds a link-less
switch (mux, ports, VLAN, lag), shows it with ip -d link, dumps it over the
side-band, then runs SWITCHD on it in the guest and shows its session,
links and FIB, checked against the kernel's own view.
`;

async function main(): Promise<number> {
  let kernels: KernelAlias[];
  let verbose = false;
  try {
    const { values } = parseArgs({
      args: Deno.args,
      options: {
        kernel: { type: "string", default: "all" },
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
      ? `\nWhat you saw: the xeth module built for ${
        kernels.join(" and ")
      } loaded in a real kernel, built a link-less switch with the real iproute2, answered a side-band dump of it, and SWITCHD (Deno, through its Rust data plane) dumped it into its mirror, which equals what ip -j shows; "deno task switchd show" printed that mirror. Next: ./run test runs every check.`
      : "\nThe demo failed: the lines above say where; the console log is kept.",
  );
  console.log(`${t.passed} passed, ${t.failed} failed`);
  return ok ? 0 : 1;
}

Deno.exit(await main());
