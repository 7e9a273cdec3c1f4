/**
 * The package builder's pieces, and the packaging sources kept in step with
 * the code they describe. The packages themselves are built, checked with
 * lintian and installed by the package test (tests/package/run.ts).
 */
import assert from "node:assert/strict";
import {
  debianVersion,
  moduleSources,
  npmFileNeeded,
  reachedNpm,
  ROOT,
} from "./package.ts";
import { HELP } from "../switchd/cli/args.ts";
import { SWITCHD_VERSION } from "../switchd/version.ts";

const PACKAGING = `${ROOT}/packaging/debian`;
Deno.test("version: SWITCHD's, as long as dpkg takes it", () => {
  assert.equal(debianVersion(SWITCHD_VERSION), SWITCHD_VERSION);
  assert.equal(debianVersion("1.2.3~rc1"), "1.2.3~rc1");
  assert.throws(() => debianVersion("v1.0"), /not a Debian version/);
  assert.throws(() => debianVersion("1.0-2"), /not a Debian version/);
  assert.throws(() => debianVersion("1.0 beta"), /not a Debian version/);
});

Deno.test("npm packages lose what only people read", () => {
  for (
    const n of ["README.md", "LICENSE", "CHANGELOG.md", "skills", "a.js.map"]
  ) {
    assert.equal(npmFileNeeded(n), false, n);
  }
  for (const n of ["package.json", "dist", "mod.js", "util.node.js"]) {
    assert.equal(npmFileNeeded(n), true, n);
  }
});

Deno.test("module sources: Kbuild, every .c and .h, the uapi header", () => {
  const files = moduleSources();
  assert.ok(files.includes("Kbuild"));
  assert.ok(files.includes("include/uapi/linux/xeth.h"));
  // every object Kbuild names has its source in the package
  const kbuild = Deno.readTextFileSync(`${ROOT}/kernel/Kbuild`);
  const objs = kbuild.match(/^XETH_OBJS := ([^]*?)\n\n/m)![1]
    .replace(/\\\n/g, " ").trim().split(/\s+/);
  assert.ok(objs.length > 10);
  for (const o of objs) assert.ok(files.includes(o.replace(/\.o$/, ".c")), o);
});

Deno.test("dkms.conf builds the one-unit module and installs it for DKMS", () => {
  const conf = Deno.readTextFileSync(`${PACKAGING}/xeth-dkms/dkms.conf`);
  assert.match(conf, /^MAKE\[0\]=".* XETH_ONE_UNIT=y modules"$/m);
  assert.match(conf, /^BUILT_MODULE_NAME\[0\]="xeth"$/m);
  assert.match(conf, /^AUTOINSTALL="yes"$/m);
});

Deno.test("the man page documents every option of --help", () => {
  const man = Deno.readTextFileSync(`${PACKAGING}/xeth-switchd/xeth-switchd.8`)
    .replaceAll("\\-", "-");
  const options = [...HELP.matchAll(/^\s+(?:-\w, )?(--[\w-]+)/gm)].map((m) =>
    m[1]
  );
  assert.ok(options.length >= 10, options.join());
  for (const o of options) {
    assert.ok(man.includes(o), `${o} is not in the man page`);
  }
});

/** The options of xeth-switch's usage text (dataplane/src/bin/xeth-switch.rs). */
function switchOptions(): string[] {
  const src = Deno.readTextFileSync(
    `${ROOT}/dataplane/src/bin/xeth-switch.rs`,
  );
  const usage = src.match(/^const USAGE: &str = "([^"]*)";$/m);
  assert.ok(usage, "no USAGE in xeth-switch.rs");
  return [...usage[1].matchAll(/^\s+(--[\w-]+)/gm)].map((m) => m[1]);
}

Deno.test("xeth-switch's man page documents every option of its usage", () => {
  const man = Deno.readTextFileSync(`${PACKAGING}/xeth-switchd/xeth-switch.8`)
    .replaceAll("\\-", "-");
  const options = switchOptions();
  assert.ok(options.length >= 4, options.join());
  for (const o of options) {
    assert.ok(man.includes(o), `${o} is not in xeth-switch.8`);
  }
});

