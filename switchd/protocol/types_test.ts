// types.ts is types only; what can drift is the union against the kinds
// of the generated ABI. These checks are made by the compiler: a kind
// added to the header (kinds.ts follows abi.generated.ts) breaks
// `deno check` and `deno test` here until types.ts has a message type for
// it, and a message type with a kind the header lacks breaks them too.

import { equal } from "node:assert/strict";
import type { KindName } from "./kinds.ts";
import type { Decoded, Message, MessageOf } from "./types.ts";

type Missing = Exclude<KindName, Message["kind"]>;
type Extra = Exclude<Message["kind"], KindName>;
const complete: [Missing, Extra] extends [never, never] ? true : false = true;

// MessageOf picks the one type of a kind, with its own fields.
const carrier: MessageOf<"carrier"> = { kind: "carrier", xid: 1, on: true };
// Decoded is a message or an invalid one, told apart by kind.
const invalid: Extract<Decoded, { kind: "invalid" }>["reason"] = "length";

Deno.test("types: every kind of the header has a message type, and no other", () => {
  equal(complete, true);
  equal(carrier.kind, "carrier");
  equal(invalid, "length");
});
