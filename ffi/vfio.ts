/**
 * A PCI device bound to vfio-pci, through the data plane library: register
 * access to its regions, DMA buffers, and interrupts on eventfds.
 *
 * ```ts
 * using dp = openDataplane();
 * using dev = VfioDevice.open(dp, "0000:00:04.0");
 * const id = dev.read32(Region.BAR0, 0);
 * using buf = dev.dmaMap(4096, 0x100000n, (1n << 28n) - 1n);
 * ```
 *
 * Errors are {@link DataplaneError}s whose message says what to do (bind
 * the device to vfio-pci, enable the IOMMU, run as root, ...) and whose
 * `errno` tells the causes apart (see dataplane/src/vfio.rs).
 *
 * @module
 */

import {
  VFIO_IRQ,
  VFIO_REGION,
  VFIO_REGION_FLAG,
  VFIO_REGION_INFO,
} from "./abi.generated.ts";
import { type Dataplane, DataplaneError } from "./library.ts";

/** Region indices of a vfio PCI device. */
export const Region = VFIO_REGION;

/** Bits of {@link RegionInfo.flags}. */
export const RegionFlag = VFIO_REGION_FLAG;

/** Interrupt indices of a vfio PCI device. */
export const Irq = VFIO_IRQ;

/** Bytes of the region description the library writes. */
export const REGION_INFO_LEN: number = VFIO_REGION_INFO.ENCODED_LEN;

/** A DMA mask that lets the device reach every IOVA. */
export const NO_DMA_LIMIT = (1n << 64n) - 1n;

/** What vfio reports about one region of a device. */
export interface RegionInfo {
  readonly index: number;
  /** Bytes; 0 when the device does not implement the region. */
  readonly size: bigint;
  /** Offset of the region in the vfio device fd. */
  readonly offset: bigint;
  /** {@link RegionFlag} bits. */
  readonly flags: number;
  /** True when registers are accessed through an mmap of the region. */
  readonly mapped: boolean;
}

/** Decodes the {@link REGION_INFO_LEN} bytes of `xeth_dp_vfio_region_info`. */
export function decodeRegionInfo(b: Uint8Array): RegionInfo {
  if (b.length < REGION_INFO_LEN) {
    throw new RangeError(
      `region info needs ${REGION_INFO_LEN} bytes, got ${b.length}`,
    );
  }
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const at = VFIO_REGION_INFO;
  return {
    size: v.getBigUint64(at.SIZE_AT, true),
    offset: v.getBigUint64(at.OFFSET_AT, true),
    flags: v.getUint32(at.FLAGS_AT, true),
    index: v.getUint32(at.INDEX_AT, true),
    mapped: v.getUint32(at.MAPPED_AT, true) !== 0,
  };
}

function u32(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new RangeError(`${name} must be an integer from 0 to 0xffffffff`);
  }
  return v;
}

function u64(name: string, v: number | bigint): bigint {
  const b = typeof v === "bigint" ? v : Number.isInteger(v) ? BigInt(v) : -1n;
  if (b < 0n || b > NO_DMA_LIMIT) {
    throw new RangeError(`${name} must be an integer from 0 to 2^64-1`);
  }
  return b;
}

function hex(v: number | bigint): string {
  return `0x${v.toString(16)}`;
}

/** An open vfio-pci device. Close it, or use `using`. */
export class VfioDevice implements Disposable {
  /** The PCI address it was opened with. */
  readonly address: string;
  readonly #dp: Dataplane;
  #handle: bigint | undefined;

  private constructor(dp: Dataplane, address: string, handle: bigint) {
    this.#dp = dp;
    this.address = address;
    this.#handle = handle;
  }

  /**
   * Opens the device at PCI address `address` (`DDDD:BB:DD.F`), maps its
   * BARs and enables bus mastering.
   */
  static open(dp: Dataplane, address: string): VfioDevice {
    const a = new TextEncoder().encode(address);
    const h = dp.check(
      `open vfio device ${address}`,
      dp.symbols.xeth_dp_vfio_open(a, BigInt(a.length)),
    );
    return new VfioDevice(dp, address, BigInt(h));
  }

  /** True until {@link close}. */
  get isOpen(): boolean {
    return this.#handle !== undefined;
  }

