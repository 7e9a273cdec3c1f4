import { deepEqual, equal, throws } from "node:assert/strict";
import { parseTopology, prefixWhy, TopologyError } from "./topology.ts";

const FABRIC = new URL("./fabric.yaml", import.meta.url);

Deno.test("the example fabric: 2 spines, 2 leaves, 4 hosts, 8 links", async () => {
  const t = parseTopology(await Deno.readTextFile(FABRIC), "fabric.yaml");
  equal(t.name, "fab");
  deepEqual(t.switches.map((s) => s.name), [
    "spine1",
    "spine2",
    "leaf1",
    "leaf2",
  ]);
  deepEqual(t.hosts.map((h) => h.name), ["h1", "h2", "h3", "h4"]);
  equal(t.links.length, 8);
  const leaf1 = t.switches[2];
  deepEqual(leaf1.ports.map((p) => [p.name, p.xid]), [
    ["xeth1", 1],
    ["xeth2", 2],
    ["xeth3", 3],
    ["xeth4", 4],
  ]);
  deepEqual(leaf1.ports[2].addresses, ["10.1.1.1/24", "2001:db8:1:1::1/64"]);
  equal(leaf1.frr?.startsWith("router bgp 65101\n"), true);
  deepEqual(t.links[4], {
    a: { kind: "port", node: "leaf1", port: "xeth3" },
    b: { kind: "host", node: "h1" },
  });
});

/** The error parseTopology throws for TEXT, as "LINE:COL FIELD: WHY". */
function mistake(text: string): string {
  try {
    parseTopology(text, "t.yaml");
  } catch (e) {
    if (!(e instanceof TopologyError)) throw e;
    equal(e.message.startsWith(`t.yaml:${e.line}:${e.column}: `), true);
    return `${e.line}:${e.column} ${e.field}: ${e.why}`;
  }
  return "no error";
}

const BASE = `name: t
switches:
  s1:
    ports:
      xeth1: [10.0.0.1/24]
      xeth2: {xid: 7}
hosts:
  h1: {addresses: [10.0.0.2/24], gateways: [10.0.0.1]}
`;

Deno.test("a port is named by its xid or its position", () => {
  const t = parseTopology(BASE + "links: [[s1:xeth1, h1]]\n", "t.yaml");
  deepEqual(t.switches[0].ports.map((p) => p.xid), [1, 7]);
  deepEqual(t.hosts[0].gateways, ["10.0.0.1"]);
});

Deno.test("mistakes are named by line, column and field", () => {
  const cases: [string, string][] = [
    // a port linked twice: the second use is the mistake
    [
      BASE + "links:\n  - [s1:xeth1, h1]\n  - [s1:xeth1, s1:xeth2]\n",
      "11:6 links.1.0: s1:xeth1 is already linked, by links.0",
    ],
    [
      BASE + "links: [[s1:xeth9, h1]]\n",
      "9:10 links.0.0: switch s1 has no port xeth9",
    ],
    [BASE + "links: [[s1:xeth1, h2]]\n", "9:20 links.0.1: no host h2"],
    [
      BASE + "links: [[s1:xeth1, s1]]\n",
      "9:20 links.0.1: s1 is a switch: name its port, s1:PORT",
    ],
    [
      BASE.replace("  h1:", "  s1:") + "links: []\n",
      "8:3 hosts.s1: the name s1 is taken by the switch s1",
    ],
    [
      BASE.replace("10.0.0.1/24", "10.0.0.300/24"),
      "5:15 switches.s1.ports.xeth1.0: 10.0.0.300 is not an IPv4 address",
    ],
    [
      BASE.replace("xid: 7", "xid: 1"),
      "6:7 switches.s1.ports.xeth2: xid 1 is taken by port xeth1",
    ],
    [
      BASE.replace("xid: 7", "xid: 5000"),
      "6:20 switches.s1.ports.xeth2.xid: expected an integer in 1..4094",
    ],
    [
      BASE.replace("    ports:", "    port:"),
      "4:5 switches.s1.port: unknown field; expected one of ports, loopback, frr",
    ],
    [
      BASE.replace("name: t", "name: Big"),
      "1:7 name: Big: a lowercase letter, then up to 11 letters or digits (it names the lab's namespaces)",
    ],
    [
      BASE.replace("name: t\n", ""),
      "1:1 name: expected the lab's name, a short word",
    ],
    ["name: t\nswitches: {}\n", "2:11 switches: a lab needs a switch"],
    [
      BASE + "links: [[h1, h1]]\n",
      "9:14 links.0.1: h1 is already linked, by links.0",
    ],
  ];
  for (const [text, want] of cases) equal(mistake(text), want);
  // broken YAML: the parser's own message, at its place
  equal(mistake("name: [t\n").startsWith("2:1 (file): "), true);
});

Deno.test("prefixes need their length and a valid address", () => {
  equal(prefixWhy("10.0.0.1/31"), undefined);
  equal(prefixWhy("2001:db8::1/127"), undefined);
  equal(prefixWhy("10.0.0.1/33"), "10.0.0.1/33: prefix length above 32");
  equal(
    prefixWhy("10.0.0.1"),
    "10.0.0.1: give an address with its prefix length, 10.0.0.1/24 or 2001:db8::1/64",
  );
  equal(
    prefixWhy("fe80::1::2/64"),
    "fe80::1::2 is not an IPv4 or IPv6 address",
  );
});

Deno.test("a file that is not a map is refused", () => {
  throws(() => parseTopology("- a\n", "t.yaml"), /expected a map/);
});
