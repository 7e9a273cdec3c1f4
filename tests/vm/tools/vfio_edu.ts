/**
 * Drives QEMU's `edu` PCI device through the real data plane library and
 * ffi/vfio.ts, for tests/vm/scenarios/vfio_edu.sh (run in the guest).
 *
 *   vfio_edu.ts open ADDR...    one JSON line per address:
 *                               {"address", "ok"} or {"address", "ok",
 *                               "errno", "message"}
 *   vfio_edu.ts exercise ADDR   registers, DMA and interrupts of an edu
 *                               bound to vfio-pci; one line per check:
 *                               "PASS what" or "FAIL what :: detail"
 *
 * The edu's registers (QEMU hw/misc/edu.c): 0x00 identification, 0x04
 * liveness (reads back the inverse), 0x08 factorial, 0x20 status (bit 0
 * computing, bit 7 raise an interrupt after the factorial), 0x24 interrupt
 * status, 0x60 raise, 0x64 acknowledge, 0x80/0x88/0x90/0x98 DMA source,
 * destination, count, command (bit 0 run, bit 1 device to RAM, bit 2
 * interrupt when done); its DMA buffer is at device address 0x40000, 4 KiB;
 * its DMA mask is 28 bits.
 */

import { DataplaneError, openDataplane } from "../../../ffi/library.ts";
import type { Dataplane } from "../../../ffi/library.ts";
import {
  type DmaBuffer,
  Irq,
  Region,
  RegionFlag,
  VfioDevice,
} from "../../../ffi/vfio.ts";

const ID = 0x00;
const LIVENESS = 0x04;
const FACTORIAL = 0x08;
const STATUS = 0x20;
const IRQ_STATUS = 0x24;
const IRQ_RAISE = 0x60;
const IRQ_ACK = 0x64;
const DMA_SRC = 0x80;
const DMA_DST = 0x88;
const DMA_COUNT = 0x90;
const DMA_CMD = 0x98;

const STATUS_COMPUTING = 0x01;
const STATUS_IRQ_FACTORIAL = 0x80;
const DMA_RUN = 0x1;
const DMA_TO_RAM = 0x2;
const DMA_IRQ = 0x4;
const FACTORIAL_IRQ = 0x1;
const DMA_DONE_IRQ = 0x100;

const EDU_BUFFER = 0x40000n;
const DMA_MASK = (1n << 28n) - 1n;
const SRC_IOVA = 0x100000n;
const DST_IOVA = 0x200000n;
const PAGE = 4096;
// Less than the edu's whole 4 KiB buffer: QEMU 7.2's range check refuses a
// transfer that ends exactly at the buffer's end (and aborts QEMU).
const COPY = PAGE - 16;

const EINVAL = 22;
const EBUSY = 16;
const EEXIST = 17;

/** The rig's time scale (tests/vm/calibrate.ts): every bound grows with it. */
const SCALE = Number(Deno.env.get("XETH_TIME_SCALE") ?? "1") || 1;
const IRQ_TIMEOUT_MS = Math.round(10_000 * SCALE);

function hex(n: number | bigint): string {
  return `0x${n.toString(16)}`;
}

let failures = 0;

function pass(what: string): void {
  console.log(`PASS ${what}`);
}

function fail(what: string, detail: string): void {
  failures++;
  console.log(`FAIL ${what} :: ${detail.replaceAll("\n", " ")}`);
}

/** Runs one check: it passes unless it throws. */
function check(what: string, fn: () => void): boolean {
  try {
    fn();
    pass(what);
    return true;
  } catch (e) {
    fail(what, e instanceof Error ? e.message : String(e));
    return false;
  }
}

async function checkAsync(
  what: string,
  fn: () => Promise<void>,
): Promise<void> {
  try {
    await fn();
    pass(what);
  } catch (e) {
    fail(what, e instanceof Error ? e.message : String(e));
  }
}

