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
  try {
    const broker = await startWatched(MOSQUITTO, ["-c", conf], "stderr", / running$/);
    const stop = async () => {
      await broker.stop();
      await dir[Symbol.asyncDispose]();
    };
    return { host: "127.0.0.1", port, [Symbol.asyncDispose]: stop };
  } catch (error) {
    await dir[Symbol.asyncDispose]();
    throw error;
  }
}

export interface Subscription extends AsyncDisposable {
  /** mosquitto_sub's output: one line per payload, among its own `-d` lines. */
  messages: WatchedLines;
}

/** `mosquitto_sub` on `topic`, resolved once the broker has acknowledged the subscription. */
export async function subscribe(broker: Broker, topic: string): Promise<Subscription> {
  const args = ["-h", broker.host, "-p", String(broker.port), "-q", "1", "-t", topic, "-d"];
  // Line-buffered: mosquitto_sub's stdout into a pipe is otherwise only flushed at exit.
  const client = await startWatched(
    "stdbuf",
    ["-oL", "mosquitto_sub", ...args],
    "stdout",
    /^Client \S+ received SUBACK/,
  );
  return { messages: client.output, [Symbol.asyncDispose]: client.stop };
}

/** `mosquitto_pub` of one QoS 1 message. */
export async function publish(broker: Broker, topic: string, payload: string): Promise<void> {
  const out = await new Deno.Command("mosquitto_pub", {
    args: ["-h", broker.host, "-p", String(broker.port), "-q", "1", "-t", topic, "-m", payload],
    stdin: "null",
  }).output();
  if (!out.success) throw new Error(`mosquitto_pub: ${new TextDecoder().decode(out.stderr)}`);
}

/**
 * Starts a long-running program and resolves once it has printed `ready` on `stream`. The
 * stream is read to the end, for the program's whole life: a closed pipe would kill it.
 */
async function startWatched(
  command: string,
  args: string[],
  stream: "stdout" | "stderr",
  ready: RegExp,
): Promise<{ output: WatchedLines; stop: () => Promise<void> }> {
  const child = new Deno.Command(command, {
    args,
    stdin: "null",
    stdout: stream === "stdout" ? "piped" : "null",
    stderr: stream === "stderr" ? "piped" : "null",
  }).spawn();
  const output = watchLines(child[stream]);
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    await Promise.all([child.status, output.done]);
  };
  try {
    await output.waitFor(ready);
  } catch (error) {
    await stop();
    throw error;
  }
  return { output, stop };
}
