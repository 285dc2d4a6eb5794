/**
 * The control socket's file: a stale one left by a crash is replaced, a live one or a file
 * that is not a socket is refused (never deleted), and the socket gets its mode and group.
 */

/** Why the control socket cannot be opened; the agent does not start without it. */
export class SocketFileError extends Error {}

/** The numeric id of `group` in the text of /etc/group, or undefined. */
export function parseGroupId(etcGroup: string, group: string): number | undefined {
  for (const line of etcGroup.split("\n")) {
    const [name, , gid] = line.split(":");
    if (name === group && /^\d+$/.test(gid ?? "")) return Number(gid);
  }
  return undefined;
}

/** True when something accepts connections on the socket at `path`. */
async function answers(path: string): Promise<boolean> {
  try {
    (await Deno.connect({ transport: "unix", path })).close();
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.ConnectionRefused) return false;
    throw error;
  }
}

/**
 * Makes `path` free for a new socket. Returns true when a stale socket was removed; throws
 * SocketFileError when an agent answers on it, or when it is not a socket.
 */
export async function clearSocketPath(path: string): Promise<boolean> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
  if (!info.isSocket) {
    throw new SocketFileError(`${path} exists and is not a socket; it was left alone`);
  }
  if (await answers(path)) {
    throw new SocketFileError(`another agent is already listening on ${path}`);
  }
  await Deno.remove(path);
  return true;
}

/** 0600, or 0660 owned by `group` so that its members may connect. */
export async function restrictSocket(
  path: string,
  group: string | undefined,
  readEtcGroup: () => Promise<string>,
): Promise<void> {
  if (group === undefined) return await Deno.chmod(path, 0o600);
  const gid = parseGroupId(await readEtcGroup(), group);
  if (gid === undefined) {
    throw new SocketFileError(`control_socket_group: no group '${group}' in /etc/group`);
  }
  await Deno.chown(path, null, gid);
  await Deno.chmod(path, 0o660);
}

/** The inode of the socket file, to remove only our own socket at stop. */
export async function socketInode(path: string): Promise<number | null> {
  try {
    return (await Deno.lstat(path)).ino;
  } catch {
    return null;
  }
}