function expectEqual<T>(actual: T, expected: T, what: string): void {
  if (actual !== expected) {
    const show = (v: T) =>
      typeof v === "number" || typeof v === "bigint" ? hex(v) : String(v);
    throw new Error(`${what}: expected ${show(expected)}, got ${show(actual)}`);
  }
}

/** Expects `fn` to fail with `errno` and a message matching `re`. */
function expectError(fn: () => unknown, errno: number, re: RegExp): void {
  let r: unknown;
  try {
    r = fn();
  } catch (e) {
    if (!(e instanceof DataplaneError)) throw e;
    if (e.errno !== errno) {
      throw new Error(`expected errno ${errno}, got ${e.errno}: ${e.message}`);
    }
    if (!re.test(e.message)) {
      throw new Error(`message does not match ${re}: ${e.message}`);
    }
    return;
  }
  throw new Error(`expected errno ${errno}, but it succeeded (${r})`);
}

/** Reads `reg` until `(value & mask) === 0`; throws after 10 s (scaled). */
function waitClear(dev: VfioDevice, reg: number, mask: number): void {
  const deadline = Date.now() + 10_000 * SCALE;
  while (dev.read32(Region.BAR0, reg) & mask) {
    if (Date.now() > deadline) {
      throw new Error(`bit ${hex(mask)} of register ${hex(reg)} stays set`);
    }
  }
}

function dmaTransfer(
  dev: VfioDevice,
  src: bigint,
  dst: bigint,
  count: number,
  cmd: number,
): void {
  dev.write64(Region.BAR0, DMA_SRC, src);
  dev.write64(Region.BAR0, DMA_DST, dst);
  dev.write64(Region.BAR0, DMA_COUNT, count);
  dev.write32(Region.BAR0, DMA_CMD, cmd | DMA_RUN);
  waitClear(dev, DMA_CMD, DMA_RUN);
}

function pattern(len: number, seed: number): Uint8Array<ArrayBuffer> {
  const p = new Uint8Array(len);
  for (let i = 0; i < len; i++) p[i] = (i * 7 + seed + (i >> 8)) & 0xff;
  return p;
}

function sameBytes(a: Uint8Array, b: Uint8Array, what: string): void {
  expectEqual(a.length, b.length, `${what} length`);
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) {
      throw new Error(
        `${what}: byte ${i} is ${hex(a[i])}, expected ${hex(b[i])}`,
      );
    }
  }
}

/** Raises `bits` and expects them on the eventfd of `index`, then acks. */
function raiseAndWait(dev: VfioDevice, index: number, bits: number): void {
  dev.write32(Region.BAR0, IRQ_RAISE, bits);
  const n = dev.waitIrq(index, 0, IRQ_TIMEOUT_MS);
  if (n < 1) throw new Error(`no interrupt within ${IRQ_TIMEOUT_MS} ms`);
  expectEqual(dev.read32(Region.BAR0, IRQ_STATUS), bits, "interrupt status");
  dev.write32(Region.BAR0, IRQ_ACK, bits);
  expectEqual(dev.read32(Region.BAR0, IRQ_STATUS), 0, "status after ack");
}

