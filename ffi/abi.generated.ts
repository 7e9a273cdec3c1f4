// GENERATED from the data plane's own constants by its test
// (dataplane/src/ffi/typescript.rs). Do not edit: change the constant in
// dataplane/src and run `deno task gen-ffi`; `cargo test` fails while
// this file is stale.

/** The C ABI's version (xeth_dp_abi_version); SWITCHD refuses a library with another. */
export const ABI_VERSION = 7;

/** Linux's numbers of the errors the library's calls return as -errno (dataplane/src/ffi.rs). */
export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  EIO: 5,
  EBADF: 9,
  EBUSY: 16,
  ENODEV: 19,
  EINVAL: 22,
  ENOSPC: 28,
  ERANGE: 34,
  EOVERFLOW: 75,
  ECONNRESET: 104,
  ENOBUFS: 105,
  ETIMEDOUT: 110,
  ECONNREFUSED: 111,
} as const;

/** Limits of xeth_dp_sideband_recv and xeth_dp_sideband_send. */
export const SIDEBAND = {
  /** most messages one call moves */
  MAX_BATCH: 256,
} as const;

/** Readiness bits that xeth_dp_sideband_wait takes and returns. */
export const READY = {
  /** a message (or the end) can be received */
  READABLE: 1,
  /** a message can be sent */
  WRITABLE: 2,
  /** the kernel closed the connection */
  HANGUP: 4,
  /** xeth_dp_sideband_wake was called */
  WOKEN: 8,
} as const;

/** The `ring` of xeth_dp_punt_open: the receive ring's layout. */
export const PUNT_RING = {
  /** the library's choice (V2) */
  DEFAULT: 0,
  /** TPACKET_V2 */
  V2: 2,
  /** TPACKET_V3 */
  V3: 3,
} as const;

/** The punt's frame records (dataplane/src/punt/record.rs): a header in host order, then the frame. */
export const PUNT_RECORD = {
  /** bytes of a record's header */
  RECORD_HDR: 12,
  /** u32: the proxy's xid */
  XID_AT: 0,
  /** u32: bytes of the frame after the header */
  LEN_AT: 4,
  /** u8: PCP or TC of the first tag or label (0 on send) */
  PRIORITY_AT: 8,
  /** u8: FLAG_ bits; the rest of the header is 0 */
  FLAGS_AT: 9,
  /** the frame has (or gets) the exception mark */
  FLAG_EXCEPTION: 1,
  /** the mux transmitted the frame (PACKET_OUTGOING) */
  FLAG_OUTGOING: 2,
} as const;

/** The `what` of xeth_dp_switch_report, by report name. */
export const SWITCH_REPORT = {
  ports: 0,
  counters: 1,
  summary: 2,
  "ethtool-names": 3,
  "mux-stat-names": 4,
  fib: 5,
  "route-results": 6,
  "route-status": 7,
} as const;

/** What xeth_dp_switch_program writes to `done`. */
export const SWITCH_PROGRAM = {
  /** no record refused: the call failed as a whole (a remote switch out of reach), and what it applied is unknown */
  NONE_REFUSED: 4294967295,
} as const;

/** Region indices of a vfio PCI device (VFIO_PCI_*_REGION_INDEX). */
export const VFIO_REGION = {
  BAR0: 0,
  BAR1: 1,
  BAR2: 2,
  BAR3: 3,
  BAR4: 4,
  BAR5: 5,
  ROM: 6,
  CONFIG: 7,
} as const;

/** Bits of a region's flags (VFIO_REGION_INFO_FLAG_*). */
export const VFIO_REGION_FLAG = {
  READ: 1,
  WRITE: 2,
  MMAP: 4,
} as const;

/** Interrupt indices of a vfio PCI device (VFIO_PCI_*_IRQ_INDEX). */
export const VFIO_IRQ = {
  INTX: 0,
  MSI: 1,
  MSIX: 2,
} as const;

/** What xeth_dp_vfio_region_info writes, little-endian: its size and where each field starts. */
export const VFIO_REGION_INFO = {
  ENCODED_LEN: 32,
  /** u64: bytes, 0 when the device has no such region */
  SIZE_AT: 0,
  /** u64: where the region is in the device fd */
  OFFSET_AT: 8,
  /** u32: VFIO_REGION_FLAG bits */
  FLAGS_AT: 16,
  /** u32: the region's index */
  INDEX_AT: 20,
  /** u32: 1 when registers go through an mmap */
  MAPPED_AT: 24,
} as const;

/** The punt's counters (xeth_dp_punt_stats), in the library's order. */
export const PUNT_STAT_NAMES = [
  "rx_frames",
  "rx_bytes",
  "rx_decap_errors",
  "rx_truncated",
  "rx_ring_drops",
  "tx_frames",
  "tx_bytes",
  "tx_exceptions",
  "tx_errors",
  "tx_queue_drops",
  "tx_batches",
  "capture_drops",
] as const;