  /** What vfio reports about region `index` ({@link Region}). */
  regionInfo(index: number): RegionInfo {
    const out = new Uint8Array(REGION_INFO_LEN);
    this.#check(
      `region ${index} info`,
      this.#dp.symbols.xeth_dp_vfio_region_info(
        this.#open(),
        u32("region", index),
        out,
        BigInt(out.length),
      ),
    );
    return decodeRegionInfo(out);
  }

  /** Reads the 32-bit register at `offset` of region `region`. */
  read32(region: number, offset: number | bigint): number {
    return this.#check(
      `read32 of region ${region} at ${hex(offset)}`,
      this.#dp.symbols.xeth_dp_vfio_read32(
        this.#open(),
        u32("region", region),
        u64("offset", offset),
      ),
    );
  }

  /** Reads the 64-bit register at `offset` of region `region`. */
  read64(region: number, offset: number | bigint): bigint {
    const out = new BigUint64Array(1);
    this.#check(
      `read64 of region ${region} at ${hex(offset)}`,
      this.#dp.symbols.xeth_dp_vfio_read64(
        this.#open(),
        u32("region", region),
        u64("offset", offset),
        out,
        8n,
      ),
    );
    return out[0];
  }

  /** Writes the 32-bit register at `offset` of region `region`. */
  write32(region: number, offset: number | bigint, value: number): void {
    this.#check(
      `write32 of region ${region} at ${hex(offset)}`,
      this.#dp.symbols.xeth_dp_vfio_write32(
        this.#open(),
        u32("region", region),
        u64("offset", offset),
        u32("value", value),
      ),
    );
  }

  /** Writes the 64-bit register at `offset` of region `region`. */
  write64(
    region: number,
    offset: number | bigint,
    value: number | bigint,
  ): void {
    this.#check(
      `write64 of region ${region} at ${hex(offset)}`,
      this.#dp.symbols.xeth_dp_vfio_write64(
        this.#open(),
        u32("region", region),
        u64("offset", offset),
        u64("value", value),
      ),
    );
  }

  /**
   * Maps `size` bytes of zeroed memory for DMA by the device at `iova`
   * (page aligned), all of it at or below `dmaMask`, the highest address
   * the device can reach (e.g. `(1n << 28n) - 1n` for 28 address bits).
   */
  dmaMap(
    size: number,
    iova: number | bigint,
    dmaMask: number | bigint = NO_DMA_LIMIT,
  ): DmaBuffer {
    if (!Number.isSafeInteger(size) || size < 0) {
      throw new RangeError("size must be a non-negative integer");
    }
    const at = u64("iova", iova);
    const h = this.#check(
      `map ${size} bytes for DMA at IOVA ${hex(at)}`,
      this.#dp.symbols.xeth_dp_vfio_dma_map(
        this.#open(),
        BigInt(size),
        at,
        u64("dmaMask", dmaMask),
      ),
    );
    return new DmaBuffer(this.#dp, BigInt(h), at, size);
  }

  /** Vectors the device offers at interrupt `index` ({@link Irq}); 0: none. */
  irqCount(index: number): number {
    return this.#check(
      `interrupt count of index ${index}`,
      this.#dp.symbols.xeth_dp_vfio_irq_count(
        this.#open(),
        u32("index", index),
      ),
    );
  }

  /**
   * Enables vectors `0..count` of interrupt `index`; returns the eventfd of
   * vector 0 (owned by the library: poll or read it, never close it).
   */
  enableIrq(index: number, count = 1): number {
    return this.#check(
      `enable interrupt index ${index}`,
      this.#dp.symbols.xeth_dp_vfio_irq_enable(
        this.#open(),
        u32("index", index),
        u32("count", count),
      ),
    );
  }

  /** The eventfd of `vector` of enabled interrupt `index`. */
  irqFd(index: number, vector = 0): number {
    return this.#check(
      `eventfd of interrupt ${index}/${vector}`,
      this.#dp.symbols.xeth_dp_vfio_irq_fd(
        this.#open(),
        u32("index", index),
        u32("vector", vector),
      ),
    );
  }

  /**
   * Waits on this thread up to `timeoutMs` (-1: no limit) for `vector` of
   * interrupt `index`; returns how many interrupts arrived since the last
   * wait, 0 on timeout. Blocks JavaScript: keep the timeout short, or use
   * {@link waitIrqAsync}.
   */
  waitIrq(index: number, vector = 0, timeoutMs = 0): number {
    return this.#check(
      `wait for interrupt ${index}/${vector}`,
      this.#dp.symbols.xeth_dp_vfio_irq_wait(
        this.#open(),
        u32("index", index),
        u32("vector", vector),
        timeoutMs,
      ),
    );
  }

  /** {@link waitIrq} on a worker thread. */
  async waitIrqAsync(
    index: number,
    vector = 0,
    timeoutMs = -1,
  ): Promise<number> {
    const r = Number(
      await this.#dp.symbols.xeth_dp_vfio_irq_wait_async(
        this.#open(),
        u32("index", index),
        u32("vector", vector),
        timeoutMs,
      ),
    );
    if (r >= 0) return r;
    // The message stays on the worker thread; only the errno comes back.
    throw new DataplaneError(
      `wait for interrupt ${index}/${vector} of ${this.address} failed: errno ${-r}`,
      { errno: -r },
    );
  }

  /** Unmasks INTx once the device has been told to lower it. */
  unmaskIrq(index: number = Irq.INTX): void {
    this.#check(
      `unmask interrupt index ${index}`,
      this.#dp.symbols.xeth_dp_vfio_irq_unmask(
        this.#open(),
        u32("index", index),
      ),
    );
  }

  /** Disables interrupt `index` and closes its eventfds. */
  disableIrq(index: number): void {
    this.#check(
      `disable interrupt index ${index}`,
      this.#dp.symbols.xeth_dp_vfio_irq_disable(
        this.#open(),
        u32("index", index),
      ),
    );
  }

  /**
   * Closes the device. DMA buffers still mapped keep it open until they
   * are unmapped. Safe to call twice.
   */
  close(): void {
    const h = this.#handle;
    if (h === undefined) return;
    this.#handle = undefined;
    this.#check("close", this.#dp.symbols.xeth_dp_vfio_close(h));
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #open(): bigint {
    if (this.#handle === undefined) {
      throw new DataplaneError(`vfio device ${this.address} is closed`);
    }
    return this.#handle;
  }

  #check(what: string, r: bigint | number): number {
    return this.#dp.check(`${what} of ${this.address}`, r);
  }
}

