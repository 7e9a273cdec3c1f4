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
    /// A failure with this errno whose text says what happened and what to
    /// do about it (for example which driver to bind, or which link to set
    /// up), for errors where the bare errno text would not help an operator.
    Described { errno: i32, text: String },
}

impl Error {
    /// An error with `errno` and an explanatory text.
    pub fn described(errno: i32, text: impl Into<String>) -> Self {
        Error::Described {
            errno,
            text: text.into(),
        }
    }
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
            Error::Described { errno, .. } if *errno > 0 => *errno,
            Error::Described { .. } => libc::EIO,
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
            Error::Described { text, .. } => f.write_str(text),
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

impl From<nix::errno::Errno> for Error {
    fn from(e: nix::errno::Errno) -> Self {
        Error::Os(e as i32)
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
            Error::described(libc::ENODEV, "x"),
            Error::described(0, "x"),
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
        assert_eq!(Error::described(libc::ENODEV, "x").errno(), libc::ENODEV);
        assert_eq!(Error::described(-1, "x").errno(), libc::EIO);
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
        assert_eq!(
            Error::described(libc::ENODEV, "no such mux; create it").to_string(),
            "no such mux; create it"
        );
    }

    #[test]
    fn io_error_keeps_errno() {
        let e: Error = std::io::Error::from_raw_os_error(libc::EPERM).into();
        assert_eq!(e, Error::Os(libc::EPERM));
        let e: Error = std::io::Error::other("no errno").into();
        assert_eq!(e, Error::Os(libc::EIO));
    }

    #[test]
    fn nix_errno_keeps_errno() {
        let e: Error = nix::errno::Errno::ECONNREFUSED.into();
        assert_eq!(e, Error::Os(libc::ECONNREFUSED));
    }
}
