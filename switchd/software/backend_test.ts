import { deepEqual, equal, match, ok, rejects } from "node:assert/strict";
import { openDataplane } from "../../ffi/library.ts";
import {
  parseRecords,
  recordsText,
  SwitchProgramError,
  type SwitchReport,
} from "../../ffi/switch.ts";
import { epochMs } from "../epoch.ts";
import { diffMirrors, Mirror } from "../mirror/mirror.ts";
import type { Change } from "../mirror/mirror.ts";
import { portInfo } from "../protocol/fixtures.ts";
import { startLogging, stopLogging } from "../log.ts";
import { COUNT, COUNTERS, NAME, PORT } from "../records/layout.generated.ts";
import { RecordWriter } from "../records/writer.ts";
import { switchRouteLine } from "../show.ts";
import { SoftwareSwitch, type SwitchHandle } from "./backend.ts";
import { waitFor } from "../../ffi/testing/wait.ts";
import { xethSwitch } from "../../ffi/testing/xeth_switch.ts";

// The library renders and parses records for the fake below; build it
// first (`./run build`).
const dp = openDataplane();
globalThis.addEventListener("unload", () => dp.close());

const text = (records: Uint8Array) => recordsText(dp, records).trimEnd();

/** Report records, as the library writes them. */
const report = {
  ports(...ports: [number, string, boolean, number][]): Uint8Array {
    const w = new RecordWriter();
    for (const [xid, ifname, carrier, speed] of ports) {
      const at = w.begin(PORT.KIND, PORT.SIZE);
      w.u32(at + PORT.xid, xid);
      w.u8(at + PORT.carrier, carrier ? 1 : 0);
      w.u32(at + PORT.speed, speed);
      w.text(at + PORT.ifname, ifname, 15);
    }
    return w.finish().slice();
  },
  counters(...counters: [number, ...bigint[]][]): Uint8Array {
    const w = new RecordWriter();
    for (const [xid, ...counts] of counters) {
      const at = w.begin(COUNTERS.KIND, COUNTERS.SIZE);
      w.u32(at + COUNTERS.xid, xid);
      w.u16(at + COUNTERS.nCounts, counts.length);
      const e = w.extend(8 * counts.length);
      counts.forEach((c, i) => w.u64(e + 8 * i, c));
    }
    return w.finish().slice();
  },
  summary(...counts: [string, bigint][]): Uint8Array {
    const w = new RecordWriter();
    for (const [name, value] of counts) {
      const at = w.begin(COUNT.KIND, COUNT.SIZE);
      w.u64(at + COUNT.value, value);
      const e = w.extend(name.length);
      w.u8(at + COUNT.nameLen, w.text(e, name, name.length));
    }
    return w.finish().slice();
  },
  names(...names: string[]): Uint8Array {
    const w = new RecordWriter();
    names.forEach((name, i) => {
      const at = w.begin(NAME.KIND, NAME.SIZE);
      w.u16(at + NAME.index, i);
      const e = w.extend(name.length);
      w.u8(at + NAME.nameLen, w.text(e, name, name.length));
    });
    return w.finish().slice();
  },
};

/** Two records of `a` with a record of `b`'s kind between them. */
function withStranger(a: Uint8Array, b: Uint8Array): Uint8Array {
  const w = new RecordWriter();
  const copy = (s: Uint8Array, from: number, to: number) => {
    let at = 16;
    for (let i = 0; i < to; i++) {
      const kind = s[at] | s[at + 1] << 8;
      const len = s[at + 2] | s[at + 3] << 8;
      if (i >= from) {
        const o = w.begin(kind, len);
        for (let j = 4; j < len; j++) w.u8(o + j, s[at + j]);
      }
      at += len;
    }
  };
  copy(a, 0, 1);
  copy(b, 0, 1);
  copy(a, 1, 2);
  return w.finish().slice();
}

