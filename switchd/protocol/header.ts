/**
 * The 16-byte header every message starts with: 14 zero bytes, which is
 * how a message differs from a frame, then version and kind.
 *
 * @module
 */

import { STRUCTS, VALUES } from "./abi.generated.ts";
import type { InvalidReason } from "./types.ts";

const H = STRUCTS.xeth_msg_header.fields;

export const HEADER_SIZE: number = STRUCTS.xeth_msg_header.size;
export const VERSION: number = VALUES.XETH_MSG_VERSION;

/**
 * What is wrong with the header of the `length` bytes at `offset`, if
 * anything; does not look at the kind. The caller has checked that the
 * view holds `length` bytes.
 */
export function checkHeader(
  view: DataView,
  offset: number,
  length: number,
): InvalidReason | undefined {
  if (length < HEADER_SIZE) return "short";
  // z64 as two u32 reads: a u64 read would make a bigint per message
  const z = view.getUint32(offset + H.z64.offset, true) |
    view.getUint32(offset + H.z64.offset + 4, true) |
    view.getUint32(offset + H.z32.offset, true) |
    view.getUint16(offset + H.z16.offset, true);
  if (z !== 0) return "header";
  if (view.getUint8(offset + H.version.offset) !== VERSION) return "version";
  return undefined;
}

/** The kind number of a message whose header passed {@link checkHeader}. */
export function kindNumberAt(view: DataView, offset: number): number {
  return view.getUint8(offset + H.kind.offset);
}

/** Writes a header of kind number `kind`, zero bytes included. */
export function writeHeader(
  view: DataView,
  offset: number,
  kind: number,
): void {
  view.setUint32(offset + H.z64.offset, 0, true);
  view.setUint32(offset + H.z64.offset + 4, 0, true);
  view.setUint32(offset + H.z32.offset, 0, true);
  view.setUint16(offset + H.z16.offset, 0, true);
  view.setUint8(offset + H.version.offset, VERSION);
  view.setUint8(offset + H.kind.offset, kind);
}
