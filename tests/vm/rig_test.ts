/**
 * The rig's own tests: it must fail scenarios that oops, fail a check,
 * hang or report nothing, and show the user why. These boot real guests.
 */
import assert from "node:assert/strict";
import { eachLine } from "../lines.ts";
import { guestEnv, ROOT } from "./rig.ts";

interface Run {
  code: number;
  out: string;
}

/** The rig with `args`, in `env` when given (else this process's). */
function rigCommand(args: string[], env?: Record<string, string>) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}/tests/vm/rig.ts`, "--no-build", ...args],
    stdout: "piped",
    stderr: "piped",
    ...(env ? { env, clearEnv: true } : {}),
  });
}

async function rig(...args: string[]): Promise<Run> {
  const out = await rigCommand(args).output();
  const dec = new TextDecoder();
  return {
    code: out.code,
    out: dec.decode(out.stdout) + dec.decode(out.stderr),
  };
}

Deno.test("rig: the guest gets XETH_BENCH_* and XETH_FULL, nothing else", () => {
  assert.equal(
    guestEnv({
      XETH_BENCH_ROUTES4: "20000",
      XETH_FULL: "1",
      XETH_FULLER: "1",
      XETH_TIME_SCALE: "3",
      XETH_BENCH_BAD: "$(reboot)",
      HOME: "/root",
    }),
    "export XETH_BENCH_ROUTES4=20000\nexport XETH_FULL=1\n",
  );
});

const fixture = (name: string) => `${ROOT}/tests/vm/fixtures/${name}.sh`;

Deno.test("rig: an oops in module init fails the run and shows the oops", async () => {
  const r = await rig("--kernel", "all", fixture("oops"));
  assert.equal(r.code, 1, r.out);
  for (const k of ["6.1", "6.12"]) {
    assert.match(
      r.out,
      new RegExp(`FAIL ${k} oops: 1 passed, 0 failed`),
      r.out,
    );
  }
  assert.match(r.out, /splat: the guest kernel logged an oops/);
  assert.match(r.out, /\| .*BUG: kernel NULL pointer dereference/);
  assert.match(r.out, /\| .*RIP: .*xeth_oops_init/);
  assert.match(r.out, /console log kept in .*\/6\.1-oops\/console\.log/);
  // the checks passed, yet the sum must show a failure
  assert.match(r.out, /^2 passed, 2 failed$/m);
});

Deno.test("rig: failing, silent and hanging scenarios fail with their reason", async () => {
  const r = await rig(
    "--kernel",
    "6.12",
    "--timeout",
    "20",
    fixture("failing"),
    fixture("silent"),
    fixture("hang"),
  );
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /FAIL 6\.12 failing: 1 passed, 1 failed/);
  assert.match(r.out, /\| not ok 2 - a check that fails on purpose/);
  assert.match(
    r.out,
    /FAIL 6\.12 silent: .*\n {2}fail: the scenario reported no passing check/,
  );
  // the bound is the scenario's own, from its start, times the scale
  assert.match(
    r.out,
    /timeout: timed out after \d+s( \(20s × time scale [\d.]+(, measured again as it ran out)?\))?; the guest was killed; still pending:\n {2}\| hanging on purpose/,
  );
  assert.match(r.out, /^1 passed, 3 failed$/m);
});

/**
 * The rig run with `args`, calling `onLine` with each line of its output
 * as it comes: a test can act on the machine while the guest runs.
 */
async function rigWatching(
  onLine: (line: string) => void,
  ...args: string[]
): Promise<Run> {
  const env = Deno.env.toObject();
  delete env.XETH_TIME_SCALE; // the rig must measure the machine itself
  const child = rigCommand(args, env).spawn();
  let out = "";
  const each = (line: string) => {
    out += line + "\n";
    onLine(line);
  };
  const [status] = await Promise.all([
    child.status,
    eachLine(child.stdout, each),
    eachLine(child.stderr, each),
  ]);
  return { code: status.code, out };
}

/** Processes that spin on every core until stopped. */
function hogs(n: number): { stop: () => void } {
  const ps = Array.from(
    { length: n },
    () =>
      new Deno.Command("sh", {
        args: ["-c", "while :; do :; done"],
        stdout: "null",
        stderr: "null",
      }).spawn(),
  );
  let stopped = false;
  return {
    stop: () => {
      if (stopped) return;
      stopped = true;
      for (const p of ps) {
        try {
          p.kill("SIGKILL");
        } catch {
          // already gone
        }
      }
    },
  };
}

Deno.test("rig: a scenario that runs out of time on a machine that slowed since its guest started gets more time", async () => {
  // The guest measures the machine at start and sleeps 26 s × that
  // scale against a bound of 20 s × it. Spinning processes, three per
  // core, start once the scenario does; when the bound runs out the rig
  // measures at least twice the scale and must let it finish.
  const cores = navigator.hardwareConcurrency;
  let load: { stop: () => void } | undefined;
  let r: Run;
  try {
    r = await rigWatching(
      (line) => {
        if (!load && line.includes("sleeping past the first bound")) {
          load = hogs(3 * cores);
        }
        if (load && line.includes("but the machine slowed since")) {
          load.stop();
        }
      },
      "--kernel",
      "6.12",
      "--timeout",
      "20",
      fixture("slowed"),
    );
  } finally {
    load?.stop();
  }
  assert.ok(load, `the scenario never started:\n${r.out}`);
  assert.equal(r.code, 0, r.out);
  assert.match(
    r.out,
    /vm: slowed ran out of its \d+ s after \d+ s, but the machine slowed since \(time scale [\d.]+ -> [\d.]+\): it may run until \d+ s/,
  );
  assert.match(r.out, /PASS 6\.12 slowed: 1 passed, 0 failed/);
});

Deno.test("rig: scenarios share a guest, which is put back as it booted between them", async () => {
  const r = await rig("--kernel", "6.12", fixture("dirty"), fixture("clean"));
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /vm: 6\.12: one guest for dirty, clean/);
  assert.match(r.out, /PASS 6\.12 dirty: 1 passed, 0 failed/);
  assert.match(r.out, /PASS 6\.12 clean: 7 passed, 0 failed/);
  // a passing run leaves no logs
  assert.doesNotMatch(r.out, /console log kept/);
});

// One run for two behaviours, to spare a boot: a batch broken by a splat,
// and named cases (run in the order given, the others not at all).
Deno.test("rig: after a splat, the rest of the batch runs in a new guest, with only its named cases", async () => {
  const r = await rig(
    "--kernel",
    "6.12",
    fixture("oops"),
    `${fixture("cases")}:third,first`,
  );
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /vm: 6\.12: one guest for oops, cases/);
  assert.match(r.out, /FAIL 6\.12 oops: 1 passed, 0 failed/);
  assert.match(
    r.out,
    /vm: 6\.12: cases did not run in that guest; they get a new one/,
  );
  assert.match(r.out, /# case: third\n.*ok 1 - case third ran/);
  assert.match(r.out, /PASS 6\.12 cases: 2 passed, 0 failed/);
  assert.doesNotMatch(r.out, /case second ran/);
});

Deno.test("rig: unknown named cases are refused before any boot", async () => {
  let r = await rig(`${fixture("cases")}:fourth`);
  assert.equal(r.code, 2, r.out);
  assert.match(
    r.out,
    /scenario "cases" has no case "fourth"; its cases: first, second, third/,
  );
  r = await rig(`${fixture("failing")}:x`);
  assert.equal(r.code, 2, r.out);
  assert.match(r.out, /scenario "failing" has no named cases/);
});

Deno.test("rig: a two-vCPU guest survives kernel text patching (tcg_smp)", async () => {
  const r = await rig(
    "--kernel",
    "all",
    `${ROOT}/tests/vm/selftest/tcg_smp.sh`,
  );
  assert.equal(r.code, 0, r.out);
  for (const k of ["6.1", "6.12"]) {
    assert.match(r.out, new RegExp(`PASS ${k} tcg_smp: 3 passed, 0 failed`));
  }
});

Deno.test("rig: usage errors say what to do", async () => {
  let r = await rig("--kernel", "5.10", "module");
  assert.equal(r.code, 2);
  assert.match(
    r.out,
    /unknown kernel "5\.10": use 6\.1, 6\.12, 6\.1-debug, 6\.12-debug, all or debug/,
  );
  r = await rig("no-such-scenario");
  assert.equal(r.code, 2);
  assert.match(
    r.out,
    /no scenario "no-such-scenario"; known scenarios: .*module/,
  );
  r = await rig("--bogus");
  assert.equal(r.code, 2);
  assert.match(r.out, /see --help/);
});
