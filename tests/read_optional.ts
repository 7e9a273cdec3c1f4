/**
 * A file's text, or undefined when it does not exist: what a guest or a
 * wrapper left behind (an exit status, a log, a figure) is missing when it
 * died before writing it, and that is an answer, not an error.
 */
export async function readOptional(
  path: string,
): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}
