/**
 * The hardened run: the bundled agent under exactly the flags `--print-permissions` gives
 * for its config, against a real mosquitto and a stats API on loopback. Shared by
 * tests/preset_test.ts.
 *
 * Every capability must start under the preset; one disabled or failed fails the run.
 */
import { assert, assertEquals } from "./assert.ts";
import { CAPABILITY_NAMES } from "../../src/capability.ts";
import { type Broker, publish, startBroker, subscribe } from "./mosquitto.ts";
import { until } from "./poll.ts";
import {
  type LedgeProcess,
  spawnLedge,
  tempDir,
  type WatchedLines,
  watchLines,
} from "./process.ts";

/** Runs one named check. */
export type StepRunner = (name: string, check: () => Promise<void>) => Promise<void>;

/** Every capability the agent has, as its "agent started" line lists them: control first. */
export const CAPABILITIES = ["control", ...CAPABILITY_NAMES];

/** The `deno` this process found on PATH, as ctl is run. */
const DENO = "deno";

export interface HardenedRunOptions {
  /** The bundle (dist/ledge.js or a fresh one). */
  script: string;
  /** The flags `check-config CONFIG --print-permissions` gives the config at `config`. */
  preset(config: string): Promise<string[]>;
  /** The command line that runs `deno`; default: `deno` from PATH, as for ctl. */
  runtime?: string[];
  /** Called once the agent has started, e.g. to measure it. */
  onStarted?: (agent: LedgeProcess) => Promise<void>;
}

export const MAC = "AA-BB-CC-00-00-01";
export const STARTED = /"message":"agent started"/;
/** Log lines of a capability the preset starved: what this run exists to catch. */
const STARVED = /disabled: permission missing|failed to start/;

export interface HardenedSetup extends AsyncDisposable {
  broker: Broker;
  api: StatsApi;
  /** The config file (`testConfig`) and the control socket it names. */
  config: string;
  socket: string;
}

/**
 * A private mosquitto, a stats API and a config for them (`keys` on top); disposing
 * removes all three.
 */
export async function hardenedSetup(keys: Record<string, unknown> = {}): Promise<HardenedSetup> {
  await using stack = new AsyncDisposableStack();
  const dir = stack.use(await tempDir("ledge-preset-"));
  const broker = stack.use(await startBroker());
  const api = stack.use(startStatsApi());
  const socket = `${dir.path}/ledge.sock`;
  const config = await writeConfig(dir.path, {
    ...testConfig(dir.path, broker.port, api.url, socket),
    ...keys,
  });
  const owned = stack.move();
  return { broker, api, config, socket, [Symbol.asyncDispose]: () => owned.disposeAsync() };
}

export async function hardenedRun(options: HardenedRunOptions, step: StepRunner): Promise<void> {
  await using setup = await hardenedSetup();
  const { broker, api, config, socket } = setup;
  const flags = await options.preset(config);
  const agent = spawnLedge(["run", `--config=${config}`, "--log-format=json"], {
    flags,
    script: options.script,
    runtime: options.runtime ?? [DENO],
    // As the packages run it: SIGUSR2 then trims memory instead of killing the process.
    env: { DENO_USR2_MEMORY_TRIM: "1" },
  });
  try {
    let running: string[] = [];
    await step("starts under exactly the preset, no capability starved", async () => {
      const started = JSON.parse(await agent.waitFor(STARTED, 60_000));
      running = started.running === "none" ? [] : started.running.split(",");
      const starved = agent.lines.filter((line) => STARVED.test(line));
      assertEquals(starved, [], `capabilities starved by ${flags.join(" ")}`);
      assertEquals([...running].sort(), [...CAPABILITIES].sort());
    });
    await options.onStarted?.(agent);
    await step("stays up: SIGHUP reloads the config", async () => {
      agent.kill("SIGHUP");
      await agent.waitFor(/"message":"config reloaded"/, 60_000);
    });

    await step("ctl status (x86_64 deno, same preset): every capability running", async () => {
      const { code, stdout } = await ctl(flags, options.script, socket, "status");
      assertEquals(code, 0, stdout);
      const status = JSON.parse(stdout)["agent-status"];
      for (const name of running) {
        const line = status[name];
        assert(
          typeof line === "string" && !/^(disabled|failed|stopped)/.test(line),
          `${name}: ${line}`,
        );
      }
    });

    await step("a job outside the preset fails cleanly, the next one runs", async () => {
      await using replies = await subscribe(broker.port, [`pub/t/k/${MAC}`]);
      await publishJob(broker.port, "outside", "/bin/cat /etc/hostname");
      await publishJob(broker.port, "inside", "/bin/echo still-here");
      // mosquitto_sub -v prints `topic payload`.
      const reply = async (id: string) => {
        const line = await replies.waitFor(new RegExp(`"id":"${id}"`), 30_000);
        return JSON.parse(line.slice(line.indexOf(" ") + 1));
      };
      const outside = await reply("outside");
      assert(["REJECTED", "FAILED"].includes(outside.event_type), JSON.stringify(outside));
      const inside = await reply("inside");
      assertEquals([inside.event_type, inside.meta.msg.trim()], ["PROCESSED", "still-here"]);
    });

    await step("gives memory back in an idle moment, and lives on", async () => {
      await until(
        async () => {
          const { stdout } = await ctl(flags, options.script, socket, "counters");
          return JSON.parse(stdout).counters["memory-trims"] >= 1;
        },
        "a memory trim",
        60_000,
      );
      const { code } = await ctl(flags, options.script, socket, "status");
      assertEquals(code, 0, "the agent answers after trimming");
    });

    await step("stats reach the API", async () => {
      await api.requests.waitFor(/^POST \/stats /, 60_000);
    });

    await step("SIGTERM stops cleanly with exit 0", async () => {
      agent.kill("SIGTERM");
      assertEquals((await agent.status).code, 0, agent.lines.join("\n"));
      await agent.waitFor(/"message":"agent stopped"/);
    });
  } finally {
    agent.kill("SIGKILL");
    await agent.status;
  }
}

