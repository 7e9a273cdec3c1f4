/**
 * SWITCHD's command line: its options, the help text, and parsing into
 * {@link CliOptions}, with a usage error that says what a good value is.
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { Encap, FibCapacity } from "../../ffi/switch.ts";
import { defaultControlPath } from "../control.ts";
import { VALUES } from "../protocol/abi.generated.ts";
import {
  isLogFormat,
  isLogLevel,
  LOG_LEVELS,
  type LogFormat,
  type LogLevel,
} from "../log.ts";
import { isShowWhat, SHOW_WHAT, type ShowWhat } from "../show.ts";
import type { Attachment } from "../software/program.ts";

/** Name the CLI calls itself in messages. */
export const PROGRAM = "xeth-switchd";

/** Mux device SWITCHD attaches to unless told otherwise. */
export const DEFAULT_MUX = "xeth-mux";

/** Default --stats-interval, in seconds (Cumulus switchd polls every 2 s). */
export const DEFAULT_STATS_INTERVAL = 2;

/** The SWITCH backends of --switch (remote takes =HOST:PORT). */
export const SWITCH_KINDS = ["none", "software", "remote"] as const;
export type SwitchKind = typeof SWITCH_KINDS[number];

/** Encapsulations of --encap. */
export const ENCAPS: readonly Encap[] = ["vlan", "vpls"];

/** Text printed by --help. */
export const HELP: string = `Usage: ${PROGRAM} [options]
       ${PROGRAM} show [session|links|fib|neighbours|counters|mirror|switch|switch-fib] [--json] [options]

Runs SWITCHD, the daemon of xeth-switchd: it connects to the side-band socket
of an xeth mux, dumps interfaces, FIB and neighbours into its mirror, follows
live updates, and reconnects and dumps again whenever the kernel ends the
session. It waits (retrying with a backoff) while the mux is missing or down.
SIGINT or SIGTERM stop it cleanly.

"show" asks the running daemon for the mux through its control socket and
prints a table (or JSON with --json); "show switch" prints the SWITCH's
summary (table sizes, forwarded frames, exceptions and drops by reason) and
"show switch-fib" the routes it holds, in its own terms (next hops by xid).

Options:
  --mux NAME             xeth mux device to attach to (default: ${DEFAULT_MUX})
  --switch KIND          the SWITCH to program: software (the data plane's
                         model of the switch, for a mux without lower links),
                         remote=HOST:PORT (that software switch on another
                         machine, xeth-switch --listen HOST:PORT, reached
                         through a WireGuard tunnel that also carries the
                         mux's lower link) or none (only mirror and count)
                         (default: software)
  --encap ENCAP          the mux's encapsulation, vlan or vpls, as given to
                         \`ip link add ... type xeth-mux encap ENCAP\`
                         (default: vlan)
  --attach PORT=IFNAME   software switch: attach the port PORT (a port
                         proxy's name such as xeth1, or its decimal xid) to
                         the interface IFNAME of this host (a veth, say), so
                         that its frames go in and out there; repeat for
                         more ports
  --fib-capacity ipv4=N,ipv6=M
                         software switch: hold at most N IPv4 and M IPv6
                         routes, as a chip's tables would (either may be left
                         out; default: no limit). Routes past it are not
                         held: Linux forwards their traffic, \`ip route\` shows
                         them offload_failed (with a module that offers
                         fib-offload), and they are taken in arrival order
                         when deletions make room
  --no-fib-offload       do not ask the module for fib-offload: \`ip route\`
                         shows no offload flags (for a kernel whose routing
                         daemon must not wait on them, and to measure their
                         cost)
  --stats-interval SECS  how often to relay the switch's counters
                         (default: ${DEFAULT_STATS_INTERVAL}; 0.1 to 3600);
                         carrier and speed go when they change
  --log-level LEVEL      trace, debug, info, warning, error or fatal
                         (default: info)
  --log-format FORMAT    text or json (one JSON object per line) (default: text)
  --control PATH         control socket (default: /run/xeth-switchd/MUX.sock)
  --json                 show: print JSON instead of a table
  -V, --version          print the versions of SWITCHD and the data plane, then exit
  -h, --help             print this help, then exit

Environment:
  XETH_DATAPLANE_LIB  path of libxeth_dataplane.so, instead of searching for it

Exit status: 0 on success, 1 on a runtime failure, 2 on a usage error.`;

/** The one-line reminder printed after a usage error. */
export const USAGE =
  `usage: ${PROGRAM} [show [WHAT]] [--mux NAME] [--switch none|software|remote=HOST:PORT] [--attach PORT=IFNAME] [--log-level LEVEL] ...; see --help`;

/** Exit status of a usage error, the convention of getopt-style tools. */
export const EXIT_USAGE = 2;

