/**
 * Throwaway networks for the library's tests that need real interfaces:
 * veth pairs with one end in this process's namespace (where the library's
 * sockets run) and the other in a network namespace of its own. Needs
 * root. Everything made is deleted afterwards, whatever happens.
 *
 * @module
 */

/** Runs `cmd`; throws with its stderr when it fails. */
export async function run(cmd: string, args: string[]): Promise<void> {
  const out = await new Deno.Command(cmd, { args, stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(
      `${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
}

/** One pair: `outer` here, `inner` inside namespace `ns`, both up. */
export interface VethNetns {
  ns: string;
  /** In this process's namespace. */
  outer: string;
  /** Inside `ns`. */
  inner: string;
}

export interface VethNetnsOptions {
  /** Namespace names start with it (a test's own, to spot leftovers). */
  prefix: string;
  /** The inner end's name; by default a name unique to the pair. */
  inner?: string;
  /** Turn IPv6 off inside the namespaces too (no stray frames at all). */
  quietInside?: boolean;
}

let serial = 0;

/**
 * Calls `fn` with `count` fresh pairs. The outer ends carry no IPv6 (no
 * router solicitations or MLD reports to count as stray frames), so only
 * what a test sends crosses them.
 */
export async function withVethNetns(
  count: number,
  o: VethNetnsOptions,
  fn: (pairs: VethNetns[]) => Promise<void> | void,
): Promise<void> {
  const id = `${Deno.pid % 100000}${serial++}`;
  const pairs: VethNetns[] = Array.from({ length: count }, (_, i) => ({
    ns: `${o.prefix}-${id}-${i + 1}`,
    outer: `xv${id}o${i + 1}`,
    inner: o.inner ?? `xv${id}i${i + 1}`,
  }));
  const cleanup = async () => {
    for (const p of pairs) {
      // Deleting the namespace deletes the pair.
      await run("ip", ["netns", "del", p.ns]).catch(() => {});
      await run("ip", ["link", "del", p.outer]).catch(() => {});
    }
  };
  await cleanup();
  try {
    for (const p of pairs) {
      await run("ip", ["netns", "add", p.ns]);
      if (o.quietInside) {
        for (const key of ["all", "default"]) {
          await run("ip", [
            "netns",
            "exec",
            p.ns,
            "sysctl",
            "-qw",
            `net.ipv6.conf.${key}.disable_ipv6=1`,
          ]);
        }
      }
      await run("ip", [
        "link",
        "add",
        p.outer,
        "type",
        "veth",
        "peer",
        "name",
        p.inner,
        "netns",
        p.ns,
      ]);
      await Deno.writeTextFile(
        `/proc/sys/net/ipv6/conf/${p.outer}/disable_ipv6`,
        "1",
      );
      await run("ip", ["link", "set", p.outer, "up"]);
      await run("ip", ["-n", p.ns, "link", "set", p.inner, "up"]);
      await run("ip", ["-n", p.ns, "link", "set", "lo", "up"]);
    }
    await fn(pairs);
  } finally {
    await cleanup();
  }
}
