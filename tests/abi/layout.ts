/**
 * The wire ABI as the C compiler sees include/uapi/linux/xeth.h: compiles
 * and runs tests/abi/layout.c. Codec tests compare their tables to this.
 */

// Its own paths rather than the VM rig's ROOT: the generator in scripts/
// and the codec's tests import this, and should not load the rig.
const HEADERS = new URL("../../kernel/include/uapi", import.meta.url).pathname;
const SOURCE = new URL("layout.c", import.meta.url).pathname;

export interface StructLayout {
  size: number;
  /** field name -> [offset, size] */
  fields: Record<string, [number, number]>;
}

export interface AbiLayout {
  structs: Record<string, StructLayout>;
  values: Record<string, number>;
}

export async function abiLayout(): Promise<AbiLayout> {
  const dir = await Deno.makeTempDir();
  try {
    const exe = `${dir}/layout`;
    const cc = await new Deno.Command("gcc", {
      args: [
        "-Wall",
        "-Wextra",
        "-Werror",
        "-I",
        HEADERS,
        "-o",
        exe,
        SOURCE,
      ],
    }).output();
    if (!cc.success) {
      throw new Error(
        `gcc tests/abi/layout.c: ${new TextDecoder().decode(cc.stderr)}`,
      );
    }
    const run = await new Deno.Command(exe).output();
    if (!run.success) throw new Error("tests/abi/layout failed");
    return JSON.parse(new TextDecoder().decode(run.stdout));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