/** What the command line asks for. */
export interface CliOptions {
  readonly command: "run" | "show" | "version" | "help";
  readonly mux: string;
  readonly switch: SwitchKind;
  /** --switch remote=HOST:PORT: where the SWITCH listens */
  readonly remote?: string;
  readonly encap: Encap;
  /** --attach, in the order given */
  readonly attachments: readonly Attachment[];
  /** --fib-capacity; undefined: no limit */
  readonly fibCapacity?: FibCapacity;
  /** false with --no-fib-offload: the extension is not asked for */
  readonly fibOffload: boolean;
  readonly statsIntervalMs: number;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
  readonly control: string;
  /** show: what to show */
  readonly what: ShowWhat;
  readonly json: boolean;
}

/** A command line that cannot be acted on; the message says why. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** --switch: its kind, and for remote=HOST:PORT the address. */
function parseSwitch(v: string): [SwitchKind, string | undefined] {
  if (v.startsWith("remote=")) {
    const addr = v.slice("remote=".length);
    const m = addr.match(/^(\[[0-9a-fA-F:.]+\]|[^:\s]+):(\d+)$/);
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) {
      throw new UsageError(
        `invalid --switch ${
          JSON.stringify(v)
        }: use remote=HOST:PORT (an IPv6 address in brackets), where xeth-switch --listen listens`,
      );
    }
    return ["remote", addr];
  }
  if (v === "remote") {
    throw new UsageError(
      `--switch remote needs the switch's address: --switch remote=HOST:PORT`,
    );
  }
  if (!(SWITCH_KINDS as readonly string[]).includes(v)) {
    throw new UsageError(
      `invalid --switch ${
        JSON.stringify(v)
      }: use none, software or remote=HOST:PORT`,
    );
  }
  return [v as SwitchKind, undefined];
}

/** Parses the arguments after the program name. */
export function parseCli(args: readonly string[]): CliOptions {
  const { values, positionals } = readArgs(args);
  const problem = ifnameProblem(values.mux);
  if (problem !== undefined) {
    throw new UsageError(
      `invalid --mux ${JSON.stringify(values.mux)}: ${problem}`,
    );
  }
  const [kind, remote] = parseSwitch(values.switch);
  const encap = values.encap;
  if (!(ENCAPS as readonly string[]).includes(encap)) {
    throw new UsageError(
      `invalid --encap ${
        JSON.stringify(encap)
      }: use vlan or vpls, the encap the mux was created with (ip -d link show MUX)`,
    );
  }
  const attachments = parseAttachments(values.attach);
  if (attachments.length > 0 && kind === "none") {
    throw new UsageError(
      `--attach needs the software switch: drop --switch ${kind} or the --attach options`,
    );
  }
  const fibCapacity = values["fib-capacity"] === undefined
    ? undefined
    : parseFibCapacity(values["fib-capacity"]);
  if (fibCapacity && kind === "none") {
    throw new UsageError(
      `--fib-capacity needs the software switch: drop --switch ${kind} or --fib-capacity`,
    );
  }
  const statsIntervalMs = parseStatsInterval(values["stats-interval"]);
  const level = values["log-level"];
  if (!isLogLevel(level)) {
    throw new UsageError(
      `invalid --log-level ${JSON.stringify(level)}: use one of ${
        LOG_LEVELS.join(", ")
      }`,
    );
  }
  const format = values["log-format"];
  if (!isLogFormat(format)) {
    throw new UsageError(
      `invalid --log-format ${JSON.stringify(format)}: use text or json`,
    );
  }
  let { command, what } = parseCommand(positionals);
  if (values.version) command = "version";
  if (values.help) command = "help";
  return {
    command,
    mux: values.mux,
    switch: kind,
    ...(remote ? { remote } : {}),
    encap: encap as Encap,
    attachments,
    ...(fibCapacity ? { fibCapacity } : {}),
    fibOffload: !values["no-fib-offload"],
    statsIntervalMs,
    logLevel: level,
    logFormat: format,
    control: values.control ?? defaultControlPath(values.mux),
    what,
    json: values.json,
  };
}

