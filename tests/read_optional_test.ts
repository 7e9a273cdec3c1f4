import assert from "node:assert/strict";
import { readOptional } from "./read_optional.ts";

Deno.test("readOptional: the text, undefined when missing, other errors thrown", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/rc`, "0\n");
    assert.equal(await readOptional(`${dir}/rc`), "0\n");
    assert.equal(await readOptional(`${dir}/none`), undefined);
    // a directory is there but cannot be read as text
    await assert.rejects(readOptional(dir));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
