import { concatBytes } from "./fs.ts";

/**
 * The body of an HTTP answer, or `undefined` when it is larger than `max` bytes: a remote
 * server must not be able to fill a router's memory.
 *
 * ```ts
 * await readCapped(new Response("hello"), 1024); // "hello"
 * ```
 */
export async function readCapped(response: Response, max: number): Promise<string | undefined> {
  if (!response.body) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += chunk.length;
    if (size > max) return undefined; // leaving the loop cancels the stream
    chunks.push(chunk);
  }
  return new TextDecoder().decode(concatBytes(chunks));
}
