/**
 * The side-band codec: every message of the xeth protocol (version 2 and
 * our extensions), both directions, with layouts generated from the uapi
 * header (abi.generated.ts; `deno task gen-abi`).
 *
 * @module
 */

export {
  DEV_KIND,
  ENCAP,
  FEATURE,
  IFA_EVENT,
  IFINFO_REASON,
  LINK_MODES_WHICH,
  LINK_STAT,
  MSG_KIND,
  VALUES,
} from "./abi.generated.ts";
export * from "./addresses.ts";
export { type BatchLike, decode, decodeBatch } from "./decode.ts";
export { encode, encodedLength, encodeInto } from "./encode.ts";
export { HEADER_SIZE, VERSION } from "./header.ts";
export {
  DAEMON_KINDS,
  FIB_EVENT,
  FIRST_EXTENSION_KIND,
  KIND,
  type KindName,
  kindName,
} from "./kinds.ts";
export * from "./requests.ts";
export type * from "./types.ts";
