import {
  deepEqual,
  doesNotMatch,
  equal,
  match,
  throws,
} from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { type Dataplane, DataplaneError } from "../ffi/library.ts";
import {
  type CliIo,
  DEFAULT_MUX,
  EXIT_USAGE,
  ifnameProblem,
  parseCli,
  runCli,
  UsageError,
} from "./cli.ts";
import { SWITCHD_VERSION } from "./version.ts";

Deno.test("parseCli: defaults to running on the default mux", () => {
  deepEqual(parseCli([]), { command: "run", mux: DEFAULT_MUX });
});

Deno.test("parseCli: short and long flags", () => {
  equal(parseCli(["-V"]).command, "version");
  equal(parseCli(["--version"]).command, "version");
  equal(parseCli(["-h"]).command, "help");
  equal(parseCli(["--help", "--version"]).command, "help");
  equal(parseCli(["--mux", "mux0"]).mux, "mux0");
  equal(parseCli(["--mux=mux1"]).mux, "mux1");
});

Deno.test("parseCli: bad command lines are usage errors", () => {
  for (
    const args of [
      ["--bogus"],
      ["-x"],
      ["extra"],
      ["--mux"],
      ["--version=yes"],
      ["--mux", "a/b"],
    ]
  ) {
    throws(() => parseCli(args), UsageError, args.join(" "));
  }
});

Deno.test("ifnameProblem follows the kernel's rules", () => {
  for (const ok of ["xeth-mux", "a", "x".repeat(15), "eth0.100", "é"]) {
    equal(ifnameProblem(ok), undefined, ok);
  }
  for (
    const bad of ["", ".", "..", "x".repeat(16), "é".repeat(8), "a:b", "a b"]
  ) {
    equal(typeof ifnameProblem(bad), "string", JSON.stringify(bad));
  }
});

interface Captured {
  code: number;
  stdout: string[];
  stderr: string[];
  closed: boolean;
}

function runFake(args: string[], open: () => Dataplane): Captured {
  const out: Captured = { code: -1, stdout: [], stderr: [], closed: false };
  const io: CliIo = {
    stdout: (l) => out.stdout.push(l),
    stderr: (l) => out.stderr.push(l),
    openDataplane: open,
  };
  out.code = runCli(args, io);
  return out;
}

function fakeDataplane(onClose: () => void): Dataplane {
  return {
    path: "/fake/libxeth_dataplane.so",
    abiVersion: () => 1,
    version: () => "9.8.7",
    lastError: () => "",
    close: onClose,
    [Symbol.dispose]: onClose,
  };
}

const FAKE_LINE =
  `xeth-switchd ${SWITCHD_VERSION}, dataplane 9.8.7 (ABI 1) from /fake/libxeth_dataplane.so`;

Deno.test("runCli: version report, then the library is closed", () => {
  for (const args of [[], ["-V"]]) {
    let closed = false;
    const r = runFake(args, () => fakeDataplane(() => closed = true));
    equal(r.code, 0);
    deepEqual(r.stdout, [FAKE_LINE]);
    equal(closed, true);
  }
});

Deno.test("runCli: help does not need the library", () => {
  const r = runFake(["--help"], () => {
    throw new Error("must not open");
  });
  equal(r.code, 0);
  match(r.stdout.join("\n"), /--mux NAME/);
});

Deno.test("runCli: usage error exits 2 pointing at --help", () => {
  const r = runFake(["--nope"], () => {
    throw new Error("must not open");
  });
  equal(r.code, EXIT_USAGE);
  deepEqual(r.stdout, []);
  match(r.stderr.join("\n"), /Unknown option '--nope'/);
  match(r.stderr.join("\n"), /see --help/);
});

Deno.test("runCli: library failure exits 1 with its message", () => {
  const fail = () => {
    throw new DataplaneError("no library at /x");
  };
  const run = runFake([], fail);
  equal(run.code, 1);
  deepEqual(run.stdout, []);
  deepEqual(run.stderr, ["xeth-switchd: no library at /x"]);

  // --version still says which SWITCHD this is.
  const version = runFake(["--version"], fail);
  equal(version.code, 1);
  deepEqual(version.stdout, [`xeth-switchd ${SWITCHD_VERSION}`]);
});

Deno.test("runCli: unexpected errors are not disguised", () => {
  for (const args of [[], ["--version"]]) {
    const io: CliIo = {
      stdout: (l) => {
        throw new Error(`unexpected output: ${l}`);
      },
      stderr: (l) => {
        throw new Error(`unexpected output: ${l}`);
      },
      openDataplane: () => {
        throw new RangeError("bug");
      },
    };
    throws(() => runCli(args, io), RangeError);
  }
});

// The real program, as a user runs it.

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));
const PERMS = ["--allow-ffi", "--allow-env", "--allow-read"];

async function runMain(
  args: string[],
  env: Record<string, string> = {},
  perms: string[] = PERMS,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", ...perms, MAIN, ...args],
    // An empty XETH_DATAPLANE_LIB means unset, so the developer's own
    // setting cannot leak into the child.
    env: { XETH_DATAPLANE_LIB: "", NO_COLOR: "1", ...env },
    stdin: "null",
  }).output();
  const text = new TextDecoder();
  return {
    code: out.code,
    stdout: text.decode(out.stdout),
    stderr: text.decode(out.stderr),
  };
}

const STACK = /^\s+at /m;

Deno.test("main.ts: prints the version line and exits 0", async () => {
  const r = await runMain([]);
  equal(r.code, 0, r.stderr);
  match(
    r.stdout,
    /^xeth-switchd \d+\.\d+\.\d+, dataplane \d+\.\d+\.\d+ \(ABI 1\) from \/\S*\/libxeth_dataplane\.so\n$/,
  );
});

Deno.test("main.ts: --version prints the same line", async () => {
  const r = await runMain(["--version"]);
  equal(r.code, 0, r.stderr);
  match(r.stdout, /^xeth-switchd .* \(ABI 1\) from /);
  equal(r.stderr, "");
});

Deno.test("main.ts: unknown flag exits 2 with a message", async () => {
  const r = await runMain(["--frobnicate"]);
  equal(r.code, 2);
  equal(r.stdout, "");
  match(r.stderr, /Unknown option '--frobnicate'/);
  match(r.stderr, /see --help/);
  doesNotMatch(r.stderr, STACK);
});

Deno.test("main.ts: missing library exits 1 naming the path", async () => {
  const r = await runMain([], { XETH_DATAPLANE_LIB: "/nonexistent" });
  equal(r.code, 1);
  match(r.stderr, /\/nonexistent \(not found\)/);
  match(r.stderr, /cargo build --release/);
  doesNotMatch(r.stderr, STACK);
});

Deno.test("main.ts: missing permission says which flags to give", async () => {
  const r = await runMain([], {}, ["--allow-ffi", "--allow-read"]);
  equal(r.code, 1);
  match(r.stderr, /--allow-env/);
  doesNotMatch(r.stderr, STACK);
});
