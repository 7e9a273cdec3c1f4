// These tests load the real library: build it first with
// `cargo build --release --manifest-path dataplane/Cargo.toml`.

import { equal, match, ok, throws } from "node:assert/strict";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { ERRNO } from "./abi.generated.ts";
import {
  checkAbi,
  DataplaneError,
  defaultRoot,
  EXPECTED_ABI_VERSION,
  findLibrary,
  INSTALLED_PATH,
  LIBRARY_ENV,
  LIBRARY_NAME,
  libraryCandidates,
  openDataplane,
  type OpenOptions,
  readCString,
} from "./library.ts";
import { SYMBOLS } from "./symbols.ts";

const { ERANGE, EINVAL } = ERRNO;

// Tests choose the environment explicitly so that an XETH_DATAPLANE_LIB set
// in the developer's shell cannot change what they test.
const noEnv = (): undefined => undefined;
const envWith = (path: string) => (name: string): string | undefined =>
  name === LIBRARY_ENV ? path : undefined;

const realLibrary: string = findLibrary({ env: noEnv });

async function crateVersion(): Promise<string> {
  const toml = await Deno.readTextFile(
    new URL("../dataplane/Cargo.toml", import.meta.url),
  );
  const m = toml.match(/^\[package\][^[]*?^version\s*=\s*"([^"]+)"/m);
  if (!m) throw new Error("no [package] version in dataplane/Cargo.toml");
  return m[1];
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "xeth-ffi-test-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function throwsDataplaneError(fn: () => unknown, ...patterns: RegExp[]): void {
  throws(fn, (e: unknown) => {
    ok(e instanceof DataplaneError, `not a DataplaneError: ${e}`);
    for (const p of patterns) match(e.message, p);
    return true;
  });
}

