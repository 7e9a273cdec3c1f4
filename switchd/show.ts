/**
 * What `xeth-switchd show` reports: views of the running session as plain
 * JSON values (the control socket's answers) and as text tables.
 *
 * @module
 */

import { DEV_KIND } from "./protocol/abi.generated.ts";
import { formatIp4, formatIp6, formatMac } from "./protocol/addresses.ts";
import { linkJson, type Mirror } from "./mirror/mirror.ts";
import { FIB_OFFLOAD_EXT, type OffloadReporter } from "./offload.ts";
import type { Relay } from "./relay.ts";
import type { Session } from "./session.ts";
import type { SwitchBackend, SwitchRoute } from "./switch.ts";

/** The things `show` can report. */
export const SHOW_WHAT = [
  "session",
  "links",
  "fib",
  "neighbours",
  "counters",
  "mirror",
  "switch",
  "switch-fib",
] as const;
export type ShowWhat = typeof SHOW_WHAT[number];

export function isShowWhat(s: string): s is ShowWhat {
  return (SHOW_WHAT as readonly string[]).includes(s);
}

type Row = Record<string, string | number | boolean>;

const KIND_NAME: Record<number, string> = Object.fromEntries(
  Object.entries(DEV_KIND).map(([k, v]) => [v, k.toLowerCase()]),
);

/**
 * The answer to `show WHAT` for the daemon running `session`; the
 * SWITCH's views wait for its answer (a SWITCH elsewhere, over the
 * network).
 */
export async function showView(
  what: ShowWhat,
  session: Session,
  mux: string,
  parts: {
    backend?: SwitchBackend;
    relay?: Relay;
    offload?: OffloadReporter;
  } = {},
): Promise<Row[] | Row> {
  const m = session.mirror;
  const relay = parts.relay?.counters;
  const offload = parts.offload?.counters;
  switch (what) {
    case "session":
      return {
        mux,
        state: session.state,
        switch: parts.backend?.name ?? "none",
        ...m.counts(),
        ...session.counters,
        changed_at_ms: round3(session.changedAt),
      };
    case "counters":
      return {
        ...session.counters,
        mirror_ignored: m.ignored,
        ...(relay
          ? {
            relay_carrier: relay.carrier,
            relay_speed: relay.speed,
            relay_link_stats: relay.linkStats,
            relay_ethtool_stats: relay.ethtoolStats,
            relay_unsent: relay.unsent,
          }
          : {}),
        ...(offload
          ? {
            fib_offload_extension: (session.extensions & FIB_OFFLOAD_EXT) !==
              0n,
            fib_offload_offload: offload.offload,
            fib_offload_trap: offload.trap,
            fib_offload_failed: offload.failed,
            fib_offload_messages: offload.messages,
            fib_offload_unknown: offload.unknown,
            fib_offload_superseded: offload.superseded,
          }
          : {}),
      };
    case "links":
      return links(m);
    case "fib":
      return fib(m);
    case "neighbours":
      return neighbours(m);
    case "mirror":
      return mirrorJson(m);
    case "switch":
      return await switchView(parts.backend);
    case "switch-fib":
      return await switchFib(parts.backend);
  }
}

