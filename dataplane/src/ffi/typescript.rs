//! SWITCHD's copy of the C ABI's constants: `ffi/abi.generated.ts` is
//! rendered here from the constants the library itself uses (the ABI
//! version, errno numbers, readiness bits, record layouts and flags,
//! report numbers, counter names) and must equal the committed file, so
//! that a constant changed here fails `cargo test` until the TypeScript
//! follows. `deno task gen-ffi` (which sets XETH_WRITE_GENERATED=1 for
//! this test) writes it.

use std::fmt::Write;

use super::punt::{RING_DEFAULT, RING_V2, RING_V3};
use crate::generated::check_or_write;
use crate::punt::record::{
    FLAGS_AT, FLAG_EXCEPTION, FLAG_OUTGOING, LEN_AT, PRIORITY_AT, RECORD_HDR, XID_AT,
};
use crate::punt::STAT_NAMES;
use crate::sideband::{ready, MAX_BATCH};
use crate::switch::Report;
use crate::vfio::{
    RegionInfo, BAR0, BAR5, CONFIG, FLAG_MMAP, FLAG_READ, FLAG_WRITE, INTX, MSI, MSIX, ROM,
};
use crate::ABI_VERSION;

const PATH: &str = "ffi/abi.generated.ts";
const REGENERATE: &str = "deno task gen-ffi";

/// One `export const NAME = { ... } as const;` of number entries.
struct Table {
    name: &'static str,
    doc: &'static str,
    entries: Vec<Entry>,
}

struct Entry {
    key: String,
    value: u64,
    doc: &'static str,
}

fn entry(key: impl Into<String>, value: impl Into<u64>, doc: &'static str) -> Entry {
    Entry {
        key: key.into(),
        value: value.into(),
        doc,
    }
}

fn usize_entry(key: &str, value: usize, doc: &'static str) -> Entry {
    entry(key, value as u64, doc)
}

/// The errno numbers the library returns (negated), by name.
fn errno() -> Table {
    let names: [(&str, i32); 14] = [
        ("EPERM", libc::EPERM),
        ("ENOENT", libc::ENOENT),
        ("EIO", libc::EIO),
        ("EBADF", libc::EBADF),
        ("EBUSY", libc::EBUSY),
        ("ENODEV", libc::ENODEV),
        ("EINVAL", libc::EINVAL),
        ("ENOSPC", libc::ENOSPC),
        ("ERANGE", libc::ERANGE),
        ("EOVERFLOW", libc::EOVERFLOW),
        ("ECONNRESET", libc::ECONNRESET),
        ("ENOBUFS", libc::ENOBUFS),
        ("ETIMEDOUT", libc::ETIMEDOUT),
        ("ECONNREFUSED", libc::ECONNREFUSED),
    ];
    let doc = "Linux's numbers of the errors the library's calls return as -errno (dataplane/src/ffi.rs).";
    plain(
        "ERRNO",
        doc,
        &names.map(|(n, v)| (n, v.unsigned_abs().into())),
    )
}

/// A table whose entries need no comment of their own.
fn plain(name: &'static str, doc: &'static str, pairs: &[(&str, u64)]) -> Table {
    let entries = pairs.iter().map(|&(k, v)| entry(k, v, "")).collect();
    Table { name, doc, entries }
}

fn tables() -> Vec<Table> {
    const RECORD: &str =
        "The punt's frame records (dataplane/src/punt/record.rs): a header in host order, then the frame.";
    const REGION_INFO: &str =
        "What xeth_dp_vfio_region_info writes, little-endian: its size and where each field starts.";
    vec![
        errno(),
        described(
            "SIDEBAND",
            "Limits of xeth_dp_sideband_recv and xeth_dp_sideband_send.",
            vec![usize_entry(
                "MAX_BATCH",
                MAX_BATCH,
                "most messages one call moves",
            )],
        ),
        described(
            "READY",
            "Readiness bits that xeth_dp_sideband_wait takes and returns.",
            vec![
                entry(
                    "READABLE",
                    ready::READABLE,
                    "a message (or the end) can be received",
                ),
                entry("WRITABLE", ready::WRITABLE, "a message can be sent"),
                entry("HANGUP", ready::HANGUP, "the kernel closed the connection"),
                entry("WOKEN", ready::WOKEN, "xeth_dp_sideband_wake was called"),
            ],
        ),
        described(
            "PUNT_RING",
            "The `ring` of xeth_dp_punt_open: the receive ring's layout.",
            vec![
                entry("DEFAULT", RING_DEFAULT, "the library's choice (V2)"),
                entry("V2", RING_V2, "TPACKET_V2"),
                entry("V3", RING_V3, "TPACKET_V3"),
            ],
        ),
        described(
            "PUNT_RECORD",
            RECORD,
            vec![
                usize_entry("RECORD_HDR", RECORD_HDR, "bytes of a record's header"),
                usize_entry("XID_AT", XID_AT, "u32: the proxy's xid"),
                usize_entry("LEN_AT", LEN_AT, "u32: bytes of the frame after the header"),
                usize_entry(
                    "PRIORITY_AT",
                    PRIORITY_AT,
                    "u8: PCP or TC of the first tag or label (0 on send)",
                ),
                usize_entry(
                    "FLAGS_AT",
                    FLAGS_AT,
                    "u8: FLAG_ bits; the rest of the header is 0",
                ),
                entry(
                    "FLAG_EXCEPTION",
                    FLAG_EXCEPTION,
                    "the frame has (or gets) the exception mark",
                ),
                entry(
                    "FLAG_OUTGOING",
                    FLAG_OUTGOING,
                    "the mux transmitted the frame (PACKET_OUTGOING)",
                ),
            ],
        ),
        described(
            "SWITCH_REPORT",
            "The `what` of xeth_dp_switch_report, by report name.",
            Report::ALL
                .into_iter()
                .map(|r| entry(r.name(), r as u8, ""))
                .collect(),
        ),
        described(
            "SWITCH_PROGRAM",
            "What xeth_dp_switch_program writes to `done`.",
            vec![entry(
                "NONE_REFUSED",
                super::switch::NONE_REFUSED,
                "no record refused: the call failed as a whole (a remote switch out of reach), and what it applied is unknown",
            )],
        ),
        vfio_regions(),
        plain(
            "VFIO_REGION_FLAG",
            "Bits of a region's flags (VFIO_REGION_INFO_FLAG_*).",
            &[
                ("READ", FLAG_READ.into()),
                ("WRITE", FLAG_WRITE.into()),
                ("MMAP", FLAG_MMAP.into()),
            ],
        ),
        plain(
            "VFIO_IRQ",
            "Interrupt indices of a vfio PCI device (VFIO_PCI_*_IRQ_INDEX).",
            &[
                ("INTX", INTX.into()),
                ("MSI", MSI.into()),
                ("MSIX", MSIX.into()),
            ],
        ),
        described("VFIO_REGION_INFO", REGION_INFO, region_info()),
    ]
}

