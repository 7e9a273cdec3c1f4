/**
 * debian/copyright of the packages (machine-readable format): the
 * project's own files, and what xeth-switchd ships from others (Deno, npm
 * packages, the Rust crates in the data plane library).
 *
 * @module
 */
import { run } from "./deb.ts";

/** An npm package of SWITCHD's import graph (`deno info`). */
export interface NpmPackage {
  name: string;
  version: string;
  localPath: string;
}

/** A license shipped with a part of the package. */
export interface ShippedLicense {
  /** the copyright file's Files: pattern */
  files: string;
  text: string;
  what: string;
}

/** The holders a license text names ("Copyright 2024 Someone"). */
export function copyrightLine(license: string, what: string): string {
  const m = license.match(/^\s*Copyright (?:\(c\) |©\s*)?(.+)$/m);
  if (!m) throw new Error(`the license of ${what} names no copyright holder`);
  return m[1].trim();
}

/**
 * debian/copyright (machine-readable format). `switchd` adds the parts only
 * xeth-switchd ships: the Deno runtime, npm packages and Rust crates.
 */
export function copyrightText(
  year: number,
  switchd?: { mit: ShippedLicense[]; crates: string[] },
): string {
  const head =
    `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: xeth-switchd
Comment: The project declares its license per file with SPDX headers; the
 kernel module and the ip link plugins are GPL-2.0. Files without such a
 header carry no license statement of their own.

Files: *
Copyright: ${year} the xeth-switchd authors
License: none-declared
 No license statement beyond the files' SPDX headers.
`;
  const kernel = `
Files: usr/src/* usr/lib/*/ip/*
Copyright: ${year} the xeth-switchd authors
License: GPL-2.0
 This program is free software; you can redistribute it and/or modify it
 under the terms of the GNU General Public License version 2 as published
 by the Free Software Foundation.
 .
 On Debian systems, the complete text of the GNU General Public License
 version 2 can be found in /usr/share/common-licenses/GPL-2.
`;
  if (!switchd) return head + kernel;
  const mit = switchd.mit.map(({ files, text, what }) => `
Files: ${files}
Copyright: ${copyrightLine(text, what)}
License: MIT
${
    text.trim().split("\n").map((l) => (l.trim() ? ` ${l}` : " ."))
      .join("\n")
  }
`).join("");
  return head + kernel + mit + `
Files: usr/lib/xeth-switchd/libxeth_dataplane.so
Copyright: ${year} the xeth-switchd authors, and the authors of the Rust crates below
License: none-declared
 The library links these crates, under the licenses they declare:
${switchd.crates.map((c) => ` ${c}`).join("\n")}
`;
}

/** Licenses of the Rust crates linked into the data plane library. */
export async function crateLicenses(manifest: string): Promise<string[]> {
  const out = await run("cargo", [
    "tree",
    "--manifest-path",
    manifest,
    "--offline",
    "--locked",
    "-e",
    "normal,no-proc-macro",
    "--prefix",
    "none",
    "-f",
    "{p}|{l}",
  ]);
  const lines = new Set<string>();
  for (const l of out.split("\n")) {
    const m = l.match(/^(\S+) v(\S+)[^|]*\|(.*?)(?: \(\*\))?$/);
    if (!m || m[1] === "xeth-dataplane") continue;
    lines.add(`${m[1]} ${m[2]}: ${m[3] || "no license declared"}`);
  }
  return [...lines].sort();
}

/** The MIT license text an npm package ships; others are refused. */
export function npmLicense(p: NpmPackage): string {
  const meta = JSON.parse(
    Deno.readTextFileSync(`${p.localPath}/package.json`),
  ) as { license?: string };
  if (meta.license !== "MIT") {
    throw new Error(
      `npm package ${p.name} is licensed "${meta.license}": say in scripts/package.ts (copyrightText) how to ship it`,
    );
  }
  return Deno.readTextFileSync(`${p.localPath}/LICENSE`);
}
