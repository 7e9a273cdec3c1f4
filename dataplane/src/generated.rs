//! What the tests that keep SWITCHD's generated TypeScript current share:
//! each renders a file from this crate's own definitions
//! (`switchd/records/layout.generated.ts` from [`crate::records::layout`],
//! `ffi/abi.generated.ts` from the C ABI's constants) and holds the
//! committed file to it, so that a change on either side fails
//! `cargo test` until the other follows.

use std::path::PathBuf;

/// Fails, naming the `regenerate` command, unless the file at `rel` (from
/// the repository's root) holds `want`. With XETH_WRITE_GENERATED set (the
/// deno tasks that regenerate set it), writes `want` there instead.
pub fn check_or_write(rel: &str, want: &str, regenerate: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(rel);
    if std::env::var_os("XETH_WRITE_GENERATED").is_some() {
        std::fs::write(&path, want).expect("cannot write the generated file");
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "{rel} is stale (or missing): run `{regenerate}`"
    );
}

/// `n_hops` -> `nHops`.
pub fn camel(s: &str) -> String {
    let mut out = String::new();
    let mut up = false;
    for c in s.chars() {
        if c == '_' {
            up = true;
        } else if up {
            out.extend(c.to_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn camel_case() {
    assert_eq!(camel("n_hops"), "nHops");
    assert_eq!(camel("xid"), "xid");
    assert_eq!(camel("dev_kind"), "devKind");
}