/** A library switch that records programs (as text) and answers set reports. */
class FakeHandle implements SwitchHandle {
  programs: string[] = [];
  /** records to refuse, by their text */
  refuse = new Set<string>();
  reports: Record<SwitchReport, Uint8Array> = {
    ports: report.ports(),
    counters: report.counters(),
    summary: report.summary(),
    "ethtool-names": report.names(),
    "mux-stat-names": report.names(),
    fib: new RecordWriter().finish().slice(),
    "route-results": new RecordWriter().finish().slice(),
    "route-status": new RecordWriter().finish().slice(),
  };
  failReports = false;
  closed = 0;

  program(records: Uint8Array): Promise<number> {
    const lines = text(records).split("\n");
    this.programs.push(lines.join("\n"));
    const bad = lines.findIndex((l) => this.refuse.has(l));
    if (bad >= 0) {
      const why = `record ${bad + 1}: no such thing`;
      return Promise.reject(
        new SwitchProgramError(`program failed: ${why}`, why, 22, bad),
      );
    }
    return Promise.resolve(lines.length);
  }

  read<T>(what: SwitchReport, read: (r: Uint8Array) => T): Promise<T> {
    if (this.failReports) return Promise.reject(new Error("library gone"));
    return Promise.resolve(read(this.reports[what]));
  }

  text(records: Uint8Array): string {
    return text(records);
  }

  close(): void {
    this.closed++;
  }
}

function port(xid: number): Change[] {
  return new Mirror().apply(portInfo(xid, { addr: 2 }));
}

async function withLogs(
  fn: (logs: string[]) => void | Promise<void>,
): Promise<void> {
  const logs: string[] = [];
  await startLogging("debug", "json", (l) => logs.push(l));
  try {
    await fn(logs);
  } finally {
    await stopLogging();
  }
}

Deno.test("apply: one program per batch; a refused line is logged and skipped", async () => {
  await withLogs(async (logs) => {
    const h = new FakeHandle();
    const sw = new SoftwareSwitch(h, {
      attachments: [{ port: 11, ifname: "veth11" }],
    });
    equal(sw.programmedAt, 0, "nothing programmed yet");
    const before = epochMs();
    await sw.apply([...port(10), ...port(11), ...port(12)]);
    const at = sw.programmedAt;
    ok(at >= before && at <= epochMs(), "the time of the program call");
    deepEqual(h.programs, [
      [
        "link 10 port 1 1 1 00:00:00:00:00:02 - 0 - -",
        "link 11 port 1 1 1 00:00:00:00:00:02 - 0 - -",
        "attach 11 veth11",
        "link 12 port 1 1 1 00:00:00:00:00:02 - 0 - -",
      ].join("\n"),
    ]);
    await sw.apply([]);
    await sw.apply([{ table: "netns", op: "set", net: 5n }]);
    equal(h.programs.length, 1, "no call for nothing to say");
    equal(sw.programmedAt, at, "nothing programmed, no new time");

    h.programs = [];
    h.refuse.add("link 13 port 1 1 1 00:00:00:00:00:02 - 0 - -");
    h.refuse.add("link 15 port 1 1 1 00:00:00:00:00:02 - 0 - -");
    await sw.apply([...port(13), ...port(14), ...port(15), ...port(16)]);
    deepEqual(
      h.programs.map((p) => p.split("\n").map((l) => l.split(" ")[1])),
      [
        ["13", "14", "15", "16"],
        ["14", "15", "16"],
        ["16"],
      ],
    );
    deepEqual(sw.counts, { lines: 4 + 2, errors: 2 });
    const errors = logs.map((l) => JSON.parse(l)).filter((r) =>
      r.level === "ERROR"
    );
    equal(errors.length, 2);
    match(
      errors[0].message,
      /refused "link 13 port .*": no such thing$/,
    );
  });
});

Deno.test("apply never rejects, not even after close", async () => {
  await withLogs(async (logs) => {
    const h = new FakeHandle();
    h.program = () => Promise.reject(new Error("boom"));
    const sw = new SoftwareSwitch(h);
    await sw.apply(port(10));
    match(logs.join(""), /refused 1 records: boom/);
    await sw.close();
    await sw.close();
    equal(h.closed, 1);
    await sw.apply(port(11));
    deepEqual(await sw.links(), []);
    deepEqual(await sw.counters(), []);
  });
});

