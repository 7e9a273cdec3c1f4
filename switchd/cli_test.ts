import { deepEqual, equal, match, rejects } from "node:assert/strict";
import { type Dataplane, DataplaneError } from "../ffi/library.ts";
import { EXIT_USAGE } from "./cli/args.ts";
import { type CliIo, runCli } from "./cli.ts";
import { SWITCHD_VERSION } from "./version.ts";

interface Captured {
  code: number;
  stdout: string[];
  stderr: string[];
  closed: boolean;
}

async function runFake(
  args: string[],
  open: () => Dataplane,
): Promise<Captured> {
  const out: Captured = { code: -1, stdout: [], stderr: [], closed: false };
  const io: CliIo = {
    stdout: (l) => out.stdout.push(l),
    stderr: (l) => out.stderr.push(l),
    openDataplane: open,
    stopSignal: () => AbortSignal.abort(),
  };
  out.code = await runCli(args, io);
  return out;
}

// Only what the version report calls; the daemon is tested with the real
// library below.
function fakeDataplane(onClose: () => void): Dataplane {
  return {
    path: "/fake/libxeth_dataplane.so",
    abiVersion: () => 1,
    version: () => "9.8.7",
    lastError: () => "",
    close: onClose,
    [Symbol.dispose]: onClose,
  } as unknown as Dataplane;
}

const FAKE_LINE =
  `xeth-switchd ${SWITCHD_VERSION}, dataplane 9.8.7 (ABI 1) from /fake/libxeth_dataplane.so`;

Deno.test("runCli: version report, then the library is closed", async () => {
  for (const args of [["-V"], ["--version", "--mux", "xm0"]]) {
    let closed = false;
    const r = await runFake(args, () => fakeDataplane(() => closed = true));
    equal(r.code, 0);
    deepEqual(r.stdout, [FAKE_LINE]);
    equal(closed, true);
  }
});

Deno.test("runCli: help does not need the library", async () => {
  const r = await runFake(["--help"], () => {
    throw new Error("must not open");
  });
  equal(r.code, 0);
  const help = r.stdout.join("\n");
  match(help, /--mux NAME/);
  match(help, /--switch KIND/);
  match(help, /--encap ENCAP/);
  match(help, /--attach PORT=IFNAME/);
  match(help, /show \[session\|.*\|switch\|switch-fib\]/);
});

Deno.test("runCli: usage error exits 2 pointing at --help", async () => {
  const r = await runFake(["--nope"], () => {
    throw new Error("must not open");
  });
  equal(r.code, EXIT_USAGE);
  deepEqual(r.stdout, []);
  match(r.stderr.join("\n"), /Unknown option '--nope'/);
  match(r.stderr.join("\n"), /see --help/);
});

Deno.test("runCli: library failure exits 1 with its message", async () => {
  const fail = () => {
    throw new DataplaneError("no library at /x");
  };
  const run = await runFake([], fail);
  equal(run.code, 1);
  deepEqual(run.stdout, []);
  deepEqual(run.stderr, ["xeth-switchd: no library at /x"]);

  // --version still says which SWITCHD this is.
  const version = await runFake(["--version"], fail);
  equal(version.code, 1);
  deepEqual(version.stdout, [`xeth-switchd ${SWITCHD_VERSION}`]);
});

Deno.test("runCli: unexpected errors are not disguised", async () => {
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
      stopSignal: () => AbortSignal.abort(),
    };
    await rejects(() => runCli(args, io), RangeError);
  }
});
