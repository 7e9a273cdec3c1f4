/** debian/copyright of the packages (scripts/copyright.ts). */
import assert from "node:assert/strict";
import { copyrightLine, copyrightText } from "./copyright.ts";

Deno.test("copyright line: the holders a license names", () => {
  assert.equal(
    copyrightLine("MIT License\n\nCopyright 2018-2026 the Deno authors\n", "d"),
    "2018-2026 the Deno authors",
  );
  assert.equal(
    copyrightLine("Copyright (c) 2020 Someone\n", "s"),
    "2020 Someone",
  );
  assert.throws(() => copyrightLine("MIT\n", "x"), /x names no copyright/);
});

Deno.test("copyright: the module and plugins GPL-2.0, what others wrote under its license", () => {
  const dkms = copyrightText(2026);
  assert.match(
    dkms,
    /^Format: https:\/\/www\.debian\.org\/doc\/packaging-manuals\/copyright-format\/1\.0\/$/m,
  );
  assert.match(
    dkms,
    /^Files: usr\/src\/\* usr\/lib\/\*\/ip\/\*\nCopyright: 2026 the xeth-switchd authors\nLicense: GPL-2\.0$/m,
  );
  assert.doesNotMatch(dkms, /Deno/);
  const switchd = copyrightText(2026, {
    mit: [{
      files: "usr/lib/xeth-switchd/deno",
      text:
        "MIT License\n\nCopyright 2018-2026 the Deno authors\n\nPermission ...",
      what: "Deno",
    }],
    crates: ["libc 0.2.191: MIT OR Apache-2.0"],
  });
  assert.match(
    switchd,
    /^Files: usr\/lib\/xeth-switchd\/deno\nCopyright: 2018-2026 the Deno authors\nLicense: MIT\n MIT License\n \.\n/m,
  );
  assert.match(switchd, /^ libc 0\.2\.191: MIT OR Apache-2\.0$/m);
});
