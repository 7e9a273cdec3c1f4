/**
 * C ABI symbols of dataplane/src/ffi/vfio.rs, spread into SYMBOLS by
 * symbols.ts.
 *
 * @module
 */

/** Symbols of the vfio part of the data plane library. */
export const VFIO_SYMBOLS = {
  /** `isize open(const u8 *addr, usize len)`: device handle or -errno. */
  xeth_dp_vfio_open: { parameters: ["buffer", "usize"], result: "isize" },
  /** `isize close(usize dev)`. */
  xeth_dp_vfio_close: { parameters: ["usize"], result: "isize" },
  /** `isize region_info(usize dev, u32 index, u8 *out, usize len)`: 32. */
  xeth_dp_vfio_region_info: {
    parameters: ["usize", "u32", "buffer", "usize"],
    result: "isize",
  },
  /** `isize read32(usize dev, u32 region, u64 offset)`: the value. */
  xeth_dp_vfio_read32: {
    parameters: ["usize", "u32", "u64"],
    result: "isize",
  },
  /** `isize read64(usize dev, u32 region, u64 offset, u8 *out, usize len)`: 8. */
  xeth_dp_vfio_read64: {
    parameters: ["usize", "u32", "u64", "buffer", "usize"],
    result: "isize",
  },
  /** `isize write32(usize dev, u32 region, u64 offset, u32 value)`. */
  xeth_dp_vfio_write32: {
    parameters: ["usize", "u32", "u64", "u32"],
    result: "isize",
  },
  /** `isize write64(usize dev, u32 region, u64 offset, u64 value)`. */
  xeth_dp_vfio_write64: {
    parameters: ["usize", "u32", "u64", "u64"],
    result: "isize",
  },
  /** `isize dma_map(usize dev, usize size, u64 iova, u64 dma_mask)`: DMA handle. */
  xeth_dp_vfio_dma_map: {
    parameters: ["usize", "usize", "u64", "u64"],
    result: "isize",
  },
  /** `isize dma_unmap(usize dma)`. */
  xeth_dp_vfio_dma_unmap: { parameters: ["usize"], result: "isize" },
  /** `isize dma_write(usize dma, usize offset, const u8 *src, usize len)`. */
  xeth_dp_vfio_dma_write: {
    parameters: ["usize", "usize", "buffer", "usize"],
    result: "isize",
  },
  /** `isize dma_read(usize dma, usize offset, u8 *dst, usize len)`. */
  xeth_dp_vfio_dma_read: {
    parameters: ["usize", "usize", "buffer", "usize"],
    result: "isize",
  },
  /** `isize irq_count(usize dev, u32 index)`: vectors offered. */
  xeth_dp_vfio_irq_count: { parameters: ["usize", "u32"], result: "isize" },
  /** `isize irq_enable(usize dev, u32 index, u32 count)`: eventfd of vector 0. */
  xeth_dp_vfio_irq_enable: {
    parameters: ["usize", "u32", "u32"],
    result: "isize",
  },
  /** `isize irq_fd(usize dev, u32 index, u32 vector)`: its eventfd. */
  xeth_dp_vfio_irq_fd: {
    parameters: ["usize", "u32", "u32"],
    result: "isize",
  },
  /** `isize irq_wait(usize dev, u32 index, u32 vector, i32 timeout_ms)`, on this thread. */
  xeth_dp_vfio_irq_wait: {
    parameters: ["usize", "u32", "u32", "i32"],
    result: "isize",
  },
  /** The same wait on a worker thread. */
  xeth_dp_vfio_irq_wait_async: {
    name: "xeth_dp_vfio_irq_wait",
    parameters: ["usize", "u32", "u32", "i32"],
    result: "isize",
    nonblocking: true,
  },
  /** `isize irq_unmask(usize dev, u32 index)`: INTx only. */
  xeth_dp_vfio_irq_unmask: { parameters: ["usize", "u32"], result: "isize" },
  /** `isize irq_disable(usize dev, u32 index)`. */
  xeth_dp_vfio_irq_disable: { parameters: ["usize", "u32"], result: "isize" },
} as const satisfies Deno.ForeignLibraryInterface;
