import { equal, match, throws } from "node:assert/strict";
import { DataplaneError } from "../../ffi/library.ts";
import { startupFailure } from "./io.ts";

Deno.test("startupFailure: what an operator can fix is one message", () => {
  equal(
    startupFailure(new DataplaneError("no library at /x")),
    "no library at /x",
  );
  const m = startupFailure(new Deno.errors.NotCapable("Requires ffi access"));
  match(m, /^Requires ffi access\n/);
  match(
    m,
    /needs --allow-ffi --allow-env --allow-read --allow-write --allow-net/,
  );
});

Deno.test("startupFailure: anything else is rethrown as it is", () => {
  const bug = new RangeError("bug");
  throws(() => startupFailure(bug), (e) => e === bug);
  throws(() => startupFailure("text"), (e) => e === "text");
});
