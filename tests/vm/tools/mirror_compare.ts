/**
 * Compares a running SWITCHD's mirror (`show mirror` over its control
 * socket) with the kernel's own view (`ip -j`), for VM scenarios.
 *
 * usage: deno run -A tests/vm/tools/mirror_compare.ts CONTROL compare [NETNS...]
 *        deno run -A tests/vm/tools/mirror_compare.ts CONTROL wait STATE [SECS [--kill PID]]
 *        deno run -A tests/vm/tools/mirror_compare.ts CONTROL wait-routes N [SECS] [--at-most] [--ready FILE]
 *        deno run -A tests/vm/tools/mirror_compare.ts CONTROL compare-switch [NETNS...]
 *        deno run -A tests/vm/tools/mirror_compare.ts CONTROL compare-both [NETNS...]
 *
 * `wait` returns once the daemon's session is in STATE (exit 1 after SECS,
 * default 120), killing process PID at that moment if asked to. `compare`
 * and `compare-switch` first wait until the daemon has received
 * nothing new for half a second, then compare.
 *
 * Namespaces: the initial one (net id 1) and each named one (net id: the
 * inode of /run/netns/NAME), as the module numbers them; with
 * --named-only (after the command), only the named ones. With several
 * CONTROL sockets (comma-separated; --named-only and one NETNS each, in
 * their order) each daemon is compared with its namespace. Compared, as
 * normalised lines:
 * - routes of every table, IPv4 and IPv6 (`ip route show table all`),
 *   with type, table, next hops (gateway, ifindex, weight of multipath);
 *   of several routes for one prefix in one table, only the first (the
 *   one in use, which is the one the kernel's FIB notifiers announce);
 * - neighbours of the proxies that have a lladdr (`nud all`: NOARP
 *   entries included), except multicast ones on either side: the kernel
 *   makes most of those (NOARP, the address derived from the group)
 *   without a neighbour event, so whether one is announced depends on how
 *   it came about, and a switch derives them from the address anyway;
 * - proxies: name, namespace, ifindex, admin state, addresses.
 * Prints `{"equal": bool, "missing": [...], "extra": [...]}`; exits 1
 * when they differ. "missing" are in the kernel but not in the mirror.
 *
 * `compare-both` makes both comparisons in one run (a line each, the
 * mirror's first; exit 1 when either differs): in a TCG guest, starting
 * Deno costs more than comparing.
 *
 * `compare-switch` compares the routes of the same namespaces with what
 * the daemon's SWITCH holds (`show switch-fib`), as the switch's program
 * writes them: `route NET TABLE PREFIX TYPE NEXTHOPS`, a next hop being
 * `XID@GATEWAY` or `XID` through a proxy (its xid from `show links`) and
 * `?` through anything else. Weights are not the switch's business.
 * Routes that `ip route` shows `rt_offload_failed` (fib-offload: the
 * SWITCH had no room for them) are left out: the SWITCH must not hold them.
 *
 * @module
 */

import { queryControl } from "../../../switchd/control.ts";

const [control, command, ...rest] = Deno.args;
// --named-only: the daemon's mux is in a named namespace (a lab's switch),
// so the initial namespace is none of its business
const namedOnly = rest.includes("--named-only");
const args = rest.filter((a) => a !== "--named-only");

interface IpHop {
  gateway?: string;
  dev?: string;
  /** a gateway of another family: `via inet6 ...` of an IPv4 route */
  via?: { family: string; host: string };
  weight?: number;
}

interface IpRoute extends IpHop {
  dst: string;
  type?: string;
  table?: string;
  nexthops?: IpHop[];
  flags?: string[];
}

/**
 * A hop as the side-band tells it: an IPv4 route's hop through an IPv6
 * gateway (RFC 5549) goes through no device and no gateway
 * (XETH_NH_F_GW_INET6 in the uapi header).
 */
function told(h: IpHop): IpHop {
  return h.via?.family === "inet6" ? { weight: h.weight } : h;
}

const RTN: Record<string, number> = {
  unicast: 1,
  local: 2,
  broadcast: 3,
  anycast: 4,
  multicast: 5,
  blackhole: 6,
  unreachable: 7,
  prohibit: 8,
  throw: 9,
};
const TABLES: Record<string, number> = { default: 253, main: 254, local: 255 };

