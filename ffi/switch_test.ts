// The software SWITCH through the real library, forwarding between real
// hosts: two network namespaces, each with one end of a veth pair, whose
// other ends (in this process's namespace) are attached to two ports of
// the switch. The mux does not exist: the switch runs on its attached
// ports alone. Needs root (namespaces, packet sockets), iproute2 and ping.
// Build the library first (`./run build`).

import { deepEqual, equal, match, ok, throws } from "node:assert/strict";
import { type Dataplane, DataplaneError, openDataplane } from "./library.ts";
import { REPORT_MAX, SoftSwitch, SwitchProgramError } from "./switch.ts";
import { run, withVethNetns } from "./testing/veth_netns.ts";
import { waitFor } from "./testing/wait.ts";

const isRoot = Deno.uid() === 0;
const ignore = !isRoot;
if (ignore) {
  console.warn(
    "switch_test: not root, skipping the tests that forward between namespaces",
  );
}

const EINVAL = 22;

/** True when `ns` pings `ip` (at least one reply of `count`). */
async function ping(
  ns: string,
  ip: string,
  count: number,
  wait: number,
): Promise<boolean> {
  const out = await new Deno.Command("ip", {
    args: [
      "netns",
      "exec",
      ns,
      "ping",
      "-n",
      "-q",
      "-c",
      String(count),
      "-W",
      String(wait),
      ip,
    ],
    stdout: "null",
    stderr: "null",
  }).output();
  return out.success;
}

interface Host {
  ns: string;
  /** this process's end, attached to a port */
  outer: string;
  ip: string;
}

/** Two hosts (10.9.0.1 and .2 on eth0) on veth pairs. */
function withHosts(fn: (a: Host, b: Host) => Promise<void>): Promise<void> {
  return withVethNetns(
    2,
    { prefix: "xethsw-deno", inner: "eth0" },
    async (pairs) => {
      const hosts = pairs.map((p, i) => ({
        ns: p.ns,
        outer: p.outer,
        ip: `10.9.0.${i + 1}`,
      }));
      for (const h of hosts) {
        await run("ip", [
          "-n",
          h.ns,
          "addr",
          "add",
          `${h.ip}/24`,
          "dev",
          "eth0",
        ]);
      }
      await fn(hosts[0], hosts[1]);
    },
  );
}

/** `NAME VALUE` lines as a record. */
function summaryOf(text: string): Record<string, bigint> {
  const out: Record<string, bigint> = {};
  for (const line of text.split("\n").filter((l) => l.length > 0)) {
    const [name, value] = line.split(" ");
    out[name] = BigInt(value);
  }
  return out;
}

/**
 * Counters report lines by xid: the 8 LINK_STAT counts, then one per name
 * of the "ethtool-names" report (`names`).
 */
function countersOf(text: string, names: number): Map<number, bigint[]> {
  const out = new Map<number, bigint[]>();
  for (const line of text.split("\n").filter((l) => l.length > 0)) {
    const [xid, ...counts] = line.split(" ");
    equal(counts.length, 8 + names, `counters line "${line}"`);
    out.set(Number(xid), counts.map(BigInt));
  }
  return out;
}

/** The program of two ports, members of bridge 3000 or of nothing. */
function twoPorts(a: Host, b: Host, bridged: boolean): string {
  const uppers = bridged ? "3000" : "-";
  return [
    "link 3000 bridge 1 1 1 02:00:00:00:0b:b8 - 0 - -",
    `link 10 port 1 1 1 02:00:00:00:00:0a - 0 ${uppers} -`,
    `link 11 port 1 1 1 02:00:00:00:00:0b - 0 ${uppers} -`,
    `attach 10 ${a.outer}`,
    `attach 11 ${b.outer}`,
  ].join("\n");
}

const NO_MUX = `xnomux${Deno.pid % 10000}`;

/**
 * A library in JavaScript: the switch symbols over a report of `size`
 * bytes, refusing program lines that start with "bad"; it names the size
 * a report needs only when `tellSize` (the real one does).
 */
function fakeLibrary(size: number, tellSize = false) {
  const calls: string[] = [];
  let lastError = "";
  const symbols = {
    xeth_dp_switch_open: (_n: Uint8Array, _l: bigint, encap: number) => {
      calls.push(`open ${encap}`);
      return 7n;
    },
    xeth_dp_switch_close: (h: bigint) => {
      calls.push(`close ${h}`);
      return 0n;
    },
    xeth_dp_switch_program: (_h: bigint, text: Uint8Array, len: bigint) => {
      const lines = new TextDecoder().decode(text.subarray(0, Number(len)))
        .split("\n");
      const bad = lines.findIndex((l) => l.startsWith("bad"));
      if (bad < 0) return BigInt(lines.length);
      lastError = `line ${bad + 1}: unknown command "bad"`;
      return BigInt(-EINVAL);
    },
    xeth_dp_switch_report: (
      _h: bigint,
      what: number,
      buf: Uint8Array,
      len: bigint,
    ) => {
      calls.push(`report ${what} ${len}`);
      if (Number(len) < size) {
        lastError = tellSize
          ? `report needs ${size} bytes, buffer has ${len}`
          : "no room";
        return BigInt(-28);
      }
      buf.fill(0x61, 0, size);
      return BigInt(size);
    },
  };
  const dp = {
    symbols,
    lastError: () => lastError,
    check: (what: string, r: bigint) => {
      if (r >= 0n) return Number(r);
      throw new DataplaneError(`${what} failed: ${lastError}`, {
        errno: -Number(r),
      });
    },
  } as unknown as Dataplane;
  return { dp, calls };
}

