/**
 * Finding, loading and wrapping libxeth_dataplane.so.
 *
 * The library is looked up in a fixed order (see {@link libraryCandidates})
 * and refused unless its ABI version is {@link EXPECTED_ABI_VERSION}, so that
 * a stale build fails at start-up with a message saying what to rebuild,
 * instead of misbehaving later.
 *
 * @module
 */

import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type DataplaneLibrary, SYMBOLS } from "./symbols.ts";

/** ABI version of dataplane/src/ffi.rs this code was written for. */
export const EXPECTED_ABI_VERSION = 5;

/** Environment variable naming the library file; overrides the search. */
export const LIBRARY_ENV = "XETH_DATAPLANE_LIB";

/** File name of the library. */
export const LIBRARY_NAME = "libxeth_dataplane.so";

/** Where packages install the library. */
export const INSTALLED_PATH = "/usr/lib/xeth-switchd/libxeth_dataplane.so";

/** Commands that build the library, run from the repository root. */
export const BUILD_COMMANDS =
  "`./run build` or `cargo build --release --manifest-path dataplane/Cargo.toml`";

const ERANGE = 34;

// Error messages and versions are short; the cap only stops a broken
// library from making us allocate without bound.
const MAX_STRING = 1 << 20;

/** Any failure to find, load or call the data plane library. */
export class DataplaneError extends Error {
  /** Positive errno when a library call failed, else undefined. */
  readonly errno: number | undefined;

  constructor(message: string, options?: { errno?: number; cause?: unknown }) {
    super(message, { cause: options?.cause });
    this.name = "DataplaneError";
    this.errno = options?.errno;
  }
}

/** A loaded data plane library. */
export interface Dataplane extends Disposable {
  /** Absolute path the library was loaded from. */
  readonly path: string;
  /** ABI version the library reports. */
  abiVersion(): number;
  /** Version of the dataplane crate. */
  version(): string;
  /** Message of the last failed library call on this thread; "" if none. */
  lastError(): string;
  /**
   * The raw C functions, for the typed wrappers in ffi/ (sideband.ts,
   * punt.ts, vfio.ts, switch.ts). Throws once the library is closed.
   */
  readonly symbols: DataplaneLibrary["symbols"];
  /**
   * Throws a {@link DataplaneError} for a negative return `r` of the call
   * named `what`, with the library's message; returns `r` as a number
   * otherwise.
   */
  check(what: string, r: bigint | number): number;
  /** Unloads the library; later calls throw. Safe to call twice. */
  close(): void;
}

/** Where to look for the library; every field has a production default. */
export interface OpenOptions {
  /** Reads an environment variable; defaults to Deno.env.get. */
  env?: (name: string) => string | undefined;
  /** Directory searched first; defaults to {@link defaultRoot}(). */
  root?: string;
  /** Installed library path; defaults to {@link INSTALLED_PATH}. */
  installedPath?: string;
  /** ABI version to insist on; defaults to {@link EXPECTED_ABI_VERSION}. */
  expectedAbi?: number;
}

/** The paths {@link openDataplane} tries, in order. */
export interface LibrarySearch {
  /** True when the paths come from {@link LIBRARY_ENV} alone. */
  readonly fromEnv: boolean;
  readonly paths: readonly string[];
}

/**
 * Lists the paths to try: the file named by {@link LIBRARY_ENV} if it is
 * set, otherwise the library next to main.ts (or next to a compiled
 * binary), then the cargo release build, then the installed copy.
 */
export function libraryCandidates(opts: OpenOptions = {}): LibrarySearch {
  const env = opts.env ?? ((name: string) => Deno.env.get(name));
  const explicit = env(LIBRARY_ENV);
  if (explicit) {
    // A set variable is the operator's choice: falling back to another
    // build would hide a typo. resolve() because dlopen searches the
    // linker path, not the working directory, for a name without a slash.
    return { fromEnv: true, paths: [resolve(explicit)] };
  }
  const root = opts.root ?? defaultRoot();
  const paths: string[] = [];
  if (root !== undefined) {
    paths.push(join(root, LIBRARY_NAME));
    paths.push(join(root, "dataplane", "target", "release", LIBRARY_NAME));
  }
  paths.push(opts.installedPath ?? INSTALLED_PATH);
  return { fromEnv: false, paths };
}

/**
 * The directory searched first: the one holding main.ts, or for a binary
 * made by `deno compile` (whose modules live in a virtual file system), the
 * one holding the binary. Undefined when main.ts is not on disk.
 */
export function defaultRoot(
  standalone: boolean = Deno.build.standalone,
  execPath: () => string = Deno.execPath,
  moduleUrl: string = import.meta.url,
): string | undefined {
  if (standalone) return dirname(execPath());
  const url = new URL("../", moduleUrl);
  return url.protocol === "file:" ? fileURLToPath(url) : undefined;
}

