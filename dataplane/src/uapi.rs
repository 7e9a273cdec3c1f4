//! The constants of `kernel/include/uapi/linux/xeth.h` that the data plane
//! uses, under their C names.
//!
//! Rust cannot include a C header, so the values are written here once and
//! every other module takes them from here. A test compiles
//! `tests/abi/layout.c` (the program that prints what the C compiler makes
//! of the header, which SWITCHD's generated tables also come from) and
//! compares each constant with it: a change to the header, or to a value
//! here, fails `cargo test` until both agree.

/// Declares the constants and, for the test, the list of all of them, so
/// that no constant can be added without being checked.
macro_rules! uapi {
    ($($(#[$doc:meta])* $name:ident: $ty:ty = $value:expr;)*) => {
        $($(#[$doc])* pub const $name: $ty = $value;)*

        /// Every constant above, by its C name.
        #[cfg(test)]
        const ALL: &[(&str, u64)] = &[$((stringify!($name), $name as u64)),*];
    };
}

uapi! {
    /// Largest side-band message: a jumbo frame.
    XETH_MSG_MAX_SIZE: usize = 9728;
    /// `enum xeth_encap`: VLAN tags.
    XETH_ENCAP_VLAN: u8 = 0;
    /// `enum xeth_encap`: an MPLS label stack (RFC 4448 raw mode).
    XETH_ENCAP_VPLS: u8 = 1;
    /// The PCP (vlan) or TC (vpls) of the first tag or label that marks an
    /// exception.
    XETH_EXCEPTION_PRIORITY: u8 = 7;
    /// TTL of transmitted labels.
    XETH_VPLS_TTL: u8 = 64;
    /// Where a VLAN proxy's VLAN id sits in its xid with vlan encapsulation.
    XETH_VLAN_VID_SHIFT: u32 = 12;
    /// The same with vpls encapsulation.
    XETH_VPLS_VID_SHIFT: u32 = 20;
    /// The lower's xid within a VLAN proxy's xid, vlan encapsulation.
    XETH_VLAN_XID_MASK: u32 = 0xfff;
    /// The same with vpls encapsulation.
    XETH_VPLS_XID_MASK: u32 = 0xfffff;
    /// `LINK_STAT` indexes (the order of `struct rtnl_link_stats64`).
    XETH_LINK_STAT_RX_PACKETS: usize = 0;
    /// See [`XETH_LINK_STAT_RX_PACKETS`].
    XETH_LINK_STAT_TX_PACKETS: usize = 1;
    /// See [`XETH_LINK_STAT_RX_PACKETS`].
    XETH_LINK_STAT_RX_BYTES: usize = 2;
    /// See [`XETH_LINK_STAT_RX_PACKETS`].
    XETH_LINK_STAT_TX_BYTES: usize = 3;
    /// See [`XETH_LINK_STAT_RX_PACKETS`].
    XETH_LINK_STAT_RX_DROPPED: usize = 6;
    /// See [`XETH_LINK_STAT_RX_PACKETS`].
    XETH_LINK_STAT_TX_DROPPED: usize = 7;
    /// `enum xeth_dev_kind`: what a proxy is (IFINFO `kind`).
    XETH_DEV_KIND_UNSPEC: u8 = 0;
    /// See [`XETH_DEV_KIND_UNSPEC`].
    XETH_DEV_KIND_PORT: u8 = 1;
    /// See [`XETH_DEV_KIND_UNSPEC`].
    XETH_DEV_KIND_VLAN: u8 = 2;
    /// See [`XETH_DEV_KIND_UNSPEC`].
    XETH_DEV_KIND_BRIDGE: u8 = 3;
    /// See [`XETH_DEV_KIND_UNSPEC`].
    XETH_DEV_KIND_LAG: u8 = 4;
    /// See [`XETH_DEV_KIND_UNSPEC`].
    XETH_DEV_KIND_LOOPBACK: u8 = 5;
    /// `enum xeth_msg_kind`: the daemon's route results (D->K), with
    /// [`XETH_EXT_FIB_OFFLOAD`].
    XETH_MSG_KIND_FIB_OFFLOAD: u8 = 23;
    /// Extension bit: route results, and a cookie after each FIBENTRY
    /// and FIB6ENTRY.
    XETH_EXT_FIB_OFFLOAD: u32 = 1;
    /// `enum xeth_fib_offload_result`: nothing held, flags cleared.
    XETH_FIB_RESULT_NONE: u8 = 0;
    /// The switch forwards the route.
    XETH_FIB_RESULT_OFFLOAD: u8 = 1;
    /// The switch holds the route and hands its traffic to Linux.
    XETH_FIB_RESULT_TRAP: u8 = 2;
    /// The route did not fit: Linux forwards its traffic.
    XETH_FIB_RESULT_FAILED: u8 = 3;
    /// Results in one FIB_OFFLOAD datagram.
    XETH_FIB_RESULTS_MAX: usize = 242;
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;
    use std::process::Command;

    use super::ALL;

    /// The `"values"` object of layout.c's JSON: flat `"NAME": number`
    /// pairs, which is all this needs to read.
    fn values(json: &str) -> BTreeMap<String, u64> {
        let start = json
            .find("\"values\"")
            .expect("no \"values\" in layout.c's output");
        let body = &json[start..];
        let open = body.find('{').expect("no object after \"values\"");
        let close = body.find('}').expect("unterminated \"values\" object");
        body[open + 1..close]
            .split(',')
            .map(|pair| {
                let (name, value) = pair.split_once(':').expect("a \"NAME\": value pair");
                let name = name.trim().trim_matches('"').to_owned();
                let value = value.trim().parse().expect("a decimal value");
                (name, value)
            })
            .collect()
    }

    /// What the C compiler makes of the header: builds and runs
    /// tests/abi/layout.c, as tests/abi/layout.ts does for TypeScript.
    fn header_values() -> BTreeMap<String, u64> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("dataplane/ has a parent");
        let dir = std::env::temp_dir().join(format!("xeth-uapi-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temporary directory");
        let exe = dir.join("layout");
        let cc = Command::new("cc")
            .args(["-Wall", "-Wextra", "-Werror", "-I"])
            .arg(root.join("kernel/include/uapi"))
            .arg("-o")
            .arg(&exe)
            .arg(root.join("tests/abi/layout.c"))
            .output()
            .expect("cannot run cc");
        assert!(
            cc.status.success(),
            "cc tests/abi/layout.c: {}",
            String::from_utf8_lossy(&cc.stderr)
        );
        let run = Command::new(&exe).output().expect("cannot run layout");
        let _ = std::fs::remove_dir_all(&dir);
        assert!(run.status.success(), "tests/abi/layout failed");
        values(&String::from_utf8(run.stdout).expect("UTF-8 output"))
    }

    #[test]
    fn every_constant_is_the_headers() {
        let header = header_values();
        let wrong: Vec<String> = ALL
            .iter()
            .filter_map(|&(name, ours)| match header.get(name) {
                Some(&theirs) if theirs == ours => None,
                Some(&theirs) => Some(format!("{name}: {ours} here, {theirs} in the header")),
                None => Some(format!("{name}: tests/abi/layout.c does not print it")),
            })
            .collect();
        assert!(
            wrong.is_empty(),
            "dataplane/src/uapi.rs disagrees with kernel/include/uapi/linux/xeth.h:\n{}",
            wrong.join("\n")
        );
    }

    #[test]
    fn values_reads_layout_output() {
        let json = "{\n  \"structs\": { \"a\": { \"size\": 16, \"fields\": { \"z\": [0, 8] } } },\n  \"values\": {\n    \"X\": 1,\n    \"Y_Z\": 9728\n  }\n}\n";
        let v = values(json);
        assert_eq!(v.len(), 2);
        assert_eq!(v["X"], 1);
        assert_eq!(v["Y_Z"], 9728);
    }
}
