/** An in-process agent with a real control socket, and raw clients to talk to it. */
import { Agent, type AgentOptions } from "../../src/agent/mod.ts";
import type { CapabilitySpec } from "../../src/capability.ts";
import { memoryLogger } from "../../src/log/logger.ts";
import { testConfig, wiringOf } from "./context.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface TestAgent extends AsyncDisposable {
  agent: Agent;
  path: string;
  lines: string[];
}

/** Starts an agent listening on a socket in a fresh temp dir; disposing stops it. */
export async function startAgent(
  options: Partial<AgentOptions> = {},
  specs: readonly CapabilitySpec[] = [],
): Promise<TestAgent> {
  const dir = await Deno.makeTempDir({ prefix: "ledge-control-" });
  const path = `${dir}/ledge.sock`;
  const { log, lines } = memoryLogger("info");
  const agent = new Agent({
    config: testConfig({ mac: "AA-BB", disable_mqtt: true }),
    configPath: `${dir}/config.json`,
    log,
    controlSocket: path,
    ...options,
  }, wiringOf(specs));
  await agent.start();
  return {
    agent,
    path,
    lines,
    [Symbol.asyncDispose]: async () => {
      await agent.stop();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

export function connect(path: string): Promise<Deno.UnixConn> {
  return Deno.connect({ transport: "unix", path });
}

export async function send(conn: Deno.Conn, text: string | Uint8Array): Promise<void> {
  const bytes = typeof text === "string" ? encoder.encode(text) : text;
  for (let written = 0; written < bytes.length;) {
    written += await conn.write(bytes.subarray(written));
  }
}

/** Everything the server writes until it closes, then closes our side. */
export async function readToEnd(conn: Deno.Conn): Promise<string> {
  const chunks: string[] = [];
  const buf = new Uint8Array(64 * 1024);
  try {
    for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
      chunks.push(decoder.decode(buf.subarray(0, n), { stream: true }));
    }
  } finally {
    conn.close();
  }
  return chunks.join("");
}

/** One request on a fresh connection, written without newline or half-close. */
export async function ask(path: string, request: unknown): Promise<Record<string, unknown>> {
  const conn = await connect(path);
  await send(conn, typeof request === "string" ? request : JSON.stringify(request));
  return JSON.parse(await readToEnd(conn));
}

/** Reads newline-terminated answers from a keep-alive connection. */
export class LineReader {
  #pending = "";
  #buf = new Uint8Array(64 * 1024);
  constructor(private readonly conn: Deno.Conn) {}

  async next(): Promise<string | null> {
    for (;;) {
      const end = this.#pending.indexOf("\n");
      if (end >= 0) {
        const line = this.#pending.slice(0, end);
        this.#pending = this.#pending.slice(end + 1);
        return line;
      }
      const n = await this.conn.read(this.#buf);
      if (n === null) return null;
      this.#pending += decoder.decode(this.#buf.subarray(0, n), { stream: true });
    }
  }
}
