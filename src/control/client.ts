/** A control socket client: one request, the answer read until the agent closes. */

/** Why a request got no answer, in one line for the operator. */
export class ControlClientError extends Error {}

/**
 * Sends `body` (no newline, no half-close: like cli.py) to the socket at `path`, e.g.
 * `{"command":"status"}`, and returns the answer's text.
 */
export async function controlRequest(
  path: string,
  body: string,
  timeoutMs = 30_000,
): Promise<string> {
  let conn: Deno.UnixConn;
  try {
    conn = await Deno.connect({ transport: "unix", path });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.ConnectionRefused) {
      throw new ControlClientError(`no agent listening on ${path}`);
    }
    const reason = error instanceof Error ? error.message : String(error);
    throw new ControlClientError(`cannot connect to ${path}: ${reason}`);
  }
  const timer = setTimeout(() => conn.close(), timeoutMs);
  try {
    await conn.write(new TextEncoder().encode(body));
    return await new Response(conn.readable).text();
  } catch {
    throw new ControlClientError(`no answer from the agent on ${path} within ${timeoutMs} ms`);
  } finally {
    clearTimeout(timer);
  }
}
