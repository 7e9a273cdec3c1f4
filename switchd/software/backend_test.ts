import { deepEqual, equal, match } from "node:assert/strict";
import { SwitchProgramError, type SwitchReport } from "../../ffi/switch.ts";
import { Mirror } from "../mirror/mirror.ts";
import type { Change } from "../mirror/mirror.ts";
import { portInfo } from "../protocol/fixtures.ts";
import { startLogging, stopLogging } from "../log.ts";
import { SoftwareSwitch, type SwitchHandle } from "./backend.ts";

/** A library switch that records programs and answers set reports. */
class FakeHandle implements SwitchHandle {
  programs: string[] = [];
  /** lines (1-based, within each call) to refuse, by their text */
  refuse = new Set<string>();
  reports: Record<SwitchReport, string> = {
    ports: "",
    counters: "",
    summary: "",
    "ethtool-names": "",
    "mux-stat-names": "",
    fib: "",
  };
  failReports = false;
  closed = 0;

  program(text: string): number {
    this.programs.push(text);
    const lines = text.split("\n");
    const bad = lines.findIndex((l) => this.refuse.has(l));
    if (bad >= 0) {
      const why = `line ${bad + 1}: no such thing`;
      throw new SwitchProgramError(`program failed: ${why}`, why, 22);
    }
    return lines.length;
  }

  report(what: SwitchReport): string {
    if (this.failReports) throw new Error("library gone");
    return this.reports[what];
  }

  close(): void {
    this.closed++;
  }
}

function port(xid: number): Change[] {
  return new Mirror().apply(portInfo(xid, { addr: 2 }));
}

async function withLogs(fn: (logs: string[]) => void): Promise<void> {
  const logs: string[] = [];
  await startLogging("debug", "json", (l) => logs.push(l));
  try {
    fn(logs);
  } finally {
    await stopLogging();
  }
}

Deno.test("apply: one program per batch; a refused line is logged and skipped", async () => {
  await withLogs((logs) => {
    const h = new FakeHandle();
    const sw = new SoftwareSwitch(h, {
      attachments: [{ port: 11, ifname: "veth11" }],
    });
    sw.apply([...port(10), ...port(11), ...port(12)]);
    deepEqual(h.programs, [
      [
        "link 10 port 1 1 1 00:00:00:00:00:02 - 0 - -",
        "link 11 port 1 1 1 00:00:00:00:00:02 - 0 - -",
        "attach 11 veth11",
        "link 12 port 1 1 1 00:00:00:00:00:02 - 0 - -",
      ].join("\n"),
    ]);
    sw.apply([]);
    sw.apply([{ table: "netns", op: "set", net: 5n }]);
    equal(h.programs.length, 1, "no call for nothing to say");

    h.programs = [];
    h.refuse.add("link 13 port 1 1 1 00:00:00:00:00:02 - 0 - -");
    h.refuse.add("link 15 port 1 1 1 00:00:00:00:00:02 - 0 - -");
    sw.apply([...port(13), ...port(14), ...port(15), ...port(16)]);
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

Deno.test("apply never throws, not even after close", async () => {
  await withLogs((logs) => {
    const h = new FakeHandle();
    h.program = () => {
      throw new Error("boom");
    };
    const sw = new SoftwareSwitch(h);
    sw.apply(port(10));
    match(logs.join(""), /refused 1 lines: boom/);
    sw.close();
    sw.close();
    equal(h.closed, 1);
    sw.apply(port(11));
    deepEqual(sw.links(), []);
    deepEqual(sw.counters(), []);
  });
});

Deno.test("reports: ports, counters, summary and fib parsed; bad lines skipped", async () => {
  await withLogs((logs) => {
    const h = new FakeHandle();
    const sw = new SoftwareSwitch(h);
    h.reports.ports = "10 veth10 1 10000\n11 veth11 0 0\nbad line\n";
    h.reports.counters = "10 1 2 3 4 5 6 7 18446744073709551615\n" +
      "11 0 0 0 0 0 0 0 x\n";
    h.reports.summary = "routes4 12\nfdb 3\nexception.arp 3\ndrop.no-port 1\n" +
      "forwarded 18446744073709551615\n";
    h.reports.fib = "route 1 254 10.0.0.0/8 1 10@10.9.0.1,?\n" +
      "route 4026531840 255 ::1/128 2 -\n";
    deepEqual(sw.links(), [
      { xid: 10, carrier: true, speedMbps: 10000 },
      { xid: 11, carrier: false, speedMbps: 0 },
    ]);
    deepEqual(sw.counters(), [
      { xid: 10, link: [1n, 2n, 3n, 4n, 5n, 6n, 7n, 18446744073709551615n] },
    ]);
    deepEqual(sw.summary(), {
      routes4: 12n,
      fdb: 3n,
      "exception.arp": 3n,
      "drop.no-port": 1n,
      forwarded: 18446744073709551615n,
      "switchd.lines": 0n,
      "switchd.errors": 0n,
    });
    deepEqual(sw.fib(), [
      "route 1 254 10.0.0.0/8 1 10@10.9.0.1,?",
      "route 4026531840 255 ::1/128 2 -",
    ]);
    equal(logs.length, 2);
    match(logs[0], /malformed line of the ports report: \\"bad line\\"/);

    h.failReports = true;
    deepEqual(sw.links(), []);
    deepEqual(sw.counters(), []);
    match(logs.at(-1)!, /no counters report from the software switch/);
  });
});

Deno.test("counters: ethtool values go to the indexes of the mux's names", () => {
  const h = new FakeHandle();
  h.reports["ethtool-names"] = "rx-unicast\ntx-unicast\nlink-down-events\n";
  h.reports.counters = "10 1 2 3 4 5 6 7 8 100 200 3\n" +
    "3000 1 2 3 4 5 6 7 8 9 9 9\n";
  h.reports.ports = "10 veth10 1 10000\n";
  const sw = new SoftwareSwitch(h, {
    statNames: () => ["tx-unicast", "fec-corrected", "rx-unicast"],
  });
  sw.links();
  deepEqual(sw.counters(), [
    {
      xid: 10,
      link: [1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n],
      ethtool: [200n, 0n, 100n],
    },
    // not a port: no ethtool stats (the kernel takes them for ports only)
    { xid: 3000, link: [1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n] },
  ]);
  // By default the names come from the library (which reads sysfs).
  h.reports["mux-stat-names"] = "fec-corrected\ntx-unicast\n";
  const lib = new SoftwareSwitch(h);
  lib.links();
  deepEqual(lib.counters()[0].ethtool, [0n, 200n]);
  // A mux without stat names (or unreadable): link counts only.
  const bare = new SoftwareSwitch(h, { statNames: () => [] });
  bare.links();
  deepEqual(bare.counters().map((c) => c.ethtool), [undefined, undefined]);
});
