/**
 * What every drill shares: the size (full, or `DRILLS=short` for CI), fleets of in-process
 * agents that run only jobs over MQTT, and one way of printing figures.
 */
import { Agent } from "../../src/agent/mod.ts";
import { memoryLogger } from "../../src/log/logger.ts";
import { testAgent, testConfig, wiringOf } from "../support/context.ts";
import type { Clock } from "../../src/io/mod.ts";
import type { ManualClock } from "../support/clock.ts";
import { publish, type Subscriber } from "../support/mosquitto.ts";
import { until } from "../support/poll.ts";

/** `DRILLS=short` runs every drill at a size CI can afford. */
export const SHORT = Deno.env.get("DRILLS") === "short";

/** Full size, or the short one under `DRILLS=short`. */
export function size(full: number, short: number): number {
  return SHORT ? short : full;
}

/** Prints a drill's figures: one readable line each, then one JSON line for tools. */
export function report(drill: string, figures: Record<string, unknown>): void {
  console.log(`drill ${drill}${SHORT ? " (short)" : ""}`);
  for (const [name, value] of Object.entries(figures)) {
    console.log(
      `  ${name.padEnd(36)} ${typeof value === "string" ? value : JSON.stringify(value)}`,
    );
  }
  console.log(JSON.stringify({ drill, short: SHORT, ...figures }));
}

/** Only what a fleet box needs for jobs: replies, jobs and the session (no collector). */
export const jobsOverMqtt = wiringOf(["replies", "jobs", "mqtt"]);

/** A distinct MAC per box: `02-00-00-00-HH-LL`. */
export function macOf(index: number): string {
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(2, "0");
  return `02-00-00-00-${hex(index >> 8)}-${hex(index & 0xff)}`;
}

/** What every drill box shares: box `index` on the broker at `port`, no pings. */
export function boxKeys(index: number, port: number): Record<string, unknown> {
  return {
    mac: macOf(index),
    topic: "fleet",
    key: "k3y",
    mqtt_host: "127.0.0.1",
    port,
    "no-ping": 1,
  };
}

/** The topics' common tail for a box. */
export function tailOf(mac: string): string {
  return `fleet/k3y/${mac}`;
}

/** The back end of one box: sends it jobs, and reads its results from a subscriber. */
export function backEndOf(port: number, mac: string, subscriber: Subscriber) {
  return {
    send: (id: string, msg: string, extra: Record<string, unknown> = {}) =>
      publish(
        port,
        `sub/${tailOf(mac)}`,
        JSON.stringify({ id, timestamp: Math.floor(Date.now() / 1000), meta: { msg }, ...extra }),
      ),
    /** The parsed results on pub/..., in arrival order. */
    results: (): { id: string; event_type: string }[] =>
      subscriber.messages.filter((m) => m.startsWith("pub/")).map((m) =>
        JSON.parse(m.slice(m.indexOf(" ") + 1))
      ),
  };
}

/**
 * Box 0 as a whole agent (every capability) in this process on `clock`, its state in
 * `dir`/state; `keys` add to or override the box's config. Not started.
 */
export async function wholeBox(
  dir: string,
  port: number,
  clock: Clock,
  keys: Record<string, unknown>,
): Promise<{ agent: Agent; mac: string; state: string }> {
  const state = `${dir}/state`;
  await Deno.mkdir(state);
  const config = testConfig({ ...boxKeys(0, port), state_dir: state, ...keys });
  return { agent: testAgent(config, { clock }).agent, mac: macOf(0), state };
}

export interface Box {
  agent: Agent;
  mac: string;
  lines: string[];
}

/** One in-process box with its own state dir, no control socket and a quiet logger. */
export async function startBox(
  index: number,
  dir: string,
  port: number,
  keys: Record<string, unknown>,
): Promise<Box> {
  const mac = macOf(index);
  const state = `${dir}/box-${index}`;
  await Deno.mkdir(state, { recursive: true });
  const config = testConfig({ ...boxKeys(index, port), state_dir: state, "no-cache": 1, ...keys });
  const { log, lines } = memoryLogger("warn");
  const agent = new Agent({ config, configPath: "-", log, controlSocket: null }, jobsOverMqtt);
  await agent.start();
  return { agent, mac, lines };
}

/**
 * Moves simulated time on by `stepMs` at a time, giving real I/O its turn in between,
 * until `check` holds; fails after `timeoutMs` of real time.
 */
export async function advanceUntil(
  clock: ManualClock,
  check: () => boolean,
  what: string,
  stepMs = 1000,
  timeoutMs = 60_000,
): Promise<void> {
  await until(
    async () => {
      if (check()) return true;
      await clock.advance(stepMs);
      return check();
    },
    what,
    timeoutMs,
  );
}
