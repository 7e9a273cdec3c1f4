/**
 * The software SWITCH as a {@link SwitchBackend}: the mirror's changes go
 * to the data plane library's model of the switch as program lines (one
 * call per batch of changes), and its reports come back as the ports'
 * link state, the proxies' counters and a summary for `show switch`.
 *
 * Nothing here throws out of `apply`, `links` or `counters`: a line the
 * library refuses is logged and skipped, and the rest of the batch still
 * goes; a failed report is logged and reads as empty.
 *
 * @module
 */

import type { Dataplane } from "../../ffi/library.ts";
import {
  type Encap,
  SoftSwitch,
  SwitchProgramError,
  type SwitchReport,
} from "../../ffi/switch.ts";
import type { Change } from "../mirror/mirror.ts";
import { type Logger, logger, RateLimit } from "../log.ts";
import type { PortLink, ProxyCounters, SwitchBackend } from "../switch.ts";
import { type Attachment, SwitchProgram } from "./program.ts";

/** What {@link SoftwareSwitch} needs of the library's switch. */
export interface SwitchHandle {
  /** Applies lines; throws {@link SwitchProgramError} naming a bad one. */
  program(text: string): number;
  report(what: SwitchReport): string;
  close(): void;
}

/** Options of {@link SoftwareSwitch}. */
export interface SoftwareSwitchOptions {
  /** The mux's encapsulation; default "vlan". */
  encap?: Encap;
  attachments?: readonly Attachment[];
  log?: Logger;
  /**
   * The mux's port ethtool stat names, in index order (what
   * `ethtool -S PORT` lists); by default the library reads them from
   * /sys/class/net/MUX/xeth/ethtool_stat_names (Deno could only with
   * --allow-all).
   */
  statNames?: () => readonly string[];
}

/** LINK_STAT counts in a counters report line, after the xid. */
const REPORT_STATS = 8;

const DECIMAL = /^\d+$/;

/** The software SWITCH of switch-less mode. */
export class SoftwareSwitch implements SwitchBackend {
  readonly name = "software";
  readonly program: SwitchProgram;
  /** Lines the library applied, and lines it refused. */
  readonly counts = { lines: 0, errors: 0 };
  readonly #handle: SwitchHandle;
  readonly #log: Logger;
  readonly #errorLog = new RateLimit(5, 10_000);
  readonly #statNames: () => readonly string[];
  /** the library's ethtool count names, asked once */
  #libNames: readonly string[] | undefined;
  /** attached ports as of the last links(): only they have ethtool stats */
  #ports = new Set<number>();
  #closed = false;

