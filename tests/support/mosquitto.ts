/**
 * A real mosquitto on a free loopback port, and its command-line clients, for tests and
 * scripts that need a broker. Awaits the programs' own output instead of sleeping.
 */
import { tempDir, type WatchedLines, watchLines } from "./process.ts";

export interface Broker extends AsyncDisposable {
  host: string;
  port: number;
}

const MOSQUITTO = "/usr/sbin/mosquitto";

/** A port that was free a moment ago (mosquitto cannot report the one it picked). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

export async function startMosquitto(): Promise<Broker> {
  const dir = await tempDir("ledge-broker-");
  const port = freePort();
  const conf = `${dir.path}/mosquitto.conf`;
  // Nagle + delayed ACK add ~40 ms per publish on loopback (spec/mqtt-jobs.md).
  await Deno.writeTextFile(
    conf,
    [`listener ${port} 127.0.0.1`, "allow_anonymous true", "set_tcp_nodelay true", ""].join("\n"),
  );
  const child = new Deno.Command(MOSQUITTO, {
    args: ["-c", conf],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  // Read to the end, for the broker's whole life: a closed pipe would kill it with SIGPIPE.
  const log = watchLines(child.stderr);
  const stop = async () => {
    stopChild(child);
    await Promise.all([child.status, log.done]);
    await dir[Symbol.asyncDispose]();
  };
  try {
    await log.waitFor(/ running$/);
  } catch (error) {
    await stop();
    throw error;
  }
  return { host: "127.0.0.1", port, [Symbol.asyncDispose]: stop };
}

export interface Subscription extends AsyncDisposable {
  /** mosquitto_sub's output: one line per payload, among its own `-d` lines. */
  messages: WatchedLines;
}

/** `mosquitto_sub` on `topic`, resolved once the broker has acknowledged the subscription. */
export async function subscribe(broker: Broker, topic: string): Promise<Subscription> {
  // Line-buffered: mosquitto_sub's stdout into a pipe is otherwise only flushed at exit.
  const child = new Deno.Command("stdbuf", {
    args: ["-oL", "mosquitto_sub", "-h", broker.host, "-p", String(broker.port), "-q", "1"]
      .concat(["-t", topic, "-d"]),
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const messages = watchLines(child.stdout);
  const close = async () => {
    stopChild(child);
    await Promise.all([child.status, messages.done]);
  };
  try {
    await messages.waitFor(/^Client \S+ received SUBACK/);
  } catch (error) {
    await close();
    throw error;
  }
  return { messages, [Symbol.asyncDispose]: close };
}

/** `mosquitto_pub` of one QoS 1 message. */
export async function publish(broker: Broker, topic: string, payload: string): Promise<void> {
  const out = await new Deno.Command("mosquitto_pub", {
    args: ["-h", broker.host, "-p", String(broker.port), "-q", "1", "-t", topic, "-m", payload],
    stdin: "null",
  }).output();
  if (!out.success) throw new Error(`mosquitto_pub: ${new TextDecoder().decode(out.stderr)}`);
}

function stopChild(child: Deno.ChildProcess): void {
  try {
    child.kill("SIGTERM");
  } catch { /* already gone */ }
}
