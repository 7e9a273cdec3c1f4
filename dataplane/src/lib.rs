//! Data plane of xeth-switchd.
//!
//! SWITCHD (TypeScript on Deno) loads this crate as `libxeth_dataplane.so`
//! through `Deno.dlopen`. The C ABI lives in [`ffi`] and nowhere else, so
//! that the rest of the crate is ordinary safe Rust returning [`error::Error`].
//!
//! Hot paths live here, never in TypeScript:
//! * [`sideband`]: the `SOCK_SEQPACKET` session with the xeth mux, received
//!   and sent in batches.
//! * [`encap`]: the mux's VLAN or VPLS encapsulation.
//! * [`packet`]: raw packet sockets and their receive rings, which the two
//!   frame paths below share.
//! * [`punt`]: the exception path of a chip-driven (unlinked-switch) mux,
//!   through its own raw socket on the mux.
//! * [`switch`]: the software SWITCH of switch-less mode, which carries
//!   its own exceptions through its own raw socket on the mux.
//! * [`vfio`]: register and DMA access to a switch chip through vfio-pci.
//!
//! [`uapi`] holds the constants of the kernel's uapi header, checked
//! against it by a test.

#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

pub mod encap;
pub mod error;
pub mod ffi;
#[cfg(test)]
mod generated;
mod handles;
pub mod packet;
pub mod punt;
pub mod records;
pub mod remote;
pub mod sideband;
pub mod switch;
pub mod uapi;
pub mod vfio;

/// Version of the C ABI exported by [`ffi`].
///
/// Bump it on any change of an exported signature or of the meaning of a
/// return value; SWITCHD refuses to run against a library whose version
/// differs from the one it was written for.
pub const ABI_VERSION: u32 = 7;

/// Version of this crate, as reported to SWITCHD.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
