import { equal, match, ok } from "node:assert/strict";
import { openDataplane } from "../../ffi/library.ts";
import { type CliIo, runCli } from "../cli.ts";

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
