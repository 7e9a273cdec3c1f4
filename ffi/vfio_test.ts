// The vfio wrapper through the real library, for what a host without a
// vfio device can check: address parsing, the errors of devices that do not
// exist, and the region info layout. The device itself is exercised in a VM
// (tests/vm/scenarios/vfio_edu.sh). Build the library first (`./run build`).

import { deepEqual, equal, match, ok, throws } from "node:assert/strict";
import { ERRNO } from "./abi.generated.ts";
import { DataplaneError, openDataplane } from "./library.ts";
import {
  decodeRegionInfo,
  REGION_INFO_LEN,
  RegionFlag,
  VfioDevice,
} from "./vfio.ts";

const { ENOENT, EINVAL } = ERRNO;

function throwsErrno(fn: () => unknown, errno: number, ...res: RegExp[]) {
  throws(fn, (e: unknown) => {
    ok(e instanceof DataplaneError, `not a DataplaneError: ${e}`);
    equal(e.errno, errno, e.message);
    for (const re of res) match(e.message, re);
    return true;
  });
}

Deno.test("a malformed PCI address is EINVAL and shows the expected form", () => {
  using dp = openDataplane();
  for (const a of ["zz:1", "", "0000:00:20.0", "0000:00:04.0/../x"]) {
    throwsErrno(
      () => VfioDevice.open(dp, a),
      EINVAL,
      /invalid PCI address/,
      /DDDD:BB:DD\.F/,
    );
  }
});

Deno.test("a PCI address with no device is ENOENT and says how to list devices", () => {
  using dp = openDataplane();
  throwsErrno(
    () => VfioDevice.open(dp, "ffff:ff:1f.7"),
    ENOENT,
    /^open vfio device ffff:ff:1f\.7 failed: no PCI device ffff:ff:1f\.7/,
    /lspci -D/,
  );
});

Deno.test("region info decodes the library's little-endian layout", () => {
  const b = new Uint8Array(REGION_INFO_LEN);
  const v = new DataView(b.buffer);
  v.setBigUint64(0, 0x100000n, true);
  v.setBigUint64(8, 0x7000000000n, true);
  v.setUint32(16, RegionFlag.READ | RegionFlag.WRITE | RegionFlag.MMAP, true);
  v.setUint32(20, 7, true);
  v.setUint32(24, 1, true);
  deepEqual(decodeRegionInfo(b), {
    size: 0x100000n,
    offset: 0x7000000000n,
    flags: 7,
    index: 7,
    mapped: true,
  });
  v.setUint32(24, 0, true);
  equal(decodeRegionInfo(b).mapped, false);
  throws(() => decodeRegionInfo(b.subarray(0, 31)), RangeError);
});
