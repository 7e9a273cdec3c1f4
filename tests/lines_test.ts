import assert from "node:assert/strict";
import { eachLine } from "./lines.ts";

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({
    start(c) {
      for (const s of chunks) c.enqueue(enc.encode(s));
      c.close();
    },
  });
}

Deno.test("eachLine: lines split across chunks arrive whole, CR dropped", async () => {
  const lines: string[] = [];
  const text: string[] = [];
  await eachLine(
    streamOf(["one\r\ntw", "o\n", "\nthr", "ee"]),
    (l) => lines.push(l),
    (t) => text.push(t),
  );
  assert.deepEqual(lines, ["one", "two", "", "three"]);
  assert.equal(text.join(""), "one\r\ntwo\n\nthree");
});

Deno.test("eachLine: a character split across chunks is decoded whole", async () => {
  const bytes = new TextEncoder().encode("µs\n");
  const lines: string[] = [];
  await eachLine(
    new ReadableStream({
      start(c) {
        c.enqueue(bytes.slice(0, 1));
        c.enqueue(bytes.slice(1));
        c.close();
      },
    }),
    (l) => lines.push(l),
  );
  assert.deepEqual(lines, ["µs"]);
});

Deno.test("eachLine: an empty stream gives no line", async () => {
  const lines: string[] = [];
  await eachLine(streamOf([]), (l) => lines.push(l));
  assert.deepEqual(lines, []);
});
