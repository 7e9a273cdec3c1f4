/**
 * Guest slots: at most one emulated guest per host core at a time, across
 * every process of the machine (the VM rig's jobs, its self-tests, the
 * package test, another clone's run).
 *
 * A TCG guest that gets less than a core does not just take longer: its
 * own work grows with the time it takes (its waits poll, its daemons
 * tick, its timers fire per second of the host's clock), so an
 * oversubscribed machine spends more processor time on the same tests
 * (measured 2026-12-04: switch_l2 used 136 s of processor time beside
 * four other guests and the builds, 85 s with one guest per core; the
 * README has the whole suite's figures).
 *
 * A slot is an exclusive lock on one of N files; the kernel drops it
 * when its holder dies, so a killed run never leaves a slot taken.
 * N: XETH_GUEST_SLOTS, else the number of cores.
 */

const POLL_MS = 250;

export interface GuestSlot {
  /** which of the slots, 0-based */
  readonly index: number;
  release(): void;
}

export function slotCount(env = Deno.env.toObject()): number {
  const n = Number(env.XETH_GUEST_SLOTS);
  if (Number.isInteger(n) && n > 0) return n;
  return Math.max(1, navigator.hardwareConcurrency);
}

/** Where the lock files live: one place per user of the machine. */
export function slotDir(env = Deno.env.toObject()): string {
  return env.XETH_GUEST_SLOT_DIR ??
    `${env.XDG_RUNTIME_DIR ?? "/tmp"}/xeth-guest-slots-${Deno.uid() ?? 0}`;
}

/**
 * Waits for a free slot (calling `onWait` once if it has to) and takes it.
 * Release it when the guest is gone.
 */
export async function takeGuestSlot(
  opts: {
    slots?: number;
    dir?: string;
    onWait?: () => void;
    signal?: AbortSignal;
  } = {},
): Promise<GuestSlot> {
  const n = opts.slots ?? slotCount();
  const dir = opts.dir ?? slotDir();
  await Deno.mkdir(dir, { recursive: true });
  let told = false;
  // Start at a different slot in each process, so that waiters do not all
  // knock on slot 0 first.
  const start = Deno.pid % n;
  for (;;) {
    opts.signal?.throwIfAborted();
    for (let k = 0; k < n; k++) {
      const index = (start + k) % n;
      const file = await Deno.open(`${dir}/slot-${index}.lock`, {
        create: true,
        write: true,
      });
      if (await file.tryLock(true)) {
        let held = true;
        return {
          index,
          release() {
            if (!held) return;
            held = false;
            file.close(); // closing drops the lock
          },
        };
      }
      file.close();
    }
    if (!told) {
      told = true;
      opts.onWait?.();
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