async function ip(ns: string | undefined, ...args: string[]): Promise<unknown> {
  const out = await new Deno.Command("ip", {
    args: [...(ns ? ["-n", ns] : []), "-j", ...args],
  }).output();
  if (!out.success) {
    throw new Error(
      `ip ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  const text = new TextDecoder().decode(out.stdout).trim();
  return text ? JSON.parse(text) : [];
}

async function netId(ns: string): Promise<string> {
  return String((await Deno.stat(`/run/netns/${ns}`)).ino);
}

/** Kernel lines for one namespace. */
async function kernel(ns: string | undefined, net: string): Promise<string[]> {
  const links = await ip(ns, "-d", "link", "show") as {
    ifindex: number;
    ifname: string;
    flags: string[];
    linkinfo?: { info_kind?: string };
  }[];
  const index = new Map(links.map((l) => [l.ifname, l.ifindex]));
  const proxies = links.filter((l) =>
    l.linkinfo?.info_kind?.startsWith("xeth-") &&
    l.linkinfo.info_kind !== "xeth-mux"
  );
  const lines: string[] = (await kernelRoutes(ns)).map((k) =>
    routeLine(net, k, index)
  );
  for (const p of proxies) {
    const addrs = await ip(ns, "addr", "show", "dev", p.ifname) as {
      addr_info: { family: string; local: string; prefixlen: number }[];
    }[];
    const a = addrs[0]?.addr_info.map((x) => `${x.local}/${x.prefixlen}`)
      .sort().join(",");
    lines.push(
      `link ${p.ifname} net=${net} ifindex=${p.ifindex} up=${
        p.flags.includes("UP")
      } addrs=${a}`,
    );
    const neigh = await ip(
      ns,
      "neigh",
      "show",
      "dev",
      p.ifname,
      "nud",
      "all",
    ) as {
      dst: string;
      lladdr?: string;
      state?: string[];
    }[];
    for (const n of neigh) {
      if (!n.lladdr) continue; // not valid: no address to forward to
      if (multicast(n.dst)) continue;
      lines.push(`neigh net=${net} ${p.ifindex} ${n.dst} ${n.lladdr}`);
    }
  }
  return lines;
}

/** IPv6 ff00::/8 or IPv4 224.0.0.0/4. */
function multicast(dst: string): boolean {
  return /^(ff|2(2[4-9]|3\d)\.)/i.test(dst);
}

/** A kernel route, its prefix and table as the side-band gives them. */
interface KernelRoute {
  dst: string;
  table: number;
  type: number | string;
  route: IpRoute;
}

/**
 * The routes of every table of `ns`, IPv4 then IPv6; of several routes for
 * one prefix in one table only the first (the one in use, which is the one
 * the kernel's FIB notifiers announce).
 */
async function kernelRoutes(ns: string | undefined): Promise<KernelRoute[]> {
  const out: KernelRoute[] = [];
  for (const family of ["-4", "-6"]) {
    const v6 = family === "-6";
    const routes = await ip(
      ns,
      family,
      "route",
      "show",
      "table",
      "all",
    ) as IpRoute[];
    const seen = new Set<string>();
    for (const r of routes) {
      let dst = r.dst === "default" ? (v6 ? "::/0" : "0.0.0.0/0") : r.dst;
      if (!dst.includes("/")) dst += v6 ? "/128" : "/32";
      const table = r.table === undefined
        ? 254
        : TABLES[r.table] ?? Number(r.table);
      const key = `${table} ${dst}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({
        dst,
        table,
        type: RTN[r.type ?? "unicast"] ?? r.type,
        route: r,
      });
    }
  }
  return out;
}

