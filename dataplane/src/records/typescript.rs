//! SWITCHD's copy of [`super::layout`]: `switchd/records/layout.generated.ts`
//! is rendered from the same tables and must equal the committed file,
//! so that a change on either side fails `cargo test` until the other
//! follows. `deno task gen-records` (which sets XETH_WRITE_GENERATED=1
//! for this test) writes it.

use std::fmt::Write;

use super::layout::{Layout, CONSTANTS, PARTS, RECORDS};
use crate::generated::{camel, check_or_write};

const REGENERATE: &str = "deno task gen-records";

fn doc(out: &mut String, indent: &str, text: &str) {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if lines.is_empty() {
        return;
    }
    let text = lines
        .join(" ")
        .replace("[`super::super::", "")
        .replace("`]", "");
    let text = text.replace('`', "");
    let _ = writeln!(out, "{indent}/** {text} */");
}

fn offsets(out: &mut String, l: &Layout) {
    doc(out, "", l.doc);
    let _ = writeln!(out, "export const {} = {{", l.name.to_uppercase());
    if l.kind != 0 {
        let _ = writeln!(out, "  KIND: {},", l.kind);
    }
    let _ = writeln!(out, "  SIZE: {},", l.size);
    for f in l.fields {
        doc(out, "  ", f.doc);
        let _ = writeln!(out, "  {}: {},", camel(f.name), f.offset);
    }
    out.push_str("} as const;\n\n");
}

fn table(out: &mut String, l: &Layout) {
    let _ = writeln!(out, "  {}: {{", camel(l.name));
    let _ = writeln!(out, "    kind: {},", l.kind);
    let _ = writeln!(out, "    size: {},", l.size);
    if l.fields.is_empty() {
        out.push_str("    fields: {},\n");
    } else {
        out.push_str("    fields: {\n");
    }
    for f in l.fields {
        let _ = writeln!(
            out,
            "      {}: {{ offset: {}, type: \"{}\" }},",
            camel(f.name),
            f.offset,
            f.ty.name()
        );
    }
    if !l.fields.is_empty() {
        out.push_str("    },\n");
    }
    if l.arrays.is_empty() {
        out.push_str("    arrays: [],\n");
    } else {
        out.push_str("    arrays: [\n");
        for a in l.arrays {
            let _ = writeln!(
                out,
                "      {{ name: \"{}\", count: \"{}\", elem: \"{}\" }},",
                camel(a.name),
                camel(a.count),
                camel(a.elem.name)
            );
        }
        out.push_str("    ],\n");
    }
    out.push_str("  },\n");
}

/// The text of layout.generated.ts: deterministic, and already as
/// `deno fmt` leaves it.
pub fn render() -> String {
    let mut out = String::new();
    out.push_str(
        "// GENERATED from dataplane/src/records/layout.rs by its test\n\
         // (dataplane/src/records/typescript.rs). Do not edit: change the layout\n\
         // there and run `deno task gen-records`; `cargo test` fails while this\n\
         // file is stale. docs/records.md describes the format.\n\n",
    );
    out.push_str("/** Constants of the record format. */\nexport const RECORD = {\n");
    for (name, value, what) in CONSTANTS {
        let _ = writeln!(out, "  /** {what} */");
        if *name == "MAGIC" {
            let _ = writeln!(out, "  {name}: {value:#010x},");
        } else {
            let _ = writeln!(out, "  {name}: {value},");
        }
    }
    out.push_str("} as const;\n\n");
    out.push_str("/** Record kinds by name. */\nexport const KIND = {\n");
    for l in RECORDS {
        let _ = writeln!(out, "  {}: {},", camel(l.name), l.kind);
    }
    out.push_str("} as const;\n\n");
    out.push_str(
        "// Each record and part: its kind (records only), the size of its fixed\n\
         // part, and the byte offset of each field, from the record's first byte.\n\n",
    );
    for l in RECORDS.iter().chain(PARTS.iter()) {
        offsets(&mut out, l);
    }
    out.push_str(
        "/**\n * Every record and part with its fields' types and its arrays, for code\n * that walks any record (reports, diagnostics, tests).\n */\nexport const LAYOUTS = {\n",
    );
    for l in RECORDS.iter().chain(PARTS.iter()) {
        table(&mut out, l);
    }
    out.push_str("} as const;\n");
    out
}

#[test]
fn the_typescript_layout_is_current() {
    check_or_write("switchd/records/layout.generated.ts", &render(), REGENERATE);
}