  constructor(handle: SwitchHandle, opts: SoftwareSwitchOptions = {}) {
    this.#handle = handle;
    this.#log = opts.log ?? logger("switch");
    this.#statNames = opts.statNames ?? (() => {
      try {
        return lines(handle.report("mux-stat-names"));
      } catch (e) {
        this.#error("cannot read the mux's stat names", e);
        return [];
      }
    });
    this.program = new SwitchProgram({
      encap: opts.encap ?? "vlan",
      attachments: opts.attachments,
      warn: (message, properties) => this.#log.warning(message, properties),
    });
  }

  /** Opens the library's software SWITCH on `mux`. */
  static open(
    dp: Dataplane,
    mux: string,
    opts: SoftwareSwitchOptions = {},
  ): SoftwareSwitch {
    const handle = SoftSwitch.open(dp, mux, { encap: opts.encap });
    return new SoftwareSwitch(handle, opts);
  }

  apply(changes: readonly Change[]): void {
    let lines: string[];
    try {
      lines = this.program.encode(changes);
    } catch (e) {
      // A bug, but the daemon keeps serving what it can.
      this.#error(`cannot encode ${changes.length} changes`, e);
      return;
    }
    this.#send(lines);
  }

  /**
   * Sends `lines`; when the library refuses line N, logs it and sends the
   * lines after it (the ones before it were applied).
   */
  #send(lines: string[]): void {
    while (lines.length > 0 && !this.#closed) {
      try {
        this.counts.lines += this.#handle.program(lines.join("\n"));
        return;
      } catch (e) {
        this.counts.errors++;
        const line = e instanceof SwitchProgramError ? e.line : undefined;
        if (line === undefined || line < 1 || line > lines.length) {
          this.#error(`the software switch refused ${lines.length} lines`, e);
          return;
        }
        this.counts.lines += line - 1;
        this.#error(
          `the software switch refused "${lines[line - 1]}"`,
          e instanceof SwitchProgramError ? e.reason : e,
        );
        lines = lines.slice(line);
      }
    }
  }

  links(): PortLink[] {
    const out: PortLink[] = [];
    for (const f of this.#report("ports", 4)) {
      if (
        !DECIMAL.test(f[0]) || !/^[01]$/.test(f[2]) || !DECIMAL.test(f[3])
      ) {
        this.#malformed("ports", f);
        continue;
      }
      out.push({
        xid: Number(f[0]),
        carrier: f[2] === "1",
        speedMbps: Number(f[3]),
      });
    }
    this.#ports = new Set(out.map((l) => l.xid));
    return out;
  }

  /**
   * Counters per proxy: LINK_STAT values, and for attached ports (as of
   * the last {@link links}) the ethtool values at the indexes the mux
   * gives their names (a name the switch does not count stays 0).
   */
  counters(): ProxyCounters[] {
    const lib = this.#ethtoolNames();
    const mux = lib.length ? this.#statNames() : [];
    const from = mux.map((n) => lib.indexOf(n));
    const out: ProxyCounters[] = [];
    for (
      const f of this.#report("counters", [
        1 + REPORT_STATS,
        1 + REPORT_STATS + lib.length,
      ])
    ) {
      if (!f.every((x) => DECIMAL.test(x))) {
        this.#malformed("counters", f);
        continue;
      }
      const v = f.slice(1).map(BigInt);
      const c: ProxyCounters = {
        xid: Number(f[0]),
        link: v.slice(0, REPORT_STATS),
      };
      if (
        v.length > REPORT_STATS && this.#ports.has(c.xid) &&
        from.some((j) => j >= 0)
      ) {
        c.ethtool = from.map((j) => j < 0 ? 0n : v[REPORT_STATS + j]);
      }
      out.push(c);
    }
    return out;
  }

  #ethtoolNames(): readonly string[] {
    if (this.#libNames === undefined && !this.#closed) {
      try {
        this.#libNames = lines(this.#handle.report("ethtool-names"));
      } catch (e) {
        this.#error("no ethtool names from the software switch", e);
        return [];
      }
    }
    return this.#libNames ?? [];
  }

  /**
   * The library's summary (`routes4`, `fdb`, `forwarded`, `exception.arp`,
   * ...) and this side's `switchd.lines` and `switchd.errors`. Throws when
   * the library cannot report.
   */
  summary(): Record<string, bigint> {
    const out: Record<string, bigint> = {};
    for (const line of lines(this.#handle.report("summary"))) {
      const f = line.split(" ");
      if (f.length !== 2 || !DECIMAL.test(f[1])) {
        this.#malformed("summary", f);
        continue;
      }
      out[f[0]] = BigInt(f[1]);
    }
    out["switchd.lines"] = BigInt(this.counts.lines);
    out["switchd.errors"] = BigInt(this.counts.errors);
    return out;
  }

  /** Every route the library's switch holds; throws when it cannot say. */
  fib(): string[] {
    return lines(this.#handle.report("fib"));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#handle.close();
    } catch (e) {
      this.#error("cannot close the software switch", e);
    }
  }

  /** The lines of a report split in `n` fields; none when it failed. */
  #report(what: SwitchReport, n: number | readonly number[]): string[][] {
    const ns = typeof n === "number" ? [n] : n;
    if (this.#closed) return [];
    let text: string;
    try {
      text = this.#handle.report(what);
    } catch (e) {
      this.#error(`no ${what} report from the software switch`, e);
      return [];
    }
    const out: string[][] = [];
    for (const line of lines(text)) {
      const f = line.split(" ");
      if (ns.includes(f.length)) out.push(f);
      else this.#malformed(what, f);
    }
    return out;
  }

  #malformed(what: SwitchReport, fields: string[]): void {
    this.#error(
      `ignored a malformed line of the ${what} report: "${fields.join(" ")}"`,
      undefined,
    );
  }

  #error(message: string, e: unknown): void {
    const t = this.#errorLog.take();
    if (!t.ok) return;
    const error = e === undefined
      ? undefined
      : e instanceof Error
      ? e.message
      : String(e);
    this.#log.error(
      (error === undefined ? message : `${message}: ${error}`) +
        (t.suppressed ? `; ${t.suppressed} more errors were not logged` : ""),
      { error, suppressed: t.suppressed },
    );
  }
}

function lines(text: string): string[] {
  return text.split("\n").filter((l) => l.length > 0);
}