Deno.test("xeth-switch's unit: uplink from the instance unless its conf says, CAP_NET_RAW alone", () => {
  const unit = Deno.readTextFileSync(
    `${PACKAGING}/xeth-switchd/xeth-switch@.service`,
  );
  assert.match(
    unit,
    /^ExecStart=\/usr\/bin\/xeth-switch --uplink \$\{XETH_SWITCH_UPLINK\} \$XETH_SWITCH_OPTS$/m,
  );
  // Environment= first: EnvironmentFile= overrides it, the conf wins.
  assert.match(
    unit,
    /^Environment=XETH_SWITCH_UPLINK=%i\nEnvironmentFile=\/etc\/xeth-switch\/%i\.conf$/m,
  );
  assert.match(unit, /^AssertPathExists=\/etc\/xeth-switch\/%i\.conf$/m);
  assert.match(unit, /^Restart=on-failure$/m);
  assert.match(unit, /^RestartPreventExitStatus=2$/m);
  assert.match(unit, /^DynamicUser=yes$/m);
  assert.match(unit, /^AmbientCapabilities=CAP_NET_RAW$/m);
  assert.match(unit, /^CapabilityBoundingSet=CAP_NET_RAW$/m);
});

Deno.test("xeth-switch's example conf sets what its unit reads, and --listen", () => {
  const read = (f: string) =>
    Deno.readTextFileSync(`${PACKAGING}/xeth-switchd/${f}`);
  const vars = (text: string) =>
    [...new Set([...text.matchAll(/XETH_SWITCH_\w+/g)].map((m) => m[0]))]
      .sort();
  const conf = read("xeth-switch.conf");
  assert.deepEqual(vars(conf), vars(read("xeth-switch@.service")));
  const opts = conf.match(/^XETH_SWITCH_OPTS="([^"]*)"$/m);
  assert.ok(opts, "no XETH_SWITCH_OPTS line");
  for (const o of opts[1].matchAll(/--[\w-]+/g)) {
    assert.ok(switchOptions().includes(o[0]), `${o[0]}: not an option`);
  }
  assert.match(opts[1], /--listen \S+:\d+/);
});

Deno.test("the maintainer scripts handle xeth-switch's instances as SWITCHD's", () => {
  const read = (f: string) =>
    Deno.readTextFileSync(`${PACKAGING}/xeth-switchd/${f}`);
  assert.match(read("postinst"), /try-restart .*'xeth-switch@\*\.service'/);
  assert.match(read("prerm"), /stop .*'xeth-switch@\*\.service'/);
  const postrm = read("postrm");
  assert.match(postrm, /\*\.wants\/xeth-switch@\*\.service/);
  assert.match(postrm, /rm -rf .*\/etc\/xeth-switch /);
});

Deno.test("the launcher gives SWITCHD the permissions deno task switchd does", () => {
  const task = JSON.parse(Deno.readTextFileSync(`${ROOT}/deno.json`)).tasks
    .switchd as string;
  const launcher = Deno.readTextFileSync(
    `${PACKAGING}/xeth-switchd/xeth-switchd`,
  );
  const flags = (s: string) =>
    [...s.matchAll(/--allow-[\w-]+/g)].map((m) => m[0]).sort();
  assert.deepEqual(flags(launcher), flags(task));
  assert.match(launcher, /--cached-only/);
  assert.match(launcher, /--no-remote/);
});

Deno.test("the unit runs one daemon per mux, from its conf, restarted on failure", () => {
  const unit = Deno.readTextFileSync(
    `${PACKAGING}/xeth-switchd/xeth-switchd@.service`,
  );
  assert.match(
    unit,
    /^ExecStart=\/usr\/bin\/xeth-switchd --mux %i \$XETH_SWITCHD_OPTS$/m,
  );
  assert.match(unit, /^EnvironmentFile=-\/etc\/xeth-switchd\/%i\.conf$/m);
  assert.match(unit, /^Restart=on-failure$/m);
  assert.match(unit, /^RuntimeDirectory=xeth-switchd$/m);
  assert.match(unit, /^RuntimeDirectoryPreserve=yes$/m);
  assert.match(unit, /^CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW$/m);
});

Deno.test("npm packages: the ones the graph reaches and their dependencies, not every import of deno.json", () => {
  const pkg = (name: string, dependencies: string[] = []) => ({
    name,
    version: "1.0.0",
    localPath: `/cache/${name}`,
    dependencies,
  });
  const reached = reachedNpm({
    modules: [
      { specifier: "file:///r/main.ts" },
      { specifier: "npm:/a@1.0.0", npmPackage: "a@1.0.0" },
    ],
    npmPackages: {
      "a@1.0.0": pkg("a", ["b@1.0.0"]),
      "b@1.0.0": pkg("b", ["a@1.0.0"]),
      "yaml@1.0.0": pkg("yaml"),
    },
  });
  assert.deepEqual(reached.map((p) => p.name).sort(), ["a", "b"]);
});
