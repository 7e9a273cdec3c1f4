import { equal, match } from "node:assert/strict";
import { formatVersionReport, SWITCHD_VERSION } from "./version.ts";

Deno.test("SWITCHD_VERSION is a plain semver", () => {
  match(SWITCHD_VERSION, /^\d+\.\d+\.\d+$/);
});

Deno.test("version report names both parts, the ABI and the path", () => {
  equal(
    formatVersionReport(
      { version: "0.2.3", abiVersion: 7, path: "/opt/x/libxeth_dataplane.so" },
      "1.0.0",
    ),
    "xeth-switchd 1.0.0, dataplane 0.2.3 (ABI 7) from /opt/x/libxeth_dataplane.so",
  );
});

Deno.test("version report defaults to SWITCHD_VERSION", () => {
  equal(
    formatVersionReport({ version: "0.1.0", abiVersion: 1, path: "/l.so" }),
    `xeth-switchd ${SWITCHD_VERSION}, dataplane 0.1.0 (ABI 1) from /l.so`,
  );
});

Deno.test("version report without a dataplane gives SWITCHD's alone", () => {
  equal(formatVersionReport(undefined, "1.0.0"), "xeth-switchd 1.0.0");
});
