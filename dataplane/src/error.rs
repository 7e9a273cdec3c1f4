//! The crate's one error type.

use std::fmt;

/// Why a data plane operation failed.
///
/// Each variant maps to a positive errno ([`Error::errno`]) because that is
/// what crosses the C ABI; the [`Display`](fmt::Display) text travels
/// separately through `xeth_dp_last_error`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// A system call failed with this errno.
    Os(i32),
    /// The caller passed something unusable; the text says what.
    InvalidArgument(&'static str),
    /// An output buffer cannot hold the result.
    BufferTooSmall { needed: usize, got: usize },
    /// A result does not fit the return type of the C ABI.
    Overflow,
    /// Rust code panicked; the text is the panic message.
    Panic(String),
}

impl Error {
    /// Positive errno for this error, as the C ABI returns it negated.
    pub fn errno(&self) -> i32 {
        match self {
            // A non-positive value cannot be negated into an error return,
            // so it is reported as a generic I/O error rather than success.
            Error::Os(e) if *e > 0 => *e,
            Error::Os(_) => libc::EIO,
            Error::InvalidArgument(_) => libc::EINVAL,
            Error::BufferTooSmall { .. } => libc::ERANGE,
            Error::Overflow => libc::EOVERFLOW,
            Error::Panic(_) => libc::EIO,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Os(e) => write!(f, "{}", std::io::Error::from_raw_os_error(*e)),
            Error::InvalidArgument(what) => write!(f, "invalid argument: {what}"),
            Error::BufferTooSmall { needed, got } => {
                write!(f, "buffer too small: need {needed} bytes, got {got}")
            }
            Error::Overflow => write!(f, "result does not fit the return type"),
            Error::Panic(msg) => write!(f, "panic: {msg}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        // std::io errors built from an ErrorKind carry no errno; EIO keeps
        // the failure visible instead of inventing a more specific cause.
        Error::Os(e.raw_os_error().unwrap_or(libc::EIO))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_is_positive_for_every_variant() {
        let all = [
            Error::Os(libc::ENOENT),
            Error::Os(0),
            Error::Os(-5),
            Error::InvalidArgument("x"),
            Error::BufferTooSmall { needed: 2, got: 1 },
            Error::Overflow,
            Error::Panic("boom".into()),
        ];
        for e in all {
            assert!(e.errno() > 0, "{e:?} has errno {}", e.errno());
        }
    }

    #[test]
    fn errno_matches_variant() {
        assert_eq!(Error::Os(libc::ENOENT).errno(), libc::ENOENT);
        assert_eq!(Error::Os(0).errno(), libc::EIO);
        assert_eq!(Error::InvalidArgument("x").errno(), libc::EINVAL);
        assert_eq!(
            Error::BufferTooSmall { needed: 2, got: 1 }.errno(),
            libc::ERANGE
        );
        assert_eq!(Error::Overflow.errno(), libc::EOVERFLOW);
        assert_eq!(Error::Panic(String::new()).errno(), libc::EIO);
    }

    #[test]
    fn display_says_what_went_wrong() {
        assert!(Error::Os(libc::ENOENT)
            .to_string()
            .contains("No such file or directory"));
        assert_eq!(
            Error::InvalidArgument("null buffer").to_string(),
            "invalid argument: null buffer"
        );
        assert_eq!(
            Error::BufferTooSmall { needed: 6, got: 4 }.to_string(),
            "buffer too small: need 6 bytes, got 4"
        );
        assert_eq!(Error::Panic("boom".into()).to_string(), "panic: boom");
    }

    #[test]
    fn io_error_keeps_errno() {
        let e: Error = std::io::Error::from_raw_os_error(libc::EPERM).into();
        assert_eq!(e, Error::Os(libc::EPERM));
        let e: Error = std::io::Error::other("no errno").into();
        assert_eq!(e, Error::Os(libc::EIO));
    }
}
