/**
 * `deno task compile` offline: one line that says why and what to use
 * instead, recognised from what deno compile prints.
 */
import assert from "node:assert/strict";
import { offlineReason, PERMISSIONS } from "./compile.ts";

// What deno 2.9.6's compile printed on a machine without internet access.
const OFFLINE = `Check main.ts
Compile main.ts to file:///tmp/v/xs
Download https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip
error: Writing deno compile executable to temporary file '/tmp/v/xs.tmp-3471d216302cee8c'

Caused by:
    0: Setting up base binary.
    1: error sending request for url (https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip): client error (Connect): dns error: failed to lookup address information: Name or service not known
    2: client error (Connect)
`;

Deno.test("offline: one line naming the runtime and deno task package", () => {
  const line = offlineReason(OFFLINE);
  assert.ok(line);
  assert.equal(line.split("\n").length, 1);
  assert.match(line, /denort-x86_64-unknown-linux-gnu\.zip/);
  assert.match(line, /deno task package/);
});

Deno.test("other failures are not blamed on the network", () => {
  assert.equal(
    offlineReason("error: TS2322 [ERROR]: Type 'string' is not assignable"),
    undefined,
  );
  assert.equal(
    offlineReason(
      "Download https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip\nerror: No space left on device",
    ),
    undefined,
  );
});

Deno.test("the binary gets the permissions deno task switchd gives", () => {
  const task = JSON.parse(
    Deno.readTextFileSync(new URL("../deno.json", import.meta.url)),
  ).tasks.switchd as string;
  assert.deepEqual(
    [...PERMISSIONS].sort(),
    [...task.matchAll(/--allow-[\w-]+/g)].map((m) => m[0]).sort(),
  );
});