/** Returns the first candidate that is a file; throws listing all tried. */
export function findLibrary(opts: OpenOptions = {}): string {
  const search = libraryCandidates(opts);
  const tried: string[] = [];
  for (const path of search.paths) {
    const problem = fileProblem(path);
    if (problem === undefined) return path;
    tried.push(`  ${path} (${problem})`);
  }
  const how = search.fromEnv
    ? `${LIBRARY_ENV} names a file that cannot be used; fix or unset ${LIBRARY_ENV}, or build it with ${BUILD_COMMANDS}`
    : `build it with ${BUILD_COMMANDS}, or set ${LIBRARY_ENV} to the library's path`;
  throw new DataplaneError(
    `dataplane library not found; tried:\n${tried.join("\n")}\n${how}`,
  );
}

function fileProblem(path: string): string | undefined {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (e) {
    // NotCapable (no --allow-read) is not a property of this path; let it
    // reach the caller, whose message says which flag is missing.
    if (e instanceof Deno.errors.NotCapable) throw e;
    if (e instanceof Deno.errors.NotFound) return "not found";
    return errorMessage(e);
  }
  return info.isFile ? undefined : "not a regular file";
}

/** Throws unless the library's ABI version is the expected one. */
export function checkAbi(found: number, expected: number, path: string): void {
  if (found === expected) return;
  throw new DataplaneError(
    `dataplane ABI mismatch: ${path} has ABI ${found}, this xeth-switchd expects ABI ${expected}; ` +
      `rebuild the dataplane from this checkout (${BUILD_COMMANDS}) ` +
      `or install matching xeth-switchd and dataplane versions`,
  );
}

/** Finds, loads and ABI-checks the data plane library. */
export function openDataplane(opts: OpenOptions = {}): Dataplane {
  const path = findLibrary(opts);
  let lib: DataplaneLibrary;
  try {
    lib = Deno.dlopen(path, SYMBOLS);
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable) throw e;
    // A missing symbol lands here too: the file is an older or foreign
    // build, which a rebuild fixes.
    throw new DataplaneError(
      `cannot load ${path}: ${
        errorMessage(e)
      }; rebuild it with ${BUILD_COMMANDS}`,
      { cause: e },
    );
  }
  try {
    checkAbi(
      lib.symbols.xeth_dp_abi_version(),
      opts.expectedAbi ?? EXPECTED_ABI_VERSION,
      path,
    );
  } catch (e) {
    lib.close();
    throw e;
  }
  return new LoadedDataplane(lib, path);
}

/** A C function filling a caller buffer with a NUL-terminated string. */
export type CStringCall = (buf: Uint8Array<ArrayBuffer>, len: bigint) => bigint;

/**
 * Calls `call` with a buffer, growing it while the call answers -ERANGE,
 * and decodes the result. Returns the string or the negative errno.
 */
export function readCString(
  call: CStringCall,
  initialSize = 64,
): string | number {
  for (let size = initialSize;; size *= 4) {
    const buf = new Uint8Array(size);
    // Deno passes usize/isize as bigint; the values involved are far below
    // 2^53, so Number() is exact.
    const r = Number(call(buf, BigInt(buf.length)));
    if (r >= 0) {
      // The C side promises r < len; a larger value would be a library bug
      // that must not turn into reading past what it wrote.
      return new TextDecoder().decode(buf.subarray(0, Math.min(r, size)));
    }
    if (r !== -ERANGE || size >= MAX_STRING) return r;
  }
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

class LoadedDataplane implements Dataplane {
  readonly path: string;
  #lib: DataplaneLibrary | undefined;

  constructor(lib: DataplaneLibrary, path: string) {
    this.#lib = lib;
    this.path = path;
  }

  abiVersion(): number {
    return this.#symbols().xeth_dp_abi_version();
  }

  version(): string {
    const sym = this.#symbols();
    return this.#check(
      "xeth_dp_version",
      readCString((buf, len) => sym.xeth_dp_version(buf, len)),
    );
  }

  get symbols(): DataplaneLibrary["symbols"] {
    return this.#symbols();
  }

  check(what: string, r: bigint | number): number {
    // isize results are far below 2^53, so Number() is exact.
    const n = Number(r);
    if (n >= 0) return n;
    throw new DataplaneError(`${what} failed: ${this.lastError()}`, {
      errno: -n,
    });
  }

  lastError(): string {
    const sym = this.#symbols();
    const r = readCString((buf, len) => sym.xeth_dp_last_error(buf, len), 256);
    if (typeof r === "string") return r;
    // Not through #check: that would ask for the last error again.
    throw new DataplaneError(`xeth_dp_last_error failed: errno ${-r}`, {
      errno: -r,
    });
  }

  close(): void {
    this.#lib?.close();
    this.#lib = undefined;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #symbols(): DataplaneLibrary["symbols"] {
    // Calling into an unloaded library would jump to unmapped memory.
    if (this.#lib === undefined) {
      throw new DataplaneError(`dataplane library ${this.path} is closed`);
    }
    return this.#lib.symbols;
  }

  #check(what: string, r: string | number): string {
    if (typeof r === "string") return r;
    throw new DataplaneError(`${what} failed: ${this.lastError()}`, {
      errno: -r,
    });
  }
}