/// Where each field of the region description starts; the u32 after
/// `mapped` is reserved.
fn region_info() -> Vec<Entry> {
    let r = |k: &str, at: usize, doc| usize_entry(k, at, doc);
    vec![
        r("ENCODED_LEN", RegionInfo::ENCODED_LEN, ""),
        r(
            "SIZE_AT",
            RegionInfo::SIZE_AT,
            "u64: bytes, 0 when the device has no such region",
        ),
        r(
            "OFFSET_AT",
            RegionInfo::OFFSET_AT,
            "u64: where the region is in the device fd",
        ),
        r(
            "FLAGS_AT",
            RegionInfo::FLAGS_AT,
            "u32: VFIO_REGION_FLAG bits",
        ),
        r("INDEX_AT", RegionInfo::INDEX_AT, "u32: the region's index"),
        r(
            "MAPPED_AT",
            RegionInfo::MAPPED_AT,
            "u32: 1 when registers go through an mmap",
        ),
    ]
}

fn described(name: &'static str, doc: &'static str, entries: Vec<Entry>) -> Table {
    Table { name, doc, entries }
}

/// The region indices: the BARs, the ROM, config space.
fn vfio_regions() -> Table {
    let bars = (BAR0..=BAR5).map(|i| entry(format!("BAR{i}"), i, ""));
    Table {
        name: "VFIO_REGION",
        doc: "Region indices of a vfio PCI device (VFIO_PCI_*_REGION_INDEX).",
        entries: bars
            .chain([entry("ROM", ROM, ""), entry("CONFIG", CONFIG, "")])
            .collect(),
    }
}

/// A key as TypeScript takes it: quoted unless it is an identifier.
fn key(k: &str) -> String {
    if k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        k.to_owned()
    } else {
        format!("\"{k}\"")
    }
}

fn render_table(out: &mut String, t: &Table) {
    let _ = writeln!(out, "/** {} */", t.doc);
    let _ = writeln!(out, "export const {} = {{", t.name);
    for e in &t.entries {
        if !e.doc.is_empty() {
            let _ = writeln!(out, "  /** {} */", e.doc);
        }
        let _ = writeln!(out, "  {}: {},", key(&e.key), e.value);
    }
    out.push_str("} as const;\n");
}

/// The text of abi.generated.ts: deterministic, and already as `deno fmt`
/// leaves it.
fn render() -> String {
    let mut out = String::from(
        "// GENERATED from the data plane's own constants by its test\n\
         // (dataplane/src/ffi/typescript.rs). Do not edit: change the constant in\n\
         // dataplane/src and run `deno task gen-ffi`; `cargo test` fails while\n\
         // this file is stale.\n\n",
    );
    let _ = writeln!(
        out,
        "/** The C ABI's version (xeth_dp_abi_version); SWITCHD refuses a library with another. */\n\
         export const ABI_VERSION = {ABI_VERSION};"
    );
    for t in tables() {
        out.push('\n');
        render_table(&mut out, &t);
    }
    out.push_str(
        "\n/** The punt's counters (xeth_dp_punt_stats), in the library's order. */\n\
         export const PUNT_STAT_NAMES = [\n",
    );
    for n in STAT_NAMES {
        let _ = writeln!(out, "  \"{n}\",");
    }
    out.push_str("] as const;\n");
    out
}

#[test]
fn the_typescript_constants_are_current() {
    check_or_write(PATH, &render(), REGENERATE);
}

#[test]
fn keys_are_quoted_only_when_they_must_be() {
    assert_eq!(key("BAR0"), "BAR0");
    assert_eq!(key("ethtool-names"), "\"ethtool-names\"");
}
