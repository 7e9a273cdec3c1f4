// The 16-byte header against docs/protocol.md ("The header"): 14 zero
// bytes, the version at byte 14, the kind at byte 15.

import { deepEqual, equal } from "node:assert/strict";
import {
  checkHeader,
  HEADER_SIZE,
  kindNumberAt,
  VERSION,
  writeHeader,
} from "./header.ts";

const AT = 3;

/** A header of `kind` at byte AT of a buffer of 0xee bytes. */
function written(kind: number): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(AT + HEADER_SIZE + 2).fill(0xee);
  writeHeader(new DataView(b.buffer), AT, kind);
  return b;
}

Deno.test("header: 16 bytes, version 2", () => {
  equal(HEADER_SIZE, 16);
  equal(VERSION, 2);
});

Deno.test("header: writeHeader writes 14 zeros, the version and the kind, nothing else", () => {
  const b = written(17);
  deepEqual(
    [...b],
    [0xee, 0xee, 0xee, ...new Array(14).fill(0), 2, 17, 0xee, 0xee],
  );
  const v = new DataView(b.buffer);
  equal(checkHeader(v, AT, HEADER_SIZE), undefined);
  equal(kindNumberAt(v, AT), 17);
});

Deno.test("header: each reason a header is refused", () => {
  const v = (b: Uint8Array<ArrayBuffer>) => new DataView(b.buffer);
  equal(checkHeader(v(written(1)), AT, HEADER_SIZE - 1), "short");
  equal(checkHeader(v(written(1)), AT, 0), "short");
  for (let i = 0; i < 14; i++) {
    const b = written(1);
    b[AT + i] = 1;
    equal(checkHeader(v(b), AT, HEADER_SIZE), "header", `byte ${i}`);
  }
  for (const version of [0, 1, 3, 255]) {
    const b = written(1);
    b[AT + 14] = version;
    equal(checkHeader(v(b), AT, HEADER_SIZE), "version", `version ${version}`);
  }
  // Any kind passes: the kind is the caller's to judge.
  const b = written(255);
  equal(checkHeader(v(b), AT, HEADER_SIZE + 2), undefined);
  equal(kindNumberAt(v(b), AT), 255);
});