/** Memory the device reaches at {@link iova}. Unmap it, or use `using`. */
export class DmaBuffer implements Disposable {
  /** The IOVA the device uses for byte 0. */
  readonly iova: bigint;
  /** Usable bytes. */
  readonly size: number;
  readonly #dp: Dataplane;
  #handle: bigint | undefined;

  /** Made by {@link VfioDevice.dmaMap}. */
  constructor(dp: Dataplane, handle: bigint, iova: bigint, size: number) {
    this.#dp = dp;
    this.#handle = handle;
    this.iova = iova;
    this.size = size;
  }

  /** Copies `data` into the buffer at `offset`. */
  write(offset: number, data: Uint8Array<ArrayBuffer>): void {
    this.#dp.check(
      `DMA write at offset ${offset}`,
      this.#dp.symbols.xeth_dp_vfio_dma_write(
        this.#open(),
        BigInt(offset),
        data,
        BigInt(data.length),
      ),
    );
  }

  /** Copies `length` bytes of the buffer at `offset`. */
  read(offset: number, length: number): Uint8Array<ArrayBuffer> {
    const out = new Uint8Array(length);
    this.#dp.check(
      `DMA read at offset ${offset}`,
      this.#dp.symbols.xeth_dp_vfio_dma_read(
        this.#open(),
        BigInt(offset),
        out,
        BigInt(length),
      ),
    );
    return out;
  }

  /** Unmaps and frees the buffer. Safe to call twice. */
  unmap(): void {
    const h = this.#handle;
    if (h === undefined) return;
    this.#handle = undefined;
    this.#dp.check(
      `unmap DMA buffer at IOVA ${hex(this.iova)}`,
      this.#dp.symbols.xeth_dp_vfio_dma_unmap(h),
    );
  }

  [Symbol.dispose](): void {
    this.unmap();
  }

  #open(): bigint {
    if (this.#handle === undefined) {
      throw new DataplaneError(
        `DMA buffer at IOVA ${hex(this.iova)} is unmapped`,
      );
    }
    return this.#handle;
  }
}
