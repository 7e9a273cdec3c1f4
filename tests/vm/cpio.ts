/**
 * A writer of the "newc" cpio format, the one the kernel unpacks as an
 * initramfs. Written here so that the rig needs no cpio binary.
 */

export interface CpioEntry {
  name: string;
  /** file type and permission bits, e.g. 0o100755 */
  mode: number;
  data?: Uint8Array;
}

const encoder = new TextEncoder();

function hex8(n: number): string {
  return n.toString(16).padStart(8, "0");
}

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

export function cpioArchive(entries: readonly CpioEntry[]): Uint8Array {
  const chunks: Uint8Array[] = [];
  let ino = 1;
  const push = (e: CpioEntry) => {
    const data = e.data ?? new Uint8Array();
    const name = encoder.encode(e.name + "\0");
    const isDir = (e.mode & 0o170000) === 0o040000;
    const header = "070701" + [
      ino++,
      e.mode,
      0, // uid
      0, // gid
      isDir ? 2 : 1, // nlink
      0, // mtime
      data.length,
      0, // devmajor
      0, // devminor
      0, // rdevmajor
      0, // rdevminor
      name.length,
      0, // check
    ].map(hex8).join("");
    chunks.push(encoder.encode(header), name);
    chunks.push(new Uint8Array(pad4(110 + name.length)));
    chunks.push(data, new Uint8Array(pad4(data.length)));
  };
  for (const e of entries) push(e);
  push({ name: "TRAILER!!!", mode: 0 });
  const size = chunks.reduce((n, c) => n + c.length, 0);
  const out = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}
