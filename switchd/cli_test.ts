import {
  deepEqual,
  doesNotMatch,
  equal,
  match,
  rejects,
} from "node:assert/strict";
import { fileURLToPath } from "node:url";
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

// The real program, as a user runs it.

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));
// What `deno task switchd` gives (deno.json); unix sockets need --allow-net.
const PERMS = [
  "--allow-ffi",
  "--allow-env",
  "--allow-read",
  "--allow-write",
  "--allow-net",
];

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

Deno.test("main.ts: --version prints the version line and exits 0", async () => {
  const r = await runMain(["--version"]);
  equal(r.code, 0, r.stderr);
  match(
    r.stdout,
    /^xeth-switchd \d+\.\d+\.\d+, dataplane \d+\.\d+\.\d+ \(ABI \d+\) from \/\S*\/libxeth_dataplane\.so\n$/,
  );
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

Deno.test("main.ts: show without --allow-net says which flags to give", async () => {
  const r = await runMain(
    ["show", "--control", "/tmp/xnone.sock"],
    {},
    PERMS.filter((p) => p !== "--allow-net"),
  );
  equal(r.code, 1);
  match(r.stderr, /--allow-net/);
  doesNotMatch(r.stderr, STACK);
});

Deno.test("main.ts: missing permission says which flags to give", async () => {
  const r = await runMain([], {}, ["--allow-ffi", "--allow-read"]);
  equal(r.code, 1);
  match(r.stderr, /--allow-env/);
  doesNotMatch(r.stderr, STACK);
});

Deno.test("main.ts: SIGTERM stops a waiting daemon cleanly", async () => {
  const dir = await Deno.makeTempDir();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...PERMS,
      MAIN,
      "--mux",
      "xnomux-sig",
      "--control",
      `${dir}/c.sock`,
    ],
    env: { XETH_DATAPLANE_LIB: "", NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const err = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("waiting for @xnomux-sig")) {
    const r = await err.read();
    if (r.done) break;
    text += r.value;
  }
  // show, as a user runs it, answers from this daemon.
  const shown = await runMain(["show", "--control", `${dir}/c.sock`]);
  equal(shown.code, 0, shown.stderr);
  match(shown.stdout, /^mux: xnomux-sig$/m);
  child.kill("SIGTERM");
  for (;;) {
    const r = await err.read();
    if (r.done) break;
    text += r.value;
  }
  const status = await child.status;
  await child.stdout.cancel();
  equal(status.code, 0, text);
  match(text, /stopped/);
  doesNotMatch(text, STACK);
  await Deno.remove(dir, { recursive: true });
});
