/**
 * The ip(8) link plugins of kernel/iproute2, on the host: Debian's ip loads
 * them from IP_LIB_DIR, they print their help, reject bad options with
 * their own messages and encode good ones into IFLA_INFO_DATA. The host
 * kernel has no xeth module, so a request that gets past a plugin ends with
 * the kernel's "Unknown device type"; the VM scenario iproute2_mux sends one
 * to the real module.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url).pathname.replace(/\/$/, "");
const LIB_DIR = `${ROOT}/build/iproute2`;
// the plugins are built against the helpers this ip exports
const IP = "/usr/sbin/ip";
const KINDS = [
  "xeth-mux",
  "xeth-port",
  "xeth-vlan",
  "xeth-loopback",
  "xeth-lag",
  "xeth-bridge",
];
// ip exits 1 when a plugin's parse_opt fails, 2 when the kernel refuses
const PARSE_FAILED = 1;
const KERNEL_REFUSED = 2;

const dec = new TextDecoder();

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(cmd: string[], env: Record<string, string> = {}) {
  const r = await new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: r.code,
    stdout: dec.decode(r.stdout),
    stderr: dec.decode(r.stderr),
  };
}

async function works(cmd: string[]): Promise<boolean> {
  try {
    return (await run(cmd)).code === 0;
  } catch {
    return false;
  }
}

// Where the xeth module happens to be loaded a good request creates a
// link: a throwaway network namespace takes it away again.
const NETNS = await works(["unshare", "--net", "true"]);
const STRACE = await works(["strace", "-V"]);

/** ip with the plugins; `trace` also returns the bytes ip sent to netlink */
async function ip(args: string[], trace?: string): Promise<Run> {
  let cmd = [IP, ...args];
  if (trace) {
    cmd = [
      "strace",
      "-qq",
      "-e",
      "trace=sendmsg",
      "-e",
      "write=all",
      "-e",
      "signal=none",
      "-o",
      trace,
      ...cmd,
    ];
  }
  if (NETNS) cmd = ["unshare", "--net", ...cmd];
  return await run(cmd, { IP_LIB_DIR: LIB_DIR });
}

function add(kind: string, ...opts: string[]): string[] {
  return ["link", "add", "xethtest0", "type", kind, ...opts];
}

function show(r: Run): string {
  return `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
}

/** the request got past the plugin: the kernel answered it */
function assertParsed(r: Run) {
  assert.doesNotMatch(r.stderr, /Error: xeth-/, show(r));
  if (r.code === 0) return; // the xeth module is loaded here
  assert.equal(r.code, KERNEL_REFUSED, show(r));
  assert.match(
    r.stderr,
    /Unknown device type|Operation not supported|Operation not permitted/,
    show(r),
  );
}

function assertRejected(r: Run, message: RegExp) {
  assert.equal(r.code, PARSE_FAILED, show(r));
  assert.match(r.stderr, message, show(r));
}

// ---- attribute numbers, from the uapi header rather than copied here ----

interface Uapi {
  mux: { kind: string; encap: number; vlan: number; vpls: number };
  port: { kind: string; xid: number };
  vlan: { kind: string; vid: number };
  loopback: { kind: string; channel: number };
}

async function uapi(): Promise<Uapi> {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/uapi.c`,
      `#include <stdio.h>
#include <linux/xeth.h>
int main(void)
{
	printf("{\\"mux\\": {\\"kind\\": \\"%s\\", \\"encap\\": %d, \\"vlan\\": %d, \\"vpls\\": %d},"
	       " \\"port\\": {\\"kind\\": \\"%s\\", \\"xid\\": %d},"
	       " \\"vlan\\": {\\"kind\\": \\"%s\\", \\"vid\\": %d},"
	       " \\"loopback\\": {\\"kind\\": \\"%s\\", \\"channel\\": %d}}\\n",
	       XETH_MUX_KIND, IFLA_XETH_MUX_ENCAP, XETH_ENCAP_VLAN, XETH_ENCAP_VPLS,
	       XETH_PORT_KIND, IFLA_XETH_PORT_XID,
	       XETH_VLAN_KIND, IFLA_XETH_VLAN_VID,
	       XETH_LOOPBACK_KIND, IFLA_XETH_LOOPBACK_CHANNEL);
	return 0;
}
`,
    );
    const cc = await run([
      "gcc",
      "-Wall",
      "-Werror",
      `-I${ROOT}/kernel/include/uapi`,
      "-o",
      `${dir}/uapi`,
      `${dir}/uapi.c`,
    ]);
    assert.equal(cc.code, 0, show(cc));
    return JSON.parse((await run([`${dir}/uapi`])).stdout);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

// ---- decoding the request that strace dumped ----

