import assert from "node:assert/strict";
import { loadOrder } from "./initramfs.ts";
import { cpioArchive } from "./cpio.ts";
import { parseKernels, releaseOf, resolveDebugKernel } from "./kernels.ts";

// modules.dep lines as Debian 6.1 has them for the 9p chain
const DEP_61 =
  `kernel/fs/9p/9p.ko: kernel/net/9p/9pnet.ko kernel/fs/fscache/fscache.ko kernel/fs/netfs/netfs.ko
kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_legacy_dev.ko kernel/drivers/virtio/virtio_pci_modern_dev.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/net/9p/9pnet_virtio.ko: kernel/net/9p/9pnet.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/net/9p/9pnet.ko:
kernel/fs/fscache/fscache.ko: kernel/fs/netfs/netfs.ko
kernel/fs/netfs/netfs.ko:
kernel/drivers/virtio/virtio.ko:
kernel/drivers/virtio/virtio_ring.ko:
kernel/drivers/virtio/virtio_pci_legacy_dev.ko:
kernel/drivers/virtio/virtio_pci_modern_dev.ko:
`;

Deno.test("loadOrder: dependencies before their users, each once", () => {
  const order = loadOrder(DEP_61, "").map((p) =>
    p.replace(/.*\//, "").replace(".ko", "")
  );
  assert.equal(new Set(order).size, order.length);
  const at = (m: string) => order.indexOf(m);
  for (
    const [dep, user] of [
      ["virtio_ring", "virtio_pci"],
      ["virtio", "virtio_pci"],
      ["9pnet", "9pnet_virtio"],
      ["netfs", "fscache"],
      ["fscache", "9p"],
      ["9pnet", "9p"],
    ]
  ) {
    assert.ok(
      at(dep) >= 0 && at(dep) < at(user),
      `${dep} before ${user}: ${order}`,
    );
  }
});

Deno.test("loadOrder: built-in modules are skipped; unknown ones are an error", () => {
  const builtin =
    "kernel/drivers/virtio/virtio.ko\nkernel/drivers/virtio/virtio_ring.ko\n";
  const order = loadOrder(DEP_61, builtin);
  assert.ok(
    !order.some((p) =>
      p.endsWith("/virtio.ko") || p.endsWith("/virtio_ring.ko")
    ),
  );
  assert.throws(
    () => loadOrder(DEP_61, "", ["nope"]),
    /module nope is neither built in/,
  );
});

Deno.test("cpioArchive: newc headers, 4-byte alignment, trailer", () => {
  const a = cpioArchive([{
    name: "init",
    mode: 0o100755,
    data: new Uint8Array([1, 2, 3]),
  }]);
  const text = new TextDecoder().decode(a);
  assert.ok(text.startsWith("070701"));
  assert.ok(text.includes("init\0"));
  assert.ok(text.includes("TRAILER!!!\0"));
  assert.equal(a.length % 4, 0);
  // file size field of the first entry (8 hex digits at offset 6 + 6*8)
  assert.equal(parseInt(text.slice(54, 62), 16), 3);
});

Deno.test("kernels: aliases resolve to the newest release of their own series", () => {
  const rel = [
    "6.1.0-55-amd64",
    "6.1.0-56-amd64",
    "6.12.95+deb12-amd64",
    "6.12.100+deb12-amd64",
  ];
  assert.equal(releaseOf("6.1", rel), "6.1.0-56-amd64");
  assert.equal(releaseOf("6.12", rel), "6.12.100+deb12-amd64");
  assert.deepEqual(parseKernels("all"), ["6.1", "6.12"]);
  assert.throws(() => parseKernels("6.6"), /unknown kernel "6\.6"/);
  // a debug build's release is not Debian's: never taken for the series
  assert.equal(
    releaseOf("6.1", [...rel, "6.1.192-xeth-debug"]),
    "6.1.0-56-amd64",
  );
});

Deno.test("kernels: the debug builds, by alias, from their cache", () => {
  assert.deepEqual(parseKernels("debug"), ["6.1-debug", "6.12-debug"]);
  assert.deepEqual(parseKernels("6.12,6.1-debug"), ["6.12", "6.1-debug"]);
  const cache = Deno.makeTempDirSync();
  try {
    assert.throws(
      () => resolveDebugKernel("6.1-debug", cache),
      /no 6\.1-debug kernel in .*: build it with bash scripts\/build-debug-kernel\.sh 6\.1/,
    );
    Deno.mkdirSync(`${cache}/6.1`);
    Deno.writeTextFileSync(
      `${cache}/6.1/kernel.json`,
      JSON.stringify({ series: "6.1", release: "6.1.192-xeth-debug" }),
    );
    assert.deepEqual(resolveDebugKernel("6.1-debug", cache), {
      alias: "6.1-debug",
      release: "6.1.192-xeth-debug",
      vmlinuz: `${cache}/6.1/vmlinuz`,
      modules: "/lib/modules/6.1.192-xeth-debug",
    });
  } finally {
    Deno.removeSync(cache, { recursive: true });
  }
});
