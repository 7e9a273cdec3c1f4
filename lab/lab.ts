/**
 * `lab up`, `down`, `show` and `exec`: runs a topology's plan (plan.ts) on
 * this machine with `ip`, starts a SWITCHD with the software SWITCH and,
 * where the file gives one, FRR in each switch's namespace, and takes it
 * all down again. Everything a lab makes is named from the file (its
 * namespaces LAB-NODE, its directory /run/xeth-lab/LAB), so `down` finds
 * it also after an `up` that stopped halfway.
 *
 * @module
 */

import { queryControl } from "../switchd/control.ts";
import {
  attachments,
  type Command,
  controlPath,
  labDir,
  MUX,
  namespace,
  namespaces,
  peers,
  upSteps,
} from "./plan.ts";
import type { Switch, Topology } from "./topology.ts";
import { daemon, stop } from "./daemons.ts";

/** Where output goes and how long the lab may wait. */
export interface LabIo {
  out(line: string): void;
  /** /run/xeth-lab unless a test says otherwise */
  root?: string;
  /** how long a SWITCHD may take to go live, in seconds */
  liveSeconds?: number;
}

/** A command of the plan that failed: what it was and what it said. */
export class LabError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LabError";
  }
}

const FRR_BIN = "/usr/lib/frr";
const FRR_DAEMONS = ["zebra", "staticd", "bgpd"] as const;
const SWITCHD_MAIN = new URL("../main.ts", import.meta.url).pathname;

function argvOf(c: Command): string[] {
  return c.ns ? ["ip", "netns", "exec", c.ns, ...c.argv] : c.argv;
}