/** the buffers of `strace -e write=all`, as bytes */
function straceBuffers(text: string): Uint8Array[] {
  const bufs: number[][] = [];
  for (const line of text.split("\n")) {
    if (/^ \* \d+ bytes in buffer/.test(line)) {
      bufs.push([]);
      continue;
    }
    // " | 00010  hh hh ... hh  hh ... hh  ascii |": 48 columns of hex
    const m = line.match(/^ \| [0-9a-f]{5} {2}(.{48})/);
    if (m && bufs.length) {
      for (const h of m[1].trim().split(/\s+/)) {
        bufs[bufs.length - 1].push(parseInt(h, 16));
      }
    }
  }
  return bufs.map((b) => new Uint8Array(b));
}

/** netlink attributes of buf from off to end, by type (the last wins) */
function attrs(buf: Uint8Array, off: number, end: number) {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out = new Map<number, Uint8Array>();
  while (off + 4 <= end) {
    const len = dv.getUint16(off, true);
    const type = dv.getUint16(off + 2, true) & 0x3fff; // no NLA_F_* bits
    assert.ok(len >= 4 && off + len <= end, `bad attribute at ${off}`);
    out.set(type, buf.subarray(off + 4, off + len));
    off += (len + 3) & ~3;
  }
  return out;
}

const RTM_NEWLINK = 16;
const IFLA_LINKINFO = 18;
const IFLA_INFO_KIND = 1;
const IFLA_INFO_DATA = 2;

/** IFLA_INFO_KIND and the IFLA_INFO_DATA attributes of the RTM_NEWLINK */
function linkinfo(dump: string) {
  const msg = straceBuffers(dump).find((b) =>
    b.length >= 32 &&
    new DataView(b.buffer, b.byteOffset).getUint16(4, true) === RTM_NEWLINK
  );
  assert.ok(msg, `no RTM_NEWLINK in\n${dump}`);
  // nlmsghdr and ifinfomsg are 16 bytes each
  const top = attrs(msg, 32, msg.length);
  const li = top.get(IFLA_LINKINFO);
  assert.ok(li, "no IFLA_LINKINFO");
  const info = attrs(li, 0, li.length);
  const kind = dec.decode(info.get(IFLA_INFO_KIND)).replace(/\0+$/, "");
  const data = info.get(IFLA_INFO_DATA);
  return { kind, data: data ? attrs(data, 0, data.length) : undefined };
}

/** a little-endian integer of an attribute's payload */
function uint(b: Uint8Array | undefined): number | undefined {
  if (!b) return undefined;
  return b.reduceRight((v, byte) => v * 256 + byte, 0);
}

// ---- the tests ----

Deno.test("build-iproute2.sh builds a plugin per kind", async () => {
  const r = await run(["bash", `${ROOT}/scripts/build-iproute2.sh`]);
  assert.equal(r.code, 0, show(r));
  for (const kind of KINDS) {
    const st = await Deno.stat(`${LIB_DIR}/link_${kind}.so`);
    assert.ok(st.isFile, kind);
  }
  // a second run has nothing to do
  const check = await run([
    "bash",
    `${ROOT}/scripts/build-iproute2.sh`,
    "--check",
  ]);
  assert.equal(check.code, 0, show(check));
});