Deno.test("reports: ports, counters, summary and fib parsed; bad records skipped", async () => {
  await withLogs(async (logs) => {
    const h = new FakeHandle();
    const sw = new SoftwareSwitch(h);
    h.reports.ports = withStranger(
      report.ports([10, "veth10", true, 10000], [11, "veth11", false, 0]),
      report.names("bad record"),
    );
    h.reports.counters = report.counters(
      [10, 1n, 2n, 3n, 4n, 5n, 6n, 7n, 18446744073709551615n],
      [11, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n],
    );
    h.reports.summary = report.summary(
      ["routes4", 12n],
      ["fdb", 3n],
      ["exception.arp", 3n],
      ["drop.no-port", 1n],
      ["forwarded", 18446744073709551615n],
    );
    // Through the library's parser and back through this side's reader
    // and show's formatting: both sides spell routes alike.
    const fib = [
      "route 1 254 10.0.0.0/8 1 10@10.9.0.1,?",
      "route 1 254 ::ffff:10.0.0.1/128 1 7@fe80::1:0:0:1,8",
      "route 4026531840 255 ::1/128 2 -",
    ];
    h.reports.fib = parseRecords(dp, fib.join("\n"));
    deepEqual(await sw.links(), [
      { xid: 10, carrier: true, speedMbps: 10000 },
      { xid: 11, carrier: false, speedMbps: 0 },
    ]);
    deepEqual(await sw.counters(), [
      { xid: 10, link: [1n, 2n, 3n, 4n, 5n, 6n, 7n, 18446744073709551615n] },
    ]);
    deepEqual(await sw.summary(), {
      routes4: 12n,
      fdb: 3n,
      "exception.arp": 3n,
      "drop.no-port": 1n,
      forwarded: 18446744073709551615n,
      "switchd.lines": 0n,
      "switchd.errors": 0n,
      "switchd.programmed_at_us": 0n,
    });
    deepEqual((await sw.fib()).map(switchRouteLine), fib);
    equal(logs.length, 2);
    match(logs[0], /malformed record of the ports report: name of \d+ bytes/);
    match(logs[1], /malformed record of the counters report/);

    h.failReports = true;
    deepEqual(await sw.links(), []);
    deepEqual(await sw.counters(), []);
    match(logs.at(-1)!, /no counters report from the software switch/);
    await rejects(sw.summary(), /library gone/);
  });
});

Deno.test("counters: ethtool values go to the indexes of the mux's names", async () => {
  const h = new FakeHandle();
  h.reports["ethtool-names"] = report.names(
    "rx-unicast",
    "tx-unicast",
    "link-down-events",
  );
  h.reports.counters = report.counters(
    [10, 1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 100n, 200n, 3n],
    [3000, 1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n, 9n, 9n],
  );
  h.reports.ports = report.ports([10, "veth10", true, 10000]);
  const sw = new SoftwareSwitch(h, {
    statNames: () => ["tx-unicast", "fec-corrected", "rx-unicast"],
  });
  await sw.links();
  deepEqual(await sw.counters(), [
    {
      xid: 10,
      link: [1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n],
      ethtool: [200n, 0n, 100n],
    },
    // not a port: no ethtool stats (the kernel takes them for ports only)
    { xid: 3000, link: [1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n] },
  ]);
  // By default the names come from the library (which reads sysfs).
  h.reports["mux-stat-names"] = report.names("fec-corrected", "tx-unicast");
  const lib = new SoftwareSwitch(h);
  await lib.links();
  deepEqual((await lib.counters())[0].ethtool, [0n, 200n]);
  // A mux without stat names (or unreadable): link counts only.
  const bare = new SoftwareSwitch(h, { statNames: () => [] });
  await bare.links();
  deepEqual(
    (await bare.counters()).map((c) => c.ethtool),
    [undefined, undefined],
  );
});

