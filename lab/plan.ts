/**
 * What `lab up` makes of a topology, as plain commands: the names of the
 * lab's namespaces, wires and files, and the `ip`/`sysctl`/`ethtool`
 * commands that build each node and link. Kept free of effects so that a
 * test can read the plan; lab/lab.ts runs it.
 *
 * @module
 */

import type { End, Host, Link, Switch, Topology } from "./topology.ts";

/** The mux of every switch; namespaces keep the names apart. */
export const MUX = "xm0";
/** A host's one interface. */
export const HOST_DEV = "eth0";

/** Where a lab keeps its pid files, sockets, logs and FRR instances. */
export function labDir(t: Topology, root = "/run/xeth-lab"): string {
  return `${root}/${t.name}`;
}

/** A node's network namespace: LAB-NODE. */
export function namespace(t: Topology, node: string): string {
  return `${t.name}-${node}`;
}

/**
 * The wire of a switch port: a veth in the switch's namespace that the
 * software SWITCH sends and receives the port's frames on.
 */
export function wire(port: string): string {
  return `${port}w`;
}

/** SWITCHD's control socket of a switch. */
export function controlPath(dir: string, sw: string): string {
  return `${dir}/${sw}.sock`;
}

/** One command of the plan, run in `ns` ("" for the lab's own). */
export interface Command {
  ns: string;
  argv: string[];
}

/** A group of commands with the progress line shown before them. */
export interface Step {
  say: string;
  commands: Command[];
}

function inNs(ns: string, ...argv: string[]): Command {
  return { ns, argv };
}

function switchSteps(t: Topology, s: Switch): Step {
  const ns = namespace(t, s.name);
  const c: Command[] = [
    inNs("", "ip", "netns", "add", ns),
    inNs(ns, "ip", "link", "set", "lo", "up"),
    // a router, and one that spreads flows over equal-cost paths by their
    // ports as well as addresses
    inNs(
      ns,
      "sysctl",
      "-qw",
      "net.ipv4.ip_forward=1",
      "net.ipv6.conf.all.forwarding=1",
      "net.ipv4.fib_multipath_hash_policy=1",
      "net.ipv6.fib_multipath_hash_policy=1",
    ),
    inNs(ns, "ip", "link", "add", MUX, "type", "xeth-mux"),
    inNs(ns, "ip", "link", "set", MUX, "up"),
  ];
  for (const p of s.ports) {
    c.push(
      inNs(
        ns,
        "ip",
        "link",
        "add",
        p.name,
        "link",
        MUX,
        "type",
        "xeth-port",
        "xid",
        String(p.xid),
      ),
      inNs(ns, "ip", "link", "set", p.name, "up"),
    );
    for (const a of p.addresses) c.push(addrAdd(ns, a, p.name));
  }
  for (const a of s.loopback) c.push(addrAdd(ns, a, "lo"));
  return {
    say: `switch ${s.name}: namespace ${ns}, mux ${MUX}, ports ${
      s.ports.map((p) => `${p.name} (xid ${p.xid})`).join(", ") || "none"
    }`,
    commands: c,
  };
}

function addrAdd(ns: string, a: string, dev: string): Command {
  // no duplicate address detection: a lab's addresses are planned, and a
  // tentative address would hold back the first sessions
  return a.includes(":")
    ? inNs(ns, "ip", "addr", "add", a, "dev", dev, "nodad")
    : inNs(ns, "ip", "addr", "add", a, "dev", dev);
}

function hostSteps(t: Topology, h: Host): Step {
  const ns = namespace(t, h.name);
  return {
    say: `host ${h.name}: namespace ${ns}`,
    commands: [
      inNs("", "ip", "netns", "add", ns),
      inNs(ns, "ip", "link", "set", "lo", "up"),
    ],
  };
}

/** The interface and namespace of a link's end. */
export function endDevice(t: Topology, e: End): { ns: string; dev: string } {
  return {
    ns: namespace(t, e.node),
    dev: e.kind === "port" ? wire(e.port) : HOST_DEV,
  };
}

export function endName(e: End): string {
  return e.kind === "port" ? `${e.node}:${e.port}` : e.node;
}

function linkSteps(t: Topology, l: Link): Step {
  const a = endDevice(t, l.a);
  const b = endDevice(t, l.b);
  const c: Command[] = [
    inNs(
      "",
      "ip",
      "link",
      "add",
      a.dev,
      "netns",
      a.ns,
      "type",
      "veth",
      "peer",
      "name",
      b.dev,
      "netns",
      b.ns,
    ),
  ];
  for (const [end, d] of [[l.a, a], [l.b, b]] as const) {
    if (end.kind === "port") {
      // A wire carries its port's frames, nothing of its own: no IPv6 and
      // no ARP, or the switch's Linux would answer for its addresses with
      // the wire's MAC and route around the SWITCH.
      c.push(
        inNs(d.ns, "sysctl", "-qw", `net.ipv6.conf.${d.dev}.disable_ipv6=1`),
        inNs(d.ns, "ip", "link", "set", d.dev, "arp", "off", "up"),
      );
    } else {
      // A host's frames as a wire carries them: no 64 KiB TSO frames, no
      // partial checksums for the SWITCH to finish.
      c.push(
        inNs(
          d.ns,
          "ethtool",
          "-K",
          d.dev,
          "tx",
          "off",
          "tso",
          "off",
          "gso",
          "off",
        ),
        inNs(d.ns, "ip", "link", "set", d.dev, "up"),
      );
      const h = t.hosts.find((x) => x.name === end.node)!;
      for (const addr of h.addresses) c.push(addrAdd(d.ns, addr, d.dev));
      for (const gw of h.gateways) {
        c.push(
          inNs(
            d.ns,
            "ip",
            ...(gw.includes(":") ? ["-6"] : []),
            "route",
            "add",
            "default",
            "via",
            gw,
          ),
        );
      }
    }
  }
  return {
    say: `link ${endName(l.a)} -- ${endName(l.b)}`,
    commands: c,
  };
}

/** Every step of `lab up` up to the daemons, in order. */
export function upSteps(t: Topology): Step[] {
  return [
    ...t.switches.map((s) => switchSteps(t, s)),
    ...t.hosts.map((h) => hostSteps(t, h)),
    ...t.links.map((l) => linkSteps(t, l)),
  ];
}

/** The lab's namespaces, switches first. */
export function namespaces(t: Topology): string[] {
  return [...t.switches, ...t.hosts].map((n) => namespace(t, n.name));
}

/** SWITCHD's --attach values for a switch: its linked ports' wires. */
export function attachments(t: Topology, s: Switch): string[] {
  const linked = t.links.flatMap((l) => [l.a, l.b]).filter((e) =>
    e.kind === "port" && e.node === s.name
  ) as { kind: "port"; node: string; port: string }[];
  return s.ports.filter((p) => linked.some((e) => e.port === p.name)).map((
    p,
  ) => `${p.name}=${wire(p.name)}`);
}

/** The far ends of a switch's links, port by port: xeth1 -> spine1:xeth1. */
export function peers(t: Topology, s: Switch): string[] {
  const out: string[] = [];
  for (const l of t.links) {
    for (const [near, far] of [[l.a, l.b], [l.b, l.a]] as const) {
      if (near.kind === "port" && near.node === s.name) {
        out.push(`${near.port}>${endName(far)}`);
      }
    }
  }
  return out;
}
