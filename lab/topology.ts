/**
 * A lab's topology file: switches (link-less xeth switches, each with its
 * ports, addresses and optional FRR configuration), hosts, and the links
 * between them. Parsed from YAML and checked whole, so that `lab up` never
 * stops halfway over a mistake in the file; every error names its line and
 * field.
 *
 * ```yaml
 * name: fabric
 * switches:
 *   leaf1:
 *     loopback: [10.255.1.1/32]
 *     ports:
 *       xeth1: [10.0.1.1/31]        # addresses of the port's proxy
 *       xeth3: {xid: 3, addresses: [10.1.1.1/24]}
 *     frr: |                        # bgpd's configuration
 *       router bgp 65101
 *       ...
 * hosts:
 *   h1: {addresses: [10.1.1.2/24], gateways: [10.1.1.1]}
 * links:
 *   - [leaf1:xeth1, spine1:xeth1]   # a wire between two switch ports
 *   - [leaf1:xeth3, h1]             # a host's eth0 on a switch port
 * ```
 *
 * @module
 */

import { isMap, isSeq, LineCounter, parseDocument } from "yaml";
import type { Document, Node as YamlNode } from "yaml";

export interface Port {
  name: string;
  xid: number;
  addresses: string[];
}

export interface Switch {
  name: string;
  ports: Port[];
  loopback: string[];
  /** bgpd's configuration, when the switch runs FRR */
  frr?: string;
}

export interface Host {
  name: string;
  addresses: string[];
  gateways: string[];
}

/** One end of a link: a switch's port, or a host (its only interface). */
export type End =
  | { kind: "port"; node: string; port: string }
  | { kind: "host"; node: string };

export interface Link {
  a: End;
  b: End;
}

export interface Topology {
  name: string;
  switches: Switch[];
  hosts: Host[];
  links: Link[];
}

/** A mistake in a topology file, with where it is. */
export class TopologyError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly field: string,
    readonly why: string,
  ) {
    super(`${file}:${line}:${column}: ${field}: ${why}`);
    this.name = "TopologyError";
  }
}

/**
 * Names become network namespaces (LAB-NODE) and interface names, which
 * the kernel limits to 15 bytes: keep them short and plain.
 */
const NAME = /^[a-z][a-z0-9]{0,11}$/;
const PORT = /^[a-z][a-z0-9]{0,12}$/;
const TOP_KEYS = ["name", "switches", "hosts", "links"];
const SWITCH_KEYS = ["ports", "loopback", "frr"];
const HOST_KEYS = ["addresses", "gateways"];
const PORT_KEYS = ["xid", "addresses"];
/** A lab's muxes use the default VLAN encapsulation: xids are VIDs. */
const MAX_XID = 4094;

type Path = (string | number)[];

class Reader {
  readonly lines = new LineCounter();
  readonly doc: Document;

  constructor(readonly file: string, text: string) {
    this.doc = parseDocument(text, {
      lineCounter: this.lines,
      prettyErrors: false,
      uniqueKeys: true,
    });
    const e = this.doc.errors[0];
    if (e) {
      const at = this.lines.linePos(e.pos[0]);
      throw new TopologyError(
        file,
        at.line,
        at.col,
        "(file)",
        e.message.split("\n")[0],
      );
    }
  }

  fail(path: Path, why: string): never {
    // the nearest node that exists, for a missing field its parent
    for (let p = path;; p = p.slice(0, -1)) {
      const node = p.length
        ? this.doc.getIn(p, true) as YamlNode | undefined
        : this.doc.contents;
      if (node?.range || p.length === 0) {
        const at = this.lines.linePos(node?.range?.[0] ?? 0);
        throw new TopologyError(
          this.file,
          at.line,
          at.col,
          path.join(".") || "(file)",
          why,
        );
      }
    }
  }

  value(path: Path): unknown {
    const node = path.length ? this.doc.getIn(path, true) : this.doc.contents;
    if (node === undefined || node === null) return undefined;
    return (node as { toJSON(): unknown }).toJSON();
  }

  isMap(path: Path): boolean {
    const node = path.length ? this.doc.getIn(path, true) : this.doc.contents;
    return isMap(node);
  }

  isSeq(path: Path): boolean {
    return isSeq(this.doc.getIn(path, true));
  }

  keys(path: Path): string[] {
    const v = this.value(path);
    return Object.keys(v as Record<string, unknown>);
  }