async function run(c: Command): Promise<void> {
  const [cmd, ...args] = argvOf(c);
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(cmd, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (e) {
    throw new LabError(
      `${argvOf(c).join(" ")}: ${(e as Error).message}${
        e instanceof Deno.errors.NotFound ? ` (is ${cmd} installed?)` : ""
      }`,
    );
  }
  if (!out.success) {
    const said = new TextDecoder().decode(out.stderr).trim() ||
      new TextDecoder().decode(out.stdout).trim();
    throw new LabError(
      `${argvOf(c).join(" ")} failed (status ${out.code}): ${said}`,
    );
  }
}

/**
 * The commands in runs of `ip` commands in one namespace: each run is one
 * `ip -batch` process, which on a small or emulated machine costs far less
 * than a process per command.
 */
export function batches(commands: Command[]): Command[][] {
  // a batch's lines take no options: `ip -6 route ...` runs alone
  const batchable = (c: Command) =>
    c.argv[0] === "ip" && !c.argv[1]?.startsWith("-");
  const out: Command[][] = [];
  for (const c of commands) {
    const last = out.at(-1);
    if (
      last && batchable(c) && batchable(last[0]) && last[0].ns === c.ns
    ) last.push(c);
    else out.push([c]);
  }
  return out;
}

/** Runs one of batches(); a failure names the command that failed. */
export async function runBatch(batch: Command[]): Promise<void> {
  if (batch.length === 1) return await run(batch[0]);
  const ns = batch[0].ns;
  const child = new Deno.Command("ip", {
    args: [...(ns ? ["-n", ns] : []), "-batch", "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(
    new TextEncoder().encode(
      batch.map((c) => c.argv.slice(1).join(" ") + "\n").join(""),
    ),
  );
  await w.close();
  const out = await child.output();
  if (out.success) return;
  // "Command failed -:N": the Nth line, which is the command to name
  const said = new TextDecoder().decode(out.stderr).trim();
  const line = Number(said.match(/Command failed -:(\d+)/)?.[1] ?? 0);
  const failed = batch[line - 1] ?? batch[0];
  throw new LabError(
    `${argvOf(failed).join(" ")} failed: ${
      said.replace(/\s*Command failed -:\d+\s*$/, "")
    }`,
  );
}

async function capture(argv: string[]): Promise<string> {
  const out = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(out.stdout);
}

async function existingNamespaces(): Promise<Set<string>> {
  const text = await capture(["ip", "netns", "list"]);
  return new Set(text.split("\n").map((l) => l.split(" ")[0]).filter(Boolean));
}

function elapsed(t0: number): string {
  return `${((performance.now() - t0) / 1000).toFixed(1)} s`;
}

/** Builds the lab; on failure what was made stays for `down`. */
export async function up(t: Topology, io: LabIo): Promise<void> {
  const t0 = performance.now();
  const have = await existingNamespaces();
  const clash = namespaces(t).filter((n) => have.has(n));
  if (clash.length) {
    throw new LabError(
      `namespace ${
        clash.join(", ")
      } exists already: is lab ${t.name} up? lab down removes it`,
    );
  }
  // test(1), not Deno.stat: Deno reads /sys only with --allow-all
  const loaded = await new Deno.Command("test", {
    args: ["-d", "/sys/module/xeth"],
  }).output();
  if (!loaded.success) {
    throw new LabError(
      "the xeth module is not loaded: modprobe xeth (package xeth-dkms), or insmod build/kernel/$(uname -r)/xeth.ko in a checkout",
    );
  }
  if (t.switches.some((s) => s.frr !== undefined)) await checkFrr();
  const dir = labDir(t, io.root);
  await Deno.mkdir(dir, { recursive: true });

  const steps = upSteps(t);
  for (const [i, s] of steps.entries()) {
    io.out(`lab: [${i + 1}/${steps.length}] ${s.say} (${elapsed(t0)})`);
    for (const batch of batches(s.commands)) await runBatch(batch);
  }

  io.out(`lab: starting ${t.switches.length} SWITCHDs (${elapsed(t0)})`);
  for (const s of t.switches) await startSwitchd(t, s, dir);
  // FRR meanwhile: its sessions come up once the SWITCHes forward
  for (const s of t.switches) {
    if (s.frr === undefined) continue;
    await startFrr(t, s, dir);
    io.out(
      `lab: FRR of ${s.name} started: zebra, staticd, bgpd (${elapsed(t0)})`,
    );
  }
  const limit = io.liveSeconds ?? 300;
  await Promise.all(t.switches.map(async (s) => {
    await waitLive(controlPath(dir, s.name), limit, `${dir}/${s.name}.log`);
    io.out(`lab: SWITCHD of ${s.name} is live (${elapsed(t0)})`);
  }));
  io.out(`lab: ${t.name} is up in ${elapsed(t0)}`);
}

async function checkFrr(): Promise<void> {
  try {
    await Deno.stat(`${FRR_BIN}/bgpd`);
  } catch {
    throw new LabError(
      `the file names FRR configurations but ${FRR_BIN}/bgpd is missing: apt install frr`,
    );
  }
}

async function startSwitchd(t: Topology, s: Switch, dir: string) {
  const argv = [
    Deno.execPath(),
    "run",
    "--allow-ffi",
    "--allow-env",
    "--allow-read",
    "--allow-write",
    "--allow-net",
    "--cached-only",
    SWITCHD_MAIN,
    "--mux",
    MUX,
    "--control",
    controlPath(dir, s.name),
    ...attachments(t, s).flatMap((a) => ["--attach", a]),
  ];
  await daemon(namespace(t, s.name), argv, `${dir}/${s.name}`);
}

async function waitLive(path: string, seconds: number, log: string) {
  const until = performance.now() + seconds * 1000;
  let last = "no answer";
  while (performance.now() < until) {
    try {
      const s = await queryControl(path, { show: "session" }) as {
        state?: string;
      };
      if (s.state === "live") return;
      last = `state ${s.state}`;
    } catch (e) {
      last = (e as Error).message.split(":")[0];
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new LabError(
    `SWITCHD on ${path} is not live after ${seconds} s (${last}); its log: ${log}`,
  );
}

async function startFrr(t: Topology, s: Switch, dir: string) {
  const d = `${dir}/frr/${s.name}`;
  await Deno.mkdir(d, { recursive: true });
  const head = (dm: string) => `hostname ${s.name}\nlog file ${d}/${dm}.log\n`;
  await Deno.writeTextFile(`${d}/zebra.conf`, head("zebra"));
  await Deno.writeTextFile(`${d}/staticd.conf`, head("staticd"));
  await Deno.writeTextFile(`${d}/bgpd.conf`, head("bgpd") + s.frr);
  await run({ ns: "", argv: ["chown", "-R", "frr:frr", d] });
  for (const dm of FRR_DAEMONS) {
    // -P 0: no TCP vty; the instance's vty sockets are in its directory
    await run({
      ns: namespace(t, s.name),
      argv: [
        `${FRR_BIN}/${dm}`,
        "-d",
        "-N",
        namespace(t, s.name),
        "-i",
        `${d}/${dm}.pid`,
        "-z",
        `${d}/zserv.api`,
        "--vty_socket",
        d,
        "-f",
        `${d}/${dm}.conf`,
        "-u",
        "frr",
        "-g",
        "frr",
        "-P",
        "0",
      ],
    });
  }
}

/** Removes what `up` made, whatever it got to; says what it removed. */
export async function down(t: Topology, io: LabIo): Promise<void> {
  const dir = labDir(t, io.root);
  let daemons = 0;
  for (const s of t.switches) {
    for (const dm of [...FRR_DAEMONS].reverse()) {
      if (await stop(`${dir}/frr/${s.name}/${dm}.pid`, 10)) daemons++;
    }
    if (await stop(`${dir}/${s.name}.pid`, 30)) daemons++;
  }
  const have = await existingNamespaces();
  let removed = 0;
  for (const s of t.switches) {
    const ns = namespace(t, s.name);
    if (!have.has(ns)) continue;
    // the mux first: its ports go with it, rather than back to the
    // machine's first namespace as a physical port's proxy would
    await capture(["ip", "-n", ns, "link", "del", MUX]);
  }
  for (const ns of namespaces(t)) {
    if (!have.has(ns)) continue;
    await run({ ns: "", argv: ["ip", "netns", "del", ns] });
    removed++;
  }
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  io.out(
    `lab: ${t.name} is down: ${removed} namespaces and ${daemons} daemons removed`,
  );
}

export interface SwitchRow {
  switch: string;
  ports: number;
  peers: string;
  switchd: string;
  routes: number | string;
  routed: number | string;
}

/** Each switch's ports, peers and what its SWITCHD says. */
export async function show(t: Topology, io: LabIo): Promise<SwitchRow[]> {
  const dir = labDir(t, io.root);
  return await Promise.all(t.switches.map(async (s) => {
    const row: SwitchRow = {
      switch: s.name,
      ports: s.ports.length,
      peers: peers(t, s).join(" "),
      switchd: "not running",
      routes: "-",
      routed: "-",
    };
    try {
      const path = controlPath(dir, s.name);
      const session = await queryControl(path, { show: "session" }) as {
        state: string;
        routes: number;
      };
      const sw = await queryControl(path, { show: "switch" }) as Record<
        string,
        unknown
      >;
      row.switchd = session.state;
      row.routes = session.routes;
      row.routed = Number(sw.routed ?? 0);
    } catch {
      // not running: the row says so
    }
    return row;
  }));
}

/** The rows as an aligned text table. */
export function table(rows: SwitchRow[]): string {
  const cols = [
    "switch",
    "ports",
    "peers",
    "switchd",
    "routes",
    "routed",
  ] as const;
  const cells = [
    [...cols],
    ...rows.map((r) => cols.map((c) => String(r[c]))),
  ];
  const width = cols.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  return cells.map((r) =>
    r.map((v, i) => v.padEnd(width[i])).join("  ").trimEnd()
  ).join("\n");
}

/** Runs ARGV in NODE's namespace with this terminal; its exit status. */
export async function exec(
  t: Topology,
  node: string,
  argv: string[],
): Promise<number> {
  if (![...t.switches, ...t.hosts].some((n) => n.name === node)) {
    throw new LabError(
      `no node ${node} in lab ${t.name}: ${
        [...t.switches, ...t.hosts].map((n) => n.name).join(", ")
      }`,
    );
  }
  if (argv.length === 0) {
    throw new LabError("give the command after --: lab exec FILE NODE -- CMD");
  }
  const st = await new Deno.Command("ip", {
    args: ["netns", "exec", namespace(t, node), ...argv],
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  return st.code;
}
