import { deepEqual, equal, match, throws } from "node:assert/strict";
import { parseLabArgs, runLab } from "./main.ts";

Deno.test("arguments: a command, the file, and exec's node and command after --", () => {
  deepEqual(parseLabArgs(["up", "f.yaml"]), {
    command: "up",
    file: "f.yaml",
    node: undefined,
    argv: [],
    json: false,
  });
  deepEqual(parseLabArgs(["exec", "f.yaml", "h1", "--", "ping", "-c", "1"]), {
    command: "exec",
    file: "f.yaml",
    node: "h1",
    argv: ["ping", "-c", "1"],
    json: false,
  });
  equal(parseLabArgs(["show", "f.yaml", "--json"]) !== "help", true);
  equal(parseLabArgs(["--help"]), "help");
});

Deno.test("arguments: each mistake says what to give", () => {
  throws(() => parseLabArgs([]), /give a command: up, down, show or exec/);
  throws(() => parseLabArgs(["start", "f"]), /unknown command start/);
  throws(() => parseLabArgs(["up"]), /up needs the topology FILE/);
  throws(() => parseLabArgs(["up", "f", "x"]), /up takes only the FILE/);
  throws(() => parseLabArgs(["exec", "f"]), /exec needs a NODE/);
  throws(
    () => parseLabArgs(["exec", "f", "h1", "ping"]),
    /put the command after --: lab exec f h1 -- ping/,
  );
  throws(() => parseLabArgs(["exec", "f", "h1"]), /give the command/);
});

async function lab(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const status = await runLab(args, (l) => out.push(l), (l) => err.push(l));
  return { status, out: out.join("\n"), err: err.join("\n") };
}

Deno.test("exit status 2 for a usage mistake, 1 for a bad file, naming line and field", async () => {
  let r = await lab(["frobnicate"]);
  equal(r.status, 2);
  match(r.err, /^lab: unknown command frobnicate: .*; see --help$/);

  r = await lab(["up", "/nonexistent/lab.yaml"]);
  equal(r.status, 1);
  match(r.err, /^lab: cannot read \/nonexistent\/lab.yaml: /);

  const dir = await Deno.makeTempDir();
  const file = `${dir}/bad.yaml`;
  await Deno.writeTextFile(
    file,
    "name: t\nswitches:\n  s1:\n    ports: {xeth1: []}\nlinks:\n  - [s1:xeth2, s1:xeth1]\n",
  );
  r = await lab(["up", file]);
  equal(r.status, 1);
  equal(
    r.err,
    `lab: ${file}:6:6: links.0.0: switch s1 has no port xeth2`,
  );
  await Deno.remove(dir, { recursive: true });
});
