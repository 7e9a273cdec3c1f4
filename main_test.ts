// main.ts is the wiring of `deno task switchd`: the real program, as a
// user runs it, in a process of its own (switchd/cli_test.ts tests runCli,
// what it wires, in this process).

import { doesNotMatch, equal, match } from "node:assert/strict";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("main.ts", import.meta.url));
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