function routeLine(
  net: string,
  k: KernelRoute,
  index: Map<string, number>,
): string {
  const r = k.route;
  const dev = (d: string | undefined) => d ? index.get(d) ?? d : "-";
  // A group of one (an IPv6 ECMP route that lost all but one path, or a
  // nexthop object's group of one) is a route of one hop, as the mirror
  // holds it.
  const hops = r.nexthops && r.nexthops.length > 1
    ? r.nexthops.map(told).map((h) =>
      `${h.gateway ?? "-"}@${dev(h.dev)}*${h.weight ?? 1}`
    )
    : [told(r.nexthops?.[0] ?? r)].map((h) =>
      `${h.gateway ?? "-"}@${dev(h.dev)}`
    );
  return `route net=${net} ${k.table} ${k.dst} type=${k.type} ${
    hops.join(" ")
  }`;
}

interface MirrorJson {
  links: {
    ifname: string;
    net: string;
    ifindex: number | null;
    adminUp: boolean;
    ipv4: string[];
    ipv6: string[];
  }[];
  fib4: MirrorRoute[];
  fib6: MirrorRoute[];
  neighbours: { net: string; ifindex: number; dst: string; lladdr: string }[];
}

interface MirrorRoute {
  net: string;
  table: number;
  address: string;
  prefixLength: number;
  type: number;
  nextHops: { ifindex: number; gw: string | null; weight: number }[];
}

function mirrorLines(m: MirrorJson, nets: Set<string>): string[] {
  const lines: string[] = [];
  for (const r of [...m.fib4, ...m.fib6]) {
    if (!nets.has(r.net)) continue;
    const multi = r.nextHops.length > 1;
    // A route with no device (blackhole and the like) has ifindex 0.
    const hops = r.nextHops.map((h) =>
      `${h.gw ?? "-"}@${h.ifindex || "-"}${multi ? `*${h.weight}` : ""}`
    );
    lines.push(
      `route net=${r.net} ${r.table} ${r.address}/${r.prefixLength} type=${r.type} ${
        hops.join(" ")
      }`,
    );
  }
  for (const l of m.links) {
    if (l.ifindex === null || !nets.has(l.net)) continue;
    const addrs = [
      ...l.ipv4.map(ip4Text),
      ...l.ipv6.map(ip6Text),
    ].sort().join(",");
    lines.push(
      `link ${l.ifname} net=${l.net} ifindex=${l.ifindex} up=${l.adminUp} addrs=${addrs}`,
    );
  }
  for (const n of m.neighbours) {
    if (!nets.has(n.net) || multicast(n.dst)) continue;
    lines.push(`neigh net=${n.net} ${n.ifindex} ${n.dst} ${n.lladdr}`);
  }
  return lines;
}

// The mirror keys addresses as "<number>/<len>" and "<bigint>/<len>".
function ip4Text(k: string): string {
  const [a, len] = k.split("/");
  const n = Number(a);
  return `${n >>> 24}.${n >>> 16 & 255}.${n >>> 8 & 255}.${n & 255}/${len}`;
}

function ip6Text(k: string): string {
  const [a, len] = k.split("/");
  const hex = BigInt(a).toString(16).padStart(32, "0");
  const groups = hex.match(/.{4}/g)!.map((g) => g.replace(/^0+(?=.)/, ""));
  // The longest run of zero groups becomes "::", as ip prints it.
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== "0") {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === "0") j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const text = best < 0
    ? groups.join(":")
    : `${groups.slice(0, best).join(":")}::${
      groups.slice(best + bestLen).join(":")
    }`;
  return `${text}/${len}`;
}