  /** Like fail, but at the key of the path's last field: a name. */
  failKey(path: Path, why: string): never {
    const parent = path.length > 1
      ? this.doc.getIn(path.slice(0, -1), true)
      : this.doc.contents;
    if (isMap(parent)) {
      for (const pair of parent.items) {
        const key = pair.key as YamlNode & { value?: unknown };
        if (String(key?.value ?? key) !== String(path.at(-1))) continue;
        const at = this.lines.linePos(key?.range?.[0] ?? 0);
        throw new TopologyError(
          this.file,
          at.line,
          at.col,
          path.join("."),
          why,
        );
      }
    }
    this.fail(path, why);
  }

  onlyKeys(path: Path, allowed: readonly string[]) {
    for (const k of this.keys(path)) {
      if (!allowed.includes(k)) {
        this.failKey(
          [...path, k],
          `unknown field; expected one of ${allowed.join(", ")}`,
        );
      }
    }
  }

  string(path: Path, what: string): string {
    const v = this.value(path);
    if (typeof v !== "string") this.fail(path, `expected ${what}`);
    return v;
  }

  strings(path: Path, check: (s: string) => string | undefined): string[] {
    const v = this.value(path);
    if (v === undefined) return [];
    if (!this.isSeq(path)) this.fail(path, "expected a list, [a, b]");
    return (v as unknown[]).map((s, i) => {
      if (typeof s !== "string") this.fail([...path, i], "expected a string");
      const why = check(s);
      if (why) this.fail([...path, i], why);
      return s;
    });
  }
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function ipWhy(s: string): string | undefined {
  const m = s.match(IPV4);
  if (m) {
    return m.slice(1).every((o) => Number(o) <= 255)
      ? undefined
      : `${s} is not an IPv4 address`;
  }
  if (
    s.includes(":") && /^[0-9a-fA-F:.]+$/.test(s) && s.split("::").length <= 2
  ) {
    return undefined;
  }
  return `${s} is not an IPv4 or IPv6 address`;
}

/** An address with its prefix length: 10.0.0.1/24, 2001:db8::1/64. */
export function prefixWhy(s: string): string | undefined {
  const [addr, len, ...rest] = s.split("/");
  if (len === undefined || rest.length || !/^\d+$/.test(len)) {
    return `${s}: give an address with its prefix length, 10.0.0.1/24 or 2001:db8::1/64`;
  }
  const why = ipWhy(addr);
  if (why) return why;
  const max = addr.includes(":") ? 128 : 32;
  return Number(len) <= max ? undefined : `${s}: prefix length above ${max}`;
}

function endOf(r: Reader, path: Path, s: string): End {
  const [node, port, ...rest] = s.split(":");
  if (rest.length || !node) {
    r.fail(path, `${s}: give SWITCH:PORT or HOST`);
  }
  return port === undefined
    ? { kind: "host", node }
    : { kind: "port", node, port };
}

function endName(e: End): string {
  return e.kind === "port" ? `${e.node}:${e.port}` : e.node;
}

/** Parses and checks a topology; throws a {@link TopologyError}. */
export function parseTopology(text: string, file: string): Topology {
  const r: Reader = new Reader(file, text);
  if (!r.isMap([])) {
    r.fail([], "expected a map with name, switches, hosts and links");
  }
  r.onlyKeys([], TOP_KEYS);
  const name = r.string(["name"], "the lab's name, a short word");
  if (!NAME.test(name)) {
    r.fail(
      ["name"],
      `${name}: a lowercase letter, then up to 11 letters or digits (it names the lab's namespaces)`,
    );
  }
  const taken = new Map<string, string>();
  const nodeName = (path: Path, n: string, kind: string) => {
    if (!NAME.test(n)) {
      r.failKey(
        path,
        `${n}: a lowercase letter, then up to 11 letters or digits`,
      );
    }
    const other = taken.get(n);
    if (other) r.failKey(path, `the name ${n} is taken by ${other}`);
    taken.set(n, `the ${kind} ${n}`);
  };

  // switches and hosts: a map of names, each a map of its own keys
  const readNodes = <T>(
    section: "switches" | "hosts",
    kind: string,
    keys: readonly string[],
    expected: string,
    read: (at: Path, name: string) => T,
  ): T[] => {
    const out: T[] = [];
    if (r.value([section]) === undefined) return out;
    if (!r.isMap([section])) {
      r.fail([section], `expected a map of ${kind} names`);
    }
    for (const n of r.keys([section])) {
      const at: Path = [section, n];
      nodeName(at, n, kind);
      if (r.value(at) !== undefined && !r.isMap(at)) {
        r.fail(at, `expected a map with ${expected}`);
      }
      if (r.value(at) !== undefined) r.onlyKeys(at, keys);
      out.push(read(at, n));
    }
    return out;
  };
  const switches = readNodes(
    "switches",
    "switch",
    SWITCH_KEYS,
    "ports, loopback and frr",
    (at, n) => readSwitch(r, at, n),
  );
  if (switches.length === 0) r.fail(["switches"], "a lab needs a switch");
  const hosts: Host[] = readNodes(
    "hosts",
    "host",
    HOST_KEYS,
    "addresses and gateways",
    (at, n) => ({
      name: n,
      addresses: r.strings([...at, "addresses"], prefixWhy),
      gateways: r.strings([...at, "gateways"], ipWhy),
    }),
  );

  const links: Link[] = [];
  const used = new Map<string, number>();
  const raw = r.value(["links"]);
  if (raw !== undefined && !r.isSeq(["links"])) {
    r.fail(["links"], "expected a list of [END, END]");
  }
  for (const [i, l] of ((raw ?? []) as unknown[]).entries()) {
    const at: Path = ["links", i];
    if (
      !Array.isArray(l) || l.length !== 2 ||
      l.some((e) => typeof e !== "string")
    ) {
      r.fail(at, "expected [END, END], each SWITCH:PORT or HOST");
    }
    const ends = (l as string[]).map((s, j) => {
      const e = endOf(r, [...at, j], s);
      const p: Path = [...at, j];
      if (e.kind === "host") {
        if (!hosts.some((h) => h.name === e.node)) {
          r.fail(
            p,
            switches.some((s) => s.name === e.node)
              ? `${e.node} is a switch: name its port, ${e.node}:PORT`
              : `no host ${e.node}`,
          );
        }
      } else {
        const sw = switches.find((s) => s.name === e.node);
        if (!sw) r.fail(p, `no switch ${e.node}`);
        if (!sw.ports.some((q) => q.name === e.port)) {
          r.fail(p, `switch ${e.node} has no port ${e.port}`);
        }
      }
      const key = endName(e);
      const before = used.get(key);
      if (before !== undefined) {
        r.fail(p, `${key} is already linked, by links.${before}`);
      }
      used.set(key, i);
      return e;
    });
    if (ends[0].kind === "host" && ends[1].kind === "host") {
      r.fail(at, "a link joins a switch port to a switch port or a host");
    }
    links.push({ a: ends[0], b: ends[1] });
  }
  return { name, switches, hosts, links };
}

function readSwitch(r: Reader, at: Path, name: string): Switch {
  const ports: Port[] = [];
  const xids = new Map<number, string>();
  const portsAt = [...at, "ports"];
  if (r.value(portsAt) !== undefined) {
    if (!r.isMap(portsAt)) r.fail(portsAt, "expected a map of port names");
    for (const [i, p] of r.keys(portsAt).entries()) {
      const pat = [...portsAt, p];
      if (!PORT.test(p)) {
        r.failKey(
          pat,
          `${p}: a port is named by a lowercase letter, then up to 12 letters or digits`,
        );
      }
      let xid = i + 1;
      let addresses: string[] = [];
      if (r.isMap(pat)) {
        r.onlyKeys(pat, PORT_KEYS);
        const x = r.value([...pat, "xid"]);
        if (x !== undefined) {
          if (
            !Number.isInteger(x) || (x as number) < 1 || (x as number) > MAX_XID
          ) {
            r.fail([...pat, "xid"], `expected an integer in 1..${MAX_XID}`);
          }
          xid = x as number;
        }
        addresses = r.strings([...pat, "addresses"], prefixWhy);
      } else if (r.value(pat) !== undefined) {
        addresses = r.strings(pat, prefixWhy);
      }
      const other = xids.get(xid);
      if (other) r.failKey(pat, `xid ${xid} is taken by port ${other}`);
      xids.set(xid, p);
      ports.push({ name: p, xid, addresses });
    }
  }
  const frr = r.value([...at, "frr"]);
  if (frr !== undefined && typeof frr !== "string") {
    r.fail([...at, "frr"], "expected bgpd's configuration as text (frr: |)");
  }
  return {
    name,
    ports,
    loopback: r.strings([...at, "loopback"], prefixWhy),
    frr: frr as string | undefined,
  };
}