/**
 * A handle whose calls answer when the test says: each call waits in
 * `calls` until `next()` settles it, so that a test sees what is asked
 * while a call is in flight (as of a SWITCH elsewhere).
 */
class SlowHandle extends FakeHandle {
  calls: { what: string; go: () => void }[] = [];
  gen = 1;
  /** calls fail as a whole (the SWITCH out of reach) */
  unreachable = false;
  /** program calls alone fail as a whole */
  programsLost = false;
  capacities: string[] = [];

  #later<T>(what: string, answer: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.calls.push({
        what,
        go: () => {
          try {
            resolve(answer());
          } catch (e) {
            reject(e);
          }
        },
      });
    });
  }

  override program(records: Uint8Array): Promise<number> {
    return this.#later("program", () => {
      if (this.unreachable || this.programsLost) {
        throw new Error("no answer within 5 s");
      }
      this.programs.push(text(records));
      return text(records).split("\n").length;
    });
  }

  override read<T>(what: SwitchReport, read: (r: Uint8Array) => T): Promise<T> {
    return this.#later(what, () => {
      if (this.unreachable) throw new Error("no answer within 5 s");
      return read(this.reports[what]);
    });
  }

  setCapacity(c: { ipv4?: number; ipv6?: number }): Promise<void> {
    return this.#later("capacity", () => {
      if (this.unreachable) throw new Error("no answer within 5 s");
      this.capacities.push(`${c.ipv4 ?? "-"} ${c.ipv6 ?? "-"}`);
    });
  }

  generation(): number {
    return this.gen;
  }

  /** Settles the oldest call waiting, once it has come; its name. */
  async next(): Promise<string> {
    await waitFor("a call", () => this.calls.length > 0, 2000);
    const c = this.calls.shift()!;
    c.go();
    // its continuation runs, and asks the next call
    await new Promise((r) => setTimeout(r, 0));
    return c.what;
  }
}

const link = (xid: number) =>
  `link ${xid} port 1 1 1 00:00:00:00:00:02 - 0 - -`;

Deno.test("order: one call at a time, as asked; changes that come meanwhile go together in the next", async () => {
  const h = new SlowHandle();
  const sw = new SoftwareSwitch(h);
  const applied: number[] = [];
  const first = sw.apply(port(10)).then(() => applied.push(10));
  const links = sw.links();
  const second = sw.apply(port(11)).then(() => applied.push(11));
  const third = sw.apply(port(12)).then(() => applied.push(12));
  // the program of port 10 is in flight; nothing else is asked yet
  await new Promise((r) => setTimeout(r, 10));
  deepEqual(h.calls.map((c) => c.what), ["program"]);
  equal(await h.next(), "program");
  deepEqual(applied, [10]);
  // the report asked before ports 11 and 12 comes before them
  equal(await h.next(), "ports");
  deepEqual(await links, []);
  equal(await h.next(), "program");
  await Promise.all([first, second, third]);
  deepEqual(applied, [10, 11, 12]);
  deepEqual(h.programs, [link(10), [link(11), link(12)].join("\n")]);
  equal(sw.counts.lines, 3);
  equal(h.calls.length, 0);
  await sw.close();
});

