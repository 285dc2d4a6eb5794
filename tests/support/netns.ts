/**
 * A network namespace joined to this one by a veth pair, for tests that cut a real link.
 * Needs root (ip netns); `netnsUnavailable()` says why not where namespaces cannot be made.
 */

export async function ip(...args: string[]): Promise<{ ok: boolean; error: string }> {
  try {
    const out = await new Deno.Command("ip", { args, stdout: "null", stderr: "piped" }).output();
    return { ok: out.success, error: new TextDecoder().decode(out.stderr).trim() };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

const suffix = () => crypto.randomUUID().slice(0, 6);

/** Why namespaces cannot be made here, or undefined when they can. */
export async function netnsUnavailable(): Promise<string | undefined> {
  const probe = `ledge-probe-${suffix()}`;
  const made = await ip("netns", "add", probe);
  if (!made.ok) return made.error || "ip netns add failed";
  await ip("netns", "del", probe);
  return undefined;
}

/** A namespace whose veth reaches `hostAddress` here, and whose default route goes there. */
export async function linkedNamespace() {
  const id = suffix();
  const ns = `ledge-${id}`;
  const hostEnd = `lh${id}`;
  const agentEnd = `la${id}`;
  const net = `10.213.${Math.floor(Math.random() * 250)}`;
  const hostAddress = `${net}.1`;
  const steps = [
    ["netns", "add", ns],
    ["link", "add", hostEnd, "type", "veth", "peer", "name", agentEnd],
    ["link", "set", agentEnd, "netns", ns],
    ["addr", "add", `${hostAddress}/30`, "dev", hostEnd],
    ["link", "set", hostEnd, "up"],
    ["-n", ns, "addr", "add", `${net}.2/30`, "dev", agentEnd],
    ["-n", ns, "link", "set", "lo", "up"],
    ["-n", ns, "link", "set", agentEnd, "up"],
    ["-n", ns, "route", "add", "default", "via", hostAddress],
  ];
  const dispose = async () => {
    await ip("netns", "del", ns); // takes the veth pair with it
    await ip("link", "del", hostEnd);
  };
  for (const step of steps) {
    const done = await ip(...step);
    if (!done.ok) {
      await dispose();
      throw new Error(`ip ${step.join(" ")}: ${done.error}`);
    }
  }
  return {
    ns,
    hostAddress,
    /** The veth end inside the namespace. */
    agentEnd,
    cut: () => ip("link", "set", hostEnd, "down"),
    restore: () => ip("link", "set", hostEnd, "up"),
    [Symbol.asyncDispose]: dispose,
  };
}
