/** The pieces of hand-made Debian packages (scripts/deb.ts). */
import assert from "node:assert/strict";
import {
  changelogDate,
  controlFile,
  fill,
  installedSize,
  normalize,
  walk,
} from "./deb.ts";

Deno.test("fill: every placeholder needs a value", () => {
  assert.equal(fill("a @VERSION@ b @VERSION@", { VERSION: "1" }), "a 1 b 1");
  assert.throws(
    () => fill("x @MISSING@", { VERSION: "1" }, "t.conf"),
    /t\.conf: no value for @MISSING@/,
  );
  // shell and make variables are left alone
  assert.equal(fill("$VERSION ${x} @ a@b", {}), "$VERSION ${x} @ a@b");
});

Deno.test("changelog date: RFC 2822 in UTC", () => {
  assert.equal(changelogDate(0), "Thu, 01 Jan 1970 00:00:00 +0000");
  assert.equal(changelogDate(1795584720), "Wed, 25 Nov 2026 05:32:00 +0000");
});

Deno.test("control file: folded descriptions, blank lines as ' .'", () => {
  assert.equal(
    controlFile([
      ["Package", "p"],
      ["Description", "short\nlong one\n\nlong two\n"],
    ]),
    "Package: p\nDescription: short\n long one\n .\n long two\n",
  );
});

Deno.test("installed size: KiB per file rounded up, one per directory", () => {
  assert.equal(
    installedSize([
      { path: "a", isDir: true, size: 4096 },
      { path: "a/b", isDir: false, size: 1 },
      { path: "a/c", isDir: false, size: 1025 },
      { path: "a/d", isDir: false, size: 0 },
    ]),
    1 + 1 + 2 + 0,
  );
});

Deno.test("walk and normalize: sorted, DEBIAN/ left out, fixed modes and times", () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.mkdirSync(`${dir}/usr/bin`, { recursive: true });
    Deno.mkdirSync(`${dir}/DEBIAN`);
    Deno.writeTextFileSync(`${dir}/usr/bin/tool`, "#!/bin/sh\n");
    Deno.writeTextFileSync(`${dir}/usr/b.txt`, "x");
    Deno.writeTextFileSync(`${dir}/DEBIAN/control`, "c");
    Deno.chmodSync(`${dir}/usr/b.txt`, 0o600);
    assert.deepEqual(
      walk(dir).map((e) => e.path),
      ["usr", "usr/b.txt", "usr/bin", "usr/bin/tool"],
    );
    normalize(dir, 1000, new Set(["usr/bin/tool"]));
    const mode = (p: string) => Deno.statSync(`${dir}/${p}`).mode! & 0o777;
    assert.equal(mode("usr/bin/tool"), 0o755);
    assert.equal(mode("usr/b.txt"), 0o644);
    assert.equal(mode("usr/bin"), 0o755);
    assert.equal(mode("DEBIAN/control"), 0o644);
    assert.equal(Deno.statSync(`${dir}/usr/b.txt`).mtime?.getTime(), 1e6);
    Deno.symlinkSync("b.txt", `${dir}/usr/link`);
    assert.throws(() => walk(dir), /no symlinks/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