/** Epoch milliseconds to the microsecond, as JSON numbers carry them. */
function round3(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/**
 * The SWITCH's summary: its name, then its counts by name (u64, as
 * decimal strings so that JSON keeps them exact).
 */
async function switchView(backend: SwitchBackend | undefined): Promise<Row> {
  const row: Row = { switch: backend?.name ?? "none" };
  for (const [k, v] of Object.entries(await backend?.summary?.() ?? {})) {
    row[k] = String(v);
  }
  return row;
}

/**
 * The routes the SWITCH holds, a row per route in its program's terms:
 * the namespace id, table, prefix, RTN type and next hops (`XID@GATEWAY`,
 * `XID`, or `?` for an interface that is no proxy; `-` for none). Empty
 * for a SWITCH that cannot list them.
 */
async function switchFib(backend: SwitchBackend | undefined): Promise<Row[]> {
  return (await backend?.fib?.() ?? []).map((r) => ({
    net: String(r.net),
    table: r.table,
    prefix: switchPrefix(r),
    type: r.type,
    nexthops: switchHops(r),
  }));
}

function switchPrefix(r: SwitchRoute): string {
  const a = r.family === "inet"
    ? formatIp4(r.address as number)
    : formatIp6(r.address as bigint);
  return `${a}/${r.prefixLength}`;
}

function switchHops(r: SwitchRoute): string {
  if (r.nextHops.length === 0) return "-";
  const gw = (g: number | bigint) =>
    r.family === "inet" ? formatIp4(g as number) : formatIp6(g as bigint);
  return r.nextHops.map((h) =>
    h.xid === undefined
      ? "?"
      : h.gw === undefined
      ? String(h.xid)
      : `${h.xid}@${gw(h.gw)}`
  ).join(",");
}

/**
 * A SWITCH's route as the line `show switch-fib` rows spell out and the
 * software switch's program text uses: `route NET TABLE PREFIX TYPE
 * NEXTHOPS`.
 */
export function switchRouteLine(r: SwitchRoute): string {
  return `route ${r.net} ${r.table} ${switchPrefix(r)} ${r.type} ${
    switchHops(r)
  }`;
}

/**
 * The whole mirror as structured JSON (ifindexes, not names; bigints as
 * strings), for tools that compare it with the kernel.
 */
function mirrorJson(m: Mirror): Row {
  const j = (v: unknown) =>
    JSON.parse(
      JSON.stringify(v, (_k, x) => typeof x === "bigint" ? String(x) : x),
    );
  return {
    links: j([...m.links.values()].map(linkJson)),
    fib4: j([...m.fib.routes4()].map((r) => ({
      ...r,
      address: formatIp4(r.address),
      nextHops: r.nextHops.map((h) => ({
        ...h,
        gw: h.gw ? formatIp4(h.gw) : null,
      })),
    }))),
    fib6: j([...m.fib.routes6()].map((r) => ({
      ...r,
      address: formatIp6(r.address),
      nextHops: r.nextHops.map((h) => ({
        ...h,
        gw: h.gw ? formatIp6(h.gw) : null,
      })),
    }))),
    neighbours: j([...m.neighbours.values()].map((n) => ({
      ...n,
      dst: n.family === "inet"
        ? formatIp4(n.dst as number)
        : formatIp6(n.dst as bigint),
      lladdr: formatMac(n.lladdr),
    }))),
    netns: [...m.netns].map(String),
  } as unknown as Row;
}

function ifname(m: Mirror, net: bigint, ifindex: number): string {
  return m.links.byIfindex(net, ifindex)?.ifname ?? `if${ifindex}`;
}

function links(m: Mirror): Row[] {
  return [...m.links.values()].sort((a, b) => a.xid - b.xid).map((l) => ({
    xid: l.xid,
    name: l.ifname,
    kind: KIND_NAME[l.devKind] ?? String(l.devKind),
    net: String(l.net),
    ifindex: l.ifindex ?? "-",
    admin: l.adminUp ? "up" : "down",
    mac: formatMac(l.addr),
    addresses: [
      ...[...l.ipv4.values()].map((a) =>
        `${formatIp4(a.address)}/${a.prefixLength}`
      ),
      ...[...l.ipv6.values()].map((a) =>
        `${formatIp6(a.address)}/${a.prefixLength}`
      ),
    ].join(" "),
    uppers: [...l.uppers].join(" "),
  }));
}

function fib(m: Mirror): Row[] {
  const rows: Row[] = [];
  for (const r of m.fib.routes4()) {
    rows.push({
      net: String(r.net),
      table: r.table,
      prefix: `${formatIp4(r.address)}/${r.prefixLength}`,
      type: r.type,
      nexthops: r.nextHops.map((h) =>
        (h.gw ? `via ${formatIp4(h.gw)} ` : "") +
        `dev ${ifname(m, r.net, h.ifindex)}` +
        (r.nextHops.length > 1 ? ` weight ${h.weight}` : "")
      ).join(", "),
    });
  }
  for (const r of m.fib.routes6()) {
    rows.push({
      net: String(r.net),
      table: r.table,
      prefix: `${formatIp6(r.address)}/${r.prefixLength}`,
      type: r.type,
      nexthops: r.nextHops.map((h) =>
        (h.gw ? `via ${formatIp6(h.gw)} ` : "") +
        `dev ${ifname(m, r.net, h.ifindex)}`
      ).join(", "),
    });
  }
  return rows;
}

function neighbours(m: Mirror): Row[] {
  return [...m.neighbours.values()].map((n) => ({
    net: String(n.net),
    dev: ifname(m, n.net, n.ifindex),
    dst: n.family === "inet"
      ? formatIp4(n.dst as number)
      : formatIp6(n.dst as bigint),
    lladdr: formatMac(n.lladdr),
  }));
}

/** A view as text: a table for rows, "key: value" lines for one record. */
export function formatView(view: unknown): string {
  if (Array.isArray(view)) return formatTable(view as Row[]);
  if (view !== null && typeof view === "object" && "fib4" in view) {
    // The structured mirror is for --json; as text, say how big it is.
    const m = view as Record<string, unknown[]>;
    return Object.entries(m).map(([k, v]) => `${k}: ${v.length}`).join("\n");
  }
  return Object.entries(view as Row).map(([k, v]) => `${k}: ${v}`).join("\n");
}

function formatTable(rows: Row[]): string {
  if (rows.length === 0) return "(none)";
  const head = Object.keys(rows[0]);
  const cells = rows.map((r) => head.map((h) => String(r[h] ?? "")));
  const widths = head.map((h, i) =>
    Math.max(h.length, ...cells.map((c) => c[i].length))
  );
  const line = (c: string[]) =>
    c.map((x, i) => x.padEnd(widths[i])).join("  ").trimEnd();
  return [line(head), ...cells.map(line)].join("\n");
}