/**
 * What every end-to-end box shares: its identity, the private broker (also what the health
 * watch probes), no wireless scans, no reboots.
 */
export function boxConfig(brokerPort: number, mac = MAC) {
  return {
    mac,
    topic: "t",
    key: "k",
    mqtt_host: "127.0.0.1",
    port: brokerPort,
    health_url: "127.0.0.1",
    health_port: brokerPort,
    scan: 0,
    reboot: 0,
    recovery_cmd: "/bin/true",
  };
}

/** The agent's files under `dir`: its control socket (`dir/ledge.sock`), cache and state. */
export function boxFiles(dir: string) {
  return {
    control_socket: `${dir}/ledge.sock`,
    cache_dir: `${dir}/cache`,
    state_dir: `${dir}/state`,
    dhcp_leases: `${dir}/dhcp.leases`,
  };
}

/** Writes `dir/config.json` with these keys; returns its path. */
export async function writeConfig(dir: string, keys: Record<string, unknown>): Promise<string> {
  const path = `${dir}/config.json`;
  await Deno.writeTextFile(path, JSON.stringify(keys));
  return path;
}

/** Everything on loopback or under `dir`; jobs limited to /bin/echo. */
function testConfig(dir: string, brokerPort: number, api: string, socket: string) {
  return {
    ...boxConfig(brokerPort),
    stats_url: `${api}/stats`,
    api_url: `${api}/api`,
    heartbeat: 1,
    ...boxFiles(dir),
    control_socket: socket,
    reboot_cmd: "/bin/true",
    jobs: { allow: ["/bin/echo"] },
    desired: { uci: "/bin/true", reload: "/bin/true" },
    upgrade: {
      hosts: ["127.0.0.1"],
      program: "/bin/false",
      dir: `${dir}/upgrade`,
      release_file: `${dir}/openwrt_release`,
    },
  };
}

function publishJob(brokerPort: number, id: string, command: string): Promise<void> {
  const job = {
    id,
    timestamp: Math.floor(Date.now() / 1000),
    meta: { msg: command, type: "command" },
  };
  return publish(brokerPort, `sub/t/k/${MAC}`, JSON.stringify(job));
}

/** `ledge ctl --json` through the x86_64 deno, with the same preset flags as the agent. */
async function ctl(flags: string[], script: string, socket: string, command: string) {
  const out = await new Deno.Command(DENO, {
    args: ["run", "--quiet", ...flags, script, "ctl", "-S", socket, "--json", command],
    stdin: "null",
    env: { NO_COLOR: "1" },
  }).output();
  return { code: out.code, stdout: new TextDecoder().decode(out.stdout) };
}

export interface StatsApi extends AsyncDisposable {
  url: string;
  /** One line per request received: `METHOD PATH BYTES`. */
  requests: WatchedLines;
}

/** The operator's stats API: answers 200 to everything and notes each request. */
function startStatsApi(): StatsApi {
  const log = new TransformStream<Uint8Array, Uint8Array>();
  const writer = log.writable.getWriter();
  const encoder = new TextEncoder();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const body = await req.arrayBuffer();
    const path = new URL(req.url).pathname;
    await writer.write(encoder.encode(`${req.method} ${path} ${body.byteLength}\n`));
    return Response.json({});
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    requests: watchLines(log.readable),
    [Symbol.asyncDispose]: async () => {
      await server.shutdown();
      await writer.close();
    },
  };
}
