/**
 * One round of connectivity checks (I/O kept thin): default route, TCP probe of the health
 * target, DNS of the MQTT host, and the MQTT session as evidence.
 */
import type { Config } from "../config/mod.ts";
import { parseProcNetRoute } from "../linux/mod.ts";
import { type Clock, deadline, type Fs, type Net, type ProbeResult, TIMED_OUT } from "../io/mod.ts";
import type { CheckRound } from "./watch.ts";

export const PROBE_TIMEOUT_MS = 3000;
export const ROUTE_FILE = "/proc/net/route";

/** An address needs no lookup: there is no DNS to check. */
export const isIpLiteral = (host: string): boolean => /^[\d.]+$/.test(host) || host.includes(":");

/** The host and port probed for connectivity: `health_url`, else the broker. */
export function healthTarget(config: Config): { host: string; port: number } | undefined {
  if (config.health_url) {
    const host = config.health_url.includes("://")
      ? new URL(config.health_url).hostname
      : config.health_url.split("/")[0];
    return { host, port: config.health_port };
  }
  return config.mqtt_host ? { host: config.mqtt_host, port: config.port } : undefined;
}

/** Whether /proc/net/route holds a default route that is up (the collector's parser). */
export function hasDefaultRoute(procNetRoute: string): boolean {
  return parseProcNetRoute(procNetRoute).value.wan_name !== undefined;
}

export interface CheckDeps {
  clock: Clock;
  /** Reads /proc/net/route (a KernelFs in the agent: Deno refuses /proc). */
  fs: Pick<Fs, "readTextFile">;
  net: Net;
  /** `host:port` probed over TCP (`healthTarget()`), if any. */
  target?: { host: string; port: number };
  /** The MQTT host, looked up in DNS. */
  dnsHost?: string;
  /** The MQTT session state, wired by the agent; absent = no evidence. */
  mqttConnected?: () => boolean;
}

/** A probe raced against the clock, so a hung resolver cannot stall the watch. */
async function withTimeout(clock: Clock, ms: number, work: Promise<ProbeResult>) {
  const result = await deadline(clock, ms, work);
  return result === TIMED_OUT ? { ok: false, ms, error: "timed out" } : result;
}

async function readRoute(fs: CheckDeps["fs"]): Promise<boolean | undefined> {
  try {
    return hasDefaultRoute(await fs.readTextFile(ROUTE_FILE));
  } catch {
    return undefined; // not Linux, or no --allow-read: the other checks decide
  }
}

/**
 * Runs every check; without a default route the probes are skipped (offline at once). An
 * open MQTT session is proof enough for the watch: no TCP probe then (10 000 boxes probing
 * their broker each round are some 670 connections a second at it); `fresh` probes anyway,
 * for a `network` job's before and after, when the session may not have noticed a change.
 */
export async function runChecks(deps: CheckDeps, fresh = false): Promise<CheckRound> {
  const { clock, net, dnsHost } = deps;
  const route = await readRoute(deps.fs);
  const mqtt = deps.mqttConnected?.();
  if (route === false) return { at: clock.monotonic(), route, mqtt };
  const target = mqtt && !fresh ? undefined : deps.target;
  const failed = (error: unknown): ProbeResult => ({
    ok: false,
    ms: 0,
    error: error instanceof Error ? error.message : String(error),
  });
  const [tcp, dns] = await Promise.all([
    target
      ? withTimeout(
        clock,
        PROBE_TIMEOUT_MS,
        net.tcpProbe(target.host, target.port, PROBE_TIMEOUT_MS).catch(failed),
      )
      : undefined,
    dnsHost
      ? withTimeout(clock, PROBE_TIMEOUT_MS, net.resolveDns(dnsHost).catch(failed))
      : undefined,
  ]);
  return {
    at: clock.monotonic(),
    route,
    mqtt,
    tcp: tcp && target ? { ...tcp, target: `${target.host}:${target.port}` } : undefined,
    dns: dns && dnsHost ? { ...dns, host: dnsHost } : undefined,
  };
}

export type CheckKind = "route" | "tcp" | "dns" | "mqtt";

/** One short line per check that ran: "route ok", "tcp 192.0.2.1:53 ok 12ms", "mqtt down". */
export function checkLines(round: CheckRound): Partial<Record<CheckKind, string>> {
  const probe = (what: string, p: ProbeResult) =>
    `${what} ${p.ok ? `ok ${Math.round(p.ms)}ms` : `failed: ${p.error ?? "unknown"}`}`;
  return {
    route: round.route === undefined ? "unknown" : round.route ? "ok" : "none",
    ...(round.tcp ? { tcp: probe(round.tcp.target, round.tcp) } : {}),
    ...(round.dns ? { dns: probe(round.dns.host, round.dns) } : {}),
    ...(round.mqtt !== undefined ? { mqtt: round.mqtt ? "connected" : "down" } : {}),
  };
}

/** The checks of a round as `network` jobs report them: "tcp 192.0.2.1:53 ok 12ms". */
export function describeRound(round: CheckRound): string[] {
  return Object.entries(checkLines(round)).map(([kind, line]) => `${kind} ${line}`);
}