Deno.test("a compiler warning fails the plugin build", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // the Makefile finds the uapi header at ../include/uapi
    await run(["mkdir", "-p", `${dir}/kernel/include`]);
    await run(["cp", "-r", `${ROOT}/kernel/iproute2`, `${dir}/kernel/`]);
    await run([
      "cp",
      "-r",
      `${ROOT}/kernel/include/uapi`,
      `${dir}/kernel/include/`,
    ]);
    await Deno.writeTextFile(
      `${dir}/kernel/iproute2/lag.c`,
      "\nstatic int unused_by_anyone;\n",
      { append: true },
    );
    const r = await run([
      "make",
      "-C",
      `${dir}/kernel/iproute2`,
      `O=${dir}/out`,
    ]);
    assert.notEqual(r.code, 0, show(r));
    assert.match(r.stderr, /unused_by_anyone.*\[-Werror=unused-variable\]/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

for (const kind of KINDS) {
  Deno.test(`${kind}: "help" prints the usage and creates nothing`, async () => {
    const r = await ip(add(kind, "help"));
    assertRejected(r, new RegExp(`^Usage: ip link add \\.\\.\\. type ${kind}`));
  });

  Deno.test(`${kind}: "ip link help ${kind}" prints the usage`, async () => {
    const r = await ip(["link", "help", kind]);
    assert.equal(r.code, 0, show(r));
    assert.match(
      r.stdout,
      new RegExp(`^Usage: ip link add \\.\\.\\. type ${kind}`),
    );
  });

  Deno.test(`${kind}: without options the request reaches the kernel`, async () => {
    assertParsed(await ip(add(kind)));
  });
}

const rejected: [string, string[], RegExp][] = [
  [
    "xeth-mux",
    ["encap", "bogus"],
    /^Error: xeth-mux: invalid encap "bogus", expected vlan\|vpls$/m,
  ],
  [
    "xeth-mux",
    ["encap"],
    /^Error: xeth-mux: encap needs a value, expected vlan\|vpls$/m,
  ],
  [
    "xeth-mux",
    ["encap", "vlan", "encap", "vpls"],
    /^Error: xeth-mux: encap given twice$/m,
  ],
  [
    "xeth-mux",
    ["enc", "vpls"], // no abbreviations
    /^Error: xeth-mux: unknown argument "enc", expected encap or help$/m,
  ],
  [
    "xeth-port",
    ["xid", "4294967296"],
    /^Error: xeth-port: invalid xid "4294967296", expected 0\.\.4294967295$/m,
  ],
  [
    "xeth-port",
    ["xid", "-1"],
    /^Error: xeth-port: invalid xid "-1", expected 0\.\.4294967295$/m,
  ],
  [
    "xeth-port",
    ["xid", "12x"],
    /^Error: xeth-port: invalid xid "12x", expected 0\.\.4294967295$/m,
  ],
  [
    "xeth-port",
    ["vid", "1"],
    /^Error: xeth-port: unknown argument "vid", expected xid or help$/m,
  ],
  [
    "xeth-vlan",
    ["vid", "0"],
    /^Error: xeth-vlan: invalid vid "0", expected 1\.\.4094$/m,
  ],
  [
    "xeth-vlan",
    ["vid", "4095"],
    /^Error: xeth-vlan: invalid vid "4095", expected 1\.\.4094$/m,
  ],
  [
    "xeth-vlan",
    ["vid", "ten"],
    /^Error: xeth-vlan: invalid vid "ten", expected 1\.\.4094$/m,
  ],
  [
    "xeth-vlan",
    ["vid"],
    /^Error: xeth-vlan: vid needs a value, expected 1\.\.4094$/m,
  ],
  [
    "xeth-loopback",
    ["channel", "256"],
    /^Error: xeth-loopback: invalid channel "256", expected 0\.\.255$/m,
  ],
  [
    "xeth-loopback",
    ["chan", "1"],
    /^Error: xeth-loopback: unknown argument "chan", expected channel or help$/m,
  ],
  [
    "xeth-lag",
    ["mode", "lacp"],
    /^Error: xeth-lag: unknown argument "mode", xeth-lag has no options \(only help\)$/m,
  ],
  [
    "xeth-bridge",
    ["vlan_filtering", "1"],
    /^Error: xeth-bridge: unknown argument "vlan_filtering", xeth-bridge has no options \(only help\)$/m,
  ],
];

for (const [kind, opts, message] of rejected) {
  Deno.test(`${kind}: "${opts.join(" ")}" is rejected by the plugin`, async () => {
    assertRejected(await ip(add(kind, ...opts)), message);
  });
}

const U = await uapi();

// kind, options, the IFLA_INFO_DATA attributes they must produce
const accepted: [string, string[], [number, number, number][]][] = [
  [U.mux.kind, ["encap", "vlan"], [[U.mux.encap, 1, U.mux.vlan]]],
  [U.mux.kind, ["encap", "vpls"], [[U.mux.encap, 1, U.mux.vpls]]],
  [U.port.kind, ["xid", "3999"], [[U.port.xid, 4, 3999]]],
  [U.port.kind, ["xid", "4294967295"], [[U.port.xid, 4, 4294967295]]],
  [U.vlan.kind, ["vid", "1"], [[U.vlan.vid, 2, 1]]],
  [U.vlan.kind, ["vid", "4094"], [[U.vlan.vid, 2, 4094]]],
  [U.vlan.kind, ["vid", "0x10"], [[U.vlan.vid, 2, 16]]],
  [U.loopback.kind, ["channel", "0"], [[U.loopback.channel, 1, 0]]],
  [U.loopback.kind, ["channel", "255"], [[U.loopback.channel, 1, 255]]],
];

for (const [kind, opts, want] of accepted) {
  Deno.test(`${kind}: "${opts.join(" ")}" reaches the kernel`, async () => {
    assertParsed(await ip(add(kind, ...opts)));
  });

  Deno.test({
    name: `${kind}: "${opts.join(" ")}" is encoded in IFLA_INFO_DATA`,
    ignore: !STRACE,
    async fn() {
      const dump = await Deno.makeTempFile();
      try {
        const r = await ip(add(kind, ...opts), dump);
        assertParsed(r);
        const li = linkinfo(await Deno.readTextFile(dump));
        assert.equal(li.kind, kind);
        assert.ok(li.data, "no IFLA_INFO_DATA");
        assert.deepEqual(
          [...li.data.keys()].sort(),
          want.map(([type]) => type).sort(),
        );
        for (const [type, size, value] of want) {
          const payload = li.data.get(type);
          assert.equal(payload?.length, size, `size of attribute ${type}`);
          assert.equal(uint(payload), value, `value of attribute ${type}`);
        }
      } finally {
        await Deno.remove(dump);
      }
    },
  });
}
