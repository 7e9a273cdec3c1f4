// The software SWITCH through the real library, forwarding between real
// hosts: two network namespaces, each with one end of a veth pair, whose
// other ends (in this process's namespace) are attached to two ports of
// the switch. The mux does not exist: the switch runs on its attached
// ports alone. Needs root (namespaces, packet sockets), iproute2 and ping.
// Build the library first (`./run build`).

import {
  deepEqual,
  equal,
  match,
  ok,
  rejects,
  throws,
} from "node:assert/strict";
import { ERRNO } from "./abi.generated.ts";
import { type Dataplane, DataplaneError, openDataplane } from "./library.ts";
import {
  parseRecords,
  recordsText,
  REPORT_MAX,
  SoftSwitch,
  SwitchProgramError,
} from "./switch.ts";
import { records } from "../switchd/records/reader.ts";
import { RecordWriter } from "../switchd/records/writer.ts";
import { run, withVethNetns } from "./testing/veth_netns.ts";
import { waitFor } from "./testing/wait.ts";
import { xethSwitch } from "./testing/xeth_switch.ts";

const { EINVAL, ENOSPC } = ERRNO;

const isRoot = Deno.uid() === 0;
const ignore = !isRoot;
if (ignore) {
  console.warn(
    "switch_test: not root, skipping the tests that forward between namespaces",
  );
}

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

/** A stream of `kinds`, each a bare record (a header and nothing else). */
function bare(...kinds: number[]): Uint8Array<ArrayBuffer> {
  const w = new RecordWriter();
  for (const k of kinds) w.begin(k, 4);
  return w.finish().slice();
}

/**
 * A library in JavaScript: the switch symbols over a report of `size`
 * bytes, refusing program records of kind 99 (as the real one refuses a
 * kind it does not know); it says the size a report needs, as the real
 * one does, and writes its messages into the call's error buffer.
 */
