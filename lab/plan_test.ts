import { deepEqual, equal } from "node:assert/strict";
import { parseTopology } from "./topology.ts";
import {
  attachments,
  controlPath,
  labDir,
  namespaces,
  peers,
  upSteps,
} from "./plan.ts";

const t = parseTopology(
  `name: t
switches:
  s1:
    loopback: [10.255.0.1/32]
    ports:
      xeth1: [10.0.0.1/24, 2001:db8::1/64]
      xeth2: {xid: 9}
      xeth3: []
  s2:
    ports: {xeth1: []}
hosts:
  h1: {addresses: [10.0.0.2/24], gateways: [10.0.0.1]}
links:
  - [s1:xeth1, h1]
  - [s1:xeth2, s2:xeth1]
`,
  "t.yaml",
);

const line = (c: { ns: string; argv: string[] }) =>
  `${c.ns ? `[${c.ns}] ` : ""}${c.argv.join(" ")}`;

Deno.test("a switch: its namespace, a router's sysctls, the mux, ports and addresses", () => {
  const [s1] = upSteps(t);
  equal(
    s1.say,
    "switch s1: namespace t-s1, mux xm0, ports xeth1 (xid 1), xeth2 (xid 9), xeth3 (xid 3)",
  );
  deepEqual(s1.commands.map(line), [
    "ip netns add t-s1",
    "[t-s1] ip link set lo up",
    "[t-s1] sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 net.ipv4.fib_multipath_hash_policy=1 net.ipv6.fib_multipath_hash_policy=1",
    "[t-s1] ip link add xm0 type xeth-mux",
    "[t-s1] ip link set xm0 up",
    "[t-s1] ip link add xeth1 link xm0 type xeth-port xid 1",
    "[t-s1] ip link set xeth1 up",
    "[t-s1] ip addr add 10.0.0.1/24 dev xeth1",
    "[t-s1] ip addr add 2001:db8::1/64 dev xeth1 nodad",
    "[t-s1] ip link add xeth2 link xm0 type xeth-port xid 9",
    "[t-s1] ip link set xeth2 up",
    "[t-s1] ip link add xeth3 link xm0 type xeth-port xid 3",
    "[t-s1] ip link set xeth3 up",
    "[t-s1] ip addr add 10.255.0.1/32 dev lo",
  ]);
});

Deno.test("links: a veth pair across namespaces; wires carry no traffic of their own", () => {
  const steps = upSteps(t);
  deepEqual(steps.map((s) => s.say), [
    "switch s1: namespace t-s1, mux xm0, ports xeth1 (xid 1), xeth2 (xid 9), xeth3 (xid 3)",
    "switch s2: namespace t-s2, mux xm0, ports xeth1 (xid 1)",
    "host h1: namespace t-h1",
    "link s1:xeth1 -- h1",
    "link s1:xeth2 -- s2:xeth1",
  ]);
  deepEqual(steps[3].commands.map(line), [
    "ip link add xeth1w netns t-s1 type veth peer name eth0 netns t-h1",
    "[t-s1] sysctl -qw net.ipv6.conf.xeth1w.disable_ipv6=1",
    "[t-s1] ip link set xeth1w arp off up",
    "[t-h1] ethtool -K eth0 tx off tso off gso off",
    "[t-h1] ip link set eth0 up",
    "[t-h1] ip addr add 10.0.0.2/24 dev eth0",
    "[t-h1] ip route add default via 10.0.0.1",
  ]);
  deepEqual(steps[4].commands.map(line), [
    "ip link add xeth2w netns t-s1 type veth peer name xeth1w netns t-s2",
    "[t-s1] sysctl -qw net.ipv6.conf.xeth2w.disable_ipv6=1",
    "[t-s1] ip link set xeth2w arp off up",
    "[t-s2] sysctl -qw net.ipv6.conf.xeth1w.disable_ipv6=1",
    "[t-s2] ip link set xeth1w arp off up",
  ]);
});

Deno.test("SWITCHD attaches the linked ports only; peers name the far ends", () => {
  deepEqual(attachments(t, t.switches[0]), ["xeth1=xeth1w", "xeth2=xeth2w"]);
  deepEqual(attachments(t, t.switches[1]), ["xeth1=xeth1w"]);
  deepEqual(peers(t, t.switches[0]), ["xeth1>h1", "xeth2>s2:xeth1"]);
  deepEqual(peers(t, t.switches[1]), ["xeth1>s1:xeth2"]);
});

Deno.test("names: namespaces LAB-NODE, files under the lab's directory", () => {
  deepEqual(namespaces(t), ["t-s1", "t-s2", "t-h1"]);
  equal(labDir(t), "/run/xeth-lab/t");
  equal(controlPath(labDir(t, "/tmp/x"), "s1"), "/tmp/x/t/s1.sock");
});