function registers(dev: VfioDevice): void {
  check("config space holds vendor 0x1234, device 0x11e8", () => {
    expectEqual(dev.read32(Region.CONFIG, 0), 0x11e81234, "config dword 0");
  });
  check("BAR0 is 1 MiB, readable, writable and mapped", () => {
    const r = dev.regionInfo(Region.BAR0);
    expectEqual(r.size, 0x100000n, "size");
    const rwm = RegionFlag.READ | RegionFlag.WRITE | RegionFlag.MMAP;
    expectEqual(r.flags & rwm, rwm, "flags");
    expectEqual(r.mapped, true, "mapped");
  });
  check("BAR1 is absent and cannot be read", () => {
    expectEqual(dev.regionInfo(Region.BAR1).size, 0n, "size");
    expectError(
      () => dev.read32(Region.BAR1, 0),
      EINVAL,
      /BAR1 is not implemented/,
    );
  });
  check("identification register reads 0x010000ed", () => {
    expectEqual(dev.read32(Region.BAR0, ID), 0x010000ed, "identification");
  });
  check("liveness register returns the inverse of what was written", () => {
    dev.write32(Region.BAR0, LIVENESS, 0x12345678);
    expectEqual(dev.read32(Region.BAR0, LIVENESS), 0xedcba987, "~0x12345678");
    dev.write32(Region.BAR0, LIVENESS, 0);
    expectEqual(dev.read32(Region.BAR0, LIVENESS), 0xffffffff, "~0");
  });
  check("factorial of 10 is 3628800 once the computing bit clears", () => {
    dev.write32(Region.BAR0, FACTORIAL, 10);
    waitClear(dev, STATUS, STATUS_COMPUTING);
    expectEqual(dev.read32(Region.BAR0, FACTORIAL), 3628800, "10!");
  });
  check("a 64-bit register is written and read in one access", () => {
    const v = 0x0123456789abcdefn;
    dev.write64(Region.BAR0, DMA_SRC, v);
    expectEqual(dev.read64(Region.BAR0, DMA_SRC), v, "64-bit read");
    expectEqual(dev.read32(Region.BAR0, DMA_SRC), 0x89abcdef, "low half");
  });
  check("accesses past the end of BAR0 are refused", () => {
    expectError(
      () => dev.read32(Region.BAR0, 0x100000),
      EINVAL,
      /beyond the end of BAR0 \(size 0x100000\)/,
    );
    expectError(
      () => dev.write64(Region.BAR0, 0x100000, 1n),
      EINVAL,
      /beyond the end of BAR0/,
    );
  });
  check("unaligned accesses are refused", () => {
    expectError(
      () => dev.read32(Region.BAR0, 2),
      EINVAL,
      /offset 0x2 in BAR0 is not aligned to 4 bytes/,
    );
    expectError(
      () => dev.read64(Region.BAR0, 0x84),
      EINVAL,
      /not aligned to 8 bytes/,
    );
  });
  check("region 8 is refused", () => {
    expectError(() => dev.read32(8, 0), EINVAL, /no region 8/);
  });
}

function dma(dev: VfioDevice): [DmaBuffer, DmaBuffer] | undefined {
  check("an IOVA beyond the 28-bit DMA mask is refused", () => {
    expectError(
      () => dev.dmaMap(PAGE, 1n << 28n, DMA_MASK),
      EINVAL,
      /outside the device's DMA mask 0xfffffff/,
    );
    expectError(
      () => dev.dmaMap(2 * PAGE, DMA_MASK + 1n - BigInt(PAGE), DMA_MASK),
      EINVAL,
      /outside the device's DMA mask/,
    );
  });
  check("an IOVA that is not page aligned is refused", () => {
    expectError(
      () => dev.dmaMap(PAGE, SRC_IOVA + 0x800n, DMA_MASK),
      EINVAL,
      /not aligned to the page size/,
    );
  });
  let src: DmaBuffer;
  let dst: DmaBuffer;
  try {
    src = dev.dmaMap(PAGE, SRC_IOVA, DMA_MASK);
    dst = dev.dmaMap(PAGE, DST_IOVA, DMA_MASK);
    pass("two DMA buffers are mapped inside the DMA mask");
  } catch (e) {
    fail("two DMA buffers are mapped inside the DMA mask", String(e));
    return undefined;
  }
  check("mapping over an IOVA already mapped is EEXIST", () => {
    expectError(
      () => dev.dmaMap(PAGE, SRC_IOVA, DMA_MASK),
      EEXIST,
      /cannot map IOVA 0x100000\.\.0x101000.*overlaps/,
    );
  });
  const data = pattern(PAGE, 3);
  check("a DMA buffer starts zeroed and reads back what was written", () => {
    sameBytes(dst.read(0, PAGE), new Uint8Array(PAGE), "fresh buffer");
    src.write(0, data);
    sameBytes(src.read(0, PAGE), data, "written buffer");
    expectError(() => src.read(PAGE - 1, 2), EINVAL, /beyond the end/);
  });
  check(
    "the device copies a buffer in and out by DMA through the IOMMU",
    () => {
      dmaTransfer(dev, SRC_IOVA, EDU_BUFFER, COPY, 0);
      dmaTransfer(dev, EDU_BUFFER, DST_IOVA, COPY, DMA_TO_RAM);
      sameBytes(dst.read(0, COPY), data.subarray(0, COPY), "copied bytes");
      sameBytes(
        dst.read(COPY, PAGE - COPY),
        new Uint8Array(PAGE - COPY),
        "rest",
      );
    },
  );
  check("a DMA transfer lands at an offset inside the buffer", () => {
    const fresh = pattern(256, 99);
    src.write(0, fresh);
    dmaTransfer(dev, SRC_IOVA, EDU_BUFFER + 0x100n, 256, 0);
    dmaTransfer(dev, EDU_BUFFER + 0x100n, DST_IOVA + 0x800n, 256, DMA_TO_RAM);
    sameBytes(dst.read(0x800, 256), fresh, "bytes at 0x800");
    sameBytes(dst.read(0, 0x800), data.subarray(0, 0x800), "bytes before");
    sameBytes(dst.read(0x900, 0x100), data.subarray(0x900, 0xa00), "after");
  });
  return [src, dst];
}