async function session(
  path = control,
): Promise<{ state: string; messages: number }> {
  return await queryControl(path, { show: "session" }) as {
    state: string;
    messages: number;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The rig's time scale (tests/vm/calibrate.ts): every bound grows with it. */
const SCALE = Number(Deno.env.get("XETH_TIME_SCALE") ?? "1") || 1;

if (command === "wait") {
  const until = Date.now() + 1000 * SCALE * Number(args[1] ?? 120);
  let last = "";
  while (Date.now() < until) {
    try {
      last = (await session()).state;
      if (last === args[0]) {
        // --kill PID: SIGKILL the daemon the moment it is seen in STATE
        if (args[2] === "--kill") Deno.kill(Number(args[3]), "SIGKILL");
        Deno.exit(0);
      }
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    await sleep(20);
  }
  console.error(`still ${last}, not ${args[0]}`);
  Deno.exit(1);
}
if (command === "wait-routes") {
  // Until the mirror holds at least N routes, then until the software
  // switch does too (when SWITCHD has one); prints progress every 10 s and
  // at the end {"mirror_at", "switch_at"}: when each got there, in seconds
  // since the epoch (switch_at null without a software switch). The times
  // are SWITCHD's own: when the mirror last changed and when it last
  // programmed the switch, as of the answer that had all of them (an
  // older SWITCHD, which does not say: when the answer came).
  // Asks once a second: each question costs the daemon CPU, which in a TCG
  // guest is the very thing being measured, and SWITCHD's times do not
  // depend on how often it is asked. With --at-most: until both hold at
  // most N (routes withdrawn). With --ready FILE: creates FILE once the
  // first answer came, so that a caller timing something from before that
  // moment can start it after Deno's own start (seconds under TCG).
  const atMost = args.includes("--at-most");
  const readyAt = args.indexOf("--ready");
  let ready = readyAt >= 0 ? args[readyAt + 1] : undefined;
  // The positional arguments: neither flag nor --ready's value (without
  // --ready, readyAt is -1 and no index is its value).
  const pos = args.filter((a, i) =>
    a !== "--at-most" &&
    (readyAt < 0 || (i !== readyAt && i !== readyAt + 1))
  );
  const want = Number(pos[0]);
  const there = (n: number) => atMost ? n <= want : n >= want;
  const until = Date.now() + 1000 * SCALE * Number(pos[1] ?? 600);
  let next = Date.now() + 10_000;
  const progress = (what: string, n: number) => {
    if (Date.now() < next) return;
    console.error(`${what}: ${n}/${want} routes`);
    next += 10_000;
  };
  let mirrorAt: number | undefined;
  while (Date.now() < until) {
    if (mirrorAt === undefined) {
      const s = await queryControl(control, { show: "session" }) as {
        routes: number;
        changed_at_ms?: number;
      };
      if (ready !== undefined) {
        await Deno.writeTextFile(ready, "");
        ready = undefined;
      }
      if (there(s.routes)) mirrorAt = s.changed_at_ms ?? Date.now();
      else progress("mirror", s.routes);
    }
    if (mirrorAt !== undefined) {
      const sw = await queryControl(control, { show: "switch" }) as Record<
        string,
        unknown
      >;
      if (sw.routes4 === undefined) {
        console.log(
          JSON.stringify({ mirror_at: mirrorAt / 1000, switch_at: null }),
        );
        Deno.exit(0);
      }
      const n = Number(sw.routes4) + Number(sw.routes6);
      if (there(n)) {
        const programmed = sw["switchd.programmed_at_us"];
        console.log(
          JSON.stringify({
            mirror_at: mirrorAt / 1000,
            switch_at: programmed === undefined
              ? Date.now() / 1000
              : Number(programmed) / 1e6,
          }),
        );
        Deno.exit(0);
      }
      progress("switch", n);
    }
    await sleep(1000);
  }
  console.error(
    `the ${
      mirrorAt === undefined ? "mirror" : "switch"
    } never reached ${want} routes`,
  );
  Deno.exit(1);
}
if (!["compare", "compare-switch", "compare-both"].includes(command)) {
  console.error(
    "usage: mirror_compare.ts CONTROL compare|compare-switch|compare-both|wait|wait-routes ...",
  );
  Deno.exit(2);
}

/**
 * Until nothing was received for half a second (times the scale), two
 * minutes (times the scale) at most.
 */
async function quiet(path: string): Promise<void> {
  let before = (await session(path)).messages;
  for (let i = 0; i < 240; i++) {
    await sleep(500 * SCALE);
    const now = (await session(path)).messages;
    if (now === before) break;
    before = now;
  }
}

/** The comparison as a JSON line, and whether `have` is `want`. */
function verdict(
  want: string[],
  have: string[],
): { line: string; equal: boolean } {
  const haveSet = new Set(have), wantSet = new Set(want);
  const missing = want.filter((l) => !haveSet.has(l)).sort();
  const extra = have.filter((l) => !wantSet.has(l)).sort();
  const equal = missing.length === 0 && extra.length === 0;
  const line = JSON.stringify({
    equal,
    compared: want.length,
    routes: want.filter((l) => l.startsWith("route")).length,
    missing: missing.slice(0, 50),
    extra: extra.slice(0, 50),
  });
  return { line, equal };
}

/** The kernel's routes of one namespace as the switch's route lines. */
async function kernelSwitchLines(
  ns: string | undefined,
  net: string,
  xidOf: Map<string, number>,
): Promise<string[]> {
  const links = await ip(ns, "link", "show") as {
    ifindex: number;
    ifname: string;
  }[];
  const index = new Map(links.map((l) => [l.ifname, l.ifindex]));
  const hop = (dev: string | undefined, gw: string | undefined) => {
    const xid = dev === undefined
      ? undefined
      : xidOf.get(`${net}/${index.get(dev)}`);
    if (xid === undefined) return "?";
    return gw === undefined ? String(xid) : `${xid}@${gw}`;
  };
  // A route the SWITCH had no room for (fib-offload) is Linux's alone.
  const held = (await kernelRoutes(ns)).filter((k) =>
    !(k.route.flags ?? []).includes("rt_offload_failed")
  );
  return held.map((k) => {
    const r = k.route;
    const hops = (r.nexthops ?? [r]).map(told).map((h) =>
      hop(h.dev, h.gateway)
    );
    return `route ${net} ${k.table} ${k.dst} ${k.type} ${hops.join(",")}`;
  });
}

type Namespaces = [string | undefined, string][];

/** The switch's routes against the kernel's. */
async function compareSwitch(
  path: string,
  namespaces: Namespaces,
): Promise<{ line: string; equal: boolean }> {
  const nets = new Set(namespaces.map(([, net]) => net));
  const links = await queryControl(path, { show: "links" }) as {
    xid: number;
    net: string;
    ifindex: number | string;
  }[];
  const xidOf = new Map(links.map((l) => [`${l.net}/${l.ifindex}`, l.xid]));
  const want: string[] = [];
  for (const [ns, net] of namespaces) {
    want.push(...await kernelSwitchLines(ns, net, xidOf));
  }
  const rows = await queryControl(path, { show: "switch-fib" }) as {
    net: string;
    table: number;
    prefix: string;
    type: number;
    nexthops: string;
  }[];
  const have = rows.filter((r) => nets.has(r.net)).map((r) =>
    `route ${r.net} ${r.table} ${r.prefix} ${r.type} ${r.nexthops}`
  );
  return verdict(want, have);
}

/** The mirror against the kernel's view. */
async function compareMirror(
  path: string,
  namespaces: Namespaces,
): Promise<{ line: string; equal: boolean }> {
  const nets = new Set(namespaces.map(([, net]) => net));
  const want: string[] = [];
  for (const [ns, net] of namespaces) want.push(...await kernel(ns, net));
  const mirror = await queryControl(path, { show: "mirror" }) as MirrorJson;
  return verdict(want, mirrorLines(mirror, nets));
}

/** The comparisons asked for, of one daemon, once it has caught up. */
async function compareOne(path: string, namespaces: Namespaces) {
  await quiet(path);
  return command === "compare"
    ? [await compareMirror(path, namespaces)]
    : command === "compare-switch"
    ? [await compareSwitch(path, namespaces)]
    : [
      await compareMirror(path, namespaces),
      await compareSwitch(path, namespaces),
    ];
}

// Several daemons (CONTROL,CONTROL... with --named-only, a namespace each,
// as a lab's switches): one Deno start for all, which in a TCG guest costs
// more than the comparisons.
const controls = control.split(",");
if (controls.length > 1 && (!namedOnly || args.length !== controls.length)) {
  console.error(
    "several CONTROL sockets need --named-only and one NETNS each, in their order",
  );
  Deno.exit(2);
}
const results = [];
if (controls.length > 1) {
  for (const [i, path] of controls.entries()) {
    results.push(...await compareOne(path, [[args[i], await netId(args[i])]]));
  }
} else {
  const namespaces: Namespaces = namedOnly ? [] : [[undefined, "1"]];
  for (const n of args) namespaces.push([n, await netId(n)]);
  results.push(...await compareOne(control, namespaces));
}
for (const r of results) console.log(r.line);
Deno.exit(results.every((r) => r.equal) ? 0 : 1);
