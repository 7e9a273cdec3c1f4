// The throwaway networks of the library's tests, for real (needs root, as
// the tests that use them): both ends up where they should be, the outer
// one without IPv6, and nothing left afterwards, also when the test fails.

import { equal, match, ok, rejects } from "node:assert/strict";
import { run, withVethNetns } from "./veth_netns.ts";

const ignore = Deno.uid() !== 0;

async function out(cmd: string, args: string[]): Promise<string> {
  const o = await new Deno.Command(cmd, { args, stdout: "piped" }).output();
  return new TextDecoder().decode(o.stdout);
}

async function exists(ns: string | undefined, link: string): Promise<boolean> {
  const where = ns === undefined ? [] : ["-n", ns];
  const o = await new Deno.Command("ip", {
    args: [...where, "link", "show", link],
    stdout: "null",
    stderr: "null",
  }).output();
  return o.success;
}

Deno.test("veth_netns: pairs up, across namespaces, deleted afterwards", {
  ignore,
}, async () => {
  let made: { ns: string; outer: string; inner: string }[] = [];
  await withVethNetns(
    2,
    { prefix: "xvtest", quietInside: true },
    async (pairs) => {
      made = pairs;
      equal(pairs.length, 2);
      for (const p of pairs) {
        ok(await exists(undefined, p.outer), p.outer);
        ok(!await exists(undefined, p.inner), `${p.inner} is not here`);
        ok(await exists(p.ns, p.inner), `${p.inner} in ${p.ns}`);
        match(await out("ip", ["link", "show", p.outer]), /<[^>]*\bUP\b/);
        equal(
          (await Deno.readTextFile(
            `/proc/sys/net/ipv6/conf/${p.outer}/disable_ipv6`,
          ))
            .trim(),
          "1",
        );
        equal(
          (await out("ip", [
            "netns",
            "exec",
            p.ns,
            "sysctl",
            "-n",
            "net.ipv6.conf.all.disable_ipv6",
          ])).trim(),
          "1",
        );
      }
    },
  );
  equal(made.length, 2);
  for (const p of made) {
    ok(!await exists(undefined, p.outer), `${p.outer} deleted`);
    ok(!(await out("ip", ["netns", "list"])).includes(p.ns), `${p.ns} deleted`);
  }
});

Deno.test(
  "veth_netns: a failing test still cleans up",
  { ignore },
  async () => {
    let ns = "";
    await rejects(
      withVethNetns(1, { prefix: "xvtest" }, ([p]) => {
        ns = p.ns;
        throw new Error("the test failed");
      }),
      /the test failed/,
    );
    ok(ns !== "");
    ok(!(await out("ip", ["netns", "list"])).includes(ns), `${ns} deleted`);
  },
);

Deno.test("veth_netns: run names the command and its stderr", async () => {
  await rejects(
    run("ip", ["link", "show", "xvtest-none-such"]),
    /^Error: ip link show xvtest-none-such: .*xvtest-none-such/s,
  );
});