async function interrupts(dev: VfioDevice): Promise<void> {
  check("the edu offers one MSI vector and INTx", () => {
    expectEqual(dev.irqCount(Irq.MSI), 1, "MSI vectors");
    expectEqual(dev.irqCount(Irq.INTX), 1, "INTx vectors");
    expectEqual(dev.irqCount(Irq.MSIX), 0, "MSI-X vectors");
  });
  check("more vectors than offered are refused", () => {
    expectError(() => dev.enableIrq(Irq.MSI, 2), EINVAL, /has 1/);
    expectError(() => dev.enableIrq(Irq.MSIX, 1), EINVAL, /no MSI-X/);
  });
  if (
    !check("MSI is enabled on an eventfd", () => {
      const fd = dev.enableIrq(Irq.MSI, 1);
      expectEqual(dev.irqFd(Irq.MSI, 0), fd, "eventfd of vector 0");
    })
  ) return;
  check("INTx cannot be enabled while MSI is", () => {
    expectError(
      () => dev.enableIrq(Irq.INTX, 1),
      EBUSY,
      /MSI is enabled; disable it before enabling INTx/,
    );
  });
  check("no interrupt arrives before one is raised", () => {
    expectEqual(dev.waitIrq(Irq.MSI, 0, 0), 0, "interrupts pending");
  });
  check("an interrupt raised through register 0x60 arrives by MSI", () => {
    raiseAndWait(dev, Irq.MSI, 0x1234);
  });
  check("a factorial with status bit 0x80 raises an MSI when done", () => {
    dev.write32(Region.BAR0, STATUS, STATUS_IRQ_FACTORIAL);
    dev.write32(Region.BAR0, FACTORIAL, 5);
    const n = dev.waitIrq(Irq.MSI, 0, IRQ_TIMEOUT_MS);
    if (n < 1) throw new Error("no interrupt");
    expectEqual(dev.read32(Region.BAR0, IRQ_STATUS), FACTORIAL_IRQ, "status");
    expectEqual(dev.read32(Region.BAR0, FACTORIAL), 120, "5!");
    dev.write32(Region.BAR0, IRQ_ACK, FACTORIAL_IRQ);
    dev.write32(Region.BAR0, STATUS, 0);
  });
  check("a DMA transfer with bit 0x4 raises an MSI when done", () => {
    dev.write64(Region.BAR0, DMA_SRC, EDU_BUFFER);
    dev.write64(Region.BAR0, DMA_DST, DST_IOVA);
    dev.write64(Region.BAR0, DMA_COUNT, 64);
    dev.write32(Region.BAR0, DMA_CMD, DMA_RUN | DMA_TO_RAM | DMA_IRQ);
    const n = dev.waitIrq(Irq.MSI, 0, IRQ_TIMEOUT_MS);
    if (n < 1) throw new Error("no interrupt");
    expectEqual(dev.read32(Region.BAR0, IRQ_STATUS), DMA_DONE_IRQ, "status");
    dev.write32(Region.BAR0, IRQ_ACK, DMA_DONE_IRQ);
  });
  await checkAsync("an MSI wakes a wait on a worker thread", async () => {
    const waiting = dev.waitIrqAsync(Irq.MSI, 0, IRQ_TIMEOUT_MS);
    dev.write32(Region.BAR0, IRQ_RAISE, 0x8);
    const n = await waiting;
    if (n < 1) throw new Error("no interrupt");
    dev.write32(Region.BAR0, IRQ_ACK, 0x8);
  });
  check("MSI needs no unmask", () => {
    expectError(() => dev.unmaskIrq(Irq.MSI), EINVAL, /needs no unmask/);
  });
  check("MSI is disabled, and waiting on it is refused", () => {
    dev.disableIrq(Irq.MSI);
    expectError(
      () => dev.waitIrq(Irq.MSI, 0, 0),
      EINVAL,
      /MSI is not enabled/,
    );
  });
  if (
    !check("INTx is enabled on an eventfd", () => {
      dev.enableIrq(Irq.INTX, 1);
    })
  ) return;
  check("an interrupt raised through register 0x60 arrives by INTx", () => {
    raiseAndWait(dev, Irq.INTX, 0x2);
  });
  check("after an unmask INTx fires again", () => {
    dev.unmaskIrq(Irq.INTX);
    raiseAndWait(dev, Irq.INTX, 0x4);
    dev.unmaskIrq(Irq.INTX);
  });
  check("INTx is disabled", () => dev.disableIrq(Irq.INTX));
}

