// layout.generated.ts is rendered from dataplane/src/records/layout.rs,
// and `cargo test` holds it to that table. What is checked here is what
// the file says of itself: its two views of each layout (the offsets
// constants and LAYOUTS) agree, every field lies inside its layout's fixed
// part without overlapping another, records leave room for their header,
// and every array names a count field and a part that exist.

import { deepEqual, equal, ok } from "node:assert/strict";
import * as generated from "./layout.generated.ts";

const { HEADER, KIND, LAYOUTS, RECORD } = generated;
type LayoutName = keyof typeof LAYOUTS;

/** Bytes of each field type (docs/records.md). */
const TYPE_SIZE: Record<string, number> = {
  u8: 1,
  u16: 2,
  u32: 4,
  u64: 8,
  ip4: 4,
  ip6: 16,
  mac: 6,
  name: 16,
};

/** `routeResult` -> `ROUTE_RESULT`, the name of its offsets constant. */
function constName(layout: string): string {
  return layout.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
}

const names = Object.keys(LAYOUTS) as LayoutName[];

Deno.test("layout: each offsets constant is its LAYOUTS entry", () => {
  for (const name of names) {
    const l = LAYOUTS[name];
    const c = (generated as Record<string, unknown>)[constName(name)] as
      | Record<string, number>
      | undefined;
    ok(c !== undefined, `no ${constName(name)} for ${name}`);
    const want: Record<string, number> = { SIZE: l.size };
    if (l.kind !== 0) want.KIND = l.kind;
    for (const [f, { offset }] of Object.entries(l.fields)) want[f] = offset;
    deepEqual({ ...c }, want, name);
  }
});

Deno.test("layout: fields fit their layout, do not overlap, follow the header", () => {
  for (const name of names) {
    const l = LAYOUTS[name];
    const spans = Object.entries(l.fields)
      .map(([f, { offset, type }]) => {
        const size = TYPE_SIZE[type];
        ok(size !== undefined, `${name}.${f}: type ${type}`);
        return { f, start: offset, end: offset + size };
      })
      .sort((a, b) => a.start - b.start);
    const first = l.kind === 0 ? 0 : HEADER.SIZE;
    let at = first;
    for (const s of spans) {
      ok(s.start >= at, `${name}.${s.f} at ${s.start} overlaps (before ${at})`);
      at = s.end;
    }
    ok(at <= l.size, `${name}: fields end at ${at}, past its size ${l.size}`);
  }
});

Deno.test("layout: KIND names every record, and arrays name what exists", () => {
  deepEqual(
    Object.entries(KIND),
    names.filter((n) => LAYOUTS[n].kind !== 0).map((n) => [n, LAYOUTS[n].kind]),
  );
  for (const name of names) {
    for (
      const a of LAYOUTS[name].arrays as readonly {
        name: string;
        count: string;
        elem: string;
      }[]
    ) {
      ok(a.count in LAYOUTS[name].fields, `${name}.${a.name}: ${a.count}`);
      ok(a.elem in LAYOUTS, `${name}.${a.name}: ${a.elem}`);
      equal(LAYOUTS[a.elem as LayoutName].kind, 0, `${a.elem} is a part`);
    }
  }
});

Deno.test("layout: the magic is XSWR as a little-endian u32", () => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, RECORD.MAGIC, true);
  equal(new TextDecoder().decode(b), "XSWR");
});
