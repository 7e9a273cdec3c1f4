/**
 * Children that must not outlive the rig. Ctrl-C signals the terminal's
 * whole process group, guests included; but a rig stopped with SIGTERM or
 * SIGHUP alone (kill, pkill, a service manager, a closed ssh session)
 * would leave its qemu guests running, each holding a core until its own
 * timeout, if nothing killed them. Once one child is registered, those
 * signals kill every child still registered and then end the rig with the
 * signal's status (128 + its number), as the default action would.
 * (A signal listener does not keep Deno's event loop alive.)
 */

const SIGNALS = { SIGTERM: 15, SIGHUP: 1 } as const;
type Fatal = keyof typeof SIGNALS;

const children = new Set<Deno.ChildProcess>();
let listening = false;

function listen() {
  for (const [sig, num] of Object.entries(SIGNALS) as [Fatal, number][]) {
    Deno.addSignalListener(sig, () => {
      for (const c of children) {
        try {
          c.kill("SIGKILL");
        } catch {
          // already gone
        }
      }
      Deno.exit(128 + num);
    });
  }
  listening = true;
}

/** Kills `child` with the rig on SIGTERM or SIGHUP; call the returned
 * function once the child has ended. */
export function reapWithUs(child: Deno.ChildProcess): () => void {
  if (!listening) listen();
  children.add(child);
  return () => children.delete(child);
}
