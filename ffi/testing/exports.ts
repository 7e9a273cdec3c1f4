/**
 * What the built library exports, for the tests of the symbol tables
 * (`*_symbols_test.ts`): the names of its `xeth_dp_` functions, read from
 * its dynamic symbol table with `nm -D`. A function added to the Rust side
 * without an entry in its table here, or an entry left behind when a
 * function goes, fails those tests instead of surfacing at load time.
 *
 * @module
 */

import { deepEqual } from "node:assert/strict";
import { findLibrary } from "../library.ts";

/** The `xeth_dp_` functions of the library that would be loaded, sorted. */
export async function exportedFunctions(): Promise<string[]> {
  const path = findLibrary();
  const out = await new Deno.Command("nm", {
    args: ["-D", "--defined-only", "--format=posix", path],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`nm -D ${path}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout).split("\n")
    .map((line) => line.split(" "))
    .filter(([name, type]) => type === "T" && name.startsWith("xeth_dp_"))
    .map(([name]) => name)
    .sort();
}

/**
 * The library functions a table binds: each entry's `name` when it has
 * one (a second binding of the same function), else its key; sorted.
 */
export function boundFunctions(table: Deno.ForeignLibraryInterface): string[] {
  const names = Object.entries(table).map(([key, def]) =>
    "name" in def && typeof def.name === "string" ? def.name : key
  );
  return [...new Set(names)].sort();
}

/**
 * Asserts that `table` binds exactly the library's functions whose names
 * start with one of `prefixes`.
 */
export async function assertBindsExactly(
  table: Deno.ForeignLibraryInterface,
  prefixes: readonly string[],
): Promise<void> {
  const exported = (await exportedFunctions()).filter((n) =>
    prefixes.some((p) => n.startsWith(p))
  );
  deepEqual(boundFunctions(table), exported);
}