async function exercise(dp: Dataplane, address: string): Promise<void> {
  let dev: VfioDevice;
  try {
    dev = VfioDevice.open(dp, address);
    pass(`open ${address} through vfio`);
  } catch (e) {
    fail(`open ${address} through vfio`, String(e));
    return;
  }
  registers(dev);
  const bufs = dma(dev);
  await interrupts(dev);
  check("a second open of the same device is EBUSY", () => {
    expectError(
      () => VfioDevice.open(dp, address),
      EBUSY,
      /already open/,
    );
  });
  if (bufs === undefined) {
    dev.close();
    return;
  }
  const [src, dst] = bufs;
  dst.unmap();
  check("a mapped DMA buffer keeps a closed device open", () => {
    dev.close();
    expectError(() => VfioDevice.open(dp, address), EBUSY, /already open/);
    expectEqual(src.read(0, 1)[0], pattern(256, 99)[0], "buffer contents");
  });
  check("after its last buffer is unmapped the device opens again", () => {
    src.unmap();
    using again = VfioDevice.open(dp, address);
    expectEqual(again.read32(Region.BAR0, ID), 0x010000ed, "identification");
  });
}

function tryOpen(dp: Dataplane, address: string): Record<string, unknown> {
  try {
    VfioDevice.open(dp, address).close();
    return { address, ok: true };
  } catch (e) {
    if (!(e instanceof DataplaneError)) throw e;
    return { address, ok: false, errno: e.errno, message: e.message };
  }
}

async function main(args: string[]): Promise<number> {
  const [cmd, ...rest] = args;
  using dp = openDataplane();
  if (cmd === "open" && rest.length > 0) {
    for (const a of rest) console.log(JSON.stringify(tryOpen(dp, a)));
    return 0;
  }
  if (cmd === "exercise" && rest.length === 1) {
    await exercise(dp, rest[0]);
    return failures ? 1 : 0;
  }
  console.error("usage: vfio_edu.ts open ADDR... | exercise ADDR");
  return 2;
}

Deno.exit(await main(Deno.args));
