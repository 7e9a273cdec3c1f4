import { deepEqual, equal, throws } from "node:assert/strict";
import {
  DEFAULT_MUX,
  ifnameProblem,
  parseAttachments,
  parseCli,
  UsageError,
} from "./args.ts";

Deno.test("parseCli: defaults to running on the default mux", () => {
  deepEqual(parseCli([]), {
    command: "run",
    mux: DEFAULT_MUX,
    switch: "software",
    encap: "vlan",
    attachments: [],
    fibOffload: true,
    statsIntervalMs: 2000,
    logLevel: "info",
    logFormat: "text",
    control: `/run/xeth-switchd/${DEFAULT_MUX}.sock`,
    what: "session",
    json: false,
  });
});

Deno.test("parseCli: daemon options and show", () => {
  const o = parseCli([
    "--mux=xm0",
    "--stats-interval",
    "0.5",
    "--log-level",
    "debug",
    "--log-format",
    "json",
  ]);
  equal(o.statsIntervalMs, 500);
  equal(o.logLevel, "debug");
  equal(o.logFormat, "json");
  equal(o.control, "/run/xeth-switchd/xm0.sock");
  const s = parseCli(["show", "fib", "--json", "--control", "/tmp/c.sock"]);
  equal(s.command, "show");
  equal(s.what, "fib");
  equal(s.json, true);
  equal(s.control, "/tmp/c.sock");
  equal(parseCli(["show"]).what, "session");
});

Deno.test("parseCli: short and long flags", () => {
  equal(parseCli(["-V"]).command, "version");
  equal(parseCli(["--version"]).command, "version");
  equal(parseCli(["-h"]).command, "help");
  equal(parseCli(["--help", "--version"]).command, "help");
  equal(parseCli(["--mux", "mux0"]).mux, "mux0");
  equal(parseCli(["--mux=mux1"]).mux, "mux1");
});

Deno.test("parseCli: bad command lines are usage errors", () => {
  for (
    const args of [
      ["--bogus"],
      ["-x"],
      ["extra"],
      ["--mux"],
      ["--version=yes"],
      ["--mux", "a/b"],
      ["--stats-interval", "0"],
      ["--stats-interval", "x"],
      ["--log-level", "loud"],
      ["--log-format", "xml"],
      ["list"],
      ["show", "everything"],
      ["show", "fib", "links"],
      ["--switch", "chip"],
      ["--encap", "qinq"],
      ["--attach", "xeth1"],
      ["--switch", "none", "--attach", "xeth1=veth1"],
      ["--switch", "remote"],
      ["--switch", "remote=10.99.0.2"],
      ["--switch", "remote=10.99.0.2:0"],
      ["--switch", "remote=10.99.0.2:70000"],
      ["--switch", "remote=fe80::1:9797"],
    ]
  ) {
    throws(() => parseCli(args), UsageError, args.join(" "));
  }
});

Deno.test("parseCli: the switch, its encap and attachments", () => {
  const o = parseCli([
    "--switch",
    "software",
    "--encap=vpls",
    "--attach",
    "xeth1=veth1",
    "--attach=3999=veth-b",
  ]);
  equal(o.switch, "software");
  equal(o.encap, "vpls");
  deepEqual(o.attachments, [
    { port: "xeth1", ifname: "veth1" },
    { port: 3999, ifname: "veth-b" },
  ]);
  equal(parseCli(["--switch", "none"]).switch, "none");
  const r = parseCli([
    "--switch=remote=10.99.0.2:9797",
    "--attach",
    "xeth1=eth1",
  ]);
  equal(r.switch, "remote");
  equal(r.remote, "10.99.0.2:9797");
  deepEqual(r.attachments, [{ port: "xeth1", ifname: "eth1" }]);
  equal(
    parseCli(["--switch", "remote=[fd00::2]:9797"]).remote,
    "[fd00::2]:9797",
  );
  throws(
    () => parseCli(["--switch", "remote"]),
    /--switch remote=HOST:PORT/,
  );
  equal(parseCli(["show", "switch"]).what, "switch");
});

Deno.test("parseAttachments: bad values say what a good one is", () => {
  for (
    const [values, why] of [
      [["xeth1"], /no '='.*give PORT=IFNAME.*--attach xeth1=veth1/],
      [["=veth1"], /bad PORT \(empty\)/],
      [["xeth1="], /bad IFNAME \(empty\)/],
      [["xeth1=a/b"], /bad IFNAME \(contains/],
      [["x".repeat(16) + "=v"], /bad PORT \(16 bytes long/],
      [["4294967296=v"], /xid 4294967296 is not a u32/],
      [["xeth1=v1", "xeth1=v2"], /port xeth1 twice.*keep one/],
      [["7=v1", "007=v2"], /port 7 twice/],
      [["xeth1=v1", "xeth2=v1"], /v1 to both xeth1 and xeth2/],
    ] as const
  ) {
    throws(
      () => parseAttachments(values),
      (e: unknown) => e instanceof UsageError && why.test(e.message),
      values.join(" "),
    );
  }
});

Deno.test("ifnameProblem follows the kernel's rules", () => {
  for (const ok of ["xeth-mux", "a", "x".repeat(15), "eth0.100", "é"]) {
    equal(ifnameProblem(ok), undefined, ok);
  }
  for (
    const bad of ["", ".", "..", "x".repeat(16), "é".repeat(8), "a:b", "a b"]
  ) {
    equal(typeof ifnameProblem(bad), "string", JSON.stringify(bad));
  }
});

Deno.test("parseCli: --no-fib-offload", () => {
  equal(parseCli([]).fibOffload, true);
  equal(parseCli(["--no-fib-offload"]).fibOffload, false);
});

Deno.test("parseCli: --fib-capacity per family, for the software switch", () => {
  equal(parseCli([]).fibCapacity, undefined);
  deepEqual(parseCli(["--fib-capacity", "ipv4=100,ipv6=20"]).fibCapacity, {
    ipv4: 100,
    ipv6: 20,
  });
  deepEqual(parseCli(["--fib-capacity", "ipv6=0"]).fibCapacity, { ipv6: 0 });
  for (
    const bad of ["", "ipv4", "ipv4=-1", "ipv4=1,ipv4=2", "ipv5=3", "ipv4=1;"]
  ) {
    throws(
      () => parseCli(["--fib-capacity", bad]),
      (e: Error) =>
        e instanceof UsageError && e.message.includes("give ipv4=N,ipv6=M"),
      bad,
    );
  }
  throws(
    () => parseCli(["--switch", "none", "--fib-capacity", "ipv4=1"]),
    /needs the software switch/,
  );
});
