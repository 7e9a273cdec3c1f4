//! Data plane of xeth-switchd.
//!
//! SWITCHD (TypeScript on Deno) loads this crate as `libxeth_dataplane.so`
//! through `Deno.dlopen`. The C ABI lives in [`ffi`] and nowhere else, so
//! that the rest of the crate is ordinary safe Rust returning [`error::Error`].
//!
//! For now the crate is a skeleton: it proves the load path (lookup, ABI
//! check, error reporting, panic containment) before the side-band, punt and
//! switch backends are added behind it.

#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

pub mod error;
pub mod ffi;

/// Version of the C ABI exported by [`ffi`].
///
/// Bump it on any change of an exported signature or of the meaning of a
/// return value; SWITCHD refuses to run against a library whose version
/// differs from the one it was written for.
pub const ABI_VERSION: u32 = 1;

/// Version of this crate, as reported to SWITCHD.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
