/**
 * `deno task lab`: networks of xeth switches on one machine, from a
 * topology file (lab/topology.ts, an example in lab/fabric.yaml).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { down, exec, LabError, show, table, up } from "./lab.ts";
import { parseTopology, type Topology, TopologyError } from "./topology.ts";

export const HELP = `usage: deno task lab up|down|show FILE
       deno task lab exec FILE NODE -- CMD [ARGS...]

Builds a network of link-less xeth switches on this machine from the
topology FILE (YAML; see lab/fabric.yaml): each switch is a network
namespace LAB-SWITCH with its mux, ports and addresses, a SWITCHD with the
software SWITCH, and FRR where the file gives its configuration; each host
a namespace LAB-HOST; each link a veth pair. Needs root and the xeth module.

  up FILE        build the lab, then show it
  down FILE      remove everything the lab made (also after a failed up)
  show FILE      each switch: ports, peers, SWITCHD's state and counts
  exec FILE NODE -- CMD
                 run CMD in NODE's namespace

Options:
  --json         show: the rows as JSON
  -h, --help     this text
`;

/** What the command line asks for. */
export interface LabArgs {
  command: "up" | "down" | "show" | "exec";
  file: string;
  node?: string;
  argv: string[];
  json: boolean;
}

/** Parses ARGS; throws an Error whose message says what to do. */
export function parseLabArgs(args: string[]): LabArgs | "help" {
  const dash = args.indexOf("--");
  const own = dash < 0 ? args : args.slice(0, dash);
  const argv = dash < 0 ? [] : args.slice(dash + 1);
  const { values, positionals } = parseArgs({
    args: own,
    allowPositionals: true,
    options: {
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return "help";
  const [command, file, node, ...extra] = positionals;
  if (!["up", "down", "show", "exec"].includes(command ?? "")) {
    throw new Error(
      command
        ? `unknown command ${command}: give up, down, show or exec`
        : "give a command: up, down, show or exec",
    );
  }
  if (!file) throw new Error(`${command} needs the topology FILE`);
  if (command === "exec") {
    if (!node) throw new Error("exec needs a NODE: lab exec FILE NODE -- CMD");
    if (extra.length) {
      throw new Error(
        `put the command after --: lab exec ${file} ${node} -- ${
          extra.join(" ")
        }`,
      );
    }
    if (argv.length === 0) {
      throw new Error(`give the command: lab exec ${file} ${node} -- CMD`);
    }
  } else if (node !== undefined || argv.length) {
    throw new Error(`${command} takes only the FILE`);
  }
  return {
    command: command as LabArgs["command"],
    file,
    node,
    argv,
    json: values.json,
  };
}

async function readTopology(file: string): Promise<Topology> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    throw new LabError(`cannot read ${file}: ${(e as Error).message}`);
  }
  return parseTopology(text, file);
}

/** Runs the lab command line; resolves to the exit status. */
export async function runLab(
  args: string[],
  out: (l: string) => void = console.log,
  err: (l: string) => void = console.error,
): Promise<number> {
  let a: LabArgs | "help";
  try {
    a = parseLabArgs(args);
  } catch (e) {
    err(`lab: ${(e as Error).message}; see --help`);
    return 2;
  }
  if (a === "help") {
    out(HELP);
    return 0;
  }
  try {
    const t = await readTopology(a.file);
    const io = { out };
    switch (a.command) {
      case "up":
        try {
          await up(t, io);
        } catch (e) {
          err(`lab: up failed: ${(e as Error).message}`);
          err(
            `lab: what was made stays for you to look at; lab down ${a.file} removes it`,
          );
          return 1;
        }
        out(table(await show(t, io)));
        return 0;
      case "down":
        await down(t, io);
        return 0;
      case "show": {
        const rows = await show(t, io);
        out(a.json ? JSON.stringify(rows, null, 2) : table(rows));
        return 0;
      }
      case "exec":
        return await exec(t, a.node!, a.argv);
    }
  } catch (e) {
    if (e instanceof TopologyError || e instanceof LabError) {
      err(`lab: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

if (import.meta.main) {
  Deno.exit(await runLab(Deno.args));
}
