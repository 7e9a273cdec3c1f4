// Every TypeScript module of SWITCHD, its library bindings, the lab and the scripts
// has a test beside it (x.ts, x_test.ts) that runs something: the rule of
// the developer's guide, checked instead of remembered. A generated file's
// test drops ".generated" (abi.generated.ts: abi_test.ts). Benchmarks
// (bench/) are measurements, not modules, and are not looked at.

import { deepEqual } from "node:assert/strict";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DIRS = ["switchd", "ffi", "scripts", "lab"];

/**
 * Modules that are test data for other tests, not code with behaviour of
 * their own: what they hold is checked by the tests that use it.
 */
const TEST_DATA = new Set([
  "switchd/mirror/fixtures.ts",
  "switchd/protocol/fixtures.ts",
]);

function* modules(dir: string): Generator<string> {
  for (const e of Deno.readDirSync(`${ROOT}${dir}`)) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) yield* modules(path);
    else if (e.name.endsWith(".ts") && !e.name.endsWith("_test.ts")) {
      yield path;
    }
  }
}

/** The test beside `module`. */
export function testOf(module: string): string {
  return module.replace(/(\.generated)?\.ts$/, "_test.ts");
}

function hasTests(path: string): boolean {
  try {
    return /\bDeno\.test\(/.test(Deno.readTextFileSync(`${ROOT}${path}`));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

Deno.test("testOf: x.ts and x.generated.ts are tested by x_test.ts", () => {
  deepEqual(
    ["a/b.ts", "a/abi.generated.ts", "main.ts"].map(testOf),
    ["a/b_test.ts", "a/abi_test.ts", "main_test.ts"],
  );
});

Deno.test("every module has a test beside it", () => {
  const all = ["main.ts", ...DIRS.flatMap((d) => [...modules(d)])];
  const untested = all
    .filter((m) => !TEST_DATA.has(m) && !hasTests(testOf(m)))
    .sort();
  deepEqual(untested, [], "modules without a test beside them");
});