Deno.test("SoftSwitch: reports grow their buffer, program errors carry the line", () => {
  const { dp, calls } = fakeLibrary(200_000);
  const sw = SoftSwitch.open(dp, "xm0", { encap: "vpls" });
  equal(sw.report("counters").length, 200_000);
  equal(sw.report("summary").length, 200_000);
  // 64 KiB, 128 KiB, 256 KiB; the grown buffer is kept for the next one.
  deepEqual(calls, [
    "open 1",
    "report 1 65536",
    "report 1 131072",
    "report 1 262144",
    "report 2 262144",
  ]);
  equal(sw.program("clear\nclear"), 2);
  throws(
    () => sw.program("clear\nbad 1\nclear"),
    (e: unknown) =>
      e instanceof SwitchProgramError && e.line === 2 &&
      e.reason === 'unknown command "bad"' && e.errno === EINVAL &&
      e.message ===
        'program the software switch of xm0 failed: line 2: unknown command "bad"',
  );
  sw.close();
  sw.close();
  equal(calls.at(-1), "close 7");
  equal(calls.filter((c) => c.startsWith("close")).length, 1);

  // A library that names the size: one more call, at that size and an
  // eighth (the report may grow meanwhile), not a doubling per call.
  const told = fakeLibrary(1_000_000, true);
  const sized = SoftSwitch.open(told.dp, "xm0");
  equal(sized.report("fib").length, 1_000_000);
  deepEqual(told.calls, ["open 0", "report 5 65536", "report 5 1125000"]);

  // Larger than the largest buffer: the library's ENOSPC, as an error.
  const huge = fakeLibrary(REPORT_MAX + 1);
  const big = SoftSwitch.open(huge.dp, "xm0");
  throws(
    () => big.report("ports"),
    (e: unknown) => e instanceof DataplaneError && e.errno === 28,
  );
});

Deno.test("switch: program errors name the line; close is final", () => {
  using dp = openDataplane();
  const sw = SoftSwitch.open(dp, NO_MUX, { encap: "vlan" });
  equal(sw.program(""), 0);
  equal(
    sw.program("link 10 port 1 1 1 02:00:00:00:00:0a - 0 - -\n\nunlink 10"),
    2,
  );
  throws(
    () =>
      sw.program(
        "link 10 port 1 1 1 02:00:00:00:00:0a - 0 - -\nfrobnicate 10\nunlink 10",
      ),
    (e: unknown) =>
      e instanceof SwitchProgramError && e.line === 2 && e.errno === EINVAL &&
      /line 2: /.test(e.message),
  );
  // The line before the bad one applied: the port is there to unlink.
  equal(sw.program("unlink 10"), 1);
  for (const what of ["ports", "counters", "summary"] as const) {
    equal(typeof sw.report(what), "string");
  }
  throws(
    () => SoftSwitch.open(dp, NO_MUX, { encap: "qinq" as "vlan" }),
    RangeError,
  );
  sw.close();
  sw.close();
  equal(sw.isOpen, false);
  throws(() => sw.report("summary"), DataplaneError);
  throws(() => sw.program("clear"), /closed/);
});

Deno.test(
  "switch: two attached ports forward between hosts only as bridge members",
  { ignore },
  async () => {
    await withHosts(async (a, b) => {
      using dp = openDataplane();
      // No such mux: the switch runs on its attached ports alone.
      using sw = SoftSwitch.open(dp, NO_MUX, { encap: "vlan" });

      // Not members of the bridge: nothing forwards between the ports.
      equal(sw.program(twoPorts(a, b, false)), 5);
      await waitFor("both ports attached with carrier", () => {
        const ports = sw.report("ports");
        return /^10 \S+ 1 \d+$/m.test(ports) && /^11 \S+ 1 \d+$/m.test(ports);
      });
      match(sw.report("ports"), new RegExp(`^10 ${a.outer} 1 \\d+$`, "m"));
      match(sw.report("ports"), new RegExp(`^11 ${b.outer} 1 \\d+$`, "m"));
      equal(
        await ping(a.ns, b.ip, 2, 1),
        false,
        "ping went through ports that are in no bridge",
      );

      // Members of bridge 3000 (a link line is the whole link again).
      equal(sw.program(twoPorts(a, b, true)), 5);
      ok(
        await ping(a.ns, b.ip, 3, 2),
        `${a.ns} cannot ping ${b.ip} through bridge 3000; summary:\n${
          sw.report("summary")
        }`,
      );
      ok(await ping(b.ns, a.ip, 1, 2), `${b.ns} cannot ping back`);

      const names = sw.report("ethtool-names").split("\n").filter((l) => l);
      const counters = countersOf(sw.report("counters"), names.length);
      for (const xid of [10, 11]) {
        const c = counters.get(xid);
        ok(c, `no counters for xid ${xid}: ${[...counters.keys()]}`);
        // rx_packets, tx_packets, rx_bytes, tx_bytes
        ok(c[0] > 0n && c[1] > 0n, `xid ${xid} counts ${c}`);
        ok(c[2] > c[0] && c[3] > c[1], `xid ${xid} bytes ${c}`);
        // ethtool: rx-octets and tx-octets are the byte counts again
        equal(c[8 + names.indexOf("rx-octets")], c[2], `xid ${xid}: ${c}`);
        equal(c[8 + names.indexOf("tx-octets")], c[3], `xid ${xid}: ${c}`);
      }
      const summary = summaryOf(sw.report("summary"));
      ok((summary.fdb ?? 0n) >= 2n, `fdb: ${summary.fdb}`);

      // Detached, a port no longer forwards.
      equal(sw.program("detach 11"), 1);
      deepEqual(
        sw.report("ports").split("\n").filter((l) => l.startsWith("11 ")),
        [],
      );
      equal(
        await ping(a.ns, b.ip, 2, 1),
        false,
        "ping through a detached port",
      );
    });
  },
);
