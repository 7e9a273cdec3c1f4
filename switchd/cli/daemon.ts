/**
 * The daemon: logging, the SWITCH that --switch asks for, and the session,
 * relay and control socket running together until SIGINT or SIGTERM.
 *
 * @module
 */

import { type Dataplane, DataplaneError } from "../../ffi/library.ts";
import { muxExtension } from "../../ffi/sideband.ts";
import { serveControl } from "../control.ts";
import { FIB_OFFLOAD_EXT, OffloadReporter } from "../offload.ts";
import { VALUES } from "../protocol/abi.generated.ts";
import { logger, startLogging, stopLogging } from "../log.ts";
import { Relay } from "../relay.ts";
import { Session } from "../session.ts";
import { SoftwareSwitch } from "../software/backend.ts";
import { diffMirrors, Mirror } from "../mirror/mirror.ts";
import { isShowWhat, showView } from "../show.ts";
import { NoSwitch, type SwitchBackend } from "../switch.ts";
import { formatVersionReport } from "../version.ts";
import type { CliOptions } from "./args.ts";
import type { CliIo } from "./io.ts";
import { type RelayTimers, startRelay } from "./relay_timers.ts";

/**
 * Runs the daemon with `dp` until `io.stopSignal()` aborts; resolves to the
 * exit status.
 */
export async function runDaemon(
  opts: CliOptions,
  dp: Dataplane,
  io: CliIo,
): Promise<number> {
  await startLogging(opts.logLevel, opts.logFormat, io.log);
  const log = logger("main");
  const stop = io.stopSignal();
  try {
    const version = formatVersionReport({
      version: dp.version(),
      abiVersion: dp.abiVersion(),
      path: dp.path,
    });
    log.info(`${version}; attaching to @${opts.mux}`, {
      version,
      mux: opts.mux,
    });
    let backend: SwitchBackend;
    try {
      backend = await openBackend(opts, dp);
    } catch (e) {
      if (!(e instanceof DataplaneError)) throw e;
      log.error(
        `cannot start the ${opts.switch} switch (${e.message}); run with --switch none to mirror without a switch`,
        { switch: opts.switch, error: e.message },
      );
      return 1;
    }
    log.info(`programming the ${backend.name} switch`, {
      switch: backend.name,
      encap: opts.encap,
      attachments: opts.attachments.map((a) => `${a.port}=${a.ifname}`),
    });
    try {
      await serve(opts, dp, backend, stop);
    } finally {
      // Before the library goes: a call in flight runs in it.
      await backend.close();
    }
    log.info("stopped");
    return 0;
  } finally {
    await stopLogging();
  }
}

/** Runs the session, the relay and the control socket until `stop`. */
async function serve(
  opts: CliOptions,
  dp: Dataplane,
  backend: SwitchBackend,
  stop: AbortSignal,
): Promise<void> {
  const log = logger("main");
  let relay: Relay | undefined = undefined;
  let offload: OffloadReporter | undefined = undefined;
  let relayTimers: RelayTimers | undefined = undefined;
  const session = new Session({
    dataplane: dp,
    mux: opts.mux,
    extensions: () => opts.fibOffload ? extensions(opts.mux, dp, backend) : 0n,
    onChanges: (changes) => {
      // Not awaited: the backend applies changes in the order given, a
      // SWITCH elsewhere while the session reads on; the route outcomes
      // are asked after them.
      void backend.apply(changes);
      offload?.changed();
    },
    onState: (state) => {
      if (state !== "live") return;
      // A new connection: the kernel dropped carrier and zeroed the
      // stats, and cleared the route flags.
      relay?.reset();
      relayTimers?.now();
      offload?.synced();
    },
  });
  // A SWITCH elsewhere that was out of reach is programmed anew with
  // what the mirror holds then.
  if (backend instanceof SoftwareSwitch) {
    backend.setReplay(() => diffMirrors(new Mirror(), session.mirror));
  }
  offload = new OffloadReporter(backend, session);
  relay = new Relay(backend, () => session.mirror);
  relayTimers = startRelay(relay, session, opts.statsIntervalMs);
  const control = serveControl(
    opts.control,
    (req) => {
      if (!isShowWhat(req.show)) {
        throw new Error(`cannot show "${req.show}"`);
      }
      return showView(req.show, session, opts.mux, {
        backend,
        relay,
        offload,
      });
    },
    stop,
  ).catch((e) => {
    // The daemon works without its control socket; say why show won't.
    const error = e instanceof Error ? e.message : String(e);
    log.error(`no control socket at ${opts.control}: ${error}`, {
      path: opts.control,
      error,
    });
  });
  try {
    await session.run(stop);
  } finally {
    await relayTimers.stop();
  }
  await control;
}

/**
 * The extensions to ask the kernel for on a new connection: fib-offload
 * when the mux offers it and the SWITCH can say what it did with routes.
 */
function extensions(
  mux: string,
  dp: Dataplane,
  backend: SwitchBackend,
): bigint {
  if (!backend.routeOutcomes) return 0n;
  const bit = muxExtension(dp, mux, "fib-offload");
  return bit === VALUES.XETH_EXT_FIB_OFFLOAD ? FIB_OFFLOAD_EXT : 0n;
}

/** The SWITCH that --switch asks for. */
async function openBackend(
  opts: CliOptions,
  dp: Dataplane,
): Promise<SwitchBackend> {
  switch (opts.switch) {
    case "none":
      return new NoSwitch();
    case "software":
      return SoftwareSwitch.open(dp, opts.mux, {
        encap: opts.encap,
        attachments: opts.attachments,
        log: logger("switch"),
        fibCapacity: opts.fibCapacity,
      });
    case "remote":
      return await SoftwareSwitch.connect(dp, opts.remote ?? "", opts.mux, {
        encap: opts.encap,
        attachments: opts.attachments,
        log: logger("switch"),
        fibCapacity: opts.fibCapacity,
      });
  }
}