/** The options and positionals, as parseArgs reads them with defaults. */
function readArgs(args: readonly string[]) {
  try {
    return parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: true,
      options: {
        mux: { type: "string", default: DEFAULT_MUX },
        switch: { type: "string", default: "software" },
        encap: { type: "string", default: "vlan" },
        attach: { type: "string", multiple: true, default: [] },
        "fib-capacity": { type: "string" },
        "no-fib-offload": { type: "boolean", default: false },
        "stats-interval": {
          type: "string",
          default: String(DEFAULT_STATS_INTERVAL),
        },
        "log-level": { type: "string", default: "info" },
        "log-format": { type: "string", default: "text" },
        control: { type: "string" },
        json: { type: "boolean", default: false },
        version: { type: "boolean", short: "V", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (e) {
    // parseArgs reports every bad command line as a TypeError with an
    // ERR_PARSE_ARGS_* code; anything else is a bug and keeps its stack.
    if (e instanceof TypeError && parseArgsCode(e)) {
      throw new UsageError(e.message);
    }
    throw e;
  }
}

/** --stats-interval in milliseconds. */
function parseStatsInterval(text: string): number {
  const interval = Number(text);
  if (!Number.isFinite(interval) || interval < 0.1 || interval > 3600) {
    throw new UsageError(
      `invalid --stats-interval ${
        JSON.stringify(text)
      }: give seconds from 0.1 to 3600`,
    );
  }
  return Math.round(interval * 1000);
}

/**
 * The --fib-capacity value: `ipv4=N`, `ipv6=M` or both, comma-separated,
 * each a count of routes.
 */
export function parseFibCapacity(text: string): FibCapacity {
  const bad = (why: string) =>
    new UsageError(
      `invalid --fib-capacity ${
        JSON.stringify(text)
      }: ${why}; give ipv4=N,ipv6=M (either may be left out), N and M counts of routes`,
    );
  const out: { ipv4?: number; ipv6?: number } = {};
  for (const part of text.split(",")) {
    const m = /^(ipv4|ipv6)=(\d{1,15})$/.exec(part);
    if (!m) throw bad(`${JSON.stringify(part)} is not FAMILY=COUNT`);
    const family = m[1] as "ipv4" | "ipv6";
    if (out[family] !== undefined) throw bad(`${family} given twice`);
    out[family] = Number(m[2]);
  }
  return out;
}

/** The command the positionals give: none (run) or show [WHAT]. */
function parseCommand(
  positionals: readonly string[],
): { command: CliOptions["command"]; what: ShowWhat } {
  if (positionals.length === 0) return { command: "run", what: "session" };
  if (positionals[0] !== "show") {
    throw new UsageError(
      `unknown command ${
        JSON.stringify(positionals[0])
      }: the only command is "show"`,
    );
  }
  if (positionals.length > 2) {
    throw new UsageError(
      `show takes one argument, got ${positionals.length - 1}`,
    );
  }
  if (positionals.length === 1) return { command: "show", what: "session" };
  const what = positionals[1];
  if (!isShowWhat(what)) {
    throw new UsageError(
      `cannot show ${JSON.stringify(what)}: use one of ${SHOW_WHAT.join(", ")}`,
    );
  }
  return { command: "show", what };
}

/**
 * The attachments of the --attach values (PORT=IFNAME each); throws a
 * {@link UsageError} saying what a good one looks like.
 */
export function parseAttachments(values: readonly string[]): Attachment[] {
  const out: Attachment[] = [];
  const ports = new Map<string, string>();
  const ifnames = new Map<string, string>();
  for (const v of values) {
    const bad = (why: string) =>
      new UsageError(
        `invalid --attach ${
          JSON.stringify(v)
        }: ${why}; give PORT=IFNAME, PORT a port proxy's name (xeth1) or decimal xid, IFNAME an interface of this host (--attach xeth1=veth1)`,
      );
    const eq = v.indexOf("=");
    if (eq < 0) throw bad("no '='");
    const portText = v.slice(0, eq);
    const ifname = v.slice(eq + 1);
    let port: string | number;
    if (/^\d+$/.test(portText)) {
      port = Number(portText);
      if (port > 0xffff_ffff) throw bad(`xid ${portText} is not a u32`);
    } else {
      const problem = ifnameProblem(portText);
      if (problem !== undefined) throw bad(`bad PORT (${problem})`);
      port = portText;
    }
    const problem = ifnameProblem(ifname);
    if (problem !== undefined) throw bad(`bad IFNAME (${problem})`);
    const key = String(port);
    const earlier = ports.get(key);
    if (earlier !== undefined) {
      throw new UsageError(
        `--attach gives port ${key} twice (=${earlier} and =${ifname}): a port attaches to one interface; keep one`,
      );
    }
    const other = ifnames.get(ifname);
    if (other !== undefined) {
      throw new UsageError(
        `--attach gives ${ifname} to both ${other} and ${key}: an interface attaches to one port; give each port its own`,
      );
    }
    ports.set(key, ifname);
    ifnames.set(ifname, key);
    out.push({ port, ifname });
  }
  return out;
}

function parseArgsCode(e: TypeError): boolean {
  const code = (e as { code?: unknown }).code;
  return typeof code === "string" && code.startsWith("ERR_PARSE_ARGS_");
}

/** Longest interface name, without its NUL (IFNAMSIZ - 1). */
const MAX_IFNAME = VALUES.XETH_IFNAMSIZ - 1;

/**
 * Says why the kernel would refuse `name` as an interface name (the rules of
 * Linux's dev_valid_name), or returns undefined if it would accept it.
 * Checking here turns a typo into a usage error instead of a failure to
 * find the mux later.
 */
export function ifnameProblem(name: string): string | undefined {
  const bytes = new TextEncoder().encode(name).length;
  if (bytes === 0) return "empty";
  if (bytes > MAX_IFNAME) {
    return `${bytes} bytes long, the kernel allows ${MAX_IFNAME}`;
  }
  if (name === "." || name === "..") return "not a name";
  if (/[/:\s]/.test(name)) return "contains '/', ':' or white space";
  return undefined;
}
