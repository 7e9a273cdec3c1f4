// Punt sockets through the real library on a real veth pair: one end in
// this process's namespace (where the library's punt socket runs), the
// other in a network namespace the test creates, where a python3 raw
// socket writes and reads frames. The expected wire frames are built here,
// from the uapi header's description, independently of the Rust encap
// code. Needs root (network namespaces, packet sockets) and python3.
// Build the library first (`./run build`).

import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { ERRNO } from "./abi.generated.ts";
import { DataplaneError, openDataplane } from "./library.ts";
import {
  decodeRecords,
  type Encap,
  encodeRecords,
  type InFrame,
  PUNT_STAT_NAMES,
  PuntSocket,
  type PuntStats,
} from "./punt.ts";
import { run, type VethNetns, withVethNetns } from "./testing/veth_netns.ts";
import { waitFor } from "./testing/wait.ts";

const { ENODEV, EINVAL } = ERRNO;

const isRoot = Deno.uid() === 0;
const ignore = !isRoot;
if (ignore) {
  console.warn("punt_test: not root, skipping the veth tests");
}

// --- the wire format of kernel/include/uapi/linux/xeth.h, written out ---

function be16(v: number): number[] {
  return [(v >> 8) & 0xff, v & 0xff];
}

function be32(v: number): number[] {
  return [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}

/** A proxy frame: dst, src, an experimental ethertype, `n` bytes. */
function inner(tag: number, n: number): Uint8Array {
  const f = [2, 0, 0, 0, 0, 0xd, 2, 0, 0, 0, 0, tag, 0x88, 0xb5];
  for (let i = 0; i < n; i++) f.push((i + tag) & 0xff);
  return new Uint8Array(f);
}

/** The frame as the mux carries it, exactly as the uapi header says. */
function wire(
  encap: Encap,
  xid: number,
  exception: boolean,
  f: Uint8Array,
): Uint8Array {
  const prio = exception ? 7 : 0;
  const addrs = [...f.subarray(0, 12)];
  if (encap === "vlan") {
    const lower = xid & 0xfff;
    const vid = xid >>> 12;
    const tags = vid === 0 ? [...be16(0x8100), ...be16(prio << 13 | lower)] : [
      ...be16(0x88a8),
      ...be16(prio << 13 | lower),
      ...be16(0x8100),
      ...be16(vid),
    ];
    return new Uint8Array([...addrs, ...tags, ...f.subarray(12)]);
  }
  const lower = xid & 0xfffff;
  const vid = xid >>> 20;
  const word = (label: number, tc: number, s: boolean) =>
    be32(((label << 12) | (tc << 9) | (s ? 1 << 8 : 0) | 64) >>> 0);
  const labels = vid === 0
    ? word(lower, prio, true)
    : [...word(lower, prio, false), ...word(vid, 0, true)];
  return new Uint8Array([...addrs, ...be16(0x8847), ...labels, ...f]);
}

function hex(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}

function xidsOf(encap: Encap): number[] {
  return encap === "vlan"
    ? [3999, 3000, 3999 | 100 << 12]
    : [3999, 70000, (3999 | 100 << 20) >>> 0];
}

// --- the network: a veth pair, one end in a namespace of its own ---

/** One pair: the punt socket's end here (`outer`), python's inside. */
function withNet(fn: (net: VethNetns) => Promise<void> | void) {
  return withVethNetns(
    1,
    { prefix: "xethpunt-deno", quietInside: true },
    ([net]) => fn(net),
  );
}

// A raw AF_PACKET socket on the namespace's end. "send HEX...": writes
// each frame. "recv N SECONDS": prints "ready", then the hex of the
// first N frames of ours (VLAN or MPLS) it receives, with a VLAN tag that
// the kernel moved into metadata (PACKET_AUXDATA) put back on the wire.
const PEER = `
import select, socket, struct, sys
SOL_PACKET, PACKET_AUXDATA = 263, 8
TP_STATUS_VLAN_VALID, TP_STATUS_VLAN_TPID_VALID = 0x10, 0x40
ifname, mode = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
s.bind((ifname, 0))
if mode == "send":
    for h in sys.argv[3:]:
        s.send(bytes.fromhex(h))
    sys.exit(0)
want, secs = int(sys.argv[3]), float(sys.argv[4])
print("ready", flush=True)
got = 0
while got < want:
    r, _, _ = select.select([s], [], [], secs)
    if not r:
        break
    data, anc, _, addr = s.recvmsg(65536, socket.CMSG_SPACE(32))
    if addr[2] == socket.PACKET_OUTGOING:
        continue
    for level, kind, cd in anc:
        if level == SOL_PACKET and kind == PACKET_AUXDATA:
            st, _, _, _, _, tci, tpid = struct.unpack("IIIHHHH", cd[:20])
            if st & TP_STATUS_VLAN_VALID:
                if not st & TP_STATUS_VLAN_TPID_VALID:
                    tpid = 0x8100
                data = data[:12] + struct.pack("!HH", tpid, tci) + data[12:]
    if struct.unpack("!H", data[12:14])[0] in (0x8100, 0x88a8, 0x8847):
        print(data.hex(), flush=True)
        got += 1
`;

function peerArgs(net: VethNetns, ...rest: string[]): string[] {
  return ["netns", "exec", net.ns, "python3", "-c", PEER, net.inner, ...rest];
}

async function peerSend(net: VethNetns, frames: Uint8Array[]): Promise<void> {
  await run("ip", peerArgs(net, "send", ...frames.map(hex)));
}

/** Starts a receiver; resolves its frames (hex) once it has `want`. */
async function peerRecv(
  net: VethNetns,
  want: number,
): Promise<{ frames: Promise<string[]> }> {
  const child = new Deno.Command("ip", {
    args: peerArgs(net, "recv", String(want), "5"),
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream())
    .getReader();
  let text = "";
  while (!text.includes("ready\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`peer exited early; it printed: ${text}`);
    text += value;
  }
  text = text.slice(text.indexOf("ready\n") + 6);
  const frames = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    await child.status;
    return text.split("\n").filter((l) => l.length > 0);
  })();
  return { frames };
}

// --- tests without a network ---

Deno.test("records: encode and decode are inverse, truncation throws", () => {
  const frames = [
    { xid: 3999, frame: inner(1, 3), exception: true },
    { xid: (5 | 4094 << 20) >>> 0, frame: inner(2, 0) },
  ];
  const buf = encodeRecords(frames);
  equal(buf.length, 12 + 17 + 12 + 14);
  const back = decodeRecords(buf);
  deepEqual(
    back.map((f) => [f.xid, f.exception, f.outgoing, hex(f.frame)]),
    frames.map((f) => [f.xid, f.exception ?? false, false, hex(f.frame)]),
  );
  throws(() => decodeRecords(buf.subarray(0, buf.length - 1)), /truncated/);
  throws(() => decodeRecords(buf.subarray(0, 5)), /truncated/);
  throws(() => encodeRecords([{ xid: -1, frame: inner(0, 0) }]), RangeError);
});

Deno.test("punt: open errors say what is wrong", { ignore }, () => {
  using dp = openDataplane();
  throws(
    () => PuntSocket.open(dp, "xeth-nope0"),
    (e: unknown) =>
      e instanceof DataplaneError && e.errno === ENODEV &&
      /no interface xeth-nope0/.test(e.message),
  );
  throws(
    () => PuntSocket.open(dp, "lo", { encap: "qinq" as Encap }),
    RangeError,
  );
  throws(() => PuntSocket.open(dp, "lo", { capture: -1 }), RangeError);
});

// --- tests on the veth pair ---

async function stats(p: PuntSocket, until: (s: PuntStats) => boolean) {
  let s = p.stats();
  await waitFor("punt counters", () => until(s = p.stats()));
  return s;
}

for (const encap of ["vlan", "vpls"] as const) {
  for (const ring of ["v2", "v3"] as const) {
    Deno.test(
      `punt ${encap} ${ring}: frames written into the peer are received, decapsulated and counted`,
      { ignore },
      async () => {
        await withNet(async (net) => {
          using dp = openDataplane();
          using p = PuntSocket.open(dp, net.outer, {
            encap,
            ring,
            capture: 64,
          });
          const want: InFrame[] = [];
          const frames: Uint8Array[] = [];
          xidsOf(encap).forEach((xid, k) => {
            for (const exception of [false, true]) {
              const f = inner(k, 46 + k);
              frames.push(wire(encap, xid, exception, f));
              want.push({
                xid,
                priority: exception ? 7 : 0,
                exception,
                outgoing: false,
                frame: f,
              });
            }
          });
          // Not ours: untagged, or a label stack without bottom.
          frames.push(inner(9, 50));
          const noBottom = wire(encap, xidsOf(encap)[0], false, inner(9, 50));
          if (encap === "vpls") noBottom[16] &= ~1;
          else noBottom.set([0x91, 0x00], 12);
          frames.push(noBottom);
          await peerSend(net, frames);

          const s = await stats(
            p,
            (s) => s.rx_frames + s.rx_decap_errors >= BigInt(frames.length),
          );
          equal(s.rx_frames, BigInt(want.length));
          equal(s.rx_decap_errors, 2n);
          equal(s.rx_ring_drops, 0n);
          equal(s.rx_truncated, 0n);
          equal(
            s.rx_bytes,
            BigInt(
              frames.slice(0, want.length).reduce((n, f) => n + f.length, 0),
            ),
          );
          const got = p.recvBatch();
          deepEqual(
            got.map((f) => [f.xid, f.priority, f.exception, hex(f.frame)]),
            want.map((f) => [f.xid, f.priority, f.exception, hex(f.frame)]),
          );
          equal(p.recvBatch().length, 0);
          equal(p.stats().capture_drops, 0n);
        });
      },
    );
  }

  Deno.test(
    `punt ${encap}: sent frames appear on the peer encapsulated, marked when asked`,
    { ignore },
    async () => {
      await withNet(async (net) => {
        using dp = openDataplane();
        using p = PuntSocket.open(dp, net.outer, { encap });
        const out = xidsOf(encap).flatMap((xid, k) =>
          [false, true].map((exception) => ({
            xid,
            exception,
            frame: inner(k, 60),
          }))
        );
        const rx = await peerRecv(net, out.length);
        p.send(out[0]);
        equal(p.sendBatch(out.slice(1)), out.length - 1);
        const got = (await rx.frames).sort();
        const want = out.map((o) =>
          hex(wire(encap, o.xid, o.exception, o.frame))
        )
          .sort();
        deepEqual(got, want);

        const s = await stats(p, (s) => s.tx_frames >= BigInt(out.length));
        equal(s.tx_frames, BigInt(out.length));
        equal(s.tx_exceptions, 3n);
        equal(s.tx_errors, 0n);
        equal(s.tx_queue_drops, 0n);
        equal(s.tx_bytes, BigInt(want.reduce((n, h) => n + h.length / 2, 0)));
        ok(s.tx_batches >= 1n && s.tx_batches <= BigInt(out.length));
        deepEqual(Object.keys(s), [...PUNT_STAT_NAMES]);
      });
    },
  );
}

Deno.test(
  "punt: bad sends are refused, close is final",
  { ignore },
  async () => {
    await withNet((net) => {
      using dp = openDataplane();
      const p = PuntSocket.open(dp, net.outer, { encap: "vlan" });
      throws(
        () => p.send({ xid: 4095, frame: inner(0, 10) }),
        (e: unknown) => e instanceof DataplaneError && e.errno === EINVAL,
      );
      throws(
        () => p.send({ xid: 5, frame: inner(0, 10).subarray(0, 13) }),
        (e: unknown) => e instanceof DataplaneError && e.errno === EINVAL,
      );
      // One bad xid refuses the whole batch.
      throws(
        () =>
          p.sendBatch([
            { xid: 5, frame: inner(0, 10) },
            { xid: 5 | 4095 << 12, frame: inner(0, 10) },
          ]),
        /vid out of range/,
      );
      equal(p.stats().tx_frames, 0n);
      ok(p.isOpen);
      p.close();
      p.close();
      ok(!p.isOpen);
      throws(() => p.stats(), /closed/);
    });
  },
);