Deno.test("order: a lost program call is made good once the SWITCH answers, the changes of meanwhile with it", async () => {
  await withLogs(async (logs) => {
    const h = new SlowHandle();
    const mirror = new Mirror();
    const sw = new SoftwareSwitch(h, {
      fibCapacity: { ipv4: 5 },
      replay: () => diffMirrors(new Mirror(), mirror),
    });
    const apply = (xid: number) =>
      sw.apply(mirror.apply(portInfo(xid, { addr: 2 })));
    h.unreachable = true;
    const a = apply(10);
    equal(await h.next(), "program");
    await a;
    match(logs.join("\n"), /refused 1 records: no answer within 5 s/);
    // Out of reach: the next batch asks whether it answers (its capacity
    // again) instead of sending what would be lost too.
    const b = apply(11);
    equal(await h.next(), "capacity");
    await b;
    match(logs.join("\n"), /still out of reach: no answer within 5 s/);
    // Back (on a new connection): the report that finds it so makes the
    // resync follow, before the batches that came meanwhile, which it
    // holds, and which are not sent again.
    h.unreachable = false;
    h.gen = 2;
    const ports = sw.links();
    const c = apply(12);
    equal(await h.next(), "ports");
    equal(await h.next(), "capacity");
    equal(await h.next(), "program");
    await Promise.all([ports, c]);
    deepEqual(h.capacities, ["5 -"]);
    deepEqual(h.programs, [["clear", link(10), link(11), link(12)].join("\n")]);
    equal(sw.resyncs, 1);
    equal(h.calls.length, 0, "port 12 went with the resync");
    match(
      logs.join("\n"),
      /was out of reach and is back: programming it anew \(4 records\)/,
    );
    // and from then on, as before
    const d = apply(13);
    equal(await h.next(), "program");
    await d;
    deepEqual(h.programs.at(-1), link(13));
    await sw.close();
  });
});

Deno.test("order: a resync the SWITCH answers but does not take waits before the next", async () => {
  await withLogs(async () => {
    const h = new SlowHandle();
    const sw = new SoftwareSwitch(h);
    h.programsLost = true;
    h.gen = 2;
    const a = sw.links();
    equal(await h.next(), "ports");
    equal(await h.next(), "capacity");
    equal(await h.next(), "program");
    await a;
    equal(sw.resyncs, 1);
    // answered, but no resync again at once: it would encode it all anew
    const b = sw.links();
    equal(await h.next(), "ports");
    await b;
    await new Promise((r) => setTimeout(r, 20));
    deepEqual(h.calls, []);
    equal(sw.resyncs, 1);
    await sw.close();
  });
});

Deno.test("close: calls still waiting give up, and close resolves once none is in flight", async () => {
  await withLogs(async (logs) => {
    const h = new SlowHandle();
    const sw = new SoftwareSwitch(h);
    const a = sw.apply(port(10));
    const b = sw.links();
    await new Promise((r) => setTimeout(r, 0));
    const closing = sw.close();
    equal(h.closed, 1);
    equal(await h.next(), "program");
    await closing;
    await a;
    deepEqual(await b, []);
    equal(h.calls.length, 0, "the report was not asked");
    deepEqual(logs, [], "nothing to say of a close");
  });
});

Deno.test("remote: a SWITCH elsewhere that restarted is programmed anew from the replay", async () => {
  const uplink = `xnoup${Deno.pid % 10000}`;
  const a = await xethSwitch(uplink);
  const mirror = new Mirror();
  const sw = await SoftwareSwitch.connect(dp, a.addr, "xm-none", {
    replay: () => diffMirrors(new Mirror(), mirror),
  });
  equal(sw.name, `remote ${a.addr}`);
  void sw.apply(mirror.apply(portInfo(5, { addr: 2 })));
  void sw.apply(mirror.apply(portInfo(6, { addr: 3 })));
  equal((await sw.summary()).links, 2n);
  // the far end restarts: its tables are empty
  const port = Number(a.addr.split(":")[1]);
  await a.stop();
  const b = await xethSwitch(uplink, port);
  try {
    await withLogs(async (logs) => {
      // the call that finds the connection gone fails and is logged; the
      // next one connects again, and the switch gets everything
      await sw.links();
      await sw.links();
      equal(sw.resyncs, 1);
      ok(
        logs.some((l) =>
          /was out of reach and is back: programming it anew \(3 records\)/
            .test(l)
        ),
        logs.join("\n"),
      );
    });
    equal((await sw.summary()).links, 2n);
    await sw.links();
    equal(sw.resyncs, 1, "once");
  } finally {
    await sw.close();
    await b.stop();
  }
});