function fakeLibrary(size: number) {
  const calls: string[] = [];
  const lastError = "";
  const fail = (err: Uint8Array, why: string) => {
    const n = new TextEncoder().encodeInto(why, err).written;
    err[n] = 0;
  };
  const symbols = {
    xeth_dp_switch_open: (_n: Uint8Array, _l: bigint, encap: number) => {
      calls.push(`open ${encap}`);
      return 7n;
    },
    xeth_dp_switch_close: (h: bigint) => {
      calls.push(`close ${h}`);
      return 0n;
    },
    xeth_dp_switch_program: (
      _h: bigint,
      stream: Uint8Array,
      _len: bigint,
      done: Uint32Array,
      err: Uint8Array,
    ) => {
      const kinds = [...records(stream)].map((r) => r.kind);
      const bad = kinds.indexOf(99);
      if (bad < 0) return BigInt(kinds.length);
      fail(err, `record ${bad + 1}: unknown kind 99`);
      done[0] = bad;
      return BigInt(-EINVAL);
    },
    xeth_dp_switch_report: (
      _h: bigint,
      what: number,
      buf: Uint8Array,
      len: bigint,
    ) => {
      calls.push(`report ${what} ${len}`);
      if (Number(len) >= size) buf.fill(0x61, 0, size);
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

Deno.test("SoftSwitch: reports grow their buffer to the size told, program errors carry the record", async () => {
  const { dp, calls } = fakeLibrary(200_000);
  const sw = SoftSwitch.open(dp, "xm0", { encap: "vpls" });
  equal((await sw.report("counters")).length, 200_000);
  equal(await sw.read("summary", (r) => r.length), 200_000);
  // 64 KiB, then the size told and an eighth (the report may grow
  // meanwhile), not a doubling per call; the grown buffer is kept for the
  // next report.
  deepEqual(calls, [
    "open 1",
    "report 1 65536",
    "report 1 225000",
    "report 2 225000",
  ]);
  equal(await sw.program(bare(13, 13)), 2);
  await rejects(
    sw.program(bare(13, 99, 13)),
    (e: unknown) =>
      e instanceof SwitchProgramError && e.index === 1 &&
      e.reason === "unknown kind 99" && e.errno === EINVAL &&
      e.message ===
        "program the software switch of xm0 failed: record 2: unknown kind 99",
  );
  sw.close();
  sw.close();
  equal(calls.at(-1), "close 7");
  equal(calls.filter((c) => c.startsWith("close")).length, 1);

  const told = fakeLibrary(1_000_000);
  const sized = SoftSwitch.open(told.dp, "xm0");
  equal((await sized.report("fib")).length, 1_000_000);
  deepEqual(told.calls, ["open 0", "report 5 65536", "report 5 1125000"]);

  // Larger than the largest buffer: an error, as ENOSPC.
  const huge = fakeLibrary(REPORT_MAX + 1);
  const big = SoftSwitch.open(huge.dp, "xm0");
  await rejects(
    big.report("ports"),
    (e: unknown) => e instanceof DataplaneError && e.errno === ENOSPC,
  );
});

Deno.test("switch: program errors name the record; close is final", async () => {
  using dp = openDataplane();
  const sw = SoftSwitch.open(dp, NO_MUX, { encap: "vlan" });
  const program = (text: string) => sw.program(parseRecords(dp, text));
  equal(await program(""), 0);
  equal(
    await program("link 10 port 1 1 1 02:00:00:00:00:0a - 0 - -\n\nunlink 10"),
    2,
  );
  // A record of a kind it does not know, between two it does.
  const w = new RecordWriter();
  for (
    const r of records(
      parseRecords(dp, "link 10 port 1 1 1 02:00:00:00:00:0a - 0 - -"),
    )
  ) {
    const at = w.begin(r.kind, r.length);
    for (let i = 4; i < r.length; i++) {
      w.u8(at + i, r.view.getUint8(r.offset + i));
    }
  }
  w.begin(99, 4);
  w.begin(2, 8);
  await rejects(
    sw.program(w.finish()),
    (e: unknown) =>
      e instanceof SwitchProgramError && e.index === 1 && e.errno === EINVAL &&
      /record 2: kind 99 is no operation/.test(e.message),
  );
  // The record before the bad one applied: the port is there to unlink.
  equal(await program("unlink 10"), 1);
  for (const what of ["ports", "counters", "summary", "fib"] as const) {
    ok([...records(await sw.report(what))].length >= 0, what);
  }
  match(recordsText(dp, await sw.report("summary")), /^links 0$/m);
  // The thread publishes every tick.
  const seq = await sw.published(0);
  ok(seq > 0, `publication ${seq}`);
  ok(await sw.published(seq) > seq, "a later publication");
  // Its ports change only with the first publication (none attached):
  // a wait for the next change runs to its timeout, with the same number.
  equal(await sw.linksChanged(0), 1, "the first publication is change 1");
  equal(await sw.linksChanged(1, 300), 1, "no change while idle");
  throws(
    () => SoftSwitch.open(dp, NO_MUX, { encap: "qinq" as "vlan" }),
    RangeError,
  );
  throws(() => parseRecords(dp, "frobnicate 10"), /line 1: unknown operation/);
  sw.close();
  sw.close();
  equal(sw.isOpen, false);
  equal(await sw.published(seq), 0, "closed: nothing to wait for");
  equal(await sw.linksChanged(1), 0, "closed: no change to wait for");
  await sw.settled();
  await rejects(sw.report("summary"), DataplaneError);
  await rejects(sw.program(bare(13)), /closed/);
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
      const program = (text: string) => sw.program(parseRecords(dp, text));
      const report = async (what: Parameters<typeof sw.report>[0]) =>
        recordsText(dp, await sw.report(what));
      equal(await program(twoPorts(a, b, false)), 5);
      await waitFor("both ports attached with carrier", async () => {
        const ports = await report("ports");
        return /^10 \S+ 1 \d+$/m.test(ports) && /^11 \S+ 1 \d+$/m.test(ports);
      });
      match(await report("ports"), new RegExp(`^10 ${a.outer} 1 \\d+$`, "m"));
      match(await report("ports"), new RegExp(`^11 ${b.outer} 1 \\d+$`, "m"));
      equal(
        await ping(a.ns, b.ip, 2, 1),
        false,
        "ping went through ports that are in no bridge",
      );

      // Members of bridge 3000 (a link line is the whole link again).
      equal(await program(twoPorts(a, b, true)), 5);
      ok(
        await ping(a.ns, b.ip, 3, 2),
        `${a.ns} cannot ping ${b.ip} through bridge 3000; summary:\n${await report(
          "summary",
        )}`,
      );
      ok(await ping(b.ns, a.ip, 1, 2), `${b.ns} cannot ping back`);

      const names = (await report("ethtool-names")).split("\n").filter((l) =>
        l
      );
      const counters = countersOf(await report("counters"), names.length);
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
      const summary = summaryOf(await report("summary"));
      ok((summary.fdb ?? 0n) >= 2n, `fdb: ${summary.fdb}`);

      // Detached, a port no longer forwards.
      equal(await program("detach 11"), 1);
      deepEqual(
        (await report("ports")).split("\n").filter((l) => l.startsWith("11 ")),
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

Deno.test("switch: a SWITCH on another machine takes the same calls, and a reconnection says it needs programming anew", async () => {
  using dp = openDataplane();
  const a = await xethSwitch(NO_MUX);
  const sw = await SoftSwitch.connect(dp, a.addr, NO_MUX, "vlan");
  equal(sw.remote, true);
  const program = (text: string) => sw.program(parseRecords(dp, text));
  equal(sw.generation(), 1);
  equal(await program("link 10 port 1 1 1 02:00:00:00:00:0a - 0 - -"), 1);
  match(recordsText(dp, await sw.report("summary")), /^links 1$/m);
  await rejects(
    program("attach 10 xno-such-if"),
    (e: unknown) =>
      e instanceof SwitchProgramError && e.index === 0 &&
      /record 1: attach 10 xno-such-if: no interface/.test(e.message),
  );
  await sw.setCapacity({ ipv4: 10 });
  ok(await sw.published(0) > 0);
  // one controller at a time
  await rejects(
    SoftSwitch.connect(dp, a.addr, NO_MUX, "vlan"),
    (e: unknown) =>
      e instanceof DataplaneError && e.errno === ERRNO.EBUSY &&
      /has a controller already/.test(e.message),
  );
  // The switch restarts (its tunnel's far end rebooted): the call that
  // finds the connection gone fails, the next one connects again, and
  // the generation tells the caller the tables are to be sent anew.
  const port = a.addr.split(":")[1];
  await a.stop();
  const b = await xethSwitch(NO_MUX, Number(port));
  await rejects(sw.report("summary"), DataplaneError);
  match(recordsText(dp, await sw.report("summary")), /^links 0$/m);
  equal(sw.generation(), 2);
  sw.close();
  await rejects(sw.report("summary"), /closed/);
  // a bound for a busy machine, not a measurement
  await waitFor(
    "xeth-switch logs its controller's going",
    () => /controller 127\.0\.0\.1:\d+ closed the connection/.test(b.log()),
    60_000,
  );
  await b.stop();
});

Deno.test("switch: connecting where no switch listens says so", async () => {
  using dp = openDataplane();
  await rejects(
    SoftSwitch.connect(dp, "127.0.0.1:1", NO_MUX, "vlan"),
    (e: unknown) =>
      e instanceof DataplaneError && e.errno === ERRNO.ECONNREFUSED &&
      /the switch at 127\.0\.0\.1:1/.test(e.message),
  );
});

/** A fake remote SWITCH, for the ways a peer fails. */
interface Peer extends AsyncDisposable {
  /** where it listens, HOST:PORT */
  addr: string;
}

/**
 * A peer on a loopback port that `mute`: accepts and never answers (a
 * tunnel that lost its way before the hello); `silent`: answers the
 * hello and then nothing (one that lost its way later); `cut`: answers
 * the hello and closes (a switch that went away).
 */
function peer(kind: "mute" | "silent" | "cut"): Peer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  const served: Promise<void>[] = [];
  const serve = async (c: Deno.Conn) => {
    const buf = new Uint8Array(4096);
    try {
      if (kind !== "mute") {
        // the hello: a u32 length and the request
        let got = 0;
        while (
          got < 4 || got < 4 + new DataView(buf.buffer).getUint32(0, true)
        ) {
          const n = await c.read(buf.subarray(got));
          if (n === null) return;
          got += n;
        }
        const name = new TextEncoder().encode("fake");
        const reply = new Uint8Array(4 + 8 + 4 + 1 + name.length);
        const v = new DataView(reply.buffer);
        v.setUint32(0, reply.length - 4, true); // status 0 follows
        v.setUint32(12, 1, true); // version 1, encap 0 (vlan)
        reply.set(name, 17);
        await c.write(reply);
        if (kind === "cut") return;
      }
      while (await c.read(buf) !== null) {
        // says nothing
      }
    } catch {
      // closed by the test's end
    } finally {
      try {
        c.close();
      } catch {
        // closed already
      }
    }
  };
  const accepting = (async () => {
    try {
      for await (const c of listener) {
        conns.push(c);
        served.push(serve(c));
      }
    } catch {
      // the listener closed
    }
  })();
  return {
    addr: `127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting;
      for (const c of conns) {
        try {
          c.close();
        } catch {
          // closed already
        }
      }
      await Promise.all(served);
    },
  };
}

Deno.test("switch: the event loop runs on while a remote call waits on a silent peer; a cut peer is a clear error at once", async () => {
  using dp = openDataplane();
  // A peer that accepts and never answers (a tunnel that lost its way
  // before the hello), one that answers the hello and then nothing, and
  // one that answers the hello and then closes (a switch that went away).
  await using mute = peer("mute");
  await using silent = peer("silent");
  await using cut = peer("cut");
  let ticks = 0;
  const timer = setInterval(() => ticks++, 20);
  try {
    const t0 = performance.now();
    const connecting = SoftSwitch.connect(dp, mute.addr, NO_MUX, "vlan");
    const sw = await SoftSwitch.connect(dp, silent.addr, NO_MUX, "vlan");
    const records = parseRecords(
      dp,
      "link 10 port 1 1 1 02:00:00:00:00:0a - 0 - -",
    );
    // Calls on one switch run in the order they were made: the report
    // waits for the program before it, and both for the silent peer.
    const order: string[] = [];
    const programmed = sw.program(records).finally(() => order.push("program"));
    const reported = sw.report("summary").finally(() => order.push("report"));
    // awaited below; a failed check before that must not leave its
    // rejection unhandled (an error blamed on the next test)
    reported.catch(() => {});
    programmed.catch(() => {});
    connecting.catch(() => {});
    // Meanwhile a cut peer's call fails at once.
    const gone = await SoftSwitch.connect(dp, cut.addr, NO_MUX, "vlan");
    await rejects(
      gone.program(records),
      (e: unknown) =>
        e instanceof DataplaneError && !(e instanceof SwitchProgramError) &&
        e.errno === ERRNO.ECONNRESET &&
        /the switch closed the connection/.test(e.message),
    );
    // at once: after the 5 s a silent peer gets it would be ETIMEDOUT
    gone.close();
    const ticksBefore = ticks;
    await rejects(
      programmed,
      (e: unknown) =>
        e instanceof DataplaneError && e.errno === ERRNO.ETIMEDOUT &&
        /program the switch at 127\.0\.0\.1:\d+ failed: no answer within 5 s/
          .test(e.message),
    );
    // The timer fired all along (some 250 times in 5 s; a loaded machine
    // gives fewer, a blocked loop none).
    ok(
      ticks - ticksBefore > 20,
      `the timer fired ${ticks - ticksBefore} times`,
    );
    await rejects(
      connecting,
      (e: unknown) =>
        e instanceof DataplaneError && e.errno === ERRNO.ETIMEDOUT &&
        /the switch at 127\.0\.0\.1:\d+: no answer within 5 s/.test(e.message),
    );
    // The waits end. Nothing is measured, so the bound is generous: a
    // busy machine has stretched calls bounded by 5 s to three times that.
    ok(performance.now() - t0 < 60_000, "bounded waits");
    // The report runs after the program, on a connection made again,
    // and waits in its turn; a close does not wait for it: it ends it.
    equal(order.length, 1);
    await new Promise((r) => setTimeout(r, 200));
    equal(order.length, 1, "the report waits for the silent peer");
    sw.close();
    // ended by the close (its socket shut down, or not yet begun), not
    // by its timeout
    await rejects(
      reported,
      (e: unknown) =>
        e instanceof DataplaneError &&
        (e.errno === ERRNO.ECONNRESET || e.errno === ERRNO.EBADF ||
          /closed/.test(e.message)),
    );
    deepEqual(order, ["program", "report"]);
    await sw.settled();
  } finally {
    clearInterval(timer);
  }
});
