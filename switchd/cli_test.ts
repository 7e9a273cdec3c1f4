import {
  deepEqual,
  doesNotMatch,
  equal,
  match,
  ok,
  rejects,
  throws,
} from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  type Dataplane,
  DataplaneError,
  openDataplane,
} from "../ffi/library.ts";
import {
  type CliIo,
  DEFAULT_MUX,
  EXIT_USAGE,
  ifnameProblem,
  parseAttachments,
  parseCli,
  runCli,
  UsageError,
} from "./cli.ts";
import { SWITCHD_VERSION } from "./version.ts";

Deno.test("parseCli: defaults to running on the default mux", () => {
  deepEqual(parseCli([]), {
    command: "run",
    mux: DEFAULT_MUX,
    switch: "software",
    encap: "vlan",
    attachments: [],
    statsIntervalMs: 2000,
    logLevel: "info",
    logFormat: "text",
    control: `/run/xeth-switchd/${DEFAULT_MUX}.sock`,
    what: "session",
    json: false,
  });
});

Deno.test("parseCli: daemon options and show", () => {
  const o = parseCli([
    "--mux=xm0",
    "--stats-interval",
    "0.5",
    "--log-level",
    "debug",
    "--log-format",
    "json",
  ]);
  equal(o.statsIntervalMs, 500);
  equal(o.logLevel, "debug");
  equal(o.logFormat, "json");
  equal(o.control, "/run/xeth-switchd/xm0.sock");
  const s = parseCli(["show", "fib", "--json", "--control", "/tmp/c.sock"]);
  equal(s.command, "show");
  equal(s.what, "fib");
  equal(s.json, true);
  equal(s.control, "/tmp/c.sock");
  equal(parseCli(["show"]).what, "session");
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
      ["--stats-interval", "0"],
      ["--stats-interval", "x"],
      ["--log-level", "loud"],
      ["--log-format", "xml"],
      ["list"],
      ["show", "everything"],
      ["show", "fib", "links"],
      ["--switch", "chip"],
      ["--encap", "qinq"],
      ["--attach", "xeth1"],
      ["--switch", "none", "--attach", "xeth1=veth1"],
    ]
  ) {
    throws(() => parseCli(args), UsageError, args.join(" "));
  }
});

Deno.test("parseCli: the switch, its encap and attachments", () => {
  const o = parseCli([
    "--switch",
    "software",
    "--encap=vpls",
    "--attach",
    "xeth1=veth1",
    "--attach=3999=veth-b",
  ]);
  equal(o.switch, "software");
  equal(o.encap, "vpls");
  deepEqual(o.attachments, [
    { port: "xeth1", ifname: "veth1" },
    { port: 3999, ifname: "veth-b" },
  ]);
  equal(parseCli(["--switch", "none"]).switch, "none");
  equal(parseCli(["show", "switch"]).what, "switch");
});

Deno.test("parseAttachments: bad values say what a good one is", () => {
  for (
    const [values, why] of [
      [["xeth1"], /no '='.*give PORT=IFNAME.*--attach xeth1=veth1/],
      [["=veth1"], /bad PORT \(empty\)/],
      [["xeth1="], /bad IFNAME \(empty\)/],
      [["xeth1=a/b"], /bad IFNAME \(contains/],
      [["x".repeat(16) + "=v"], /bad PORT \(16 bytes long/],
      [["4294967296=v"], /xid 4294967296 is not a u32/],
      [["xeth1=v1", "xeth1=v2"], /port xeth1 twice.*keep one/],
      [["7=v1", "007=v2"], /port 7 twice/],
      [["xeth1=v1", "xeth2=v1"], /v1 to both xeth1 and xeth2/],
    ] as const
  ) {
    throws(
      () => parseAttachments(values),
      (e: unknown) => e instanceof UsageError && why.test(e.message),
      values.join(" "),
    );
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

// The daemon in this process, with the real library: no mux of that name
// exists, so it waits, and show reports it through the control socket.
Deno.test("runCli: the daemon waits for its mux, answers show, stops on the signal", async () => {
  const dir = await Deno.makeTempDir();
  const control = `${dir}/c.sock`;
  const mux = `xnomux${Deno.pid % 1000}`;
  const stop = new AbortController();
  const logs: string[] = [];
  const out: string[] = [];
  const io: CliIo = {
    stdout: (l) => out.push(l),
    stderr: (l) => out.push(l),
    openDataplane: () => openDataplane(),
    stopSignal: () => stop.signal,
    log: (l) => logs.push(l),
  };
  const daemon = runCli(
    ["--mux", mux, "--control", control, "--log-format", "json"],
    io,
  );
  // Until the control socket answers.
  let view = "";
  for (let i = 0; i < 100 && !view.includes("state"); i++) {
    await new Promise((r) => setTimeout(r, 50));
    const shown: string[] = [];
    const code = await runCli(["show", "--control", control], {
      ...io,
      stdout: (l) => shown.push(l),
      stderr: () => {},
    });
    if (code === 0) view = shown.join("\n");
  }
  match(view, new RegExp(`^mux: ${mux}$`, "m"));
  match(view, /^state: (waiting|connecting)$/m);
  match(view, /^links: 0$/m);

  const json: string[] = [];
  equal(
    await runCli(["show", "counters", "--json", "--control", control], {
      ...io,
      stdout: (l) => json.push(l),
    }),
    0,
  );
  equal(JSON.parse(json.join("\n")).connects, 0);

  // The software switch runs (on no mux yet) and reports.
  const sw: string[] = [];
  equal(
    await runCli(["show", "switch", "--control", control], {
      ...io,
      stdout: (l) => sw.push(l),
    }),
    0,
  );
  match(sw.join("\n"), /^switch: software$/m);
  match(sw.join("\n"), /^switchd\.errors: 0$/m);

  stop.abort();
  equal(await daemon, 0);
  const records = logs.map((l) => JSON.parse(l));
  ok(
    records.some((r) =>
      r.level === "WARN" &&
      /waiting for @xnomux.*nothing listens/.test(r.message)
    ),
    logs.join(""),
  );
  equal(records.at(-1).message, "stopped");
  // The control socket is gone with the daemon.
  const after: string[] = [];
  equal(
    await runCli(["show", "--control", control], {
      ...io,
      stderr: (l) => after.push(l),
    }),
    1,
  );
  match(after.join(""), /no xeth-switchd answers on .*c\.sock/);
  await Deno.remove(dir, { recursive: true });
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
