/**
 * A private mosquitto per test: a free loopback port, a temp config (no persistence,
 * TCP_NODELAY on), killed and restarted at will. Never the system broker.
 */
import { until } from "./poll.ts";

const MOSQUITTO = ["/usr/sbin/mosquitto", "/usr/bin/mosquitto"].find((p) => {
  try {
    return Deno.statSync(p).isFile;
  } catch {
    return false;
  }
}) ?? "mosquitto";

export interface BrokerOptions {
  /** Extra lines for the listener (TLS files, `require_certificate true`, ...). */
  listener?: string[];
  /** `user:password` pairs; anonymous access is off when given. */
  users?: Record<string, string>;
  port?: number;
  /** Another address to listen on beside 127.0.0.1 (a veth's, for an agent in a namespace). */
  alsoOn?: string;
  /** An ACL file's text: at `<dir>/acl`, read again at `reload()`. */
  acl?: string;
  /**
   * Keep sessions and queued messages across a kill: saved on every change, so even a
   * SIGKILL loses nothing (a persistent subscriber then survives a broker restart).
   */
  persistent?: boolean;
}

export interface Broker extends AsyncDisposable {
  port: number;
  dir: string;
  /** Kills the broker at once (SIGKILL), as a crash would. */
  kill(): Promise<void>;
  /** Starts it again on the same port. */
  restart(): Promise<void>;
  /** Has it read its password and ACL files again (SIGHUP). */
  reload(): void;
  /** What the broker logged. */
  log(): string;
}

export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

async function listening(port: number): Promise<boolean> {
  try {
    (await Deno.connect({ hostname: "127.0.0.1", port })).close();
    return true;
  } catch {
    return false;
  }
}

export async function startBroker(options: BrokerOptions = {}): Promise<Broker> {
  const dir = await Deno.makeTempDir({ prefix: "ledge-broker-" });
  // Started as root, mosquitto drops to its own user, which must be able to save here.
  await Deno.chmod(dir, 0o777);
  const port = options.port ?? freePort();
  const lines = [
    ...(options.persistent
      ? [
        "persistence true",
        `persistence_location ${dir}/`,
        "autosave_interval 1",
        "autosave_on_changes true",
      ]
      : ["persistence false"]),
    "log_dest stderr",
    "log_type error",
    "log_type warning",
    "log_type notice",
    `listener ${port} 127.0.0.1`,
    "set_tcp_nodelay true",
    ...(options.listener ?? []),
    ...(options.alsoOn ? [`listener ${port} ${options.alsoOn}`] : []),
  ];
  if (options.users) {
    const passwords = `${dir}/passwords`;
    await Deno.writeTextFile(passwords, "");
    for (const [user, password] of Object.entries(options.users)) {
      const out = await new Deno.Command("mosquitto_passwd", {
        args: ["-b", passwords, user, password],
      }).output();
      if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
    }
    lines.push("allow_anonymous false", `password_file ${passwords}`);
  } else {
    lines.push("allow_anonymous true");
  }
  if (options.acl !== undefined) {
    await Deno.writeTextFile(`${dir}/acl`, options.acl);
    lines.push(`acl_file ${dir}/acl`);
  }
  await Deno.writeTextFile(`${dir}/mosquitto.conf`, lines.join("\n") + "\n");
  let child: Deno.ChildProcess | undefined;
  let logText = "";
  let drained: Promise<void> = Promise.resolve();

  const start = async () => {
    child = new Deno.Command(MOSQUITTO, {
      args: ["-c", `${dir}/mosquitto.conf`],
      stdout: "null",
      stderr: "piped",
      stdin: "null",
    }).spawn();
    const running = child;
    drained = (async () => {
      for await (const chunk of running.stderr.pipeThrough(new TextDecoderStream())) {
        logText += chunk;
      }
    })();
    let exited = false;
    running.status.then(() => exited = true);
    await until(async () => {
      if (exited) throw new Error(`mosquitto exited:\n${logText}`);
      return await listening(port);
    }, `mosquitto on port ${port}`);
  };
  const kill = async () => {
    if (!child) return;
    const running = child;
    child = undefined;
    try {
      running.kill("SIGKILL");
    } catch { /* already gone */ }
    await running.status;
    await drained;
  };
  await start();
  return {
    port,
    dir,
    kill,
    restart: start,
    reload: () => child?.kill("SIGHUP"),
    log: () => logText,
    [Symbol.asyncDispose]: async () => {
      await kill();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** A `mosquitto_sub` collecting messages (`topic payload` per line) from the start. */
export interface Subscriber extends AsyncDisposable {
  messages: string[];
  /** The first message (seen or future) matching `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

/**
 * A `mosquitto_sub -v` of `topics`; `extra` flags are its own, `common` ones (`--cafile`)
 * also go to the probe it publishes to know it is subscribed.
 */
export async function subscribe(
  port: number,
  topics: string[],
  extra: string[] = [],
  common: string[] = [],
) {
  const args = ["-h", "127.0.0.1", "-p", String(port), "-q", "1", "-v", ...common, ...extra];
  for (const topic of topics) args.push("-t", topic);
  // A probe message on a private topic tells us the subscription is active.
  const probe = `ledge-test-probe/${crypto.randomUUID()}`;
  args.push("-t", probe);
  const child = new Deno.Command("mosquitto_sub", { args, stdout: "piped", stderr: "null" })
    .spawn();
  const messages: string[] = [];
  const reading = (async () => {
    let pending = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      pending += chunk;
      const parts = pending.split("\n");
      pending = parts.pop()!;
      messages.push(...parts);
    }
  })();
  const subscriber: Subscriber = {
    messages,
    async waitFor(pattern, timeoutMs = 30_000) {
      let found: string | undefined;
      await until(
        () => (found = messages.find((m) => pattern.test(m))) !== undefined,
        `${pattern}\n${messages.join("\n")}`,
        timeoutMs,
      );
      return found!;
    },
    [Symbol.asyncDispose]: async () => {
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      await child.status;
      await reading;
    },
  };
  await until(async () => {
    await publish(port, probe, "probe", [...common, "-q", "0"]);
    return messages.some((m) => m.startsWith(probe));
  }, "mosquitto_sub to subscribe");
  return subscriber;
}

export async function publish(port: number, topic: string, payload: string, extra: string[] = []) {
  const out = await new Deno.Command("mosquitto_pub", {
    args: ["-h", "127.0.0.1", "-p", String(port), "-q", "1", ...extra, "-t", topic, "-m", payload],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`mosquitto_pub: ${new TextDecoder().decode(out.stderr)}`);
}