function escape(s: string): RegExp {
  return new RegExp(s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
}

Deno.test("real library: ABI and version round trip", async () => {
  using dp = openDataplane({ env: noEnv });
  equal(dp.path, realLibrary);
  equal(dp.abiVersion(), EXPECTED_ABI_VERSION);
  equal(dp.version(), await crateVersion());
});

Deno.test("real library: failed calls leave a readable last error", () => {
  // Raw symbols, because the wrapper never makes a failing call on purpose.
  // Both handles resolve to the one loaded copy, so they share its
  // per-thread last error.
  const raw = Deno.dlopen(realLibrary, SYMBOLS);
  try {
    using dp = openDataplane({ env: noEnv });
    equal(raw.symbols.xeth_dp_version(new Uint8Array(1), 1n), BigInt(-ERANGE));
    match(dp.lastError(), /^buffer too small: need \d+ bytes, got 1$/);

    equal(raw.symbols.xeth_dp_version(null, 8n), BigInt(-EINVAL));
    equal(dp.lastError(), "invalid argument: null buffer");

    // A successful call does not clear it, like errno.
    dp.version();
    equal(dp.lastError(), "invalid argument: null buffer");

    // Fetching it into a short buffer fails without replacing it.
    equal(
      raw.symbols.xeth_dp_last_error(new Uint8Array(4), 4n),
      BigInt(-ERANGE),
    );
    equal(dp.lastError(), "invalid argument: null buffer");
  } finally {
    raw.close();
  }
});

Deno.test("closed library refuses calls instead of crashing", () => {
  const dp = openDataplane({ env: noEnv });
  dp.close();
  dp.close();
  throwsDataplaneError(() => dp.abiVersion(), /closed/);
  throwsDataplaneError(() => dp.version(), /closed/);
});

Deno.test("search order: env var alone, else root, dev build, installed", () => {
  equal(
    libraryCandidates({ env: envWith("/x/lib.so"), root: "/repo" }).paths
      .join(),
    "/x/lib.so",
  );
  const search = libraryCandidates({ env: noEnv, root: "/repo" });
  equal(search.fromEnv, false);
  equal(
    search.paths.join("\n"),
    [
      "/repo/libxeth_dataplane.so",
      "/repo/dataplane/target/release/libxeth_dataplane.so",
      INSTALLED_PATH,
    ].join("\n"),
  );
  // An empty variable is treated as unset, as shells make that easy.
  equal(libraryCandidates({ env: envWith(""), root: "/r" }).fromEnv, false);
});

Deno.test("default root: main.ts's directory, or a compiled binary's", () => {
  const here = fileURLToPath(new URL("../", import.meta.url));
  equal(defaultRoot(), here);
  equal(
    defaultRoot(false, Deno.execPath, "file:///repo/ffi/library.ts"),
    "/repo/",
  );
  equal(
    defaultRoot(true, () => "/opt/xeth/bin/xeth-switchd", "file:///x/y.ts"),
    "/opt/xeth/bin",
  );
  equal(defaultRoot(false, Deno.execPath, "https://e.org/ffi/l.ts"), undefined);
});

Deno.test("env var: relative path is taken from the working directory", () => {
  const rel = relative(Deno.cwd(), realLibrary);
  using dp = openDataplane({ env: envWith(rel) });
  equal(dp.path, realLibrary);
});

Deno.test("env var: a missing file is named, with no fallback", () => {
  const missing = "/nonexistent/dir/libxeth_dataplane.so";
  throwsDataplaneError(
    () => openDataplane({ env: envWith(missing) }),
    escape(`${missing} (not found)`),
    escape(LIBRARY_ENV),
    /cargo build --release --manifest-path dataplane\/Cargo\.toml/,
  );
});

Deno.test("env var: a copy of the library elsewhere is loaded", async () => {
  await withTempDir(async (dir) => {
    const copy = join(dir, "copy.so");
    await Deno.copyFile(realLibrary, copy);
    using dp = openDataplane({ env: envWith(copy) });
    equal(dp.path, copy);
    equal(dp.abiVersion(), EXPECTED_ABI_VERSION);
  });
});

Deno.test("env var: a file that is not a library fails to load", async () => {
  await withTempDir(async (dir) => {
    const junk = join(dir, LIBRARY_NAME);
    await Deno.writeTextFile(junk, "not an ELF file\n");
    throwsDataplaneError(
      () => openDataplane({ env: envWith(junk) }),
      escape(`cannot load ${junk}`),
      /rebuild it with/,
    );
  });
});

Deno.test("default search takes the first existing candidate", async () => {
  await withTempDir(async (root) => {
    const nextToMain = join(root, LIBRARY_NAME);
    const devDir = join(root, "dataplane", "target", "release");
    const devBuild = join(devDir, LIBRARY_NAME);
    const installed = join(root, "installed", LIBRARY_NAME);
    await Deno.mkdir(devDir, { recursive: true });
    await Deno.mkdir(join(root, "installed"));
    const opts: OpenOptions = { env: noEnv, root, installedPath: installed };

    for (const p of [nextToMain, devBuild, installed]) {
      await Deno.copyFile(realLibrary, p);
    }
    equal(findLibrary(opts), nextToMain);
    await Deno.remove(nextToMain);
    equal(findLibrary(opts), devBuild);
    await Deno.remove(devBuild);
    {
      using dp = openDataplane(opts);
      equal(dp.path, installed);
    }
    await Deno.remove(installed);

    // A directory where the file should be is reported as such.
    await Deno.mkdir(nextToMain);
    throwsDataplaneError(
      () => openDataplane(opts),
      new RegExp(
        [
          escape(`${nextToMain} (not a regular file)`).source,
          escape(`${devBuild} (not found)`).source,
          escape(`${installed} (not found)`).source,
        ].join("\n  "),
      ),
      /build it with `\.\/run build` or `cargo build/,
      escape(`set ${LIBRARY_ENV}`),
    );
  });
});

Deno.test("checkAbi accepts equal versions and names both otherwise", () => {
  checkAbi(3, 3, "/l.so");
  throwsDataplaneError(
    () => checkAbi(2, 1, "/l.so"),
    /\/l\.so has ABI 2/,
    /expects ABI 1/,
    /rebuild/,
  );
});

Deno.test("real library with another expected ABI is refused", () => {
  throwsDataplaneError(
    () => openDataplane({ env: noEnv, expectedAbi: EXPECTED_ABI_VERSION + 1 }),
    escape(`${realLibrary} has ABI ${EXPECTED_ABI_VERSION}`),
    escape(`expects ABI ${EXPECTED_ABI_VERSION + 1}`),
  );
});

Deno.test("readCString grows the buffer while the call says ERANGE", () => {
  const text = "x".repeat(300);
  const sizes: number[] = [];
  const r = readCString((buf, len) => {
    sizes.push(Number(len));
    if (Number(len) < text.length + 1) return BigInt(-ERANGE);
    buf.set(new TextEncoder().encode(text + "\0"));
    return BigInt(text.length);
  }, 16);
  equal(r, text);
  equal(sizes.join(), "16,64,256,1024");
});

Deno.test("readCString returns other errors and stops growing at a cap", () => {
  equal(readCString(() => BigInt(-EINVAL)), -EINVAL);
  let calls = 0;
  equal(
    readCString(() => {
      calls++;
      return BigInt(-ERANGE);
    }),
    -ERANGE,
  );
  ok(calls < 20, `${calls} calls`);
});

Deno.test("readCString never reads past the buffer", () => {
  equal(readCString((buf) => BigInt(buf.length + 100), 4), "\0\0\0\0");
});
