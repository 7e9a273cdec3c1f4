/**
 * A child's output, line by line, as it comes: QEMU's console, a test
 * step's log, `ip monitor`. Chunks end anywhere, so a line is handed on
 * only once its end has arrived; the last one when the stream ends, even
 * without a newline. A carriage return before the newline (a serial
 * console's line end) is dropped.
 */
export async function eachLine(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
  onText?: (text: string) => void,
): Promise<void> {
  let partial = "";
  for await (const text of stream.pipeThrough(new TextDecoderStream())) {
    onText?.(text);
    partial += text;
    const lines = partial.split(/\r?\n/);
    partial = lines.pop() ?? "";
    for (const l of lines) onLine(l);
  }
  if (partial) onLine(partial);
}
