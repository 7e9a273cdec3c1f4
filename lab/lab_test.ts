import { deepEqual, equal, match, rejects } from "node:assert/strict";
import { batches, down, exec, runBatch, show, table, up } from "./lab.ts";
import { parseTopology } from "./topology.ts";

// A lab of its own per test process: its namespaces are real ones.
const NAME = `lt${Deno.pid % 100000}`;
const t = parseTopology(
  `name: ${NAME}
switches:
  s1:
    ports: {xeth1: [10.0.0.1/24]}
hosts:
  h1: {addresses: [10.0.0.2/24]}
links: [[s1:xeth1, h1]]
`,
  "t.yaml",
);

async function sh(...argv: string[]): Promise<Deno.CommandOutput> {
  return await new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdout: "piped",
    stderr: "piped",
  }).output();
}

async function netnsList(): Promise<string[]> {
  const out = new TextDecoder().decode(
    (await sh("ip", "netns", "list")).stdout,
  );
  return out.split("\n").map((l) => l.split(" ")[0]).filter((n) =>
    n.startsWith(`${NAME}-`)
  ).sort();
}

const xethLoaded = (await sh("test", "-d", "/sys/module/xeth")).success;

Deno.test({
  name: "up without the xeth module says how to load it, and makes nothing",
  ignore: xethLoaded,
  fn: async () => {
    const root = await Deno.makeTempDir();
    await rejects(
      up(t, { out: () => {}, root }),
      /the xeth module is not loaded: modprobe xeth \(package xeth-dkms\)/,
    );
    equal((await netnsList()).length, 0);
    await Deno.remove(root, { recursive: true });
  },
});

Deno.test("down removes what a failed up left: namespaces, daemons, its directory", async () => {
  const root = await Deno.makeTempDir();
  const dir = `${root}/${NAME}`;
  await Deno.mkdir(dir);
  // as an up that stopped after the namespaces and one SWITCHD
  for (const n of ["s1", "h1"]) await sh("ip", "netns", "add", `${NAME}-${n}`);
  const sleeper = new Deno.Command("sleep", { args: ["600"] }).spawn();
  await Deno.writeTextFile(`${dir}/s1.pid`, `${sleeper.pid}\n`);
  const lines: string[] = [];
  await down(t, { out: (l) => lines.push(l), root });
  equal(
    lines.join("\n"),
    `lab: ${NAME} is down: 2 namespaces and 1 daemons removed`,
  );
  equal((await sleeper.status).signal, "SIGTERM");
  equal((await netnsList()).length, 0);
  await rejects(Deno.stat(dir), Deno.errors.NotFound);

  lines.length = 0;
  await down(t, { out: (l) => lines.push(l), root });
  equal(
    lines.join("\n"),
    `lab: ${NAME} is down: 0 namespaces and 0 daemons removed`,
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("show: a switch without its SWITCHD is shown as not running", async () => {
  const rows = await show(t, { out: () => {}, root: "/nonexistent" });
  equal(
    table(rows),
    [
      "switch  ports  peers     switchd      routes  routed",
      "s1      1      xeth1>h1  not running  -       -",
    ].join("\n"),
  );
});

Deno.test("exec runs the command in the node's namespace, its status passed on", async () => {
  await sh("ip", "netns", "add", `${NAME}-h1`);
  try {
    const ino = (await Deno.stat(`/run/netns/${NAME}-h1`)).ino;
    const tmp = await Deno.makeTempFile();
    // the namespace's inode as seen from inside it: readlink /proc/self/ns/net
    const status = await exec(t, "h1", [
      "sh",
      "-c",
      `readlink /proc/self/ns/net > ${tmp}; exit 3`,
    ]);
    equal(status, 3);
    equal((await Deno.readTextFile(tmp)).trim(), `net:[${ino}]`);
    await Deno.remove(tmp);
    await rejects(exec(t, "h9", ["true"]), /no node h9 in lab .*: s1, h1/);
  } finally {
    await sh("ip", "netns", "del", `${NAME}-h1`);
  }
});

Deno.test("up refuses a lab whose namespaces exist, naming them", async () => {
  const root = await Deno.makeTempDir();
  await sh("ip", "netns", "add", `${NAME}-s1`);
  try {
    await rejects(
      up(t, { out: () => {}, root }),
      new RegExp(
        `namespace ${NAME}-s1 exists already: is lab ${NAME} up\\? lab down removes it`,
      ),
    );
  } finally {
    await sh("ip", "netns", "del", `${NAME}-s1`);
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a namespace's ip commands run as one batch; a failure names its command", async () => {
  const ns = `${NAME}-s1`;
  const ip = (...argv: string[]) => ({ ns, argv: ["ip", ...argv] });
  const cmds = [
    ip("link", "add", "a0", "type", "veth", "peer", "name", "b0"),
    ip("link", "set", "a0", "up"),
    { ns, argv: ["sysctl", "-qw", "net.ipv4.ip_forward=1"] },
    ip("link", "set", "nonexistent0", "up"),
    ip("link", "set", "b0", "up"),
    ip("-6", "route", "add", "default", "via", "2001:db8::1"),
    ip("addr", "add", "10.0.0.1/24", "dev", "b0"),
  ];
  deepEqual(batches(cmds).map((b) => b.length), [2, 1, 2, 1, 1]);
  await sh("ip", "netns", "add", ns);
  try {
    await runBatch(batches(cmds)[0]);
    const up = new TextDecoder().decode(
      (await sh("ip", "-n", ns, "-o", "link", "show", "a0")).stdout,
    );
    equal(/[<,]UP[,>]/.test(up), true);
    await rejects(
      runBatch(batches(cmds)[2]),
      (e: Error) => {
        match(
          e.message,
          new RegExp(
            `^ip netns exec ${ns} ip link set nonexistent0 up failed: .*nonexistent0`,
          ),
        );
        return true;
      },
    );
  } finally {
    await sh("ip", "netns", "del", ns);
  }
});
